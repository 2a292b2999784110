"""Spreadsheet uploads: reading CSV (UTF-8 with or without BOM, or GBK/GB18030 as Chinese
Excel writes it; comma, semicolon or tab) and XLSX into a header and rows, and keeping a
parsed upload between the mapping, dry-run and apply steps of an import.

Parsed uploads are kept as JSON files in the instance folder, named by a random id and
bound to the organization and user who uploaded them; they expire after a day.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import time
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l

from .errors import ServiceError
from .forms import show_service_error

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_ROWS = 50_000
ENCODINGS = {"utf-8": "utf-8-sig", "gbk": "gb18030"}
KEEP_SECONDS = 24 * 3600


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    encoding: str | None = None  # for CSV: utf-8 or gbk
    delimiter: str | None = None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _finish(header: list[str], rows: list[list[str]], **kw: Any) -> Table:
    header = [h.strip() for h in header]
    while header and not header[-1]:
        header.pop()
    if not header or not any(header):
        raise ServiceError(_l("The first line must name the columns."), "file")
    blank = [i + 1 for i, name in enumerate(header) if not name]
    if blank:
        raise ServiceError(_l("Column %(n)d has no name in the first line.", n=blank[0]), "file")
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise ServiceError(_l("Two columns are both called %(name)s.", name=duplicated[0]), "file")
    width = len(header)
    kept = [(r + [""] * width)[:width] for r in rows if any(c.strip() for c in r)]
    if not kept:
        raise ServiceError(_l("The file has no rows below the header."), "file")
    if len(kept) > MAX_ROWS:
        raise ServiceError(
            _l(
                "The file has %(count)d rows; at most %(max)d at a time.",
                count=len(kept),
                max=MAX_ROWS,
            ),
            "file",
        )
    return Table(header, kept, **kw)


def read_table(raw: bytes, filename: str, encoding: str = "auto") -> Table:
    """The file's header and non-empty rows, or a ServiceError at the file field."""
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ServiceError(_l("The file is larger than 8 MB; split it."), "file")
    if not raw.strip():
        raise ServiceError(_l("The file is empty."), "file")
    if raw[:2] == b"PK" or filename.lower().endswith(".xlsx"):
        return _read_xlsx(raw)
    return _read_csv(raw, encoding)


def _read_xlsx(raw: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise ServiceError(_l("This is not an Excel (.xlsx) file we can read."), "file") from None
    try:
        sheet = book.worksheets[0]
        lines = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
    if not lines:
        raise ServiceError(_l("The file is empty."), "file")
    return _finish(lines[0], lines[1:])


def _decode(raw: bytes, encoding: str) -> tuple[str, str]:
    if encoding in ENCODINGS:
        try:
            return raw.decode(ENCODINGS[encoding]), encoding
        except UnicodeDecodeError:
            raise ServiceError(
                _l(
                    "The file cannot be read as %(encoding)s; try another encoding.",
                    encoding=encoding.upper(),
                ),
                "encoding",
            ) from None
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030"), "gbk"
    except UnicodeDecodeError:
        raise ServiceError(
            _l("The file is neither UTF-8 nor GBK text; save it as CSV UTF-8 or as .xlsx."), "file"
        ) from None


def _read_csv(raw: bytes, encoding: str) -> Table:
    text, used = _decode(raw, encoding)
    sample = text[:20000]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    try:
        lines = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as error:
        raise ServiceError(
            _l("The CSV file is malformed: %(error)s", error=str(error)), "file"
        ) from None
    if not lines:
        raise ServiceError(_l("The file is empty."), "file")
    return _finish(lines[0], lines[1:], encoding=used, delimiter=delimiter)


# -- pending uploads -----------------------------------------------------------------------


class PendingUploads:
    """Parsed uploads waiting for their mapping, dry run and apply."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def save(self, table: Table, org_id: int, user_id: int, filename: str) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._expire()
        upload_id = secrets.token_urlsafe(16)
        data = {
            "org_id": org_id,
            "user_id": user_id,
            "filename": filename,
            "header": table.header,
            "rows": table.rows,
            "encoding": table.encoding,
            "delimiter": table.delimiter,
        }
        (self.folder / f"{upload_id}.json").write_text(
            json.dumps(data, ensure_ascii=False), "utf-8"
        )
        return upload_id

    def load(self, upload_id: str, org_id: int, user_id: int) -> tuple[Table, str] | None:
        """The upload, only for the organization and user who made it."""
        if not upload_id or not upload_id.replace("-", "").replace("_", "").isalnum():
            return None
        path = self.folder / f"{upload_id}.json"
        if not path.is_file():
            return None
        data = json.loads(path.read_text("utf-8"))
        if data["org_id"] != org_id or data["user_id"] != user_id:
            return None
        table = Table(data["header"], data["rows"], data["encoding"], data["delimiter"])
        return table, data["filename"]

    def discard(self, upload_id: str) -> None:
        (self.folder / f"{upload_id}.json").unlink(missing_ok=True)

    def _expire(self) -> None:
        cutoff = time.time() - KEEP_SECONDS
        for path in self.folder.glob("*.json"):
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)


def pending_uploads() -> PendingUploads:
    return PendingUploads(Path(current_app.instance_path) / "uploads")


def accept_upload(form: Any, org_id: int, user_id: int) -> str | None:
    """The first step of every import: read the form's file and keep it as a pending upload.
    Its id, or None with the problem shown at the form's field."""
    if not form.validate_on_submit():
        return None
    upload = form.file.data
    try:
        table = read_table(upload.read(), upload.filename or "", form.encoding.data)
    except ServiceError as error:
        show_service_error(form, error)
        return None
    return pending_uploads().save(table, org_id, user_id, upload.filename or "")
