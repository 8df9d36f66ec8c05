"""Billing a month (domain.md §6): every write of invoices goes through here."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.audit import acting_as
from core.errors import fail
from core.roles import Role, ensure_role
from providers.models import Provider
from services.models import Visit
from tariffs.billing import facts, rules
from tariffs.models import Invoice, InvoiceExclusion, InvoiceLine, InvoiceStatus


def month_bounds(month: datetime.date) -> tuple[datetime.date, datetime.date]:
    first = month.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return first, following - datetime.timedelta(days=1)


@dataclass
class MonthBill:
    """The month's invoices as stored (drafts recomputed, approved ones as they were frozen)."""

    month: datetime.date
    invoices: list[Invoice] = field(default_factory=list)
    frozen: list[Invoice] = field(default_factory=list)


@transaction.atomic
def bill_month(
    *, month: datetime.date, provider: Provider | None = None, acting_user: Any = None
) -> MonthBill:
    """Apply the thirteen rules to the month's done visits and store the draft invoices.

    The rules are decided over the whole city's visits of the month even for one provider,
    because rule 13 (duplicates) compares a child's visits across providers. An approved
    invoice is frozen: it is reported as it was and never recomputed. A provider with candidate
    visits but nothing billed still gets an invoice (of zero). Set-based: a fixed number of
    queries whatever the number of visits.
    """
    first, last = month_bounds(month)
    visits = Visit.objects.filter(date__range=(first, last))
    known = facts.load(visits)
    decisions = rules.decide(facts.candidates(visits), known)
    by_provider: dict[int, list[rules.Decision]] = defaultdict(list)
    for decision in decisions:
        by_provider[decision.visit.provider_id].append(decision)
    if provider is not None:
        by_provider = (
            {provider.pk: by_provider.get(provider.pk, [])} if provider.pk in by_provider else {}
        )

    existing = {
        invoice.provider_id: invoice
        for invoice in Invoice.objects.select_for_update().filter(
            month=first, provider_id__in=list(by_provider)
        )
    }
    frozen = [invoice for invoice in existing.values() if invoice.is_frozen]
    to_compute = [pk for pk in by_provider if pk not in existing or not existing[pk].is_frozen]
    drafts = [existing[pk] for pk in to_compute if pk in existing]
    now = timezone.now()
    with acting_as(acting_user):
        InvoiceLine.objects.filter(invoice__in=drafts).delete()
        InvoiceExclusion.objects.filter(invoice__in=drafts).delete()
        new = [
            Invoice(provider_id=pk, month=first, computed_at=now)
            for pk in to_compute
            if pk not in existing
        ]
        Invoice.objects.bulk_create(new)
    invoices = {invoice.provider_id: invoice for invoice in [*drafts, *new]}
    if not invoices:
        return MonthBill(first, [], sorted(frozen, key=lambda invoice: invoice.provider_id))
    if any(invoice.pk is None for invoice in invoices.values()):  # databases without RETURNING
        invoices = {
            invoice.provider_id: invoice
            for invoice in Invoice.objects.filter(month=first, provider_id__in=list(invoices))
        }

    iins = {child_id: child.iin for child_id, child in known.children.items()}
    lines: list[InvoiceLine] = []
    exclusions: list[InvoiceExclusion] = []
    for pk, invoice in invoices.items():
        units: Counter[tuple[int, str, int]] = Counter()
        for decision in by_provider[pk]:
            visit = decision.visit
            if decision.reason is None:
                assert decision.tariff_kzt is not None
                units[(visit.child_id, visit.setting, decision.tariff_kzt)] += 1
            else:
                exclusions.append(
                    InvoiceExclusion(
                        invoice=invoice,
                        visit_id=visit.pk,
                        visit_id_text=visit.visit_id,
                        child_iin=iins[visit.child_id],
                        date=visit.date,
                        setting=visit.setting,
                        reason=decision.reason,
                    )
                )
        invoice_lines = [
            InvoiceLine(
                invoice=invoice,
                child_id=child_id,
                child_iin=iins[child_id],
                setting=setting,
                tariff_kzt=tariff,
                units=count,
                amount_kzt=tariff * count,
            )
            for (child_id, setting, tariff), count in units.items()
        ]
        lines.extend(invoice_lines)
        invoice.home_units = sum(line.units for line in invoice_lines if line.setting == "home")
        invoice.centre_units = sum(line.units for line in invoice_lines if line.setting == "centre")
        invoice.amount_kzt = sum(line.amount_kzt for line in invoice_lines)
        invoice.computed_at = now
        invoice.status = InvoiceStatus.DRAFT
    with acting_as(acting_user):
        InvoiceLine.objects.bulk_create(lines, batch_size=2000)
        InvoiceExclusion.objects.bulk_create(exclusions, batch_size=2000)
        Invoice.objects.bulk_update(
            list(invoices.values()),
            ["home_units", "centre_units", "amount_kzt", "computed_at", "status"],
            batch_size=500,
        )
    return MonthBill(
        first,
        sorted(invoices.values(), key=lambda invoice: invoice.provider_id),
        sorted(frozen, key=lambda invoice: invoice.provider_id),
    )


def visit_billing(visit: Visit) -> rules.Decision | None:
    """Whether one done visit is billable and, if not, the first rule it fails (its page).

    Decided with the same rules as the month, over the visits of the same child and day (rule
    13 needs them); None for a visit that is not done (not a candidate).
    """
    same_day = Visit.objects.filter(child_id=visit.child_id, date=visit.date)
    for decision in facts.decide_visits(same_day):
        if decision.visit.visit_id == visit.visit_id:
            return decision
    return None


@transaction.atomic
def invoice_approve(*, invoice: Invoice, acting_user: Any) -> Invoice:
    """The akimat approves a draft invoice: it is frozen as computed (domain.md §6)."""
    ensure_role(acting_user, Role.AKIMAT_OFFICER)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.is_frozen:
        raise fail(_("This invoice is already approved."), "invoice_frozen")
    invoice.status = InvoiceStatus.APPROVED
    invoice.approved_by = acting_user
    invoice.approved_at = timezone.now()
    with acting_as(acting_user):
        invoice.save(update_fields=["status", "approved_by", "approved_at"])
    return invoice
