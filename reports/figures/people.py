"""Sections 1–2 of the report (R261 §10): the recipients and the key staff."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum

from providers import rules
from providers.models import Branch, Position, Provider, StaffingNorm, StaffMember
from recipients.models import (
    CARE_DIAGNOSIS_GROUPS,
    District,
    Enrollment,
)
from reports import published
from reports.figures.base import Base, _units
from reports.suppression import is_suppressed, small


class People(Base):
    """Sections 1–2: the recipients and the key staff against the norms."""

    # -- 1. recipients --------------------------------------------------------------------
    def recipients(self) -> dict[str, Any]:
        """Counted in reports.published for the city and every provider, shown as decided
        there for every view at once."""

        period, me = self.period, self.scope.provider_id

        def cell(provider: int | None, *path: str) -> Any:
            return self.published.cell(published.recipients_key(period, provider, *path))

        def value(provider: int | None, *path: str) -> int:
            return self.published.value(published.recipients_key(period, provider, *path))

        shown = [
            p for p in self.providers if value(p, "total") or value(p, "new") or value(p, "ended")
        ]
        columns = published.COLUMNS
        breakdowns = {
            "district": [d.value for d in District],
            "age": published.AGE_CODES,
        }
        labels = {"district": {d.value: str(d.label) for d in District}, "age": {}}
        self.district_rows = [
            {"code": code, "total": cell(me, "district", code, "total")}
            for code in breakdowns["district"]
        ]
        return {
            **{key: cell(me, key) for key in columns},
            "by_provider": [
                {"provider": self.providers[p], **{key: cell(p, key) for key in columns}}
                for p in shown
            ],
            **{
                f"by_{name}": [
                    {
                        "code": code,
                        "label": labels[name].get(code, code),
                        **{sex: cell(me, name, code, sex) for sex in published.SEXES},
                    }
                    for code in codes
                ]
                for name, codes in breakdowns.items()
            },
        }

    # -- 2. key staff ---------------------------------------------------------------------
    def staff(self) -> dict[str, Any]:
        on = self.scope.until
        in_post = (
            self._by_provider(
                StaffMember.objects.filter(Q(hired_on__isnull=True) | Q(hired_on__lte=on))
            )
            .filter(Q(left_on__isnull=True) | Q(left_on__gt=on))
            .values("provider_id", "position")
            .annotate(headcount=Count("pk"), fte=Sum("fte"))
        )
        staff: dict[int, dict[str, tuple[int, Decimal]]] = defaultdict(dict)
        for row in in_post:
            staff[row["provider_id"]][row["position"]] = (
                row["headcount"],
                row["fte"] or Decimal(0),
            )
        enrolled = {
            row["provider_id"]: row
            for row in self._by_provider(Enrollment.objects.in_force(on))
            .values("provider_id")
            .annotate(
                children=Count("child", distinct=True),
                care=Count(
                    "child",
                    distinct=True,
                    filter=Q(child__diagnosis_group__in=CARE_DIAGNOSIS_GROUPS),
                ),
            )
        }
        branches = dict(
            self._by_provider(
                Branch.objects.filter(Q(closed_on__isnull=True) | Q(closed_on__gt=on))
            )
            .values("provider_id")
            .annotate(n=Count("pk"))
            .values_list("provider_id", "n")
        )
        vehicles = dict(
            Provider.objects.filter(pk__in=list(self.providers)).values_list("pk", "vehicles")
        )
        norms = list(StaffingNorm.objects.order_by("number"))
        labels = dict(Position.choices)
        by_provider = []
        total_headcount, total_fte, total_required = 0, Decimal(0), Decimal(0)
        any_few = False
        compliant = 0
        for provider_id, name in self.providers.items():
            counts = enrolled.get(provider_id, {})
            if provider_id not in staff and not counts:
                continue
            lines = rules.staffing_table(
                norms=norms,
                actual_fte={p: fte for p, (_h, fte) in staff[provider_id].items()},
                recipients=counts.get("children", 0),
                care_recipients=counts.get("care", 0),
                branches=branches.get(provider_id, 0),
                vehicles=vehicles.get(provider_id, 0),
            )
            # The units required follow the children enrolled: shown only beside their
            # count published as a number, or they would tell a count hidden as "< 5" or
            # "×". The care worker's follow the children with a psychoneurological or
            # musculoskeletal condition, a count published nowhere: withheld for 1–4 of them
            # (which says no more than "< 5" would), and the provider's totals with them.
            children_cell = self.published.cell(published.enrolled_key(on, provider_id, None))
            care = counts.get("care", 0)
            few = is_suppressed(children_cell)
            withheld = few or is_suppressed(small(care))
            positions = []
            for line in lines:
                headcount = staff[provider_id].get(line.position, (0, Decimal(0)))[0]
                care_line = line.position == Position.CARE_SOCIAL_WORKER
                hide = few or (withheld and care_line)
                if not headcount and not line.required and not (hide and care_line):
                    continue
                positions.append(
                    {
                        "position": str(labels.get(line.position, line.position)),
                        "headcount": headcount,
                        "fte": _units(line.actual),
                        "required": None if hide else _units(line.required),
                        "shortfall": None if hide else _units(line.shortfall),
                    }
                )
            headcount = sum(h for h, _f in staff[provider_id].values())
            fte = sum((f for _h, f in staff[provider_id].values()), Decimal(0))
            required = sum((line.required for line in lines), Decimal(0))
            shortfall = sum((line.shortfall for line in lines), Decimal(0))
            compliant += shortfall == 0
            any_few = any_few or withheld
            total_headcount += headcount
            total_fte += fte
            total_required += required
            by_provider.append(
                {
                    "provider": name,
                    "children": children_cell,
                    "headcount": headcount,
                    "fte": _units(fte),
                    "required": None if withheld else _units(required),
                    "shortfall": None if withheld else _units(shortfall),
                    "positions": positions,
                }
            )
        return {
            "on": on.isoformat(),
            "headcount": total_headcount,
            "fte": _units(total_fte),
            "required": None if any_few else _units(total_required),
            "providers": len(by_provider),
            "providers_compliant": compliant,
            "by_provider": by_provider,
        }
