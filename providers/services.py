"""Every write of the admission stage. Admin actions, pages, the API and tasks call these."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.audit import acting_as, validated_save
from core.errors import RoleRequired, fail
from core.roles import PROVIDER_ROLES, Role, ensure_role, has_role, roles_of
from providers.models import (
    OPEN_APPLICATION_STATUSES,
    AdmissionApplication,
    ApplicationEvent,
    ApplicationStatus,
    EquippedRoom,
    ExpiryFlag,
    InspectionResult,
    Premises,
    Provider,
    QualificationDocument,
    ReviewStatus,
    RoomKind,
    Sector,
    StaffDocument,
    StaffMember,
)
from providers.selectors import readiness


def ensure_acts_for(user: Any, provider: Provider) -> None:
    """An officer acts for any provider; a head or coordinator only for their own."""
    if has_role(user, Role.AKIMAT_OFFICER):
        return
    if roles_of(user) & PROVIDER_ROLES and getattr(user, "provider_id", None) == provider.pk:
        return
    raise RoleRequired(_("You may act only for your own organisation."))


def eligibility_errors(provider: Provider) -> list[tuple[str, str]]:
    """(code, message) for each reason the provider may not apply at all (Alg. §5)."""
    errors = []
    if provider.sector != Sector.NON_STATE:
        errors.append(
            (
                "state_body",
                str(_("A state body is not a pilot participant; only non-state providers apply.")),
            )
        )
    if not provider.license_home_care:
        errors.append(
            (
                "license_without_home_care",
                str(_("The provider's licence does not cover home-based special social services.")),
            )
        )
    return errors


def ensure_eligible(provider: Provider) -> None:
    errors = eligibility_errors(provider)
    if errors:
        code, message = errors[0]
        raise fail(message, code)


def _ensure_nothing_lacking(provider: Provider, *, on: datetime.date, for_approval: bool) -> None:
    gaps = readiness(provider=provider, on=on, require_accepted=for_approval).blocking_gaps
    if gaps:
        template = (
            _("The application cannot be approved yet: %(gaps)s")
            if for_approval
            else _("The application cannot be submitted yet: %(gaps)s")
        )
        raise fail(
            template % {"gaps": " ".join(gap.message for gap in gaps)}, "requirements_missing"
        )


# --- documents -----------------------------------------------------------------------------


@transaction.atomic
def document_upload(
    *,
    provider: Provider,
    kind: str,
    file: File,
    issued_on: datetime.date,
    acting_user: Any,
    premises: Premises | None = None,
    number: str = "",
    valid_until: datetime.date | None = None,
) -> QualificationDocument:
    ensure_role(acting_user, Role.AKIMAT_OFFICER, Role.PROVIDER_HEAD)
    ensure_acts_for(acting_user, provider)
    if premises is not None and premises.provider_id != provider.pk:
        raise fail(_("These premises belong to another provider."), "premises_mismatch", "premises")
    document = QualificationDocument(
        provider=provider,
        premises=premises,
        kind=kind,
        file=file,
        original_name=(getattr(file, "name", "") or "")[:255],
        number=number,
        issued_on=issued_on,
        valid_until=valid_until,
        uploaded_by=acting_user,
    )
    document.expiry_flag = expiry_flag_for(valid_until, timezone.localdate())
    # The file validators (type, content, size) run before anything is stored.
    validated_save(document, acting_user=acting_user)
    return document


@transaction.atomic
def document_review(
    *,
    document: QualificationDocument | StaffDocument,
    status: str,
    acting_user: Any,
    reason: str = "",
) -> QualificationDocument | StaffDocument:
    ensure_role(acting_user, Role.AKIMAT_OFFICER, Role.INSPECTOR)
    if status not in (ReviewStatus.ACCEPTED, ReviewStatus.REJECTED):
        raise fail(_("A review accepts or rejects a document."), "invalid_review", "status")
    if status == ReviewStatus.REJECTED and not reason.strip():
        raise fail(_("Say why the document is rejected."), "reason_required", "reason")
    document.review_status = status
    document.rejection_reason = reason.strip() if status == ReviewStatus.REJECTED else ""
    document.reviewed_by = acting_user
    document.reviewed_at = timezone.now()
    with acting_as(acting_user):
        document.save(
            update_fields=["review_status", "rejection_reason", "reviewed_by", "reviewed_at"]
        )
    return document


# A change to any of these is new evidence: the akimat must review the document again.
EVIDENCE_FIELDS = frozenset({"file", "number", "issued_on", "valid_until"})


@transaction.atomic
def document_save(
    *, document: QualificationDocument | StaffDocument, changed: Any, acting_user: Any
) -> QualificationDocument | StaffDocument:
    """An officer adds or corrects a document in the admin.

    A correction of its evidence (file, number, dates) sends it back to review, so an approval
    never rests on a document nobody accepted in its present form.
    """
    ensure_role(acting_user, Role.AKIMAT_OFFICER)
    if document.pk is None:
        document.uploaded_by = acting_user
        document.original_name = (getattr(document.file, "name", "") or "")[:255]
    elif EVIDENCE_FIELDS & set(changed):
        document.review_status = ReviewStatus.PENDING
        document.rejection_reason = ""
        document.reviewed_by = None
        document.reviewed_at = None
    document.expiry_flag = expiry_flag_for(document.valid_until, timezone.localdate())
    validated_save(document, acting_user=acting_user)
    return document


def expiry_flag_for(valid_until: datetime.date | None, today: datetime.date) -> str:
    if valid_until is None:
        return ExpiryFlag.VALID
    if valid_until < today:
        return ExpiryFlag.EXPIRED
    if valid_until <= today + datetime.timedelta(days=settings.DOCUMENT_EXPIRY_WARNING_DAYS):
        return ExpiryFlag.EXPIRING
    return ExpiryFlag.VALID


@transaction.atomic
def documents_flag_expiring(*, today: datetime.date) -> dict[str, int]:
    """Set every document's expiry flag for `today`: a few set-based updates, idempotent.

    Returns how many documents changed flag, per flag.
    """
    horizon = today + datetime.timedelta(days=settings.DOCUMENT_EXPIRY_WARNING_DAYS)
    changed = {ExpiryFlag.VALID: 0, ExpiryFlag.EXPIRING: 0, ExpiryFlag.EXPIRED: 0}
    for model in (QualificationDocument, StaffDocument):
        rows = model.objects.all()
        changed[ExpiryFlag.EXPIRED] += (
            rows.filter(valid_until__lt=today)
            .exclude(expiry_flag=ExpiryFlag.EXPIRED)
            .update(expiry_flag=ExpiryFlag.EXPIRED)
        )
        changed[ExpiryFlag.EXPIRING] += (
            rows.filter(valid_until__gte=today, valid_until__lte=horizon)
            .exclude(expiry_flag=ExpiryFlag.EXPIRING)
            .update(expiry_flag=ExpiryFlag.EXPIRING)
        )
        changed[ExpiryFlag.VALID] += (
            rows.filter(valid_until__isnull=True)
            .exclude(expiry_flag=ExpiryFlag.VALID)
            .update(expiry_flag=ExpiryFlag.VALID)
        )
        changed[ExpiryFlag.VALID] += (
            rows.filter(valid_until__gt=horizon)
            .exclude(expiry_flag=ExpiryFlag.VALID)
            .update(expiry_flag=ExpiryFlag.VALID)
        )
    return {str(flag): count for flag, count in changed.items()}


# --- rooms ---------------------------------------------------------------------------------


def _room_errors(kind: str, equipped: bool, inventory: str) -> str | None:
    if kind not in RoomKind.values:
        return str(_("Unknown room."))
    if equipped and not inventory.strip():
        return str(
            _("%(room)s: list the main equipment to mark it equipped.")
            % {"room": RoomKind(kind).label}
        )
    return None


@transaction.atomic
def rooms_set(*, provider: Provider, rooms: list[dict[str, Any]], acting_user: Any) -> None:
    """Save the eight rooms at once: if any row is refused, none is saved."""
    ensure_role(acting_user, Role.AKIMAT_OFFICER, Role.PROVIDER_HEAD)
    ensure_acts_for(acting_user, provider)
    problems = [
        problem
        for row in rooms
        if (problem := _room_errors(row["kind"], row["equipped"], row.get("inventory", "")))
    ]
    if problems:
        raise fail(" ".join(problems), "inventory_required", "inventory")
    existing = {room.kind: room for room in EquippedRoom.objects.filter(provider=provider)}
    with acting_as(acting_user):
        for row in rooms:
            room = existing.get(row["kind"]) or EquippedRoom(provider=provider, kind=row["kind"])
            inventory = row.get("inventory", "").strip()
            if room.pk and room.equipped == row["equipped"] and room.inventory == inventory:
                continue
            room.equipped = row["equipped"]
            room.inventory = inventory
            room.save()


# --- the application and its transitions ---------------------------------------------------


def _locked(application: AdmissionApplication) -> AdmissionApplication:
    return AdmissionApplication.objects.select_for_update().get(pk=application.pk)


def _move(
    application: AdmissionApplication,
    *,
    allowed_from: tuple[str, ...],
    to: str,
    acting_user: Any,
    comment: str = "",
    update_fields: tuple[str, ...] = (),
) -> AdmissionApplication:
    """The one place a status changes: checks the current state, saves, writes the event."""
    if application.status not in allowed_from:
        raise fail(
            _("This cannot be done to an application that is “%(status)s”.")
            % {"status": application.get_status_display()},
            "invalid_transition",
            "status",
        )
    from_status = application.status
    application.status = to
    with acting_as(acting_user):
        application.save(update_fields=["status", "updated_at", *update_fields])
        ApplicationEvent.objects.create(
            application=application,
            from_status=from_status,
            to_status=to,
            actor=acting_user,
            comment=comment,
        )
    return application


@transaction.atomic
def application_create(*, provider: Provider, acting_user: Any) -> AdmissionApplication:
    ensure_role(acting_user, Role.AKIMAT_OFFICER, Role.PROVIDER_HEAD)
    ensure_acts_for(acting_user, provider)
    ensure_eligible(provider)
    if provider.admitted_on and not provider.excluded_on:
        raise fail(_("The provider is already a pilot participant."), "already_admitted")
    if provider.applications.filter(status__in=OPEN_APPLICATION_STATUSES).exists():
        raise fail(_("The provider already has an application in progress."), "application_open")
    with acting_as(acting_user):
        application = AdmissionApplication.objects.create(provider=provider)
        ApplicationEvent.objects.create(
            application=application, to_status=ApplicationStatus.DRAFT, actor=acting_user
        )
    return application


@transaction.atomic
def application_submit(
    *, application: AdmissionApplication, acting_user: Any, on: datetime.date | None = None
) -> AdmissionApplication:
    """The provider head sends the application: refused while anything required is lacking."""
    ensure_role(acting_user, Role.PROVIDER_HEAD, Role.AKIMAT_OFFICER)
    application = _locked(application)
    provider = application.provider
    ensure_acts_for(acting_user, provider)
    on = on or timezone.localdate()
    ensure_eligible(provider)
    _ensure_nothing_lacking(provider, on=on, for_approval=False)
    application.submitted_at = timezone.now()
    return _move(
        application,
        allowed_from=(ApplicationStatus.DRAFT, ApplicationStatus.RETURNED),
        to=ApplicationStatus.SUBMITTED,
        acting_user=acting_user,
        update_fields=("submitted_at",),
    )


@transaction.atomic
def application_request_inspection(
    *, application: AdmissionApplication, acting_user: Any
) -> AdmissionApplication:
    """Accessibility is confirmed by the Committee's inspectors after the provider asks (Alg. §6.2)."""
    ensure_role(acting_user, Role.PROVIDER_HEAD, Role.AKIMAT_OFFICER)
    application = _locked(application)
    ensure_acts_for(acting_user, application.provider)
    application.inspection_requested_at = timezone.now()
    return _move(
        application,
        allowed_from=(ApplicationStatus.SUBMITTED,),
        to=ApplicationStatus.INSPECTION_REQUESTED,
        acting_user=acting_user,
        update_fields=("inspection_requested_at",),
    )


