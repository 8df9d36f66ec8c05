"""Every non-trivial read of the admission stage, scoped by who is asking."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Case, IntegerField, Prefetch, QuerySet, Sum, Value, When
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.roles import CITY_ROLES, PROVIDER_ROLES, Role, roles_of
from providers import ports, rules
from providers.models import (
    OPEN_APPLICATION_STATUSES,
    AdmissionApplication,
    ApplicationStatus,
    EquippedRoom,
    ExpiryFlag,
    Position,
    Premises,
    Provider,
    QualificationDocument,
    Sector,
    StaffDocument,
    StaffingNorm,
    StaffMember,
)


def providers_for_user(*, user: Any) -> QuerySet[Provider]:
    """Officers, inspectors and analysts see every provider; provider staff see their own."""
    roles = roles_of(user)
    providers = Provider.objects.all()
    if roles & (CITY_ROLES | {Role.ANALYST}):
        return providers
    if roles & PROVIDER_ROLES and getattr(user, "provider_id", None):
        return providers.filter(pk=user.provider_id)
    return providers.none()


def _scoped_to_provider(queryset: QuerySet[Any], user: Any, path: str) -> QuerySet[Any]:
    """Filter rows that belong to a provider, for roles that may see personal data only."""
    roles = roles_of(user)
    if roles & CITY_ROLES:
        return queryset
    if roles & PROVIDER_ROLES and getattr(user, "provider_id", None):
        return queryset.filter(**{path: user.provider_id})
    return queryset.none()


def applications_for_user(*, user: Any) -> QuerySet[AdmissionApplication]:
    return _scoped_to_provider(
        AdmissionApplication.objects.select_related("provider", "inspector"), user, "provider_id"
    )


def documents_for_user(*, user: Any) -> QuerySet[QualificationDocument]:
    return _scoped_to_provider(
        QualificationDocument.objects.select_related("provider", "premises"), user, "provider_id"
    )


def _heads_and_city(user: Any) -> bool:
    """Staff records are the personnel file: the city roles and the provider's head only."""
    return bool(roles_of(user) & (CITY_ROLES | {Role.PROVIDER_HEAD}))


def staff_for_user(*, user: Any) -> QuerySet[StaffMember]:
    """Staff are people: analysts and coordinators never see their records."""
    if not _heads_and_city(user):
        return StaffMember.objects.none()
    return _scoped_to_provider(StaffMember.objects.select_related("provider"), user, "provider_id")


def position_order() -> Case:
    """Order by the positions' order in App. 1, not by their codes."""
    return Case(
        *(When(position=code, then=Value(index)) for index, code in enumerate(Position.values)),
        default=Value(len(Position.values)),
        output_field=IntegerField(),
    )


def staff_documents_for_user(*, user: Any) -> QuerySet[StaffDocument]:
    if not _heads_and_city(user):
        return StaffDocument.objects.none()
    return _scoped_to_provider(
        StaffDocument.objects.select_related("staff_member__provider"),
        user,
        "staff_member__provider_id",
    )


def current_application(provider: Provider) -> AdmissionApplication | None:
    """The open application if any, else the latest decided one."""
    applications = list(provider.applications.all())
    for application in applications:
        if application.status in OPEN_APPLICATION_STATUSES:
            return application
    return applications[0] if applications else None


def admission_status(provider: Provider, *, on: datetime.date) -> tuple[str, Any]:
    """(code, label) of where a provider stands on `on`: the status the API and pages show."""
    if provider.sector == Sector.STATE:
        return "not_eligible_state_body", _("Not eligible: state body")
    if not provider.license_home_care:
        return "not_eligible_license", _("Not eligible: licence without home-based services")
    if provider.excluded_on is not None and provider.excluded_on <= on:
        return "excluded", _("Excluded")
    if provider.is_participant_on(on):
        if not provider.accepts_enrolments_on(on):
            return "suspended", _("Suspended")
        return "participant", _("Participant")
    application = current_application(provider)
    if application is None:
        return "not_applied", _("Has not applied")
    if application.status == ApplicationStatus.APPROVED:
        return "admitted_from", _("Admitted from a later date")
    return f"application_{application.status}", application.get_status_display()


@dataclass
class Readiness:
    """What a provider has and lacks for admission on a day."""

    document_gaps: list[rules.Gap]
    room_gaps: list[rules.Gap]
    staffing: list[rules.StaffingLine]
    recipients: int
    care_recipients: int
    recipients_source: Promise
    expiring_documents: list[QualificationDocument] = field(default_factory=list)

    @property
    def blocking_gaps(self) -> list[rules.Gap]:
        return self.document_gaps + self.room_gaps

    @property
    def staffing_shortfall(self) -> list[rules.StaffingLine]:
        return [line for line in self.staffing if line.shortfall > 0]


def recipient_counts(provider: Provider, *, on: datetime.date) -> tuple[int, int, Promise]:
    """(recipients, children needing a care worker, where the numbers come from).

    The children enrolled with the provider on `on`; until it has any, its declared planned
    numbers. One query.
    """
    children, care = ports.enrolled_counts(provider, on=on)
    if children:
        return children, care, _("children enrolled today")
    return (
        provider.planned_recipients,
        provider.planned_care_recipients,
        _("declared planned number"),
    )


def readiness(
    *, provider: Provider, on: datetime.date, require_accepted: bool = False
) -> Readiness:
    """Gaps in documents and rooms, and the staffing table, in a fixed handful of queries."""
    documents = list(QualificationDocument.objects.filter(provider=provider))
    premises = list(Premises.objects.filter(provider=provider))
    rooms = list(EquippedRoom.objects.filter(provider=provider))
    norms = list(StaffingNorm.objects.all())
    fte_rows = (
        StaffMember.objects.filter(provider=provider, left_on__isnull=True)
        .values("position")
        .annotate(total=Sum("fte"))
    )
    actual = {row["position"]: row["total"] or Decimal(0) for row in fte_rows}
    recipients, care_recipients, source = recipient_counts(provider, on=on)
    branches = provider.branches.filter(closed_on__isnull=True).count()
    return Readiness(
        document_gaps=rules.document_gaps(
            documents=documents, premises=premises, on=on, require_accepted=require_accepted
        ),
        room_gaps=rules.room_gaps(rooms),
        staffing=rules.staffing_table(
            norms=norms,
            actual_fte=actual,
            recipients=recipients,
            care_recipients=care_recipients,
            branches=branches,
            vehicles=provider.vehicles,
        ),
        recipients=recipients,
        care_recipients=care_recipients,
        recipients_source=source,
        expiring_documents=[
            d for d in documents if d.expiry_flag in (ExpiryFlag.EXPIRING, ExpiryFlag.EXPIRED)
        ],
    )


def expiring_staff_documents(provider: Provider) -> list[StaffDocument]:
    return list(
        StaffDocument.objects.filter(
            staff_member__provider=provider,
            expiry_flag__in=[ExpiryFlag.EXPIRING, ExpiryFlag.EXPIRED],
        ).select_related("staff_member")
    )


def providers_with_status(*, user: Any, on: datetime.date) -> list[tuple[Provider, str, Any]]:
    """The providers a user may see, each with its admission status, in two queries."""
    providers = providers_for_user(user=user).prefetch_related(
        Prefetch("applications", queryset=AdmissionApplication.objects.order_by("-created_at"))
    )
    rows = []
    for provider in providers:
        code, label = admission_status(provider, on=on)
        rows.append((provider, code, label))
    return rows
