"""Billing a month (domain.md §6): every write of invoices goes through here."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.audit import acting_as
from core.errors import fail
from core.locks import hold
from core.periods import month_bounds
from core.roles import Role, ensure_role
from monitoring.models import RegistryImport
from providers.models import Provider
from reconciliation.models import (
    BLOCKING_KINDS,
    Finding,
    FindingStatus,
    ReconciliationRun,
    RunStatus,
)
from services.models import Visit
from tariffs.billing import facts, rules
from tariffs.models import (
    FROZEN,
    Invoice,
    InvoiceAdjustment,
    InvoiceExclusion,
    InvoiceLine,
    InvoiceStatus,
)
from tariffs.payments import components


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
    ensure_role(acting_user, Role.AKIMAT_OFFICER, scheduler_may=True)
    first, last = month_bounds(month)
    # One bill of a month at a time (of the city or of one provider): a second one started
    # meanwhile waits, then recomputes the drafts the first stored (docs/decisions.md).
    hold(f"bill_month:{first:%Y-%m}")
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

    # Every invoice of the month (of the one provider, if given): a draft whose provider has no
    # candidate visits any more is recomputed too, to nothing, never left as it was.
    month_invoices = Invoice.objects.select_for_update().filter(month=first)
    if provider is not None:
        month_invoices = month_invoices.filter(provider_id=provider.pk)
    existing = {invoice.provider_id: invoice for invoice in month_invoices}
    for provider_id, invoice in existing.items():
        if not invoice.is_frozen:
            by_provider.setdefault(provider_id, [])
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
        units: dict[tuple[int, str, int], list[str]] = defaultdict(list)
        for decision in by_provider[pk]:
            visit = decision.visit
            if decision.reason is None:
                assert decision.tariff_kzt is not None
                units[(visit.child_id, visit.setting, decision.tariff_kzt)].append(visit.visit_id)
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
                units=len(visit_ids),
                amount_kzt=tariff * len(visit_ids),
                visit_ids=sorted(visit_ids),
            )
            for (child_id, setting, tariff), visit_ids in units.items()
        ]
        lines.extend(invoice_lines)
        invoice.home_units = sum(line.units for line in invoice_lines if line.setting == "home")
        invoice.centre_units = sum(line.units for line in invoice_lines if line.setting == "centre")
        invoice.amount_kzt = sum(line.amount_kzt for line in invoice_lines)
        invoice.computed_at = now
        # recomputed: whatever was checked was checked on other figures
        invoice.status = InvoiceStatus.DRAFT
        invoice.checked_by = None
        invoice.checked_at = None
    with acting_as(acting_user):
        InvoiceLine.objects.bulk_create(lines, batch_size=2000)
        InvoiceExclusion.objects.bulk_create(exclusions, batch_size=2000)
        Invoice.objects.bulk_update(
            list(invoices.values()),
            [
                "home_units",
                "centre_units",
                "amount_kzt",
                "computed_at",
                "status",
                "checked_by",
                "checked_at",
            ],
            batch_size=500,
        )
    return MonthBill(
        first,
        sorted(invoices.values(), key=lambda invoice: invoice.provider_id),
        sorted(frozen, key=lambda invoice: invoice.provider_id),
    )


def visits_on_frozen_invoices(visits: Iterable[Visit]) -> set[int]:
    """Of `visits` (as stored), the keys of those billed or excluded on an approved invoice.

    Such a visit may not move to another provider or month: it would be billed a second time
    on that provider's or month's invoice (a correction of a frozen invoice is an adjustment).
    A few set-based queries, whatever the number of visits."""
    visits = list(visits)
    if not visits:
        return set()
    frozen = set(
        InvoiceExclusion.objects.filter(
            invoice__status__in=FROZEN, visit_id__in=[visit.pk for visit in visits]
        ).values_list("visit_id", flat=True)
    )
    invoices = Q()
    for provider_id, month in {(v.provider_id, v.date.replace(day=1)) for v in visits}:
        invoices |= Q(invoice__provider_id=provider_id, invoice__month=month)
    billed: set[str] = set()
    for visit_ids in InvoiceLine.objects.filter(invoices, invoice__status__in=FROZEN).values_list(
        "visit_ids", flat=True
    ):
        billed.update(visit_ids)
    return frozen | {visit.pk for visit in visits if visit.visit_id in billed}


def refuse_moving_an_invoiced_visit(*, original: Visit, **_signal: Any) -> None:
    """`services.signals.visit_moving`'s receiver: a visit on an approved invoice stays with
    its provider and month (it would be paid again on another invoice; a correction is an
    adjustment on a later one)."""
    if visits_on_frozen_invoices([original]):
        raise ValidationError(
            _(
                "This visit is on an approved invoice: it cannot move to another provider "
                "or month (a correction is an adjustment on a later invoice)."
            ),
            code="visit_invoiced",
        )


def visit_billing_summary(visit: Visit) -> dict[str, Any] | None:
    """What the visit page shows of a done visit's billing (`services.ports.visit_billing`)."""
    decision = visit_billing(visit)
    if decision is None:
        return None
    return {
        "billable": decision.reason is None,
        "tariff_kzt": decision.tariff_kzt,
        "reason": decision.reason,
        "explanation": rules.EXPLANATIONS.get(decision.reason or "", ""),
    }


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


