"""Importing datasets of the exchange format (shared/spec/exchange.md).

`dataset_import` is the service the `import_dataset` command (and later the admin) calls;
`check_file` checks one file for the admin's import-export resources with the same rules.
"""

from core.importing.cells import CellError, Parser, cell_text
from core.importing.report import FileSummary, ImportReport, RowError, SkippedFile
from core.importing.service import FileCheck, check_file, dataset_import
from core.importing.specs import FILE_SPECS, PLANNED_FILES, Column, FileSpec

__all__ = [
    "FILE_SPECS",
    "PLANNED_FILES",
    "CellError",
    "Column",
    "FileCheck",
    "FileSpec",
    "FileSummary",
    "ImportReport",
    "Parser",
    "RowError",
    "SkippedFile",
    "cell_text",
    "check_file",
    "dataset_import",
]
