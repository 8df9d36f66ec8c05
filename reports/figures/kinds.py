"""Section 4 (R261 §10): the kinds of service and the service days."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from typing import Any

from django.db import connection
from django.db.models import Count

from recipients.models import (
    ServiceKind,
)
from reports import published
from reports.figures.base import names
from reports.figures.money import Money
from reports.suppression import HIDDEN, is_suppressed, small
from services.models import CatalogueService, Visit, VisitStatus


class Kinds(Money):
    """Section 4: the kinds of service and the service days."""

    # The service days, counted once by `run` before the sections that read them.
    _service_days: dict[tuple[int, str, datetime.date], int]

    # -- 4. kinds of service --------------------------------------------------------------
    def service_days(self) -> dict[tuple[int, str, datetime.date], int]:
        """(provider, setting, day) → children with a done visit then: one query, grouped."""

        table = Visit._meta.db_table
        sql = (
            f"SELECT provider_id, setting, date, COUNT(DISTINCT child_id) FROM {table} "  # noqa: S608
            "WHERE status = %s AND date BETWEEN %s AND %s"
        )
        params: list[Any] = [VisitStatus.DONE.value, self.scope.start, self.scope.until]
        if self.scope.provider_id is not None:
            sql += " AND provider_id = %s"
            params.append(self.scope.provider_id)
        sql += " GROUP BY provider_id, setting, date"
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return {
            (
                provider_id,
                setting,
                day if isinstance(day, datetime.date) else datetime.date.fromisoformat(day),
            ): count
            for provider_id, setting, day, count in rows
        }

    def _days(self, provider: int | None, setting: str) -> Any:
        """The period's service days of `provider` (None: the scope's whole) in `setting`, as
        the suppression decision publishes them (they bound the children they serve)."""
        return self.published.cell(
            published.days_key(published.period_tag(self.period), provider, setting)
        )

    def _days_hidden(self, provider: int | None) -> bool:
        return is_suppressed(self._days(provider, "home")) or is_suppressed(
            self._days(provider, "centre")
        )

    def services(self) -> dict[str, Any]:
        days: dict[tuple[int, str], int] = defaultdict(int)
        for (provider_id, setting, _day), count in self._service_days.items():
            days[(provider_id, setting)] += count
        given: Counter[tuple[int, str]] = Counter()
        # Visits with the same list of services are counted together by the database.
        for provider_id, codes, number in (
            self.done_visits()
            .values("provider_id", "services")
            .annotate(number=Count("pk"))
            .values_list("provider_id", "services", "number")
        ):
            for code in codes or []:
                given[(provider_id, code)] += number
        catalogue = {
            row.code: row for row in CatalogueService.objects.order_by("kind", "order", "code")
        }
        kinds = [(kind.value, str(kind.label)) for kind in ServiceKind]
        kinds_given: dict[int, Counter[str]] = defaultdict(Counter)
        for (p, code), number in given.items():
            if code in catalogue:
                kinds_given[p][catalogue[code].kind] += number
        by_provider = []
        for provider_id, name in self.providers.items():
            home, centre = days[(provider_id, "home")], days[(provider_id, "centre")]
            per_kind = kinds_given[provider_id]
            if not home and not centre and not per_kind:
                continue
            home_cell, centre_cell = (
                self._days(provider_id, "home"),
                self._days(provider_id, "centre"),
            )
            hidden = self._days_hidden(provider_id)
            by_provider.append(
                {
                    "provider": name,
                    "home_days": home_cell,
                    "centre_days": centre_cell,
                    # The visits of each kind follow the days: hidden with them.
                    "kinds": [HIDDEN if hidden else per_kind[code] for code, _label in kinds],
                }
            )
        city: Counter[str] = Counter()
        for (_p, code), number in given.items():
            city[code] += number
        me = self.scope.provider_id
        home_all, centre_all = self._days(me, "home"), self._days(me, "centre")
        return {
            "home_days": home_all,
            "centre_days": centre_all,
            "days": HIDDEN if self._days_hidden(me) else int(home_all) + int(centre_all),
            "kinds": [label for _code, label in kinds],
            "by_provider": by_provider,
            "catalogue": [
                {
                    "code": code,
                    "name": service.name,
                    "names": names(service),
                    "kind": str(service.get_kind_display()),
                    # Visits with a service follow the days of the view: hidden with them.
                    # A count under 5 is a visit or a few: of one child, perhaps.
                    "given": HIDDEN if self._days_hidden(me) else small(city[code]),
                }
                for code, service in catalogue.items()
                if city[code]
            ],
        }
