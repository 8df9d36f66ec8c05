"""The files of the exchange format (exchange.md) as data: columns, key and checks of one row.

A file the portal imports is a `FileSpec`, listed in `FILE_SPECS` in dependency order and given
an importer in `exchange.plan`. Every file of the format is imported now, so
`PLANNED_FILES` (files a later issue would import) is empty.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.choices import Setting
from exchange.cells import (
    CellError,
    Choice,
    ChoiceList,
    Date,
    Identifier,
    Parser,
    PositiveWholeNumber,
    Text,
    Time,
    YesNo,
)
from exchange.reading import Row, Table
from exchange.report import RowError
from monitoring.models import CorrectionKind, EducationCorrection, HealthStay, HealthStayKind
from providers.models import LegalForm, Provider, Sector
from recipients.models import (
    Child,
    District,
    Enrollment,
    Ipar,
    LegalRepresentative,
    Relation,
    ServiceKind,
    Sex,
)
from services.models import Visit, VisitStatus
from services.rules import visit_time_problem
from tariffs.models import Tariff


@dataclass(frozen=True)
class Column:
    name: str
    parser: Parser
    required: bool = True  # an empty cell is refused
    # exchange.md marks the column optional: a file may leave it out entirely (older files,
    # other systems), and then every row reads as if its cell were empty. Only such columns;
    # a column that may merely be empty must still be there, so that a misspelt header is
    # refused instead of silently clearing what the portal holds.
    optional: bool = False


# A check across the cells of one row: yields (column, code, message) for each problem.
RowCheck = Callable[[dict[str, Any]], Iterable[tuple[str, str, str]]]


@dataclass(frozen=True)
class FileSpec:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    checks: tuple[RowCheck, ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def optional_columns(self) -> frozenset[str]:
        """The columns a file may leave out (exchange.md marks them optional)."""
        return frozenset(column.name for column in self.columns if column.optional)

    @property
    def identifier_columns(self) -> frozenset[str]:
        return frozenset(column.name for column in self.columns if column.parser.identifier)

    @property
    def key_label(self) -> str:
        return "+".join(self.key)

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)


@dataclass
class ParsedRow:
    number: int
    values: dict[str, Any]  # the cells read without error; a refused cell is absent
    valid: bool

    def key(self, spec: FileSpec) -> tuple[Any, ...] | None:
        if not all(column in self.values for column in spec.key):
            return None
        return tuple(self.values[column] for column in spec.key)


def _given(value: Any) -> bool:
    return value not in (None, "", [])


def _max_length(model: type[models.Model], field: str) -> int | None:
    return model._meta.get_field(field).max_length  # type: ignore[union-attr]


def _text(model: type[models.Model], field: str) -> Text:
    return Text(_max_length(model, field))


def _show(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def not_before(end: str, start: str) -> RowCheck:
    def check(values: dict[str, Any]) -> Iterable[tuple[str, str, str]]:
        if _given(values.get(end)) and _given(values.get(start)) and values[end] < values[start]:
            yield (
                end,
                "end_before_start",
                _("%(end)s %(end_value)s is before %(start)s %(start_value)s")
                % {
                    "end": end,
                    "end_value": _show(values[end]),
                    "start": start,
                    "start_value": _show(values[start]),
                },
            )

    return check


def after(end: str, start: str) -> RowCheck:
    def check(values: dict[str, Any]) -> Iterable[tuple[str, str, str]]:
        if _given(values.get(end)) and _given(values.get(start)) and values[end] <= values[start]:
            yield (
                end,
                "end_not_after_start",
                _("%(end)s %(end_value)s must be after %(start)s %(start_value)s")
                % {
                    "end": end,
                    "end_value": _show(values[end]),
                    "start": start,
                    "start_value": _show(values[start]),
                },
            )

    return check


def needs(column: str, other: str) -> RowCheck:
    """`column` may be filled only if `other` is (a withdrawal needs a consent)."""

    def check(values: dict[str, Any]) -> Iterable[tuple[str, str, str]]:
        if _given(values.get(column)) and other in values and not _given(values[other]):
            yield (
                column,
                "needs_other",
                _("%(column)s is given but %(other)s is empty")
                % {"column": column, "other": other},
            )

    return check


def together(*columns: str, optional: Iterable[str] = ()) -> RowCheck:
    """A group of columns filled all or none (`optional` ones may stay empty in a filled group)."""
    spare = set(optional)

    def check(values: dict[str, Any]) -> Iterable[tuple[str, str, str]]:
        if not any(_given(values.get(column)) for column in columns):
            return
        for column in columns:
            if column not in spare and column in values and not _given(values[column]):
                yield (
                    column,
                    "required",
                    _("a value is required when the other %(group)s columns are filled")
                    % {"group": ", ".join(columns)},
                )

    return check


PROVIDERS = FileSpec(
    name="providers",
    key=("bin",),
    columns=(
        Column("bin", Identifier("bin")),
        Column("name", _text(Provider, "name")),
        Column("legal_form", Choice(LegalForm, gettext_lazy("legal form"))),
        Column("sector", Choice(Sector, gettext_lazy("sector"))),
        Column("license_number", _text(Provider, "license_number"), required=False),
        Column("license_issued_on", Date(), required=False),
        Column("license_home_care", YesNo()),
        Column("admitted_on", Date(), required=False),
        Column("excluded_on", Date(), required=False),
    ),
    checks=(needs("excluded_on", "admitted_on"), after("excluded_on", "admitted_on")),
)

TARIFFS = FileSpec(
    name="tariffs",
    key=("setting", "valid_from"),
    columns=(
        Column("setting", Choice(Setting, gettext_lazy("setting"))),
        Column("amount_kzt", PositiveWholeNumber()),
        Column("valid_from", Date()),
        Column("valid_to", Date(), required=False),
        Column("act", _text(Tariff, "act"), required=False),
    ),
    checks=(not_before("valid_to", "valid_from"),),
)

REPRESENTATIVE_COLUMNS = (
    "representative_iin",
    "representative_name",
    "representative_phone",
    "representative_relation",
)

CHILDREN = FileSpec(
    name="children",
    key=("iin",),
    columns=(
        Column("iin", Identifier("iin")),
        Column("last_name", _text(Child, "last_name")),
        Column("first_name", _text(Child, "first_name")),
        Column("middle_name", _text(Child, "middle_name"), required=False),
        Column("birth_date", Date()),
        Column("sex", Choice(Sex, gettext_lazy("sex"))),
        Column("district", Choice(District, gettext_lazy("district"))),
        Column("address", _text(Child, "address")),
        # A child without a representative in the file has all four empty.
        Column("representative_iin", Identifier("iin"), required=False),
        Column("representative_name", _text(LegalRepresentative, "full_name"), required=False),
        Column("representative_phone", _text(LegalRepresentative, "phone"), required=False),
        Column(
            "representative_relation",
            Choice(Relation, gettext_lazy("relation")),
            required=False,
        ),
    ),
    checks=(together(*REPRESENTATIVE_COLUMNS, optional=["representative_phone"]),),
)

IPAR = FileSpec(
    name="ipar",
    key=("number",),
    columns=(
        Column("child_iin", Identifier("iin")),
        Column("number", _text(Ipar, "number")),
        Column("issued_on", Date()),
        Column("valid_until", Date()),
        Column("home_services", YesNo()),
        Column("services", ChoiceList(ServiceKind, gettext_lazy("service kind")), required=False),
    ),
    checks=(not_before("valid_until", "issued_on"),),
)

ENROLLMENTS = FileSpec(
    name="enrollments",
    key=("decision_number",),
    columns=(
        Column("child_iin", Identifier("iin")),
        Column("provider_bin", Identifier("bin")),
        Column("decision_number", _text(Enrollment, "decision_number")),
        Column("decision_date", Date()),
        Column("start_on", Date()),
        Column("end_on", Date(), required=False),
        Column("consent_on", Date(), required=False),
        Column("consent_withdrawn_on", Date(), required=False),
    ),
    checks=(
        not_before("end_on", "start_on"),
        needs("consent_withdrawn_on", "consent_on"),
        not_before("consent_withdrawn_on", "consent_on"),
    ),
)


def visit_times(values: dict[str, Any]) -> Iterable[tuple[str, str, str]]:
    """A visit's end comes after its start and at most four hours after it (Alg. §2)."""
    if _given(values.get("start")) and _given(values.get("end")):
        problem = visit_time_problem(values["start"], values["end"])
        if problem:
            yield ("end", *problem)


