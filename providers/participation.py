"""Billing rule 2's half that belongs to the provider (domain.md §6, Alg. §5–6): a provider is
a participant on a day from its admission to the day before its exclusion, if it is eligible
(non-state, with a licence covering home-based provision). Suspension stops new enrolments
only, never the days of children already enrolled.

Pure and free of the ORM: `Provider.is_participant_on` (pages, services, the admin) and the
billing rules' `ProviderFacts` (bill, check, reconciliation, reports) both ask it.
"""

from __future__ import annotations

import datetime


def participant_on(
    day: datetime.date,
    *,
    eligible: bool,
    admitted_on: datetime.date | None,
    excluded_on: datetime.date | None,
) -> bool:
    return (
        eligible
        and admitted_on is not None
        and admitted_on <= day
        and (excluded_on is None or day < excluded_on)
    )
