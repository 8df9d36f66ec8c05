"""Writing a plan: bulk inserts and updates in dependency order, and their audit entries.

Bulk operations skip `save()` and so django-auditlog's signals; the entries it would have
written are made here, in the same format (`changes` as auditlog's own diff computes it), and
inserted in bulk too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from itertools import islice
from typing import Any

from auditlog.cid import get_cid
from auditlog.diff import model_instance_diff
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.encoding import smart_str

from core.importing.plan import WRITE_ORDER, Change, Plan
from monitoring.models import RegistryImport

# Rows a statement writes at most: memory and the driver's work stay bounded whatever the size.
WRITE_BATCH = 2000


def _auto_now_fields(model: type[models.Model]) -> list[str]:
    return [
        field.name for field in model._meta.concrete_fields if getattr(field, "auto_now", False)
    ]


def _write(model: type[models.Model], changes: list[Change], now: Any) -> None:
    created = [change.obj for change in changes if change.old is None]
    if created:
        # Batches keep each statement (and the driver's quoting of it) a bounded size.
        model._default_manager.bulk_create(created, batch_size=WRITE_BATCH)
        if any(obj.pk is None for obj in created):
            raise RuntimeError(f"the database returned no keys for new {model.__name__} rows")
    # One UPDATE per set of changed fields: only the fields that changed are written.
    by_fields: dict[tuple[str, ...], list[models.Model]] = defaultdict(list)
    touched = _auto_now_fields(model)
    for change in changes:
        if change.old is None:
            continue
        for name in touched:
            setattr(change.obj, name, now)
        by_fields[tuple(sorted(change.fields)) + tuple(touched)].append(change.obj)
    for fields, objs in by_fields.items():
        model._default_manager.bulk_update(objs, list(fields), batch_size=WRITE_BATCH)


def _log_entries(plan: Plan, *, actor: Any, label: str) -> Iterator[LogEntry]:
    """The audit entries of the written changes, made one at a time (written in batches)."""
    registered = [
        model for model in WRITE_ORDER if plan.changes.get(model) and auditlog.contains(model)
    ]
    if not registered:
        return
    content_types = ContentType.objects.get_for_models(*registered)
    cid = get_cid()
    actor = actor if getattr(actor, "is_authenticated", False) else None
    for model in registered:
        for change in plan.changes.get(model, []):
            obj = change.obj
            diff = model_instance_diff(
                change.old,
                obj,
                use_json_for_changes=getattr(settings, "AUDITLOG_STORE_JSON_CHANGES", False),
            )
            if change.old is not None and not diff:
                continue
            yield LogEntry(
                content_type=content_types[model],
                object_pk=smart_str(obj.pk),
                object_id=obj.pk if isinstance(obj.pk, int) else None,
                object_repr=smart_str(obj),
                action=LogEntry.Action.CREATE if change.old is None else LogEntry.Action.UPDATE,
                changes=diff,
                actor=actor,
                actor_email=getattr(actor, "email", None) or None,
                cid=cid,
                additional_data={"import": label},
            )


def _stamp_registry_imports(plan: Plan, *, actor: Any, label: str, now: Any) -> None:
    """Who loaded the registry files and when: known only now that the plan is written."""
    loaded_by = actor if getattr(actor, "is_authenticated", False) else None
    for change in plan.changes.get(RegistryImport, []):
        registry_import = change.obj
        assert isinstance(registry_import, RegistryImport)
        registry_import.loaded_by = loaded_by
        registry_import.loaded_at = now
        max_length = RegistryImport._meta.get_field("dataset").max_length  # type: ignore[union-attr]
        registry_import.dataset = label[:max_length]


def write_plan(plan: Plan, *, actor: Any, label: str) -> None:
    """Call inside the import's transaction."""
    now = timezone.now()
    _stamp_registry_imports(plan, actor=actor, label=label, now=now)
    for model in WRITE_ORDER:
        changes = plan.changes.get(model)
        if changes:
            _write(model, changes, now)
    entries = _log_entries(plan, actor=actor, label=label)
    while batch := list(islice(entries, WRITE_BATCH)):
        LogEntry.objects.bulk_create(batch)
