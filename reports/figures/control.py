"""Section 5 (R261 §10): the double financing control."""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reconciliation.models import FindingKind, FindingStatus
from reports import published
from reports.figures.kinds import Kinds
from reports.suppression import HIDDEN, is_suppressed
from tariffs.billing.facts import load_tariffs
from tariffs.billing.rules import tariff_on
from tariffs.models import FROZEN, InvoiceAdjustment, InvoiceExclusion

# The reasons for which the billing rules withhold a visit because another budget pays for the
# child that day, or a review rejected it (domain.md §6, Alg. §24–25).
CONTROL_REASONS = {
    "DECEASED": gettext_lazy("Death recorded (persons registry)"),
    "NOT_RESIDENT": gettext_lazy("Not registered in Astana (persons registry)"),
    "HOSPITAL": gettext_lazy("Inpatient hospital stay (health registry)"),
    "SANATORIUM": gettext_lazy("Sanatorium stay (health registry)"),
    "EDUCATION_CORRECTION": gettext_lazy("КППК / ПМПК correction (education registry)"),
    "REJECTED_ON_REVIEW": gettext_lazy("Rejected on review of a finding"),
}


class Control(Kinds):
    """Section 5: the double financing control."""

    # -- double financing control ---------------------------------------------------------
    def control(self) -> dict[str, Any]:
        period, me = self.period, self.scope.provider_id
        statuses = [status.value for status in FindingStatus]
        by_kind = []
        for kind in FindingKind:
            total = published.findings_key(period, me, kind.value, "total")
            if not self.published.value(total):
                continue
            cells = [
                self.published.cell(published.findings_key(period, me, kind.value, status))
                for status in statuses
            ]
            by_kind.append(
                {"kind": str(kind.label), "total": self.published.cell(total), "statuses": cells}
            )
        tariffs = load_tariffs()  # the billing rules' own table of the tariff of the day
        frozen = self.invoices().filter(status__in=FROZEN)
        withheld: dict[str, set[tuple[str, datetime.date, str]]] = defaultdict(set)
        for reason, iin, day, setting in InvoiceExclusion.objects.filter(
            invoice__in=frozen, reason__in=list(CONTROL_REASONS)
        ).values_list("reason", "child_iin", "date", "setting"):
            withheld[reason].add((iin, day, setting))
        rows: list[dict[str, Any]] = []
        for reason, label in CONTROL_REASONS.items():
            service_days = withheld.get(reason, set())
            if not service_days:
                continue
            children = self.published.cell(published.withheld_key(period, me, reason))
            # The days and tenge withheld bound the children withheld: hidden with them.
            hidden = is_suppressed(children)
            rows.append(
                {
                    "reason": str(label),
                    "children": children,
                    "service_days": HIDDEN if hidden else len(service_days),
                    "amount": (
                        HIDDEN
                        if hidden
                        else sum(tariff_on(tariffs, s, d) or 0 for _i, d, s in service_days)
                    ),
                }
            )
        # Found after approval: withheld by a negative adjustment on a later invoice (§6).
        taken_back = -(
            InvoiceAdjustment.objects.filter(invoice__in=frozen, amount_kzt__lt=0).aggregate(
                t=Sum("amount_kzt")
            )["t"]
            or 0
        )
        if taken_back:
            rows.append(
                {
                    "reason": str(_("Withheld after approval (negative adjustments)")),
                    "children": None,
                    "service_days": None,
                    "amount": taken_back,
                }
            )
        return {
            "statuses": [str(status.label) for status in FindingStatus],
            "findings": by_kind,
            "withheld": rows,
            **(
                dict.fromkeys(("withheld_amount", "withheld_days"), HIDDEN)
                if any(is_suppressed(row["amount"]) for row in rows)
                else {
                    "withheld_amount": sum(row["amount"] for row in rows),
                    "withheld_days": sum(row["service_days"] or 0 for row in rows),
                }
            ),
        }
