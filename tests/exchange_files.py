"""Reading and spoiling exchange files (exchange.md) in tests of the imports."""

import csv
from pathlib import Path

# The sample dataset of ../shared (exchange.md), beside the project's checkout.
SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "sample-data"


def read_rows(path):
    with path.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


def write_rows(path, rows, headers=None):
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=headers or list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def set_cell(path, row, column, value):
    """`row` counts as the report does: the header is row 1."""
    rows = read_rows(path)
    rows[row - 2][column] = value
    write_rows(path, rows)
