"""Checks that need the database or other rows, and the plan of what an import changes.

Everything here reads the database with a fixed number of set-based queries (one per table,
whatever the number of rows) and then works in memory: the plan lists the objects to create
and, for the objects that exist, the fields that change.
"""

from __future__ import annotations

import copy
import datetime
import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from core.periods import ranges_overlap
from exchange.report import FileSummary, RowError
from exchange.specs import REGISTRY_FILES, FileSpec, ParsedRow
from monitoring.models import (
    EducationCorrection,
    HealthStay,
    PersonRecord,
    RegistryImport,
    RegistryKind,
)
from providers.models import Provider
from recipients.models import (
    Child,
    Enrollment,
    EnrollmentStatus,
    Ipar,
    LegalRepresentative,
    ServiceApplication,
)
from recipients.rules import name_key
from services.models import ConfirmationMethod, Visit
from tariffs.models import Tariff
from tariffs.services import visits_on_frozen_invoices

# The order objects are written in: a row refers only to rows written before it.
WRITE_ORDER: tuple[type[models.Model], ...] = (
    Provider,
    Tariff,
    Child,
    LegalRepresentative,
    Ipar,
    ServiceApplication,
    Enrollment,
    Visit,
    RegistryImport,
    PersonRecord,
    HealthStay,
    EducationCorrection,
)

# The registry files: the model of their rows and the registry they come from.
REGISTRY_MODELS: dict[str, tuple[type[models.Model], str]] = {
    "registry_persons": (PersonRecord, RegistryKind.PERSONS),
    "registry_health": (HealthStay, RegistryKind.HEALTH),
    "registry_education": (EducationCorrection, RegistryKind.EDUCATION),
}

# The model each file's rows become (a children row also writes its representative, an
# enrolment its application).
FILE_MODELS: dict[str, type[models.Model]] = {
    "providers": Provider,
    "tariffs": Tariff,
    "children": Child,
    "ipar": Ipar,
    "enrollments": Enrollment,
    "visits": Visit,
    **{name: model for name, (model, _kind) in REGISTRY_MODELS.items()},
}

# (file, column) → the file whose key the column names. The database is searched too.
# A registry's `iin` is not one: a row for an IIN the portal does not know is kept (and counted).
REFERENCES: dict[tuple[str, str], str] = {
    ("ipar", "child_iin"): "children",
    ("enrollments", "child_iin"): "children",
    ("enrollments", "provider_bin"): "providers",
    ("visits", "child_iin"): "children",
    ("visits", "provider_bin"): "providers",
}

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


@dataclass
class ParsedFile:
    spec: FileSpec
    source: str
    rows: list[ParsedRow]

    def values(self, column: str) -> set[Any]:
        return {row.values[column] for row in self.rows if row.values.get(column)}


@dataclass
class DatabaseState:
    """The rows of the database the dataset touches or refers to, by their exchange key."""

    providers: dict[str, Provider] = field(default_factory=dict)
    children: dict[str, Child] = field(default_factory=dict)
    tariffs: list[Tariff] = field(default_factory=list)
    ipars: dict[str, Ipar] = field(default_factory=dict)
    enrollments: dict[str, Enrollment] = field(default_factory=dict)
    representatives: dict[tuple[int, str], LegalRepresentative] = field(default_factory=dict)
    visits: dict[str, Visit] = field(default_factory=dict)
    # registry rows by their exchange key: (iin, astana_from) and (iin, kind, start_on)
    persons: dict[tuple[Any, ...], PersonRecord] = field(default_factory=dict)
    health: dict[tuple[Any, ...], HealthStay] = field(default_factory=dict)
    education: dict[tuple[Any, ...], EducationCorrection] = field(default_factory=dict)


# The DatabaseState attribute holding each registry file's rows.
_REGISTRY_STATE = {
    "registry_persons": "persons",
    "registry_health": "health",
    "registry_education": "education",
}


