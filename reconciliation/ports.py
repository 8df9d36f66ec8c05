"""What reconciliation asks of the apps above it (core.ports).

Billing (tariffs) builds on reconciliation — its rules leave out the visits a confirmed
finding rejects, and an invoice is checked only after a reconciliation — so reconciliation
cannot import billing. One check needs billing's own answer, provided by tariffs.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from core.ports import Port
from services.models import Visit


def _billing_decisions(visits: QuerySet[Visit]) -> list[Any]:
    """The billing rules' decision for each done visit of `visits`: objects with `.visit`
    and `.reason` (None when billed, else the reason code of domain.md §6)."""
    raise NotImplementedError


# The one implementation of the billing rules, for the double-financing check (Alg. §24–25).
billing_decisions = Port("billing decisions of visits", _billing_decisions)
