"""API tokens (django-rest-knox): issued at sign-in, expiring when idle, revocable.

A token lives `REST_KNOX["TOKEN_TTL"]` (30 minutes) after its last use, the portal's idle rule
for sessions, and never past `AUTO_REFRESH_MAX_TTL` (8 hours, a working day) after it was
issued. Only a digest is stored; the token itself is shown once, to whoever signed in.
Every issue and revocation is written to the audit trail, on the user it belongs to, without
any token material.
"""

from __future__ import annotations

from typing import Any

from auditlog.models import LogEntry
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.models import AuthToken

from core.errors import RoleRequired, fail
from core.roles import Role, has_role


def _record(user: Any, *, acting_user: Any, event: str, tokens: list[AuthToken]) -> None:
    actor = acting_user if getattr(acting_user, "is_authenticated", False) else None
    LogEntry.objects.log_create(
        user,
        force_log=True,
        action=LogEntry.Action.UPDATE,
        actor=actor,
        actor_email=getattr(actor, "email", None),
        changes=None,
        additional_data={
            "api_token": event,
            "tokens": [
                {
                    "created": token.created.isoformat() if token.created else None,
                    "expiry": token.expiry.isoformat() if token.expiry else None,
                }
                for token in tokens
            ],
        },
    )


def tokens_in_force(user: Any) -> Any:
    return AuthToken.objects.filter(user=user).filter(
        Q(expiry__gt=timezone.now()) | Q(expiry__isnull=True)
    )


@transaction.atomic
def token_issue(*, user: Any, acting_user: Any) -> tuple[AuthToken, str]:
    """A new token for `user`, who has just proved their password. Returns (row, token)."""
    if acting_user is None or acting_user.pk != user.pk:
        raise RoleRequired(_("A token is issued only to the person who signs in."))
    if not user.is_active:
        raise fail(_("This account is inactive."), "inactive")
    limit = settings.REST_KNOX.get("TOKEN_LIMIT_PER_USER")
    if limit is not None and tokens_in_force(user).count() >= limit:
        raise fail(
            _(
                "You already have %(count)d API tokens in force: sign out of a device first"
                " (or sign out everywhere)."
            )
            % {"count": limit},
            "token_limit",
        )
    token, key = AuthToken.objects.create(user=user)
    _record(user, acting_user=acting_user, event="issued", tokens=[token])
    return token, key


@transaction.atomic
def token_revoke(*, token: AuthToken, acting_user: Any) -> None:
    """Revoke one token: by its holder (signing out) or by an akimat officer."""
    if acting_user is None or (
        acting_user.pk != token.user_id and not has_role(acting_user, Role.AKIMAT_OFFICER)
    ):
        raise RoleRequired(_("Only the token's holder or an akimat officer may revoke it."))
    _record(token.user, acting_user=acting_user, event="revoked", tokens=[token])
    AuthToken.objects.filter(digest=token.digest).delete()


@transaction.atomic
def tokens_revoke_all(*, user: Any, acting_user: Any) -> int:
    """Revoke every token of `user` (signing out everywhere); returns how many."""
    if acting_user is None or (
        acting_user.pk != user.pk and not has_role(acting_user, Role.AKIMAT_OFFICER)
    ):
        raise RoleRequired(_("Only the token's holder or an akimat officer may revoke it."))
    tokens = list(AuthToken.objects.filter(user=user).order_by("created"))
    if tokens:
        _record(user, acting_user=acting_user, event="revoked all", tokens=tokens)
        AuthToken.objects.filter(user=user).delete()
    return len(tokens)
