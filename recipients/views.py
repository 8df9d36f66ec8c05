"""Provider staff's pages: their children and a child's card (tablet-friendly)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from core.audit import record_access
from core.roles import PROVIDER_ROLES, Role, has_role, roles_of
from recipients import rules, selectors
from recipients.models import Enrollment


def _provider_staff(request: HttpRequest) -> None:
    if not roles_of(request.user) & PROVIDER_ROLES:
        raise PermissionDenied


@login_required
def children(request: HttpRequest) -> HttpResponse:
    _provider_staff(request)
    today = timezone.localdate()
    search = request.GET.get("q", "").strip()
    status = request.GET.get("status", "active")
    rows = selectors.children_list(user=request.user, day=today, search=search, status=status)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    for child in page.object_list:
        child.valid_ipar = rules.valid_ipar_on(child.ipars.all(), today)
    return render(
        request,
        "recipients/children.html",
        {"page": page, "search": search, "status": status, "today": today},
    )


@login_required
def child_card(request: HttpRequest, pk: int) -> HttpResponse:
    """A child's card; opening it is recorded in the audit trail (who, when)."""
    _provider_staff(request)
    today = timezone.localdate()
    provider_id = int(getattr(request.user, "provider_id", 0) or 0)
    child = get_object_or_404(
        selectors.children_for_user(user=request.user).prefetch_related(
            "representatives",
            "ipars",
            "applications",
            "assessments",
            Prefetch(
                "enrollments",
                queryset=Enrollment.objects.filter(provider_id=provider_id)
                .select_related("provider", "application")
                .order_by("-start_on"),
            ),
        ),
        pk=pk,
    )
    record_access(child, user=request.user, what="card")
    valid = rules.valid_ipar_on(child.ipars.all(), today)
    return render(
        request,
        "recipients/child_card.html",
        {
            "child": child,
            "today": today,
            "valid_ipar": valid,
            "eighteenth": rules.eighteenth_birthday(child.birth_date),
            "ipars": sorted(child.ipars.all(), key=lambda ipar: ipar.issued_on, reverse=True),
            "is_head": has_role(request.user, Role.PROVIDER_HEAD),
        },
    )