VISITS = FileSpec(
    name="visits",
    key=("visit_id",),
    columns=(
        Column("visit_id", _text(Visit, "visit_id")),
        Column("child_iin", Identifier("iin")),
        Column("provider_bin", Identifier("bin")),
        Column("setting", Choice(Setting, gettext_lazy("setting"))),
        Column("date", Date()),
        Column("start", Time()),
        Column("end", Time()),
        Column("status", Choice(VisitStatus, gettext_lazy("visit status"))),
        Column("confirmed", YesNo()),
        Column(
            "services",
            ChoiceList(ServiceKind, gettext_lazy("service kind")),
            required=False,
            optional=True,
        ),
    ),
    checks=(visit_times,),
)

# The state registries: a row's IIN is not a reference that must exist (exchange.md): a row
# for an IIN the portal does not know is kept and counted in the report.
REGISTRY_PERSONS = FileSpec(
    name="registry_persons",
    key=("iin", "astana_from"),
    columns=(
        Column("iin", Identifier("iin")),
        Column("astana_from", Date()),
        Column("astana_until", Date(), required=False),
        Column("death_date", Date(), required=False),
    ),
    checks=(not_before("astana_until", "astana_from"),),
)

REGISTRY_HEALTH = FileSpec(
    name="registry_health",
    key=("iin", "kind", "start_on"),
    columns=(
        Column("iin", Identifier("iin")),
        Column("kind", Choice(HealthStayKind, gettext_lazy("kind of stay"))),
        Column("start_on", Date()),
        Column("end_on", Date(), required=False),  # empty: still there
        Column("organisation", _text(HealthStay, "organisation"), required=False),
    ),
    checks=(not_before("end_on", "start_on"),),
)

