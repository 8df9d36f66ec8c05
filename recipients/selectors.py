"""Reads of children and enrolments, scoped by who is asking (domain.md §2)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from core.roles import PROVIDER_ROLES, Role, roles_of
from providers.models import Provider
from recipients import rules
from recipients.models import CARE_DIAGNOSIS_GROUPS, Child, Enrollment, EnrollmentStatus, Ipar


def enrolled_counts(provider: Provider, *, on: datetime.date) -> tuple[int, int]:
    """(children enrolled with `provider` on `on`, those needing a care worker); one query.
    Provides `providers.ports.enrolled_counts` (the staffing table of App. 1)."""
    counts = (
        Enrollment.objects.in_force(on)
        .filter(provider=provider)
        .aggregate(
            children=Count("child", distinct=True),
            care=Count(
                "child",
                distinct=True,
                filter=Q(child__diagnosis_group__in=CARE_DIAGNOSIS_GROUPS),
            ),
        )
    )
    return counts["children"], counts["care"]


def children_for_user(*, user: Any) -> QuerySet[Child]:
    """Officers see every child; a provider's staff the children enrolled with it by an approved
    decision, now or in the past (a draft may still be refused); no one else."""
    roles = roles_of(user)
    if Role.AKIMAT_OFFICER in roles:
        return Child.objects.all()
    if roles & PROVIDER_ROLES and getattr(user, "provider_id", None):
        return children_enrolled_with(user.provider_id)
    return Child.objects.none()


def children_enrolled_with(provider_id: int) -> QuerySet[Child]:
    """The children a provider has enrolled by an approved decision, now or in the past."""
    enrolled_here = Enrollment.objects.filter(
        child=OuterRef("pk"), provider_id=provider_id, status=EnrollmentStatus.APPROVED
    )
    return Child.objects.filter(Exists(enrolled_here))


def enrollments_for_user(*, user: Any) -> QuerySet[Enrollment]:
    roles = roles_of(user)
    enrollments = Enrollment.objects.select_related("child", "provider", "application")
    if Role.AKIMAT_OFFICER in roles:
        return enrollments
    if roles & PROVIDER_ROLES and getattr(user, "provider_id", None):
        return enrollments.filter(provider_id=user.provider_id, status=EnrollmentStatus.APPROVED)
    return enrollments.none()


def children_list(
    *, user: Any, day: datetime.date, search: str = "", status: str = ""
) -> QuerySet[Child]:
    """The provider's children list: with the enrolment that covers `day` marked, two queries."""
    children = children_for_user(user=user)
    if search:
        term = search.strip()
        children = children.filter(
            Q(iin__startswith=term) | Q(last_name__icontains=term) | Q(first_name__icontains=term)
        )
    active = Enrollment.objects.in_force(day).filter(child=OuterRef("pk"))
    if getattr(user, "provider_id", None) and Role.AKIMAT_OFFICER not in roles_of(user):
        active = active.filter(provider_id=user.provider_id)
    children = children.annotate(is_active=Exists(active))
    if status == "active":
        children = children.filter(is_active=True)
    elif status == "ended":
        children = children.filter(is_active=False)
    return children.prefetch_related(
        Prefetch("ipars", queryset=Ipar.objects.order_by("-issued_on"))
    ).order_by("last_name", "first_name", "pk")


def stage_of(child: Child, *, day: datetime.date) -> str:
    """Where a child stands, from the records already loaded: applied, assessed, enrolled, ended."""
    enrollments = list(child.enrollments.all())
    if any(e.status == EnrollmentStatus.APPROVED and e.covers(day) for e in enrollments):
        return "enrolled"
    if any(e.status == EnrollmentStatus.APPROVED for e in enrollments):
        return "ended"
    if list(child.assessments.all()):
        return "assessed"
    if list(child.applications.all()):
        return "applied"
    return "registered"


def valid_ipar(child: Child, *, day: datetime.date) -> Ipar | None:
    return rules.valid_ipar_on(child.ipars.all(), day)
