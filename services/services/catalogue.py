"""The catalogue of services and the calendar: holidays and working days moved."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

import holidays
from django.utils.translation import gettext_lazy as _

from core.errors import fail
from recipients.models import ServiceKind
from services import rules
from services.models import (
    CalendarDay,
    CalendarDayKind,
    CatalogueService,
)


def service_codes() -> set[str]:
    """Codes a visit may name: the eight kinds and the catalogue's offered services."""
    return set(ServiceKind.values) | set(
        CatalogueService.objects.filter(is_active=True).values_list("code", flat=True)
    )


def _clean_services(services: Iterable[str]) -> list[str]:
    chosen = sorted({code.strip() for code in services if code and code.strip()})
    unknown = [code for code in chosen if code not in service_codes()]
    if unknown:
        raise fail(
            _("Unknown services: %(codes)s.") % {"codes": ", ".join(unknown)},
            "unknown_service",
            "services",
        )
    return chosen


def public_holidays(start: datetime.date, end: datetime.date) -> set[datetime.date]:
    return {
        day
        for day in holidays.country_holidays("KZ", years=range(start.year, end.year + 1))
        if start <= day <= end
    }


def transfers_between(start: datetime.date, end: datetime.date) -> dict[datetime.date, Any]:
    return {
        day.date: rules.Transfer(
            working=day.kind == CalendarDayKind.WORKING_DAY, works_as=day.works_as
        )
        for day in CalendarDay.objects.filter(date__range=(start, end))
    }


def schedule_weekday_of(day: datetime.date) -> int | None:
    """Whose weekday's visits take place on `day` (None: a holiday or a day off)."""
    return rules.schedule_weekday(
        day, public_holidays=public_holidays(day, day), transfers=transfers_between(day, day)
    )