def _locked(invoice: Invoice) -> Invoice:
    return Invoice.objects.select_for_update().select_related("provider").get(pk=invoice.pk)


def _month_not_over(invoice: Invoice) -> Any:
    """A running month's invoice is a draft to preview: its visits are still being given."""
    if not invoice.month_running:
        return None
    return fail(
        _(
            "%(month)s has not ended yet: its invoice is a draft to preview, checked and "
            "approved once the month is over."
        )
        % {"month": f"{invoice.month:%m.%Y}"},
        "month_not_over",
    )


def last_data_change(invoice: Invoice) -> datetime.datetime:
    """When what the invoice was computed from last changed: its own computation, its month's
    visits, a registry load, or a review of a finding about its visits."""

    first, last = month_bounds(invoice.month)
    visits = Visit.objects.filter(provider_id=invoice.provider_id, date__range=(first, last))
    moments = [
        invoice.computed_at,
        visits.aggregate(latest=Max("updated_at"))["latest"],
        RegistryImport.objects.aggregate(latest=Max("loaded_at"))["latest"],
        Finding.objects.filter(visits__in=visits).aggregate(latest=Max("reviewed_at"))["latest"],
    ]
    return max(moment for moment in moments if moment is not None)


def _recomputed_differs(invoice: Invoice) -> bool:
    """Whether the rules, applied now, would bill the invoice's month for its provider
    otherwise than its stored lines and exclusions say (a tariff, an enrolment, a consent, a
    registry row or a visit changed since). Decided over the visits of the month of the
    children the provider served, since rule 13 compares a child's visits across providers."""
    first, last = month_bounds(invoice.month)
    month = Visit.objects.filter(date__range=(first, last))
    children = month.filter(provider_id=invoice.provider_id).values("child_id")
    decisions = [
        decision
        for decision in facts.decide_visits(month.filter(child_id__in=children))
        if decision.visit.provider_id == invoice.provider_id
    ]
    billed_now = {
        decision.visit.visit_id: decision.tariff_kzt
        for decision in decisions
        if decision.reason is None
    }
    excluded_now = {
        decision.visit.visit_id: decision.reason
        for decision in decisions
        if decision.reason is not None
    }
    billed = {
        visit_id: tariff
        for visit_ids, tariff in invoice.lines.values_list("visit_ids", "tariff_kzt")
        for visit_id in visit_ids
    }
    excluded = dict(invoice.exclusions.values_list("visit_id_text", "reason"))
    return billed != billed_now or excluded != excluded_now


def _check_problem(invoice: Invoice) -> Any:
    """Why the invoice cannot be (or stay) checked, or None: it must be what the rules give
    now, a reconciliation of its whole month must have started after its data last changed,
    and no finding that could reject one of its visits may be open."""

    first, last = month_bounds(invoice.month)
    changed = last_data_change(invoice)
    if changed > invoice.computed_at or _recomputed_differs(invoice):
        return fail(
            _("The month's data changed after the invoice was computed: bill the month again."),
            "invoice_stale",
        )
    reconciled = ReconciliationRun.objects.filter(
        status=RunStatus.DONE,
        period_start__lte=first,
        period_end__gte=last,
        started_at__gte=changed,  # its checks read the data as it is now
    ).exists()
    if not reconciled:
        return fail(
            _(
                "No reconciliation of the whole of %(month)s has finished since its data last "
                "changed: reconcile the month first."
            )
            % {"month": f"{invoice.month:%m.%Y}"},
            "reconciliation_needed",
        )
    blocking = (
        Finding.objects.filter(
            status=FindingStatus.OPEN,
            kind__in=BLOCKING_KINDS,
            visits__provider_id=invoice.provider_id,
            visits__date__range=(first, last),
        )
        .distinct()
        .count()
    )
    if blocking:
        return fail(
            _("%(count)d open finding(s) about this invoice's visits must be reviewed first.")
            % {"count": blocking},
            "findings_open",
        )
    return None


