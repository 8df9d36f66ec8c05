"""What the database holds, to show that a refused request or service call changed nothing.

Reads are not changes: the audit trail's access records (who opened a child's card), the
sessions of the users signing in and their `last_login` are left out.
"""

from __future__ import annotations

from typing import Any

from auditlog.models import LogEntry
from django.apps import apps
from django.contrib.sessions.models import Session
from django.db.models import Count, Max, QuerySet

from core.models import User


def _rows(model: Any) -> QuerySet[Any]:
    queryset = model._base_manager.all()
    if model is LogEntry:
        queryset = queryset.exclude(action=LogEntry.Action.ACCESS)
    return queryset


def _models() -> list[Any]:
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and model is not Session
    ]


def db_summary() -> dict[str, tuple[Any, ...]]:
    """Per table: rows, the highest id and the latest `updated_at` (cheap: one query a table)."""
    summary: dict[str, tuple[Any, ...]] = {}
    for model in _models():
        names = {field.name for field in model._meta.concrete_fields}
        aggregates: dict[str, Any] = {"rows": Count("pk"), "top": Max("pk")}
        if "updated_at" in names:
            aggregates["changed"] = Max("updated_at")
        summary[model._meta.label] = tuple(_rows(model).aggregate(**aggregates).values())
    return summary


def db_contents() -> dict[str, int]:
    """Per table: a hash of every row, every column (slower; once per walk)."""
    contents: dict[str, int] = {}
    for model in _models():
        columns = [
            field.attname
            for field in model._meta.concrete_fields
            if not (model is User and field.name == "last_login")
        ]
        rows = _rows(model).order_by("pk").values_list(*columns)
        contents[model._meta.label] = hash(repr(list(rows)))
    return contents


def changed_tables(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(
        label for label in before.keys() | after.keys() if before.get(label) != after.get(label)
    )
