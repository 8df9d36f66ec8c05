"""The API's one filter backend: every numeric query filter is bounded before it reaches SQL.

A number beyond the database's 64-bit integers (`?child=99999999999999999999`) made SQLite
raise OverflowError (a 500) and PostgreSQL "out of range"; a fraction (`?child=1.5`) was cut
to a whole id. Here, once for every API and every filter (declared or generated), such a value
is refused as a 400 naming the filter, with a code.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import django_filters
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.forms.utils import ErrorDict, ErrorList
from django.utils.translation import gettext_lazy as _
from django_filters import utils
from django_filters.rest_framework import DjangoFilterBackend

# Signed 64-bit: the range of a BigAutoField, and of an integer on SQLite and PostgreSQL.
INTEGER_MIN = -(2**63)
INTEGER_MAX = 2**63 - 1


def validate_whole_number(value: Any) -> None:
    if value is not None and Decimal(value) != Decimal(value).to_integral_value():
        raise ValidationError(_("Enter a whole number."), code="not_a_whole_number")


def _target_field(model: type[models.Model], path: str) -> models.Field[Any, Any] | None:
    """The model field a filter's `field_name` (`child`, `child__provider`) ends on."""
    field: Any = None
    for part in path.split("__"):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        if field.is_relation and field.related_model is not None:
            model = field.related_model
    if field is not None and field.is_relation:
        field = field.target_field
    return field


def bound_numbers(filterset: django_filters.FilterSet) -> None:
    """Give every number filter of `filterset` the 64-bit range (and, on an integer or a
    foreign key, whole numbers only). Changes this instance's filters, never the class's."""
    model = filterset.queryset.model
    for filter_ in filterset.filters.values():
        if not isinstance(filter_, django_filters.NumberFilter):
            continue
        field = filter_.field
        field.validators = [
            *field.validators,
            MinValueValidator(INTEGER_MIN),
            MaxValueValidator(INTEGER_MAX),
        ]
        target = _target_field(model, filter_.field_name)
        if isinstance(target, models.IntegerField | models.AutoField):
            field.validators.append(validate_whole_number)


def utc_datetimes(filterset: django_filters.FilterSet) -> dict[str, ErrorList]:
    """Every date-time a valid filterset holds, moved to UTC in its cleaned data; the filters
    whose value has no UTC equivalent (`0001-01-01T00:00+05:00` falls before year 1), with why.

    An offset is kept as given by Python but not by the databases: PostgreSQL refuses one beyond
    ±15:59 (`+20:56`) and SQLite's conversion to UTC overflows at the edges of the calendar;
    both were a 500."""
    errors: dict[str, ErrorList] = {}
    data = filterset.form.cleaned_data
    for name, value in list(data.items()):
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            try:
                data[name] = value.astimezone(datetime.UTC)
            except OverflowError:
                errors[name] = ErrorList(
                    [
                        ValidationError(
                            _("Enter a date and time within the calendar."), code="invalid"
                        )
                    ]
                )
    return errors


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, with every number filter bounded and every date-time in UTC
    (see the module)."""

    def get_filterset(self, request: Any, queryset: Any, view: Any) -> Any:
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            bound_numbers(filterset)
        return filterset

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid() and self.raise_exception:
            raise utils.translate_validation(filterset.errors)
        errors = utc_datetimes(filterset)
        if errors:
            raise utils.translate_validation(ErrorDict(errors))
        return filterset.qs
