"""Tables to files: CSV that Excel opens correctly (UTF-8 with a byte-order mark) and XLSX.

Every spreadsheet the application writes goes through here (an architecture test checks it),
so every text cell is made safe in one place: a name such as `=HYPERLINK(…)` or `-2+3` must
reach the reader as text, never as a live formula (OWASP "CSV injection"), and control
characters that XLSX cannot hold are dropped instead of failing the export.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from werkzeug.wrappers import Response

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

#: Text starting with one of these is read as a formula by Excel, LibreOffice or WPS.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Control characters an XLSX file cannot hold (tab and line breaks it can).
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def cell_text(text: str) -> tuple[str, bool]:
    """Text as a cell may hold it, and whether a spreadsheet would take it for a formula."""
    text = _UNSTORABLE.sub("", text)
    return text, text.startswith(FORMULA_START)


def csv_cell(value: Any) -> Any:
    """A CSV field: formula-like text gets a leading apostrophe, as OWASP advises (CSV has no
    types, so the apostrophe is the only way to say "text"); numbers stay numbers, so a
    negative number is still a number."""
    if value is None:
        return ""
    if isinstance(value, str):
        text, formula_like = cell_text(value)
        return "'" + text if formula_like else text
    return value


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_cell(name) for name in header])
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx_row(sheet, row_number: int, values: Sequence[Any]) -> None:
    """Write one row; formula-like text is stored as a typed text cell with Excel's quote
    prefix, so it shows exactly as typed (and imports back unchanged) but never runs."""
    for column, value in enumerate(values, start=1):
        if isinstance(value, str):
            text, formula_like = cell_text(value)
            cell = sheet.cell(row=row_number, column=column, value=text)
            if formula_like:
                cell.data_type = "s"
                cell.quotePrefix = True
        else:
            sheet.cell(row=row_number, column=column, value=value)


#: What Excel refuses in a sheet's name (openpyxl raises): replaced, so any title exports.
SHEET_FORBIDDEN = re.compile(r"[\\/?*\[\]:]")


def sheet_title(title: str) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of `\\ / ? * [ ] :`."""
    return SHEET_FORBIDDEN.sub(" ", title).strip(" '")[:31].strip() or "Sheet"


def to_xlsx(header: Sequence[str], rows: Iterable[Sequence[Any]], title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title(title)
    _xlsx_row(sheet, 1, header)
    for row_number, row in enumerate(rows, start=2):
        _xlsx_row(sheet, row_number, row)
    sheet.freeze_panes = "A2"
    for index, name in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, len(str(name)) + 4)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export(fmt: str, header: Sequence[str], rows: Iterable[Sequence[Any]], title: str) -> bytes:
    return to_xlsx(header, rows, title) if fmt == "xlsx" else to_csv(header, rows)


def download(
    fmt: str, header: Sequence[str], rows: Iterable[Sequence[Any]], title: str, filename: str
) -> Response:
    """The table as a file to save: `filename` plus the format's extension. The response
    says how many rows it holds (`rows`), for the download's audit event."""
    counted = 0

    def counting() -> Iterable[Sequence[Any]]:
        nonlocal counted
        for row in rows:
            counted += 1
            yield row

    response = Response(
        export(fmt, header, counting(), title),
        mimetype=MIMETYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'},
    )
    response.rows = counted  # type: ignore[attr-defined]
    return response
