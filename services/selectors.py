"""Reads of visits, scoped by who is asking (domain.md §2)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from core.roles import PROVIDER_ROLES, Role, roles_of
from services.models import Visit


def visits_for_user(*, user: Any) -> QuerySet[Visit]:
    """Officers see every visit; a provider's staff their provider's visits; no one else."""
    roles = roles_of(user)
    visits = Visit.objects.select_related("child", "provider")
    if Role.AKIMAT_OFFICER in roles:
        return visits
    if roles & PROVIDER_ROLES and getattr(user, "provider_id", None):
        return visits.filter(provider_id=user.provider_id)
    return visits.none()