@transaction.atomic
def application_record_inspection(
    *,
    application: AdmissionApplication,
    result: str,
    inspected_on: datetime.date,
    acting_user: Any,
    notes: str = "",
) -> AdmissionApplication:
    ensure_role(acting_user, Role.INSPECTOR)
    if result not in InspectionResult.values:
        raise fail(_("Choose the inspection result."), "invalid_result", "result")
    if result == InspectionResult.NOT_ACCESSIBLE and not notes.strip():
        raise fail(_("Describe what is not accessible."), "notes_required", "notes")
    if inspected_on > timezone.localdate():
        raise fail(_("An inspection cannot be dated in the future."), "future_date", "inspected_on")
    application = _locked(application)
    if (
        application.inspection_requested_at
        and inspected_on < timezone.localtime(application.inspection_requested_at).date()
    ):
        raise fail(
            _("The inspection cannot be earlier than the request."),
            "before_request",
            "inspected_on",
        )
    application.inspector = acting_user
    application.inspected_on = inspected_on
    application.inspection_result = result
    application.inspection_notes = notes.strip()
    return _move(
        application,
        allowed_from=(ApplicationStatus.INSPECTION_REQUESTED,),
        to=ApplicationStatus.INSPECTED,
        acting_user=acting_user,
        comment=notes.strip(),
        update_fields=("inspector", "inspected_on", "inspection_result", "inspection_notes"),
    )


