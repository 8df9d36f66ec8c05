"""A provider head's invoices: what the city owes the centre each month, and why a visit is not paid."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from core.audit import record_access_many
from core.roles import Role, has_role
from recipients.models import Child
from tariffs import documents
from tariffs.billing.rules import EXPLANATIONS
from tariffs.models import Invoice
from tariffs.payments import components


def _head_provider_id(request: HttpRequest) -> int:
    """Invoices are the head's (domain.md §2); officers read them in the admin."""
    provider_id = getattr(request.user, "provider_id", None)
    if not has_role(request.user, Role.PROVIDER_HEAD) or not provider_id:
        raise PermissionDenied
    return int(provider_id)


@login_required
def invoices(request: HttpRequest) -> HttpResponse:
    provider_id = _head_provider_id(request)
    rows = Invoice.objects.filter(provider_id=provider_id).order_by("-month")
    return render(request, "tariffs/invoices.html", {"invoices": rows})


@login_required
def invoice(request: HttpRequest, pk: int) -> HttpResponse:
    provider_id = _head_provider_id(request)
    found = get_object_or_404(
        Invoice.objects.select_related("provider", "approved_by"), pk=pk, provider_id=provider_id
    )
    lines = list(found.lines.select_related("child").order_by("child__last_name", "setting"))
    exclusions = list(found.exclusions.order_by("date", "visit_id_text"))
    for exclusion in exclusions:
        exclusion.explanation = EXPLANATIONS.get(exclusion.reason, "")  # type: ignore[attr-defined]
    children = {line.child_id: line.child for line in lines}
    iins = {exclusion.child_iin for exclusion in exclusions}
    shown = {**children, **{child.pk: child for child in Child.objects.filter(iin__in=iins)}}
    record_access_many(shown.values(), user=request.user, what=f"invoice {found.month:%Y-%m}")
    names = {child.iin: child.full_name for child in shown.values()}
    for exclusion in exclusions:
        exclusion.child_name = names.get(exclusion.child_iin, "")  # type: ignore[attr-defined]
    return render(
        request,
        "tariffs/invoice.html",
        {
            "invoice": found,
            "lines": lines,
            "exclusions": exclusions,
            "parts": components(found),
        },
    )


def _readable_invoice(request: HttpRequest, pk: int) -> Invoice:
    """An invoice's documents: its provider's head, or an akimat officer."""
    query = Invoice.objects.select_related("provider")
    if has_role(request.user, Role.AKIMAT_OFFICER):
        return get_object_or_404(query, pk=pk)
    return get_object_or_404(query, pk=pk, provider_id=_head_provider_id(request))


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    # BIN and month only: ASCII, and no personal data in the name.
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def invoice_act(request: HttpRequest, pk: int) -> HttpResponse:
    found = _readable_invoice(request, pk)
    record_access_many(
        [line.child for line in found.lines.select_related("child")],
        user=request.user,
        what=f"invoice act {found.month:%Y-%m}",
    )
    return _download(
        documents.act_pdf(found),
        "application/pdf",
        f"act-{found.provider.bin}-{found.month:%Y-%m}.pdf",
    )


@login_required
def invoice_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    found = _readable_invoice(request, pk)
    record_access_many(
        [line.child for line in found.lines.select_related("child")],
        user=request.user,
        what=f"invoice lines {found.month:%Y-%m}",
    )
    return _download(
        documents.lines_xlsx(found),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"invoice-{found.provider.bin}-{found.month:%Y-%m}.xlsx",
    )
