"""Writing a plan: bulk inserts and updates in dependency order, and their audit entries.

Bulk operations skip `save()` and so django-auditlog's signals; the entries it would have
written are made here, in the same format (`changes` as auditlog's own diff computes it), and
inserted in bulk too.

Created rows are the bulk of a big import (a half-year of visits), so they take a fast path:
on PostgreSQL the rows and their audit entries are written with `COPY` (keys taken from the
table's sequence first), and the audit entry of a created object is built field by field
without auditlog's generic diff (`created_changes`, equal to it, which a test holds it to).
Other databases get the same rows through `bulk_create`.
"""

from __future__ import annotations

import enum
import json
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from json.encoder import encode_basestring_ascii as encode_json_string
from typing import Any

from auditlog.cid import get_cid
from auditlog.diff import get_field_value, model_instance_diff, track_field
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.models.fields.json import JSONField
from django.utils import timezone
from django.utils.encoding import smart_str

from exchange.plan import WRITE_ORDER, Change, Plan
from monitoring.models import RegistryImport

# Rows a statement writes at most: memory and the driver's work stay bounded whatever the size.
WRITE_BATCH = 2000

# Fields whose Python value is what the database stores: written as they are, without Django's
# per-value preparation (which is most of the cost of `bulk_create`). Exact classes only: a
# subclass may prepare its values.
_PLAIN_FIELDS = frozenset(
    {
        models.BooleanField,
        models.CharField,
        models.DateField,
        models.DateTimeField,
        models.DecimalField,
        models.EmailField,
        models.IntegerField,
        models.BigIntegerField,
        models.PositiveIntegerField,
        models.PositiveSmallIntegerField,
        models.SmallIntegerField,
        models.TextField,
        models.TimeField,
    }
)


def _auto_now_fields(model: type[models.Model]) -> list[str]:
    return [
        field.name for field in model._meta.concrete_fields if getattr(field, "auto_now", False)
    ]


def _copies() -> bool:
    return connection.vendor == "postgresql"


# --- the rows ---------------------------------------------------------------------------------


def _column_value(field: models.Field[Any, Any], now: Any) -> Callable[[models.Model], Any]:
    """How to read one column's database value off a new object (filling it in as `save` would)."""
    name, attname = field.name, field.attname
    if isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):

        def stamp(obj: models.Model) -> Any:
            setattr(obj, attname, now)
            return now

        return stamp
    if isinstance(field, models.ForeignKey):

        def key(obj: models.Model) -> Any:
            value = obj.__dict__.get(attname)
            if value is None:
                # assigned before it was saved: its key is known now (what `save` checks too)
                related = obj._state.fields_cache.get(name)
                if related is not None:
                    value = related.pk
                    # not through the attribute, which would forget the related object
                    obj.__dict__[attname] = value
            return value

        return key
    if type(field) is JSONField:
        encoder = field.encoder

        dumped: dict[tuple[str, ...], str] = {}  # lists of codes recur: each dumped once

        def document(obj: models.Model) -> Any:
            value = obj.__dict__.get(attname)
            if value is None:
                return None
            if type(value) is not list or len(dumped) > 1000:
                return json.dumps(value, cls=encoder)
            key = tuple(value)
            if key not in dumped:
                dumped[key] = json.dumps(value, cls=encoder)
            return dumped[key]

        return document
    if type(field) is models.FileField:

        def stored_name(obj: models.Model) -> Any:
            value = obj.__dict__.get(attname)
            if value is None or type(value) is str:
                return value or ""
            return field.get_db_prep_save(field.pre_save(obj, add=True), connection)

        return stored_name
    if type(field) in _PLAIN_FIELDS:
        if field.choices:

            def code(obj: models.Model) -> Any:
                value = obj.__dict__.get(attname)
                return value.value if isinstance(value, enum.Enum) else value

            return code
        return lambda obj: obj.__dict__.get(attname)

    def prepared(obj: models.Model) -> Any:
        return field.get_db_prep_save(field.pre_save(obj, add=True), connection)

    prepared.may_query = True  # type: ignore[attr-defined]
    return prepared


def _copy_created(model: type[models.Model], objs: list[models.Model], now: Any) -> None:
    """PostgreSQL: the new rows with `COPY`, their keys taken from the table's sequence first."""
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    fields = [field for field in meta.concrete_fields if field is not pk]
    readers = [_column_value(field, now) for field in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in [pk, *fields])
    table = connection.ops.quote_name(meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, pk.column, len(objs)],
        )
        keys = [row[0] for row in cursor.fetchall()]
        for obj, key in zip(objs, keys, strict=True):
            obj.pk = key
        # No query may run while a COPY is under way on the connection. Values only read off
        # the objects are read as the rows are sent, so that the database works on the rows
        # sent while the next are made; others are read before, a batch at a time.
        streamed = not any(getattr(read, "may_query", False) for read in readers)
        batch = len(objs) if streamed else WRITE_BATCH
        for start in range(0, len(objs), batch):
            rows: Iterable[list[Any]] = (
                [obj.pk, *(read(obj) for read in readers)] for obj in objs[start : start + batch]
            )
            if not streamed:
                rows = list(rows)
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