@transaction.atomic
def application_approve(
    *,
    application: AdmissionApplication,
    decision_number: str,
    decision_date: datetime.date,
    acting_user: Any,
) -> AdmissionApplication:
    """The akimat's decision puts the provider on the participants' list from `decision_date`."""
    ensure_role(acting_user, Role.AKIMAT_OFFICER)
    if not decision_number.strip():
        raise fail(_("Enter the decision number."), "decision_number_required", "decision_number")
    application = _locked(application)
    provider = Provider.objects.select_for_update().get(pk=application.provider_id)
    if application.status != ApplicationStatus.INSPECTED:
        raise fail(
            _("Only an inspected application can be approved."), "invalid_transition", "status"
        )
    if application.inspection_result != InspectionResult.ACCESSIBLE:
        raise fail(
            _("The inspectors did not confirm the premises' accessibility."), "not_accessible"
        )
    ensure_eligible(provider)
    if provider.excluded_on is not None:
        raise fail(
            _("The provider was excluded from the pilot; re-admission is not supported."),
            "provider_excluded",
        )
    _ensure_nothing_lacking(provider, on=decision_date, for_approval=True)
    if application.inspected_on and decision_date < application.inspected_on:
        raise fail(
            _("The decision cannot be dated before the inspection."),
            "before_inspection",
            "decision_date",
        )
    application.decision_number = decision_number.strip()
    application.decision_date = decision_date
    _move(
        application,
        allowed_from=(ApplicationStatus.INSPECTED,),
        to=ApplicationStatus.APPROVED,
        acting_user=acting_user,
        comment=decision_number.strip(),
        update_fields=("decision_number", "decision_date"),
    )
    provider.admitted_on = decision_date
    provider.admission_decision_number = decision_number.strip()
    with acting_as(acting_user):
        provider.save(update_fields=["admitted_on", "admission_decision_number", "updated_at"])
    return application