def load_state(
    files: Mapping[str, ParsedFile], state: DatabaseState | None = None
) -> DatabaseState:
    """One query per table, whatever the number of rows (`in_bulk` on the exchange keys).

    With `state` (a file read in chunks), only the providers and children `state` does not hold
    yet are read and added to it, and the visits read replace those of the previous chunk.
    """

    def keys(name: str, column: str) -> set[Any]:
        return files[name].values(column) if name in files else set()

    if state is None:
        state = DatabaseState()
    bins = (
        keys("providers", "bin")
        | keys("enrollments", "provider_bin")
        | keys("visits", "provider_bin")
    ) - state.providers.keys()
    if bins:
        state.providers.update(Provider.objects.in_bulk(bins, field_name="bin"))
    iins = (
        keys("children", "iin")
        | keys("ipar", "child_iin")
        | keys("enrollments", "child_iin")
        | keys("visits", "child_iin")
        # which registry IINs the portal knows: counted in the report, never refused
        | keys("registry_persons", "iin")
        | keys("registry_health", "iin")
        | keys("registry_education", "iin")
    ) - state.children.keys()
    if iins:
        state.children.update(Child.objects.in_bulk(iins, field_name="iin"))
    if "tariffs" in files:
        state.tariffs = list(Tariff.objects.filter(setting__in=keys("tariffs", "setting")))
    numbers = keys("ipar", "number")
    if numbers:
        state.ipars = Ipar.objects.select_related("child").in_bulk(numbers, field_name="number")
    decisions = keys("enrollments", "decision_number")
    if decisions:
        state.enrollments = Enrollment.objects.select_related(
            "child", "provider", "application__child"
        ).in_bulk(decisions, field_name="decision_number")
    visit_ids = keys("visits", "visit_id")
    state.visits = _by_key(Visit, "visit_id", visit_ids) if visit_ids else {}
    child_ids = [state.children[iin].pk for iin in keys("children", "iin") if iin in state.children]
    if child_ids:
        state.representatives = {
            (representative.child_id, representative.iin): representative
            for representative in LegalRepresentative.objects.filter(child_id__in=child_ids)
        }
    for name, attribute in _REGISTRY_STATE.items():
        registry_iins = keys(name, "iin")
        if registry_iins:
            # The rows the file may match, by the file's IINs (indexed).
            model, _kind = REGISTRY_MODELS[name]
            spec_key = files[name].spec.key
            setattr(
                state,
                attribute,
                {
                    tuple(getattr(row, column) for column in spec_key): row
                    for row in _with_iins(model, registry_iins)
                },
            )
    return state


def _by_key(model: type[models.Model], field: str, values: set[str]) -> dict[str, Any]:
    """`in_bulk(values, field_name=field)`; on PostgreSQL the values go as one array parameter
    (thousands of `IN` literals would be quoted and parsed one by one)."""
    if connection.vendor != "postgresql":
        return model._default_manager.in_bulk(values, field_name=field)
    array = RawSQL("SELECT unnest(%s::text[])", [sorted(values)])
    return {
        getattr(obj, field): obj for obj in model._default_manager.filter(**{f"{field}__in": array})
    }


def _with_iins(model: type[models.Model], iins: set[str]) -> Iterable[Any]:
    """The model's rows for `iins`: one query, split (as `in_bulk` does) only where the database
    takes a limited number of parameters (SQLite: 999 for Django)."""
    batch = connection.features.max_query_params or len(iins)
    ordered = sorted(iins)
    for start in range(0, len(ordered), batch):
        yield from model._default_manager.filter(iin__in=ordered[start : start + batch])


def _error(file: ParsedFile, row: ParsedRow, column: str, code: str, message: str) -> RowError:
    return RowError(file.source, row.number, column, code, message)


def check_dataset(
    files: Mapping[str, ParsedFile],
    state: DatabaseState,
    *,
    earlier: Mapping[str, ParsedFile] | None = None,
    first_rows: dict[str, dict[Any, int]] | None = None,
) -> list[RowError]:
    """Checks across rows, files and the database: keys, references, ИПАР and decision owners.

    A file read in chunks is checked chunk by chunk: `earlier` holds the dataset's other files
    (references may name their rows) and `first_rows` the keys of the chunks already checked
    (file name → key → its first row), kept from one call to the next.
    """
    earlier = earlier or {}
    first_rows = {} if first_rows is None else first_rows
    errors: list[RowError] = []
    for name, file in files.items():
        errors.extend(_repeated_keys(file, first_rows.setdefault(name, {})))
    for (name, column), target in REFERENCES.items():
        if name not in files:
            continue
        known = getattr(state, target)
        target_file = files.get(target) or earlier.get(target)
        in_dataset = target_file.values(target_file.spec.key[0]) if target_file else set()
        for row in files[name].rows:
            value = row.values.get(column)
            if value and value not in known and value not in in_dataset:
                errors.append(
                    _error(
                        files[name],
                        row,
                        column,
                        "unknown_reference",
                        _("%(column)s %(value)s is not in the database or earlier in this dataset")
                        % {"column": column, "value": value},
                    )
                )
    if "ipar" in files:
        errors.extend(_ipar_owners(files["ipar"], state))
    if "enrollments" in files:
        errors.extend(_decision_owners(files["enrollments"], state))
    if "tariffs" in files:
        errors.extend(_tariff_overlaps(files["tariffs"], state))
    if "visits" in files:
        errors.extend(_invoiced_visits_moved(files["visits"], state))
    return errors


