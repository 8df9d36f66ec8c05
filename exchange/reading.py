"""Finding the files of a dataset and reading each into a table of text cells."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from django.utils.translation import gettext as _

from exchange.cells import cell_text
from exchange.report import RowError, SkippedFile

FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class Row:
    number: int  # the row in the file, header = 1
    cells: dict[str, str]


@dataclass
class Table:
    name: str  # "children"
    source: str  # "children.csv"
    headers: list[str]
    rows: list[Row] | Iterator[Row]  # an iterator, read once, for a file read lazily


@dataclass(frozen=True)
class SourceFile:
    name: str
    source: str
    format: str
    open: Callable[[], BinaryIO]  # a binary stream from the start, opened when needed

    def content(self) -> bytes:
        with self.open() as stream:
            return stream.read()


def _opener_of(value: Any) -> Callable[[], BinaryIO]:
    """Bytes, text, a path or an open file (binary or text), as a binary stream."""

    def open_() -> BinaryIO:
        if isinstance(value, Path):
            return value.open("rb")
        data = value
        if hasattr(data, "read"):
            if hasattr(data, "seek"):
                data.seek(0)
            data = data.read()
        if isinstance(data, str):
            data = data.encode("utf-8")
        return io.BytesIO(bytes(data))

    return open_


def locate_files(
    directory: Path | Mapping[str, Any],
    *,
    supported: Collection[str],
    planned: Collection[str],
) -> tuple[dict[str, SourceFile], list[SkippedFile], list[RowError]]:
    """The dataset's files by name; the files found but not imported; files refused whole.

    `directory` is a folder or a mapping of file names to their contents (uploads).
    """
    if isinstance(directory, Path):
        entries: dict[str, Callable[[], BinaryIO]] = {
            path.name: _opener_of(path) for path in sorted(directory.iterdir()) if path.is_file()
        }
    else:
        entries = {name: _opener_of(value) for name, value in directory.items()}

    found: dict[str, list[SourceFile]] = {}
    skipped: list[SkippedFile] = []
    for file_name, content in sorted(entries.items()):
        stem, dot, suffix = file_name.rpartition(".")
        suffix = suffix.lower()
        if not dot or suffix not in FORMATS:
            continue  # README.md and the like are not part of the data
        stem = stem.lower()
        if stem in supported:
            found.setdefault(stem, []).append(SourceFile(stem, file_name, suffix, content))
        elif stem in planned:
            skipped.append(SkippedFile(file_name, _("not imported yet")))
        else:
            skipped.append(SkippedFile(file_name, _("not a file of the exchange format; ignored")))

    sources: dict[str, SourceFile] = {}
    errors: list[RowError] = []
    for name, files in found.items():
        if len(files) > 1:
            names = " / ".join(file.source for file in files)
            errors.append(
                RowError(
                    names,
                    None,
                    "",
                    "both_formats",
                    _("%(files)s are all present: keep only one file for '%(name)s'")
                    % {"files": names, "name": name},
                )
            )
        else:
            sources[name] = files[0]
    return sources, skipped, errors


def _file_error(source: str, code: str, message: str) -> RowError:
    return RowError(source, None, "", code, message)


def read_source(
    source: SourceFile, *, identifier_columns: Collection[str], lazy: bool = False
) -> tuple[Table | None, list[RowError]]:
    """The file as a table. With `lazy`, a CSV file's rows are read as they are iterated (once),
    and problems found on the way are appended to the returned list of errors then."""
    if source.format == "csv" and lazy:
        try:
            stream = source.open()
        except OSError as exc:
            return None, [_file_error(source.source, "unreadable", _("cannot be read: %s") % exc)]
        errors: list[RowError] = []
        return build_table(
            source.name,
            source.source,
            _csv_records(stream, source.source, errors),
            identifier_columns=identifier_columns,
            lazy=True,
            errors=errors,
        )
    try:
        data = source.content()
    except OSError as exc:
        return None, [_file_error(source.source, "unreadable", _("cannot be read: %s") % exc)]
    if source.format == "csv":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return None, [_not_utf8(source.source)]
        records: Iterable[Iterable[Any]] = csv.reader(io.StringIO(text, newline=""))
        return build_table(
            source.name, source.source, records, identifier_columns=identifier_columns
        )
    return _read_xlsx(source, data, identifier_columns)


def _not_utf8(source: str) -> RowError:
    return _file_error(source, "not_utf8", _("is not UTF-8 text; save it as CSV UTF-8"))


def _csv_records(stream: BinaryIO, source: str, errors: list[RowError]) -> Iterator[list[str]]:
    """The records of a CSV file decoded as they are read; bytes that are not UTF-8 end it."""
    with stream:
        try:
            yield from csv.reader(io.TextIOWrapper(stream, encoding="utf-8-sig", newline=""))
        except UnicodeDecodeError:
            errors.append(_not_utf8(source))


def _read_xlsx(
    source: SourceFile, data: bytes, identifier_columns: Collection[str]
) -> tuple[Table | None, list[RowError]]:
    # openpyxl is loaded only for an XLSX file (import_dataset starts lean: issue 19).
    from openpyxl import load_workbook  # noqa: PLC0415
    from openpyxl.utils.exceptions import InvalidFileException  # noqa: PLC0415

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError):
        return None, [
            _file_error(source.source, "unreadable", _("is not a readable XLSX workbook"))
        ]
    try:
        if not workbook.worksheets:
            return None, [_file_error(source.source, "empty", _("has no sheet"))]
        sheet = workbook.worksheets[0]
        return build_table(
            source.name,
            source.source,
            sheet.iter_rows(values_only=True),
            identifier_columns=identifier_columns,
        )
    finally:
        workbook.close()


def build_table(
    name: str,
    source: str,
    records: Iterable[Iterable[Any]],
    *,
    identifier_columns: Collection[str],
    lazy: bool = False,
    errors: list[RowError] | None = None,
) -> tuple[Table | None, list[RowError]]:
    """A table of text cells from the header record and the data records.

    Used for files and for the tablib datasets of the admin's import buttons alike. With `lazy`
    the rows are read as the table's `rows` are iterated, and their problems are appended then
    to the returned list of errors (`errors`, when given, is that list).
    """
    errors = [] if errors is None else errors
    iterator = iter(records)
    header_record = next(iterator, None)
    if header_record is None:
        errors.append(_file_error(source, "empty", _("is empty: the header row is missing")))
        return None, errors
    headers = [cell_text(value).lower() for value in header_record]
    while headers and not headers[-1]:
        headers.pop()
    seen: set[str] = set()
    repeated = False
    for header in headers:
        if header and header in seen:
            repeated = True
            errors.append(
                RowError(
                    source,
                    1,
                    header,
                    "repeated_column",
                    _("the column '%(column)s' appears twice") % {"column": header},
                )
            )
        seen.add(header)
    if repeated:
        return None, errors
    rows = _rows(iterator, headers, source, frozenset(identifier_columns), errors)
    return Table(
        name,
        source,
        [header for header in headers if header],
        rows if lazy else list(rows),
    ), errors


def _rows(
    records: Iterator[Iterable[Any]],
    headers: list[str],
    source: str,
    identifier_columns: frozenset[str],
    errors: list[RowError],
) -> Iterator[Row]:
    identifiers = [header in identifier_columns for header in headers]
    for number, record in enumerate(records, start=2):
        values = list(record)
        extra = [value for value in values[len(headers) :] if cell_text(value)]
        if extra:
            errors.append(
                RowError(
                    source,
                    number,
                    "",
                    "extra_cells",
                    _("the row has more cells than the header has columns (%(count)d)")
                    % {"count": len(headers)},
                )
            )
            continue
        cells = {
            header: cell_text(value, identifier=identifier)
            for header, identifier, value in zip(headers, identifiers, values, strict=False)
            if header
        }
        if not any(cells.values()):
            continue  # a blank line, or the empty tail of a sheet
        yield Row(number, cells)