def _write(model: type[models.Model], changes: list[Change], now: Any) -> None:
    created = [change.obj for change in changes if change.old is None]
    if created:
        if _copies():
            _copy_created(model, created, now)
        else:
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


# --- the audit entries ------------------------------------------------------------------------


def _use_json() -> bool:
    return bool(getattr(settings, "AUDITLOG_STORE_JSON_CHANGES", False))


@cache
def _tracked_fields(model: type[models.Model]) -> list[Any]:
    """The fields auditlog compares for `model`, as `model_instance_diff` selects them."""
    fields = [field for field in model._meta.get_fields() if track_field(field)]
    registered = auditlog.get_model_fields(model)
    if registered["include_fields"]:
        fields = [field for field in fields if field.name in registered["include_fields"]]
    if registered["exclude_fields"]:
        fields = [field for field in fields if field.name not in registered["exclude_fields"]]
    return fields


def _field_value(field: Any) -> Callable[[models.Model], Any]:
    """`get_field_value(obj, field)` for a concrete field, without its generic steps.

    Like auditlog's, the value is text except for a foreign key (its key, or None) and a
    date-time (None when empty): those are always in a new object's diff, as auditlog has them.
    """
    if isinstance(field, models.DateTimeField):
        attname = field.attname
        last: list[Any] = [object(), None]  # a batch's objects share their time stamps

        def moment(obj: models.Model) -> Any:
            value = obj.__dict__.get(attname)
            if value is not last[0]:
                last[:] = [value, get_field_value(obj, field)]
            return last[1]

        return moment
    if type(field) is JSONField:
        json_name, encoder = field.attname, field.encoder

        dumped: dict[tuple[str, ...], str] = {}

        def document(obj: models.Model) -> Any:
            value = obj.__dict__.get(json_name)
            key = tuple(value) if type(value) is list and len(dumped) < 1000 else None
            if key is not None and key in dumped:
                return dumped[key]
            try:
                text = json.dumps(value, sort_keys=True, cls=encoder)
            except TypeError:
                return get_field_value(obj, field)
            if key is not None:
                dumped[key] = text
            return text

        return document
    if type(field) is models.FileField:
        file_attname = field.attname

        def file_name(obj: models.Model) -> Any:
            value = obj.__dict__.get(file_attname)
            if value is None or type(value) is str:
                return value or ""  # what a FieldFile of that name prints
            return smart_str(getattr(obj, file_attname))

        return file_name
    if field.is_relation and (field.many_to_one or field.one_to_one) and field.concrete:
        attname = field.attname
        if not getattr(settings, "AUDITLOG_USE_FK_STRING_REPRESENTATION", False):
            return lambda obj: obj.__dict__.get(attname)
        return lambda obj: get_field_value(obj, field)
    name = field.name
    plain = type(field) in _PLAIN_FIELDS

    def text(obj: models.Model) -> str:
        value = obj.__dict__.get(name) if plain else getattr(obj, name)
        return value if type(value) is str else str(value)  # smart_str, for what fields hold

    return text


class Dumped(str):
    """A JSON document already written out as text (written to the database as it is)."""


class CreatedChanges:
    """What `model_instance_diff(None, obj)` gives for a new `obj` of a model, made faster:
    as a dict (`of`), or as JSON text for the database (`dumped`, the same document)."""

    def __init__(self, model: type[models.Model]) -> None:
        tracked = _tracked_fields(model)
        self.readers = [(field.name, _field_value(field)) for field in tracked if field.concrete]
        # A reverse relation reads the same for every new object of the model (its manager's
        # name): read once, on the first object, by auditlog itself.
        self.reverse = [field for field in tracked if not field.concrete]
        self.constant: dict[str, str] | None = None
        # `"name": ["None", ` of each field, for the text
        self.openings = {name: f'{encode_json_string(name)}: ["None", ' for name, _ in self.readers}

    def _constant(self, obj: models.Model) -> dict[str, str]:
        if self.constant is None:
            values = {field.name: get_field_value(obj, field) for field in self.reverse}
            self.constant = {
                name: smart_str(value) for name, value in values.items() if value != "None"
            }
        return self.constant

    def _values(self, obj: models.Model) -> Iterator[tuple[str, str]]:
        for name, read in self.readers:
            value = read(obj)
            if value != "None":  # auditlog's value of a field on no object
                yield name, value if type(value) is str else str(value)
        yield from self._constant(obj).items()

    def of(self, obj: models.Model) -> dict[str, list[str]]:
        return {name: ["None", value] for name, value in self._values(obj)}

    def dumped(self, obj: models.Model) -> Dumped:
        openings = self.openings
        parts = [
            (openings.get(name) or f'{encode_json_string(name)}: ["None", ')
            + encode_json_string(value)
            + "]"
            for name, value in self._values(obj)
        ]
        return Dumped("{" + ", ".join(parts) + "}")