REGISTRY_EDUCATION = FileSpec(
    name="registry_education",
    key=("iin", "kind", "start_on"),
    columns=(
        Column("iin", Identifier("iin")),
        Column("kind", Choice(CorrectionKind, gettext_lazy("kind of correctional services"))),
        Column("start_on", Date()),
        Column("end_on", Date(), required=False),  # empty: not ended
        Column("organisation", _text(EducationCorrection, "organisation"), required=False),
    ),
    checks=(not_before("end_on", "start_on"),),
)

REGISTRY_FILES: tuple[str, ...] = (
    REGISTRY_PERSONS.name,
    REGISTRY_HEALTH.name,
    REGISTRY_EDUCATION.name,
)

# In dependency order: a file may refer only to the files before it (and to the database).
FILE_SPECS: dict[str, FileSpec] = {
    spec.name: spec
    for spec in (
        PROVIDERS,
        TARIFFS,
        CHILDREN,
        IPAR,
        ENROLLMENTS,
        VISITS,
        REGISTRY_PERSONS,
        REGISTRY_HEALTH,
        REGISTRY_EDUCATION,
    )
}

# Files of the exchange format that a later issue imports; found, they are reported and skipped.
# None is left: kept (empty) for the callers that pass it to `locate_files`.
PLANNED_FILES: tuple[str, ...] = ()


def missing_columns(spec: FileSpec, table: Table) -> list[RowError]:
    return [
        RowError(
            table.source,
            1,
            column,
            "missing_column",
            _("the required column '%(column)s' is missing") % {"column": column},
        )
        for column in spec.column_names
        if column not in table.headers and column not in spec.optional_columns
    ]


def parse_table(spec: FileSpec, table: Table) -> tuple[list[ParsedRow], list[RowError]]:
    """Every row read cell by cell, then checked across its cells; nothing needs the database."""
    errors = missing_columns(spec, table)
    if errors:
        return [], errors
    return parse_rows(spec, table.source, table.rows)


def parse_rows(
    spec: FileSpec, source: str, rows: Iterable[Row]
) -> tuple[list[ParsedRow], list[RowError]]:
    """`parse_table` for some rows of a table whose columns are known to be all there."""
    errors: list[RowError] = []
    parsed: list[ParsedRow] = []
    columns = [(column.name, column.parser, column.required) for column in spec.columns]
    for row in rows:
        cells = row.cells
        values: dict[str, Any] = {}
        row_errors: list[RowError] = []
        for name, parser, required in columns:
            text = cells.get(name, "")
            if not text:
                if required:
                    row_errors.append(
                        RowError(source, row.number, name, "required", _("a value is required"))
                    )
                else:
                    values[name] = parser.empty()
                continue
            try:
                values[name] = parser.parse(text)
            except CellError as exc:
                row_errors.append(RowError(source, row.number, name, exc.code, exc.message))
        for check in spec.checks:
            for column_name, code, message in check(values):
                row_errors.append(RowError(source, row.number, column_name, code, message))
        errors.extend(row_errors)
        parsed.append(ParsedRow(row.number, values, valid=not row_errors))
    return parsed, errors
