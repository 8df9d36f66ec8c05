"""A period's scope, the helpers every section uses, and the base of the computation."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings as django_settings
from django.utils import timezone

from core.periods import month_start, months_between
from providers.models import Provider
from reports import published
from reports.published import Published
from reports.suppression import HIDDEN, is_suppressed, small
from services.models import Visit, VisitStatus
from tariffs.models import Invoice


@dataclass(frozen=True)
class Scope:
    start: datetime.date
    end: datetime.date  # the period's last day
    until: datetime.date  # the last day of data counted (the end, or yesterday for a draft)
    provider_id: int | None = None

    @property
    def months(self) -> list[datetime.date]:
        return [month_start(first) for first, _last in months_between(self.start, self.until)]


def _pct(part: int, whole: int) -> str | None:
    if not whole:
        return None
    return str((Decimal(100) * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _weeks_share(meeting: int, weeks: int) -> str | None:
    """The share of child-weeks meeting the minimum frequency, in whole percent; the counts
    themselves are not published (a period's less a period inside it would be a few weeks of
    a child or two). Withheld ("×") where the weeks meeting it or those short of it are 1–4,
    which the share and its neighbours' would give back."""
    if not weeks:
        return None
    if is_suppressed(small(meeting)) or is_suppressed(small(weeks - meeting)):
        return HIDDEN
    return str((Decimal(100) * meeting / weeks).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _units(value: Decimal) -> str:
    """Staff units as printed: 1, 0.5, 10 (never 1.00 or 1E+1)."""
    return format(Decimal(value).normalize(), "f")


def _money_ratio(amount: int, count: int) -> int | None:
    if not count:
        return None
    return int((Decimal(amount) / count).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _closes(end: datetime.date) -> datetime.datetime:
    """The moment a half-year's questionnaire closes: the end of its last day."""
    return timezone.make_aware(
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time())
    )


def names(row: Any) -> dict[str, str]:
    """A catalogue row's name in every language (`name_ru`, `name_kk`, …), so that stored
    figures print in any language (see `localise`)."""
    return {
        language: getattr(row, f"name_{language}", "") or row.name_ru
        for language, _language_name in django_settings.LANGUAGES
    }


class Base:
    """The scope of one period's figures and the querysets limited to it."""

    def __init__(self, scope: Scope, decision: Published | None = None) -> None:
        self.scope = scope
        self.period = (scope.start, scope.until)
        # The counts of children, as decided once for every view seen with this one.
        self.published = decision or published.decision_for(self.period, timezone.localdate())
        providers = Provider.objects.order_by("name")
        if scope.provider_id is not None:
            providers = providers.filter(pk=scope.provider_id)
        self.providers = dict(providers.values_list("pk", "name"))

    # -- querysets limited to the scope ---------------------------------------------------
    def _by_provider(self, queryset: Any, path: str = "provider_id") -> Any:
        if self.scope.provider_id is None:
            return queryset
        return queryset.filter(**{path: self.scope.provider_id})

    def done_visits(self) -> Any:
        return self._by_provider(
            Visit.objects.filter(
                status=VisitStatus.DONE, date__range=(self.scope.start, self.scope.until)
            )
        )

    def invoices(self) -> Any:
        return self._by_provider(
            Invoice.objects.filter(month__range=(self.scope.start.replace(day=1), self.scope.until))
        )

    def _name(self, provider_id: int) -> str:
        return self.providers.get(provider_id, str(provider_id))
