""".xlsx uploads read within bounds, so one small hostile file cannot take a worker's memory
or time.

An .xlsx file is a zip of XML parts. Before openpyxl sees one, a single streaming pass checks
the zip's directory (how many parts, how large each unpacks: the sizes the directory declares
are the most `zipfile` will ever inflate) and every XML part with expat: no DTD at all (so no
entity bombs and no external entities), a bounded depth, at most 16,384 cells in a row (Excel's
last column), a bounded number of shared strings and of everything else that openpyxl builds
objects for. openpyxl then reads the first sheet in read-only mode, one row at a time, with the
sheet's own claim about its size (`<dimension>`) ignored: a forged one made it pad every row
to 16,384 cells. Anything malformed or refused ends as a ServiceError at the file field.
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Iterator
from typing import Any
from xml.parsers import expat

from flask_babel import lazy_gettext as _l

from .errors import ServiceError

MB = 1024 * 1024
MAX_PARTS = 1_000  # a workbook has a dozen or so; one with charts and images, a few hundred
MAX_PART_BYTES = 128 * MB  # unpacked; 50,000 rows of 20 columns are about 40 MB of XML
MAX_UNPACKED_BYTES = 256 * MB
MAX_ROW_CELLS = 16_384  # Excel's last column, XFD
LAST_ROW = 1_048_576  # Excel's last row
MAX_SHARED_STRINGS = 1_000_000
MAX_OTHER_ELEMENTS = 200_000  # styles, relationships, properties: a few thousand in practice
MAX_DEPTH = 64
CHUNK = 64 * 1024

UNREADABLE = _l("This is not an Excel (.xlsx) file we can read.")
log = logging.getLogger(__name__)


def _refuse(message: Any) -> ServiceError:
    return ServiceError(message, "file")


def _broken(part: str, line: int) -> ServiceError:
    return _refuse(
        _l(
            "The file is damaged: its part %(part)s is not valid XML (line %(line)d). "
            "Open it in Excel and save it again.",
            part=part,
            line=line,
        )
    )


def sheet_rows(raw: bytes) -> Iterator[tuple[Any, ...]]:
    """The first sheet's rows (tuples of cell values; a missing row is empty), after the
    whole package has passed `check_package`."""
    from openpyxl import load_workbook

    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _refuse(UNREADABLE) from None
    with archive:
        check_package(archive)
    try:
        # keep_links=False: external workbook links are not needed to read values.
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True, keep_links=False)
    except Exception as error:  # a third-party parser given hostile input: never a 500
        log.info("unreadable workbook: %r", error)
        raise _refuse(UNREADABLE) from None
    try:
        if not book.worksheets:
            raise _refuse(_l("The workbook has no sheet with rows."))
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # never trust <dimension>
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > LAST_ROW:
                raise _refuse(UNREADABLE)  # rows Excel cannot have: a forged file
            yield row
    except ServiceError:
        raise
    except Exception as error:  # as above, for what openpyxl meets row by row
        log.info("unreadable worksheet: %r", error)
        raise _refuse(UNREADABLE) from None
    finally:
        book.close()


def check_package(archive: zipfile.ZipFile) -> None:
    """Refuse a zip or XML bomb before anything is built from it (see the module's doc)."""
    parts = archive.infolist()
    if len(parts) > MAX_PARTS:
        raise _refuse(
            _l(
                "The file has %(count)d parts inside; an Excel file has far fewer. "
                "Open it in Excel and save it again.",
                count=len(parts),
            )
        )
    total = 0
    for part in parts:
        total += part.file_size
        if part.file_size > MAX_PART_BYTES or total > MAX_UNPACKED_BYTES:
            raise _refuse(
                _l(
                    "The file unpacks to more than %(mb)d MB; split it, or save it as CSV.",
                    mb=MAX_UNPACKED_BYTES // MB,
                )
            )
    budget = _Budget()
    try:
        for part in parts:
            with archive.open(part) as stream:
                _check_part(part.filename, stream, budget)
    except ServiceError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError, NotImplementedError):
        # a wrong checksum, an encrypted part, an unknown compression, …
        raise _refuse(UNREADABLE) from None


class _Budget:
    """What openpyxl would build objects for, counted across every part of one file."""

    def __init__(self) -> None:
        self.other = 0
        self.strings = 0


def _looks_like_xml(head: bytes) -> bool:
    """Whether an XML parser would read this part (binary parts such as images are skipped;
    a parser given them fails on the first byte)."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<"):
        return True
    return head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<")


def _check_part(name: str, stream: Any, budget: _Budget) -> None:
    head = stream.read(CHUNK)
    if not _looks_like_xml(head):
        return
    checker = _XmlCheck(name, budget)
    chunk = head
    try:
        while chunk:
            checker.parser.Parse(chunk, False)
            chunk = stream.read(CHUNK)
        checker.parser.Parse(b"", True)
    except expat.ExpatError as error:
        raise _broken(name, error.lineno) from None


class _XmlCheck:
    """One streaming pass over an XML part with expat (which builds nothing)."""

    def __init__(self, name: str, budget: _Budget) -> None:
        self.name = name
        self.budget = budget
        self.depth = 0
        self.data_depth = 0  # where <sheetData> or a shared string table <sst> began
        self.cells = 0
        parser = expat.ParserCreate()
        parser.StartDoctypeDeclHandler = self._doctype
        parser.EntityDeclHandler = self._doctype
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        self.parser = parser

    def _doctype(self, *_args: Any) -> None:
        raise _refuse(
            _l(
                "The file's part %(part)s declares a DTD or entities, which Excel never "
                "writes; it is refused as unsafe.",
                part=self.name,
            )
        )

    def _start(self, name: str, _attrs: Any) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _broken(self.name, self.parser.CurrentLineNumber)
        local = name.rpartition(":")[2]
        if self.data_depth:
            if local == "c":
                self.cells += 1
                if self.cells > MAX_ROW_CELLS:
                    raise _refuse(
                        _l(
                            "A row of the file has more than %(max)d cells, more than Excel "
                            "allows.",
                            max=MAX_ROW_CELLS,
                        )
                    )
            elif local == "row":
                self.cells = 0
            elif local == "si":
                self.budget.strings += 1
                if self.budget.strings > MAX_SHARED_STRINGS:
                    raise _refuse(
                        _l(
                            "The file holds more than %(max)d different texts; split it.",
                            max=MAX_SHARED_STRINGS,
                        )
                    )
        elif local == "sheetData" or (local == "sst" and self.depth == 1):
            self.data_depth = self.depth
        else:
            self.budget.other += 1
            if self.budget.other > MAX_OTHER_ELEMENTS:
                raise _refuse(
                    _l(
                        "The file holds more than %(max)d formats, styles and other "
                        "settings; copy its data into a new workbook and save that.",
                        max=MAX_OTHER_ELEMENTS,
                    )
                )

    def _end(self, _name: str) -> None:
        if self.depth == self.data_depth:
            self.data_depth = 0
        self.depth -= 1
