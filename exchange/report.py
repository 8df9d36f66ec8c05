"""What an import did, or why it refused the dataset: values the command and the admin print."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext


@dataclass(frozen=True)
class RowError:
    """A refused row (or a refused file when `row` is None). Rows count from the header = 1."""

    file: str
    row: int | None
    column: str
    code: str
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return f"{self.file}, {self.message}"
        row = _("row %(number)d") % {"number": self.row}
        return f"{self.file}, {row}, {self.column or '-'}, {self.message}"


@dataclass
class FileSummary:
    """Rows of one file and what became of them (or would have, in a dry run)."""

    name: str
    source: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # A registry file: its rows whose IIN is not a child known to the portal (kept, not refused).
    unknown_iins: int | None = None

    def notes(self) -> list[str]:
        """What the table does not show, one line each."""
        if not self.unknown_iins:
            return []
        return [
            ngettext(
                "%(file)s: %(count)d row for an IIN not known to the portal",
                "%(file)s: %(count)d rows for IINs not known to the portal",
                self.unknown_iins,
            )
            % {"file": self.source, "count": self.unknown_iins}
        ]


@dataclass(frozen=True)
class SkippedFile:
    source: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


@dataclass
class ImportReport:
    label: str
    dry_run: bool
    files: list[FileSummary] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary_lines(self) -> list[str]:
        """The per-file table, and the files found but not imported."""
        if not self.files and not self.skipped:
            return [_("No dataset file was found in %(label)s.") % {"label": self.label}]
        lines: list[str] = []
        if self.errors:
            checked = ", ".join(
                _("%(file)s (%(rows)d rows)") % {"file": summary.source, "rows": summary.rows}
                for summary in self.files
            )
            if checked:
                lines.append(_("Files checked: %(files)s") % {"files": checked})
        elif self.files:
            # Own msgids with a context: "created" alone is the label of the models' timestamp.
            headers = [
                pgettext("import summary", "File"),
                pgettext("import summary", "Rows"),
                pgettext("import summary", "Created"),
                pgettext("import summary", "Updated"),
                pgettext("import summary", "Unchanged"),
            ]
            body = [
                [
                    summary.source,
                    str(summary.rows),
                    str(summary.created),
                    str(summary.updated),
                    str(summary.unchanged),
                ]
                for summary in self.files
            ]
            widths = [max(len(row[i]) for row in [headers, *body]) for i in range(len(headers))]
            for row in [headers, *body]:
                cells = [row[0].ljust(widths[0])]
                cells += [
                    cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)
                ]
                lines.append("  ".join(cells).rstrip())
            for summary in self.files:
                lines.extend(summary.notes())
        lines.extend(str(skipped) for skipped in self.skipped)
        return lines

    def outcome_line(self) -> str:
        if self.errors:
            rows = {(error.file, error.row) for error in self.errors}
            return _(
                "The dataset was refused: %(count)d rows or files have errors; nothing was written."
            ) % {"count": len(rows)}
        if self.dry_run:
            return _("Dry run: the dataset is valid; nothing was written.")
        return _("The dataset was imported.")
