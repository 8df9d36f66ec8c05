"""The journal of services rendered (Alg. §19): a page and a PDF, per provider and month or per child.

Who reads it: an akimat officer any provider's journal (``?provider=<id>``); a provider's head and
coordinators their own provider's only, whatever ``?provider`` says, and only children enrolled
with it (a child of another centre is a 404); everyone else gets 403.

What it lists: the visits that took place and the missed ones with their reason
(`services.selectors.journal_rows`). Planned visits are the schedule, not the journal; cancelled
ones were called off in advance.

The audit trail: every child whose visits are shown is a read of personal data, recorded as one
ACCESS entry per child in a single insert (``what="journal 2026-09"``, ``"journal pdf …"``), so
the question "who read this child's data" is answered from the child's own history, as for the
API's list pages. One entry on the provider would be cheaper still but would not name the child.

The package: `reads` (who reads which provider, the period, the rows and totals), `pdf` (the
document), `exports` (a long journal's PDF as a Celery job) and `views` (the pages).
"""

from __future__ import annotations

from services.journal.exports import journal_export_request, journal_export_run
from services.journal.pdf import FONTS, render_pdf
from services.journal.reads import (
    CHILD_PERIOD_MONTHS,
    CONFIRMATION_SHORT,
    MONTH,
    Journal,
    JournalRow,
    Period,
    describe_services,
    journal_totals,
    service_names,
)
from services.journal.views import (
    ROWS_PER_PAGE,
    child_journal,
    child_journal_pdf,
    journal_export,
    journal_export_file,
    provider_journal,
    provider_journal_pdf,
)

__all__ = [
    "CHILD_PERIOD_MONTHS",
    "CONFIRMATION_SHORT",
    "FONTS",
    "MONTH",
    "ROWS_PER_PAGE",
    "Journal",
    "JournalRow",
    "Period",
    "child_journal",
    "child_journal_pdf",
    "describe_services",
    "journal_export",
    "journal_export_file",
    "journal_export_request",
    "journal_export_run",
    "journal_totals",
    "provider_journal",
    "provider_journal_pdf",
    "render_pdf",
    "service_names",
]