def _invoiced_visits_moved(file: ParsedFile, state: DatabaseState) -> Iterable[RowError]:
    """A visit on an approved invoice may not move to another provider or month: it would be
    paid a second time there. Only rows that move a visit are looked up."""

    moved: dict[int, tuple[ParsedRow, Visit]] = {}
    for row in file.rows:
        existing = state.visits.get(row.values.get("visit_id", ""))
        day, bin_ = row.values.get("date"), row.values.get("provider_bin")
        if existing is None or day is None or bin_ is None:
            continue
        provider = state.providers.get(bin_)
        if (provider is not None and provider.pk != existing.provider_id) or (
            (day.year, day.month) != (existing.date.year, existing.date.month)
        ):
            moved[existing.pk] = (row, existing)
    if not moved:
        return
    for pk in sorted(visits_on_frozen_invoices(visit for _row, visit in moved.values())):
        row, visit = moved[pk]
        yield _error(
            file,
            row,
            "visit_id",
            "visit_invoiced",
            _(
                "visit %(visit)s is on an approved invoice of %(month)s: it cannot move to "
                "another provider or month (a correction is an adjustment on a later invoice)"
            )
            % {"visit": visit.visit_id, "month": f"{visit.date:%m.%Y}"},
        )


def _repeated_keys(file: ParsedFile, first_row: dict[Any, int]) -> Iterable[RowError]:
    single = len(file.spec.key) == 1  # kept bare, not in a tuple: a big file keeps many keys
    for row in file.rows:
        key = row.key(file.spec)
        if key is None:
            continue
        seen = key[0] if single else key
        if seen in first_row:
            yield _error(
                file,
                row,
                file.spec.key_label,
                "repeated_key",
                _("%(key)s %(value)s is repeated: row %(first)d has it already")
                % {
                    "key": file.spec.key_label,
                    "value": " ".join(_show(part) for part in key),
                    "first": first_row[seen],
                },
            )
        else:
            first_row[seen] = row.number


def _show(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime.date) else str(value)


def _ipar_owners(file: ParsedFile, state: DatabaseState) -> Iterable[RowError]:
    for row in file.rows:
        existing = state.ipars.get(row.values.get("number", ""))
        child_iin = row.values.get("child_iin")
        if existing is not None and child_iin and existing.child.iin != child_iin:
            yield _error(
                file,
                row,
                "child_iin",
                "ipar_of_another_child",
                _(
                    "ИПАР %(number)s belongs to the child %(iin)s; an ИПАР never moves to another child"
                )
                % {"number": existing.number, "iin": existing.child.iin},
            )


def _decision_owners(file: ParsedFile, state: DatabaseState) -> Iterable[RowError]:
    for row in file.rows:
        existing = state.enrollments.get(row.values.get("decision_number", ""))
        if existing is not None and existing.status != EnrollmentStatus.APPROVED:
            # A file row is an approved decision; a draft is decided in the portal, with its checks.
            yield _error(
                file,
                row,
                "decision_number",
                "decision_not_approved",
                _(
                    "decision %(number)s is recorded as “%(status)s”; it cannot be approved by an import"
                )
                % {"number": existing.decision_number, "status": existing.get_status_display()},
            )
            continue
        child_iin = row.values.get("child_iin")
        if existing is not None and child_iin and existing.child.iin != child_iin:
            yield _error(
                file,
                row,
                "decision_number",
                "decision_of_another_child",
                _("decision %(number)s is already recorded for the child %(iin)s")
                % {"number": existing.decision_number, "iin": existing.child.iin},
            )