@transaction.atomic
def invoice_check(*, invoice: Invoice, acting_user: Any) -> Invoice:
    """An officer marks a draft checked: its month is over, it is what the rules give for the
    current data, a reconciliation of its whole month ran after that data last changed, and no
    finding about its visits is still open (domain.md §6)."""
    ensure_role(acting_user, Role.AKIMAT_OFFICER)
    invoice = _locked(invoice)
    if invoice.status != InvoiceStatus.DRAFT:
        raise fail(_("Only a draft invoice can be checked."), "invoice_not_draft")
    problem = _month_not_over(invoice)
    if problem is None:
        problem = _check_problem(invoice)
    if problem is not None:
        raise problem
    invoice.status = InvoiceStatus.CHECKED
    invoice.checked_by = acting_user
    invoice.checked_at = timezone.now()
    with acting_as(acting_user):
        invoice.save(update_fields=["status", "checked_by", "checked_at"])
    return invoice


@transaction.atomic
def invoice_approve(*, invoice: Invoice, acting_user: Any) -> Invoice:
    """The akimat approves a checked invoice: it is frozen as computed (domain.md §6), its two
    components and adjustments with it. The officer who checked it cannot approve it, and what
    the check required must still hold (the data may have changed since)."""
    ensure_role(acting_user, Role.AKIMAT_OFFICER)
    invoice = _locked(invoice)
    if invoice.is_frozen:
        raise fail(_("This invoice is already approved."), "invoice_frozen")
    if invoice.status != InvoiceStatus.CHECKED:
        raise fail(_("Only a checked invoice can be approved."), "invoice_not_checked")
    if invoice.checked_by_id == acting_user.pk:
        raise fail(_("You checked this invoice: another officer approves it."), "maker_is_checker")
    problem = _month_not_over(invoice)
    if problem is None:
        problem = _check_problem(invoice)
    if problem is not None:
        raise problem
    parts = components(invoice)
    invoice.status = InvoiceStatus.APPROVED
    invoice.approved_by = acting_user
    invoice.approved_at = timezone.now()
    invoice.base_kzt = parts.base_kzt
    invoice.adjustments_kzt = parts.adjustments_kzt
    with acting_as(acting_user):
        invoice.save(
            update_fields=["status", "approved_by", "approved_at", "base_kzt", "adjustments_kzt"]
        )
    return invoice


@transaction.atomic
def invoice_paid(
    *, invoice: Invoice, payment_order: str, paid_on: datetime.date, acting_user: Any
) -> Invoice:
    """An approved invoice is paid: its payment order and date are recorded. The budget's
    `invoice_mark_paid` calls it, recording the payment itself."""
    ensure_role(acting_user, Role.AKIMAT_OFFICER)
    invoice = _locked(invoice)
    if invoice.status != InvoiceStatus.APPROVED:
        raise fail(_("Only an approved invoice can be paid."), "invoice_not_approved")
    payment_order = (payment_order or "").strip()
    if not payment_order:
        raise fail(_("The payment order number is required."), "payment_order_required")
    invoice.status = InvoiceStatus.PAID
    invoice.payment_order = payment_order
    invoice.paid_on = paid_on
    with acting_as(acting_user):
        invoice.save(update_fields=["status", "payment_order", "paid_on"])
    return invoice


def adjustment_problem(*, invoice: Invoice, corrects: Invoice, amount_kzt: int, reason: str) -> Any:
    """Why the adjustment cannot be made (a ValidationError), or None."""
    if not corrects.is_frozen:
        return fail(_("Only an approved invoice is corrected by an adjustment."), "not_frozen")
    if invoice.is_frozen:
        return fail(_("An adjustment goes on an invoice not yet approved."), "invoice_frozen")
    if invoice.provider_id != corrects.provider_id or invoice.month <= corrects.month:
        return fail(
            _("An adjustment goes on a later month's invoice of the same provider."),
            "adjustment_month",
        )
    if not amount_kzt or not (reason or "").strip():
        return fail(_("An adjustment needs an amount and a reason."), "adjustment_incomplete")
    return None


@transaction.atomic
def adjustment_add(
    *, invoice: Invoice, corrects: Invoice, amount_kzt: int, reason: str, acting_user: Any
) -> InvoiceAdjustment:
    """A correction of a frozen invoice, carried on a later month's open invoice of the same
    provider with a reason; the frozen invoice itself never changes."""
    ensure_role(acting_user, Role.AKIMAT_OFFICER)
    invoice = _locked(invoice)
    reason = (reason or "").strip()
    problem = adjustment_problem(
        invoice=invoice, corrects=corrects, amount_kzt=amount_kzt, reason=reason
    )
    if problem is not None:
        raise problem
    with acting_as(acting_user):
        adjustment = InvoiceAdjustment.objects.create(
            invoice=invoice,
            corrects=corrects,
            amount_kzt=amount_kzt,
            reason=reason,
            created_by=acting_user,
        )
        if invoice.status == InvoiceStatus.CHECKED:
            invoice.status = InvoiceStatus.DRAFT  # checked on another total
            invoice.checked_by = None
            invoice.checked_at = None
            invoice.save(update_fields=["status", "checked_by", "checked_at"])
    return adjustment