def _refuse(
    application: AdmissionApplication,
    *,
    to: str,
    reasons: str,
    missing_reasons: Any,
    allowed_from: tuple[str, ...],
    acting_user: Any,
) -> AdmissionApplication:
    ensure_role(acting_user, Role.AKIMAT_OFFICER)
    if not reasons.strip():
        raise fail(missing_reasons, "reasons_required", "reasons")
    application = _locked(application)
    application.reasons = reasons.strip()
    return _move(
        application,
        allowed_from=allowed_from,
        to=to,
        acting_user=acting_user,
        comment=reasons.strip(),
        update_fields=("reasons",),
    )


@transaction.atomic
def application_return(
    *, application: AdmissionApplication, reasons: str, acting_user: Any
) -> AdmissionApplication:
    return _refuse(
        application,
        to=ApplicationStatus.RETURNED,
        reasons=reasons,
        missing_reasons=_("Say what must be corrected."),
        allowed_from=(
            ApplicationStatus.SUBMITTED,
            ApplicationStatus.INSPECTION_REQUESTED,
            ApplicationStatus.INSPECTED,
        ),
        acting_user=acting_user,
    )


@transaction.atomic
def application_reject(
    *, application: AdmissionApplication, reasons: str, acting_user: Any
) -> AdmissionApplication:
    return _refuse(
        application,
        to=ApplicationStatus.REJECTED,
        reasons=reasons,
        missing_reasons=_("Say why the application is rejected."),
        allowed_from=(
            ApplicationStatus.SUBMITTED,
            ApplicationStatus.INSPECTION_REQUESTED,
            ApplicationStatus.INSPECTED,
            ApplicationStatus.RETURNED,
        ),
        acting_user=acting_user,
    )


# --- participation after admission ----------------------------------------------------------


@transaction.atomic
def provider_exclude(
    *, provider: Provider, on: datetime.date, reason: str, acting_user: Any
) -> Provider:
    """Take a participant off the list from `on` (the first day it is no longer paid)."""
    ensure_role(acting_user, Role.AKIMAT_OFFICER)
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    if provider.admitted_on is None:
        raise fail(_("The provider is not a participant."), "not_admitted")
    if provider.excluded_on is not None:
        raise fail(_("The provider is already excluded."), "already_excluded")
    if on <= provider.admitted_on:
        raise fail(_("Exclusion must come after the admission date."), "before_admission", "on")
    if not reason.strip():
        raise fail(_("Give the reason for the exclusion."), "reason_required", "reason")
    provider.excluded_on = on
    provider.exclusion_reason = reason.strip()
    with acting_as(acting_user):
        provider.save(update_fields=["excluded_on", "exclusion_reason", "updated_at"])
    return provider


