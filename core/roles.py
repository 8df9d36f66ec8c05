"""The portal's roles (domain.md §2). Each role is a Django group whose name is the role's code."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.errors import RoleRequired

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from core.models import User


class Role(models.TextChoices):
    AKIMAT_OFFICER = "akimat_officer", _("Akimat officer")
    INSPECTOR = "inspector", _("Inspector")
    PROVIDER_HEAD = "provider_head", _("Provider head")
    COORDINATOR = "coordinator", _("Coordinator")
    ANALYST = "analyst", _("Analyst")


# Roles whose members belong to one provider and see only its data.
PROVIDER_ROLES = frozenset({Role.PROVIDER_HEAD, Role.COORDINATOR})
# Roles that may see personal data of every provider.
CITY_ROLES = frozenset({Role.AKIMAT_OFFICER, Role.INSPECTOR})


def roles_of(user: User | AnonymousUser | None) -> frozenset[str]:
    """The role codes of a user, read once per user object. A superuser counts as an officer."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_role_codes", None)
    if cached is None:
        codes = set(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            codes.add(Role.AKIMAT_OFFICER)
        cached = frozenset(code for code in codes if code in Role.values)
        setattr(user, "_role_codes", cached)  # noqa: B010 - a per-object cache
    return cached


def has_role(user: User | AnonymousUser | None, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def sees_personal_data(user: User | AnonymousUser | None) -> bool:
    """Analysts (and anyone without a role) never see personal identifiers."""
    return has_role(user, Role.AKIMAT_OFFICER, Role.INSPECTOR, *PROVIDER_ROLES)


def primary_role(user: User | AnonymousUser | None) -> str | None:
    codes = roles_of(user)
    for role in Role.values:
        if role in codes:
            return role
    return None


def ensure_role(
    user: User | AnonymousUser | None, *roles: str, scheduler_may: bool = False
) -> None:
    """Refuse (403, code `role_required`) unless the user holds one of `roles`.

    Every service that changes state or starts work calls this first, whoever calls the
    service (a page, the admin, the API, a command). `scheduler_may` lets the scheduler and
    management commands, which act as no one (`acting_user=None`), run the service too; an
    anonymous user is never the scheduler.
    """
    if user is None and scheduler_may:
        return
    if not has_role(user, *roles):
        raise RoleRequired(_("Your role does not allow this action."))