@dataclass(frozen=True)
class _Period:
    setting: str
    start: datetime.date
    end: datetime.date | None
    row: ParsedRow | None  # None: a tariff already in the database

    def overlaps(self, other: _Period) -> bool:
        return ranges_overlap(self.start, self.end, other.start, other.end)


def _tariff_overlaps(file: ParsedFile, state: DatabaseState) -> Iterable[RowError]:
    periods: list[_Period] = []
    replaced: set[tuple[str, datetime.date]] = set()
    for row in file.rows:
        values = row.values
        if not {"setting", "valid_from", "valid_to"} <= values.keys():
            continue
        if values["valid_to"] is not None and values["valid_to"] < values["valid_from"]:
            continue  # refused already as a period that ends before it starts
        periods.append(_Period(values["setting"], values["valid_from"], values["valid_to"], row))
        replaced.add((values["setting"], values["valid_from"]))
    for tariff in state.tariffs:
        if (tariff.setting, tariff.valid_from) not in replaced:
            periods.append(_Period(tariff.setting, tariff.valid_from, tariff.valid_to, None))
    # Tariffs are a handful of periods per setting: comparing each pair is cheap.
    for index, period in enumerate(periods):
        if period.row is None:
            continue
        for other in periods[:index] + periods[index + 1 :]:
            if other.setting != period.setting or not period.overlaps(other):
                continue
            if other.row is not None and other.row.number > period.row.number:
                continue  # the pair is reported once, on the later row
            where = (
                _("row %(number)d") % {"number": other.row.number}
                if other.row is not None
                else _("already in the database")
            )
            yield _error(
                file,
                period.row,
                "valid_from",
                "tariff_overlap",
                _(
                    "the %(setting)s tariff period %(start)s – %(end)s overlaps the one "
                    "valid from %(other_start)s (%(where)s)"
                )
                % {
                    "setting": period.setting,
                    "start": period.start.isoformat(),
                    "end": period.end.isoformat() if period.end else "…",
                    "other_start": other.start.isoformat(),
                    "where": where,
                },
            )


@dataclass
class Change:
    obj: models.Model
    old: models.Model | None  # the state before, for the audit trail; None: created
    fields: frozenset[str] = frozenset()


@dataclass
class Plan:
    changes: dict[type[models.Model], list[Change]] = field(
        default_factory=lambda: defaultdict(list)
    )
    summaries: dict[str, FileSummary] = field(default_factory=dict)


def _differences(obj: models.Model, values: Mapping[str, Any]) -> set[str]:
    changed = set()
    for name, value in values.items():
        model_field = obj._meta.get_field(name)
        if model_field.is_relation:
            current = getattr(obj, model_field.attname)  # type: ignore[union-attr]
            if value is None:
                if current is not None:
                    changed.add(name)
            elif value.pk is None or value.pk != current:
                changed.add(name)
        elif getattr(obj, name) != value:
            changed.add(name)
    return changed


@functools.cache
def _constructor(model: type[models.Model]) -> tuple[dict[str, int], list[Any], list[int]]:
    """How `_new` builds a `model`: each field's position (by name and by attname), the default
    values, and the positions whose default is made anew for each object (a list, a dict)."""
    fields = model._meta.concrete_fields
    positions: dict[str, int] = {}
    for index, model_field in enumerate(fields):
        positions[model_field.name] = positions[model_field.attname] = index
    defaults: list[Any] = []
    fresh: list[int] = []
    for index, model_field in enumerate(fields):
        if model_field.has_default() and callable(model_field.default):
            fresh.append(index)
            defaults.append(None)
        else:
            defaults.append(model_field.get_default())
    return positions, defaults, fresh


