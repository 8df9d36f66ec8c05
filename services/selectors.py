"""Reads of visits, scoped by who is asking (domain.md §2)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import QuerySet

from core.roles import PROVIDER_ROLES, Role, roles_of
from recipients.selectors import children_for_user
from services.models import Visit, VisitStatus


def visits_for_user(*, user: Any) -> QuerySet[Visit]:
    """Officers see every visit; a provider's staff their provider's visits; no one else."""
    roles = roles_of(user)
    visits = Visit.objects.select_related("child", "provider")
    if Role.AKIMAT_OFFICER in roles:
        return visits
    if roles & PROVIDER_ROLES and getattr(user, "provider_id", None):
        return visits.filter(provider_id=user.provider_id)
    return visits.none()


# The journal of services rendered lists what took place and what was missed; planned visits
# are the schedule, and cancelled ones were called off in advance, so neither is a journal entry.
JOURNAL_STATUSES = (VisitStatus.DONE, VisitStatus.MISSED)


def journal_rows(
    *,
    user: Any,
    provider_id: int,
    start: datetime.date,
    end: datetime.date,
    child_id: int | None = None,
) -> QuerySet[Visit]:
    """The journal of services rendered (Alg. §19): `provider_id`'s done and missed visits from
    `start` to `end` (both included), optionally of one child, in the order of a paper journal.

    One query: the child, staff member and provider come with each visit. Scoped twice: the
    visits the user may see (`visits_for_user`) of the children the user may see
    (`children_for_user`), so a provider's staff never read a child not enrolled with them.
    """
    rows = (
        visits_for_user(user=user)
        .filter(
            provider_id=provider_id,
            date__range=(start, end),
            status__in=JOURNAL_STATUSES,
            child__in=children_for_user(user=user),
        )
        .select_related("child", "staff", "provider")
        .order_by("date", "start", "child__last_name", "child__first_name", "child_id", "visit_id")
    )
    if child_id is not None:
        rows = rows.filter(child_id=child_id)
    return rows