def created_changes(model: type[models.Model]) -> CreatedChanges | None:
    """The fast audit of a new object of `model`; None where it needs auditlog's own diff
    (masked fields, changes stored as JSON values)."""
    registered = auditlog.get_model_fields(model)
    if registered["mask_fields"] or _use_json():
        return None
    return CreatedChanges(model)


def _entries(
    changes: list[Change],
    names: list[str],
    fast: CreatedChanges | None,
    common: dict[str, Any],
    *,
    use_json: bool,
    dumped: bool,
) -> Iterator[dict[str, Any]]:
    """The audit entries of `changes` (objects named `names`): only reads the objects.

    With `dumped`, the changes of new objects come as JSON text already (for `COPY`)."""
    for change, name in zip(changes, names, strict=True):
        obj = change.obj
        diff: Any
        if change.old is None and fast is not None:
            diff = fast.dumped(obj) if dumped else fast.of(obj)
        else:
            diff = model_instance_diff(change.old, obj, use_json_for_changes=use_json)
            if change.old is not None and not diff:
                continue
        yield {
            **common,
            "object_pk": str(obj.pk),
            "object_id": obj.pk if isinstance(obj.pk, int) else None,
            "object_repr": name,
            "action": LogEntry.Action.CREATE if change.old is None else LogEntry.Action.UPDATE,
            "changes": diff,
        }


def _write_log(plan: Plan, *, actor: Any, label: str, now: Any) -> None:
    """The audit entries of the written changes, a batch of `WRITE_BATCH` at a time.

    The objects' names are made first (a name may read the database, which cannot happen
    while a COPY is under way); the rest only reads the objects, so on PostgreSQL the entries
    are made as they are sent and the database stores some while the next are made.
    """
    registered = [
        model for model in WRITE_ORDER if plan.changes.get(model) and auditlog.contains(model)
    ]
    if not registered:
        return
    content_types = ContentType.objects.get_for_models(*registered)
    actor = actor if getattr(actor, "is_authenticated", False) else None
    common = {
        "actor_id": actor.pk if actor is not None else None,
        "actor_email": getattr(actor, "email", None) or None,
        "cid": get_cid(),
        "additional_data": {"import": label},
        "timestamp": now,
    }
    use_json = _use_json()
    for model in registered:
        fast = created_changes(model)
        model_common = {**common, "content_type_id": content_types[model].pk}
        changes = plan.changes[model]
        for start in range(0, len(changes), WRITE_BATCH):
            batch = changes[start : start + WRITE_BATCH]
            names = [str(change.obj) for change in batch]  # smart_str, for what models return

            rows = _entries(batch, names, fast, model_common, use_json=use_json, dumped=_copies())
            if _copies():
                _copy_log_rows(rows)
            else:
                LogEntry.objects.bulk_create([LogEntry(**row) for row in rows])


def _copy_log_rows(rows: Iterable[dict[str, Any]]) -> None:
    """PostgreSQL: audit entries with `COPY`; columns the rows do not name take their default."""
    meta = LogEntry._meta
    fields = [field for field in meta.concrete_fields if field is not meta.pk]
    defaults = {
        field.attname: field.get_db_prep_save(field.get_default(), connection) for field in fields
    }
    documents = [field.attname for field in fields if isinstance(field, JSONField)]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    table = connection.ops.quote_name(meta.db_table)
    in_order = operator.itemgetter(*defaults)
    # A document the rows share (the import's label) is dumped once. The memo holds each
    # document it has seen, so no other can come to have the same address meanwhile.
    dumped: dict[int, tuple[Any, str]] = {}
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            values = {**defaults, **row}
            for name in documents:
                given = values[name]
                if given is None or type(given) is Dumped:
                    continue
                seen = dumped.get(id(given))
                if seen is None:
                    seen = dumped[id(given)] = (given, json.dumps(given, ensure_ascii=False))
                values[name] = seen[1]
            copy.write_row(in_order(values))


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
    _write_log(plan, actor=actor, label=label, now=now)
