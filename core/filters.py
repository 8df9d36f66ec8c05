"""The API's one filter backend: every numeric query filter is bounded before it reaches SQL.

A number beyond the database's 64-bit integers (`?child=99999999999999999999`) made SQLite
raise OverflowError (a 500) and PostgreSQL "out of range"; a fraction (`?child=1.5`) was cut
to a whole id. Here, once for every API and every filter (declared or generated), such a value
is refused as a 400 naming the filter, with a code.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import django_filters
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
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


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, with every number filter bounded (see the module)."""

    def get_filterset(self, request: Any, queryset: Any, view: Any) -> Any:
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            bound_numbers(filterset)
        return filterset
