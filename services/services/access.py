"""Who may act on a provider's schedules and visits: its staff, the head for some."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from core.errors import RoleRequired
from core.roles import PROVIDER_ROLES, Role, roles_of


def _ensure_staff_of(user: Any, provider_id: int, *, head_only: bool = False) -> None:
    """The akimat, or the provider's own staff (its head when `head_only`)."""
    roles = roles_of(user)
    if Role.AKIMAT_OFFICER in roles:
        return
    wanted = {Role.PROVIDER_HEAD} if head_only else PROVIDER_ROLES
    if roles & wanted and getattr(user, "provider_id", None) == provider_id:
        return
    raise RoleRequired(_("Your role does not allow this action."))