@transaction.atomic
def provider_suspend(
    *, provider: Provider, on: datetime.date, reason: str, acting_user: Any
) -> Provider:
    """Suspension stops new enrolments; it does not change billing (only exclusion does)."""
    ensure_role(acting_user, Role.AKIMAT_OFFICER)
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    if provider.admitted_on is None:
        raise fail(_("The provider is not a participant."), "not_admitted")
    if not reason.strip():
        raise fail(_("Give the reason for the suspension."), "reason_required", "reason")
    provider.suspended_on = on
    provider.suspension_reason = reason.strip()
    with acting_as(acting_user):
        provider.save(update_fields=["suspended_on", "suspension_reason", "updated_at"])
    return provider


@transaction.atomic
def provider_resume(*, provider: Provider, acting_user: Any) -> Provider:
    ensure_role(acting_user, Role.AKIMAT_OFFICER)
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    provider.suspended_on = None
    provider.suspension_reason = ""
    with acting_as(acting_user):
        provider.save(update_fields=["suspended_on", "suspension_reason", "updated_at"])
    return provider


__all__ = [
    "application_approve",
    "application_create",
    "application_record_inspection",
    "application_reject",
    "application_request_inspection",
    "application_return",
    "application_submit",
    "document_review",
    "document_upload",
    "documents_flag_expiring",
    "premises_add",
    "provider_exclude",
    "provider_resume",
    "provider_suspend",
    "rooms_set",
    "staff_document_upload",
    "staff_member_add",
    "staff_member_leave",
]


# --- premises and staff, kept by the provider head -------------------------------------------


@transaction.atomic
def premises_add(
    *,
    provider: Provider,
    address: str,
    tenure: str,
    acting_user: Any,
    cadastre_record: str = "",
    lease_ends_on: datetime.date | None = None,
    is_new_building: bool = False,
    branch: Any = None,
) -> Premises:
    ensure_role(acting_user, Role.AKIMAT_OFFICER, Role.PROVIDER_HEAD)
    ensure_acts_for(acting_user, provider)
    premises = Premises(
        provider=provider,
        branch=branch,
        address=address.strip(),
        tenure=tenure,
        cadastre_record=cadastre_record.strip(),
        lease_ends_on=lease_ends_on if tenure == "leased" else None,
        is_new_building=is_new_building,
    )
    if tenure == "leased" and lease_ends_on is None:
        raise fail(_("A lease must have an end date."), "lease_end_required", "lease_ends_on")
    validated_save(premises, acting_user=acting_user)
    return premises


@transaction.atomic
def staff_member_add(
    *,
    provider: Provider,
    full_name: str,
    position: str,
    fte: Any,
    acting_user: Any,
    education: str = "",
    hired_on: datetime.date | None = None,
) -> StaffMember:
    ensure_role(acting_user, Role.AKIMAT_OFFICER, Role.PROVIDER_HEAD)
    ensure_acts_for(acting_user, provider)
    member = StaffMember(
        provider=provider,
        full_name=full_name.strip(),
        position=position,
        fte=fte,
        education=education.strip(),
        hired_on=hired_on,
    )
    validated_save(member, acting_user=acting_user)
    return member


@transaction.atomic
def staff_member_leave(
    *, member: StaffMember, left_on: datetime.date, acting_user: Any
) -> StaffMember:
    ensure_role(acting_user, Role.AKIMAT_OFFICER, Role.PROVIDER_HEAD)
    ensure_acts_for(acting_user, member.provider)
    if member.hired_on and left_on < member.hired_on:
        raise fail(_("A worker cannot leave before being hired."), "before_hire", "left_on")
    member.left_on = left_on
    with acting_as(acting_user):
        member.save(update_fields=["left_on"])
    return member


@transaction.atomic
def staff_document_upload(
    *,
    member: StaffMember,
    kind: str,
    file: File,
    issued_on: datetime.date,
    acting_user: Any,
    number: str = "",
    valid_until: datetime.date | None = None,
) -> StaffDocument:
    ensure_role(acting_user, Role.AKIMAT_OFFICER, Role.PROVIDER_HEAD)
    ensure_acts_for(acting_user, member.provider)
    document = StaffDocument(
        staff_member=member,
        kind=kind,
        file=file,
        original_name=(getattr(file, "name", "") or "")[:255],
        number=number,
        issued_on=issued_on,
        valid_until=valid_until,
        uploaded_by=acting_user,
        expiry_flag=expiry_flag_for(valid_until, timezone.localdate()),
    )
    validated_save(document, acting_user=acting_user)
    return document
