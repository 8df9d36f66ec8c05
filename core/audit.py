"""The audit trail.

django-auditlog records every change of a registered model (who, when, which fields). Reads of
personal data are recorded here with auditlog's ACCESS action, so one table answers both
"who changed this record" and "who opened it".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from auditlog.context import auditlog_value, set_actor
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models


def record_access(instance: models.Model, *, user: Any, what: str = "") -> LogEntry:
    """Record that `user` opened `instance` (a record holding personal data)."""
    actor = user if getattr(user, "is_authenticated", False) else None
    return LogEntry.objects.log_create(
        instance,
        force_log=True,
        action=LogEntry.Action.ACCESS,
        actor=actor,
        actor_email=getattr(actor, "email", None),
        changes=None,
        additional_data={"opened": what} if what else None,
    )


def record_access_many(instances: Iterable[models.Model], *, user: Any, what: str) -> int:
    """Record that `user` read every one of `instances` (a list page, an export): one insert."""

    instances = list(instances)
    if not instances:
        return 0
    actor = user if getattr(user, "is_authenticated", False) else None
    content_type = ContentType.objects.get_for_model(type(instances[0]))
    entries = [
        LogEntry(
            content_type=content_type,
            object_pk=str(instance.pk),
            object_id=instance.pk if isinstance(instance.pk, int) else None,
            object_repr=str(instance)[:200],
            action=LogEntry.Action.ACCESS,
            actor=actor,
            actor_email=getattr(actor, "email", None),
            additional_data={"opened": what},
        )
        for instance in instances
    ]
    LogEntry.objects.bulk_create(entries, batch_size=500)
    return len(entries)


# The user an `acting_as` block is live for, in this thread or task. auditlog's own context
# variable cannot tell: it keeps its last value after its block ends, with the receiver that
# stamps the actor already disconnected.
_acting_for: ContextVar[Any] = ContextVar("pilot_acting_for", default=None)


@contextmanager
def acting_as(user: Any) -> Iterator[None]:
    """Attribute every audit entry written inside the block to `user`.

    auditlog's middleware does this for browser requests; services call it with their
    `acting_user` so that changes made from the API (token auth), a task or a command are
    attributed too. Nested blocks for the same user share the outer one; the surrounding
    context, if any, is restored afterwards.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        yield
        return
    if _acting_for.get() == user.pk:
        yield
        return
    try:
        outer = auditlog_value.get()
    except LookupError:
        outer = None
    token = _acting_for.set(user.pk)
    try:
        with set_actor(user):
            yield
    finally:
        _acting_for.reset(token)
        if outer is not None:
            auditlog_value.set(outer)


def validated_save(instance: models.Model, *, acting_user: Any) -> None:
    """Check every field and constraint (file validators too) first, then save attributed."""
    instance.full_clean()
    with acting_as(acting_user):
        instance.save()
