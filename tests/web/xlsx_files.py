"""Hostile and broken .xlsx files for the upload tests (and the benchmark): a genuine
workbook from openpyxl, then parts replaced or added the way an attacker would."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable

from openpyxl import Workbook

SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
STYLES = "xl/styles.xml"
TYPES = "[Content_Types].xml"
MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
STRINGS_TYPE = (
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">'
        for n in range(1, 10)
    )
    + "]>"
)


def genuine(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def replaced(raw: bytes, parts: dict[str, bytes | Iterable[bytes]]) -> bytes:
    """The workbook with some parts replaced or added; a part may be given in chunks, so a
    bomb of hundreds of megabytes is written without holding it. A shared strings part is
    also declared in the content types, where openpyxl looks for it."""
    source = zipfile.ZipFile(io.BytesIO(raw))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        names = [n for n in source.namelist() if n not in parts]
        for name in names:
            data = source.read(name)
            if name == TYPES and STRINGS in parts:
                data = data.replace(b"</Types>", STRINGS_TYPE.encode() + b"</Types>")
            target.writestr(name, data)
        for name, content in parts.items():
            with target.open(name, "w", force_zip64=True) as part:
                for chunk in [content] if isinstance(content, bytes) else content:
                    part.write(chunk)
    return buffer.getvalue()


def sheet(rows: str, dimension: str = "A1:B3") -> bytes:
    return (
        f'<worksheet {MAIN}><dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>'
    ).encode()


def cells(*values: str, row: int = 1) -> str:
    return (
        f'<row r="{row}">'
        + "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values)
        + "</row>"
    )


SMALL = cells("number", "name") + cells("E1", "Ann", row=2) + cells("E2", "Bob", row=3)


def forged_dimension(rows: int = 30_000) -> bytes:
    """A small file of two-column rows claiming to span every cell Excel has
    (A1:XFD1048576), which made openpyxl pad every row to 16,384 cells."""
    body = cells("number", "name") + "".join(cells(f"E{n}", f"N{n}", row=n) for n in range(2, rows))
    return replaced(genuine([]), {SHEET: sheet(body, "A1:XFD1048576")})


def far_cell() -> bytes:
    """Three rows and one value in the last cell Excel has."""
    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return replaced(genuine([]), {SHEET: sheet(SMALL + far)})


def zip_bomb(megabytes: int = 300) -> bytes:
    """A sheet that inflates to hundreds of megabytes of whitespace."""
    head = f"<worksheet {MAIN}><sheetData>{SMALL}".encode()
    filler = (b" " * (1024 * 1024) for _ in range(megabytes))
    return replaced(genuine([]), {SHEET: [head, *filler, b"</sheetData></worksheet>"]})


def many_parts(count: int = 5_000) -> bytes:
    return replaced(
        genuine([["number", "name"], ["E1", "Ann"]]),
        {f"xl/media/pad{n}.xml": b"<x/>" for n in range(count)},
    )


def billion_laughs(part: str = SHEET) -> bytes:
    if part == SHEET:
        body = sheet(cells("&lol9;")).decode()
    else:
        body = f'<sst {MAIN} count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>'
    return replaced(genuine([]), {part: (LAUGHS + body).encode()})


def external_entity() -> bytes:
    body = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
        f'<worksheet {MAIN}><sheetData><row r="1"><c t="inlineStr"><is><t>&secret;</t></is>'
        "</c></row></sheetData></worksheet>"
    )
    return replaced(genuine([]), {SHEET: body.encode()})


def broken_xml() -> bytes:
    return replaced(genuine([]), {SHEET: f'<worksheet {MAIN}><sheetData><row r="1">'.encode()})


def shared_strings(strings: Iterable[bytes], count: int) -> bytes:
    """A header row pointing at the first two shared strings, then the strings given."""
    rows = '<row r="1"><c t="s"><v>0</v></c><c t="s"><v>1</v></c></row>'
    head = f'<sst {MAIN} count="{count}" uniqueCount="{count}">'.encode()
    return replaced(
        genuine([]), {SHEET: sheet(rows, "A1:B1"), STRINGS: [head, *strings, b"</sst>"]}
    )


def huge_shared_string(characters: int = 3_000_000) -> bytes:
    return shared_strings([b"<si><t>name</t></si><si><t>", b"x" * characters, b"</t></si>"], 2)


def many_shared_strings(count: int = 3_000_000) -> bytes:
    chunk = b"<si><t>ab</t></si>" * 10_000
    return shared_strings((chunk for _ in range(count // 10_000)), count)


def wide_row(cells_in_row: int = 100_000) -> bytes:
    """One row with more cells than Excel allows, none of them saying where it is."""
    row = b'<row r="1">' + b"<c><v>1</v></c>" * cells_in_row + b"</row>"
    return replaced(genuine([]), {SHEET: sheet(row.decode())})


def many_styles(count: int = 500_000) -> bytes:
    xfs = b"<xf/>" * count
    styles = (
        f'<styleSheet {MAIN}><cellXfs count="{count}">'.encode() + xfs + b"</cellXfs></styleSheet>"
    )
    return replaced(genuine([["number", "name"], ["E1", "Ann"]]), {STYLES: styles})
