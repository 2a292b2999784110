"""Spreadsheet uploads: reading CSV and XLSX into a header and rows, and keeping a parsed
upload between the mapping, dry-run and apply steps of an import.

CSV is read as UTF-8 (with or without BOM), UTF-16 with a BOM (Excel's "Unicode text"),
GBK/GB18030 as Chinese Excel writes it, or, when GB18030 gives implausible characters, as
Western European (Windows-1252/Latin-1); the mapping step shows what was used and the user can
read the file again in another encoding. The separator is sniffed (comma, semicolon, tab,
bar). XLSX goes through `appraisal.xlsx`, which checks the package before openpyxl reads it.
Both are read one line at a time and refused as soon as a limit is passed (rows, columns,
cells, characters), so memory stays bounded whatever the file claims.

Parsed uploads are kept as JSON files in the instance folder, named by a random id and
bound to the organization and user who uploaded them; they expire after a day.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import secrets
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l

from .errors import ServiceError
from .forms import show_service_error
from .xlsx import sheet_rows

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMNS = 500
MAX_CELLS = 2_000_000  # rows × columns kept: 50,000 rows of 40 columns
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
MAX_TEXT_CHARS = 32 * 1024 * 1024  # every kept cell together (a shared string repeats)
#: The encodings a user can choose, each with the codecs tried in turn.
ENCODINGS = {
    "utf-8": ("utf-8-sig",),
    "gbk": ("gb18030",),
    "latin-1": ("cp1252", "latin-1"),
    "utf-16": ("utf-16",),
}
KEEP_SECONDS = 24 * 3600
SNIFF_CHARS = 20_000
ASCII = re.compile(r"[\x00-\x7f]+")


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    encoding: str | None = None  # for CSV: a key of ENCODINGS
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


def _header(values: Sequence[Any] | None) -> list[str]:
    header = [_cell(v) for v in values or ()]
    while header and not header[-1]:
        header.pop()
    if not header:
        raise ServiceError(_l("The first line must name the columns."), "file")
    if len(header) > MAX_COLUMNS:
        raise ServiceError(
            _l(
                "The file has %(count)d columns; at most %(max)d.",
                count=len(header),
                max=MAX_COLUMNS,
            ),
            "file",
        )
    blank = [i + 1 for i, name in enumerate(header) if not name]
    if blank:
        raise ServiceError(_l("Column %(n)d has no name in the first line.", n=blank[0]), "file")
    duplicated = sorted(name for name, count in Counter(header).items() if count > 1)
    if duplicated:
        raise ServiceError(_l("Two columns are both called %(name)s.", name=duplicated[0]), "file")
    _check_lengths(header, 1)
    return header


def _check_lengths(cells: list[str], number: int) -> None:
    if max(map(len, cells)) > MAX_CELL_CHARS:
        column, text = next((i, c) for i, c in enumerate(cells, 1) if len(c) > MAX_CELL_CHARS)
        raise ServiceError(
            _l(
                "Row %(row)d, column %(column)d has %(count)d characters; at most %(max)d.",
                row=number,
                column=column,
                count=len(text),
                max=MAX_CELL_CHARS,
            ),
            "file",
        )


def _table(lines: Iterable[Sequence[Any]], **facts: Any) -> Table:
    """The header and the non-blank rows, cut or padded to the header's width (what lies
    beyond it is not read), taken one line at a time and refused as soon as a limit is
    passed."""
    lines = iter(lines)
    header = _header(next(lines, None))
    width = len(header)
    padding = [""] * width
    rows: list[list[str]] = []
    characters = 0
    for number, values in enumerate(lines, start=2):
        row = [_cell(v) for v in values[:width]]
        if not any(row):
            continue  # a blank line
        if len(rows) == MAX_ROWS:
            raise ServiceError(
                _l("The file has more than %(max)d rows; at most %(max)d at a time.", max=MAX_ROWS),
                "file",
            )
        if (len(rows) + 1) * width > MAX_CELLS:
            raise ServiceError(
                _l(
                    "The file has more than %(max)d cells (rows × columns); remove the "
                    "columns you do not import, or split it.",
                    max=MAX_CELLS,
                ),
                "file",
            )
        _check_lengths(row, number)
        characters += sum(map(len, row))
        if characters > MAX_TEXT_CHARS:
            raise ServiceError(
                _l("The file holds more than %(max)d characters; split it.", max=MAX_TEXT_CHARS),
                "file",
            )
        rows.append(row + padding[len(row) :])
    if not rows:
        raise ServiceError(_l("The file has no rows below the header."), "file")
    return Table(header, rows, **facts)


def read_table(raw: bytes, filename: str, encoding: str = "auto") -> Table:
    """The file's header and non-empty rows, or a ServiceError at the file field."""
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ServiceError(_l("The file is larger than 8 MB; split it."), "file")
    if not raw.strip():
        raise ServiceError(_l("The file is empty."), "file")
    if raw[:2] == b"PK" or filename.lower().endswith(".xlsx"):
        return _table(sheet_rows(raw))
    return _read_csv(raw, encoding)