def _new(model: type[models.Model], values: Mapping[str, Any]) -> models.Model:
    """`model(**values)`, through Django's positional constructor (the one `from_db` uses):
    an import makes hundreds of thousands of objects, and the keyword path costs three times
    as much. A related object is given by its key and kept as the cached related object,
    so that its key is read at write time (it may be written just before) and naming the
    object needs no query."""
    positions, defaults, fresh = _constructor(model)
    args = list(defaults)
    fields = model._meta.concrete_fields
    for index in fresh:
        args[index] = fields[index].get_default()
    related: list[tuple[Any, models.Model]] = []
    for name, value in values.items():
        index = positions[name]
        if isinstance(value, models.Model) and fields[index].is_relation:
            related.append((fields[index], value))
            value = value.pk
        args[index] = value
    obj = model(*args)
    for model_field, value in related:
        model_field.set_cached_value(obj, value)
    return obj


class _Planner:
    def __init__(self, state: DatabaseState) -> None:
        self.state = state
        self.plan = Plan()
        # the RegistryImport each registry file's created and changed rows link to
        self.registry_imports: dict[str, RegistryImport] = {}

    def upsert(
        self,
        model: type[models.Model],
        existing: models.Model | None,
        values: dict[str, Any],
    ) -> tuple[Any, str]:
        if existing is None:
            obj = _new(model, values)
            self.plan.changes[model].append(Change(obj, None))
            return obj, CREATED
        changed = _differences(existing, values)
        old = copy.copy(existing) if changed else None
        for name, value in values.items():
            # Related objects are assigned even when unchanged, so that str(obj) needs no query.
            setattr(existing, name, value)
        if changed:
            self.plan.changes[model].append(Change(existing, old, frozenset(changed)))
            return existing, UPDATED
        return existing, UNCHANGED

    @staticmethod
    def outcome(main: str, *parts: str) -> str:
        if main == CREATED:
            return CREATED
        return UPDATED if UPDATED in (main, *parts) or CREATED in parts else UNCHANGED

    def providers(self, rows: list[ParsedRow]) -> Iterable[str]:
        for row in rows:
            obj, outcome = self.upsert(
                Provider, self.state.providers.get(row.values["bin"]), dict(row.values)
            )
            self.state.providers[obj.bin] = obj
            yield outcome

    def tariffs(self, rows: list[ParsedRow]) -> Iterable[str]:
        existing = {(tariff.setting, tariff.valid_from): tariff for tariff in self.state.tariffs}
        for row in rows:
            values = row.values
            _obj, outcome = self.upsert(
                Tariff, existing.get((values["setting"], values["valid_from"])), dict(values)
            )
            yield outcome

    def children(self, rows: list[ParsedRow]) -> Iterable[str]:
        for row in rows:
            values = row.values
            child, outcome = self.upsert(
                Child,
                self.state.children.get(values["iin"]),
                {
                    "iin": values["iin"],
                    "last_name": values["last_name"],
                    "first_name": values["first_name"],
                    "middle_name": values["middle_name"],
                    "birth_date": values["birth_date"],
                    "sex": values["sex"],
                    "district": values["district"],
                    "address": values["address"],
                    # bulk writes skip save(), so the duplicate-finding key is computed here
                    "name_key": name_key(
                        values["last_name"], values["first_name"], values["middle_name"]
                    ),
                },
            )
            self.state.children[child.iin] = child
            parts = []
            if values["representative_iin"]:
                existing = (
                    self.state.representatives.get((child.pk, values["representative_iin"]))
                    if child.pk is not None
                    else None
                )
                _representative, part = self.upsert(
                    LegalRepresentative,
                    existing,
                    {
                        "child": child,
                        "iin": values["representative_iin"],
                        "full_name": values["representative_name"],
                        "phone": values["representative_phone"],
                        "relation": values["representative_relation"],
                    },
                )
                parts.append(part)
            yield self.outcome(outcome, *parts)

    def ipar(self, rows: list[ParsedRow]) -> Iterable[str]:
        for row in rows:
            values = dict(row.values)
            values["child"] = self.state.children[values.pop("child_iin")]
            _obj, outcome = self.upsert(Ipar, self.state.ipars.get(values["number"]), values)
            yield outcome

    def enrollments(self, rows: list[ParsedRow]) -> Iterable[str]:
        for row in rows:
            values = row.values
            child = self.state.children[values["child_iin"]]
            existing = self.state.enrollments.get(values["decision_number"])
            consent = {
                "consent_on": values["consent_on"],
                "consent_withdrawn_on": values["consent_withdrawn_on"],
            }
            parts = []
            if existing is not None and existing.application is not None:
                application, part = self.upsert(ServiceApplication, existing.application, consent)
            else:
                application, part = self.upsert(
                    ServiceApplication,
                    None,
                    {
                        "child": child,
                        "submitted_on": values["consent_on"] or values["decision_date"],
                        **consent,
                    },
                )
            parts.append(part)
            _enrollment, outcome = self.upsert(
                Enrollment,
                existing,
                {
                    "child": child,
                    "provider": self.state.providers[values["provider_bin"]],
                    "application": application,
                    "decision_number": values["decision_number"],
                    "decision_date": values["decision_date"],
                    "start_on": values["start_on"],
                    "end_on": values["end_on"],
                    # the file holds decisions the akimat has taken
                    "status": EnrollmentStatus.APPROVED,
                },
            )
            yield self.outcome(outcome, *parts)

    def visits(self, rows: list[ParsedRow]) -> Iterable[str]:
        for row in rows:
            values = row.values
            existing = self.state.visits.get(values["visit_id"])
            confirmed = values["confirmed"]
            method = existing.confirmation_method if existing is not None else ""
            if not confirmed:
                method = ""
            elif not method:
                method = ConfirmationMethod.EXCHANGE
            _obj, outcome = self.upsert(
                Visit,
                existing,
                {
                    "visit_id": values["visit_id"],
                    "child": self.state.children[values["child_iin"]],
                    "provider": self.state.providers[values["provider_bin"]],
                    "setting": values["setting"],
                    "date": values["date"],
                    "start": values["start"],
                    "end": values["end"],
                    "status": values["status"],
                    "services": values["services"],
                    # A confirmation recorded in the portal keeps its method; the file says yes/no.
                    "confirmation_method": method,
                },
            )
            yield outcome

    def registry(self, file: ParsedFile) -> Iterable[str]:
        """Rows of a registry file, matched on the file's key and linked to its RegistryImport.

        Only the file's columns decide whether a row changed; a created or changed row then
        links to this file's RegistryImport (an unchanged one keeps the import that wrote it).
        """
        name = file.spec.name
        model, kind = REGISTRY_MODELS[name]
        existing_rows = getattr(self.state, _REGISTRY_STATE[name])
        registry_import = self.registry_imports.setdefault(name, RegistryImport(kind=kind))
        for row in file.rows:
            values = dict(row.values)
            obj, outcome = self.upsert(model, existing_rows.get(row.key(file.spec)), values)
            if outcome != UNCHANGED:
                obj.registry_import = registry_import
                change = self.plan.changes[model][-1]
                change.fields = change.fields | {"registry_import"}
            yield outcome

    def record_registry_import(self, file: ParsedFile, summary: FileSummary) -> None:
        """Count the rows for unknown IINs; plan the file's RegistryImport if it wrote a row.

        Known IINs are the children in the database and those earlier in the dataset.
        """
        summary.unknown_iins = sum(
            1 for row in file.rows if row.values["iin"] not in self.state.children
        )
        registry_import = self.registry_imports.get(file.spec.name)
        if registry_import is None or not (summary.created or summary.updated):
            return
        registry_import.source = file.source
        registry_import.rows = summary.rows
        registry_import.created = summary.created
        registry_import.updated = summary.updated
        registry_import.unknown_iins = summary.unknown_iins
        # loaded_by, loaded_at and dataset are filled in when the plan is written
        self.plan.changes[RegistryImport].append(Change(registry_import, None))


def plan_dataset(files: Mapping[str, ParsedFile], state: DatabaseState) -> Plan:
    """What the import creates and changes, worked out in memory. Call only on a valid dataset.

    A registry file that creates or changes rows also creates a `RegistryImport` (the file,
    its counts; who and when are filled in by `write_plan`), which those rows link to. A
    registry file that changes nothing creates none: importing the same files again leaves the
    database as it was, the list of registry imports included.
    """
    planner = _Planner(state)
    for name, file in files.items():
        summary = FileSummary(name, file.source, rows=len(file.rows))
        registry = name in REGISTRY_FILES
        outcomes = planner.registry(file) if registry else getattr(planner, name)(file.rows)
        for outcome in outcomes:
            setattr(summary, outcome, getattr(summary, outcome) + 1)
        if registry:
            planner.record_registry_import(file, summary)
        planner.plan.summaries[name] = summary
    return planner.plan