def _decode_as(raw: bytes, encoding: str) -> str:
    for codec in ENCODINGS[encoding][:-1]:
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return raw.decode(ENCODINGS[encoding][-1])


def _plausibly_chinese(text: str) -> bool:
    """GB18030 decodes most Western bytes too: an accented letter followed by a plain one
    ("ü" + "l" in "Müller") becomes one rare character whose second byte is ASCII. Chinese
    text is mostly characters whose two bytes are both above ASCII; text that is mostly the
    rare kind is not Chinese."""
    wide = "".join(ASCII.split(text[:1_000_000]))[:20_000]
    if not wide:
        return True
    rare = 0
    for character in wide:
        encoded = character.encode("gb18030")
        if len(encoded) != 2 or encoded[1] < 0x80:
            rare += 1
    return rare * 2 <= len(wide)


def _decode(raw: bytes, encoding: str) -> tuple[str, str]:
    if encoding in ENCODINGS:
        try:
            return _decode_as(raw, encoding), encoding
        except UnicodeDecodeError:
            raise ServiceError(
                _l(
                    "The file cannot be read as %(encoding)s; try another encoding.",
                    encoding=encoding.upper(),
                ),
                "encoding",
            ) from None
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16"), "utf-16"
    if b"\x00" in raw:
        raise ServiceError(
            _l("This is not a text (CSV) file; save it as CSV UTF-8 or as .xlsx."), "file"
        )
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None and _plausibly_chinese(text):
        return text, "gbk"
    return _decode_as(raw, "latin-1"), "latin-1"


def _read_csv(raw: bytes, encoding: str) -> Table:
    text, used = _decode(raw, encoding)
    try:
        delimiter = csv.Sniffer().sniff(text[:SNIFF_CHARS], delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    try:
        return _table(
            csv.reader(io.StringIO(text), delimiter=delimiter), encoding=used, delimiter=delimiter
        )
    except csv.Error as error:
        raise ServiceError(
            _l("The CSV file is malformed: %(error)s", error=str(error)), "file"
        ) from None


# -- pending uploads -----------------------------------------------------------------------


class PendingUploads:
    """Parsed uploads waiting for their mapping, dry run and apply; a CSV file's bytes are
    kept beside it, so it can be read again in another encoding."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def save(
        self,
        table: Table,
        org_id: int,
        user_id: int,
        filename: str,
        raw: bytes | None = None,
        upload_id: str | None = None,
    ) -> str:
        """Keep a parsed upload (under a new id, or replacing `upload_id`'s table)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._expire()
        upload_id = upload_id or secrets.token_urlsafe(16)
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
        if raw is not None:
            (self.folder / f"{upload_id}.raw").write_bytes(raw)
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

    def raw(self, upload_id: str) -> bytes | None:
        """The file's bytes, for an upload `load` has already vouched for."""
        path = self.folder / f"{upload_id}.raw"
        return path.read_bytes() if path.is_file() else None

    def discard(self, upload_id: str) -> None:
        for suffix in (".json", ".raw"):
            (self.folder / f"{upload_id}{suffix}").unlink(missing_ok=True)

    def _expire(self) -> None:
        cutoff = time.time() - KEEP_SECONDS
        for path in self.folder.iterdir():
            if path.suffix in (".json", ".raw") and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)


def pending_uploads() -> PendingUploads:
    return PendingUploads(Path(current_app.instance_path) / "uploads")


def accept_upload(form: Any, org_id: int, user_id: int) -> str | None:
    """The first step of every import: read the form's file and keep it as a pending upload.
    Its id, or None with the problem shown at the form's field."""
    if not form.validate_on_submit():
        return None
    upload = form.file.data
    raw = upload.read(MAX_UPLOAD_BYTES + 1)
    try:
        table = read_table(raw, upload.filename or "", form.encoding.data)
    except ServiceError as error:
        show_service_error(form, error)
        return None
    kept = raw if table.encoding else None  # CSV only: it has an encoding to change
    return pending_uploads().save(table, org_id, user_id, upload.filename or "", kept)


def read_again(form: Any, upload_id: str, org_id: int, user_id: int) -> bool:
    """On the mapping step: read the kept CSV file again in the encoding the user chose.
    False with the problem at the form's encoding field."""
    if not form.validate_on_submit():
        return False
    store = pending_uploads()
    pending = store.load(upload_id, org_id, user_id)
    raw = store.raw(upload_id) if pending else None
    if pending is None or raw is None:
        form.encoding.errors.append(_l("Only a CSV file can be read in another encoding."))
        return False
    try:
        table = read_table(raw, pending[1], form.encoding.data)
    except ServiceError as error:
        form.encoding.errors.append(error.message)
        return False
    store.save(table, org_id, user_id, pending[1], raw, upload_id=upload_id)
    return True
