"""Every write of the enrolment stage (domain.md §4). Admin, pages, API, tasks and imports call these."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from core.audit import acting_as, validated_save
from core.errors import fail
from core.jobs import FIND_DUPLICATES, outbox_enqueue
from core.roles import Role, ensure_role
from recipients import rules
from recipients.models import (
    Child,
    DuplicateStatus,
    EndReason,
    Enrollment,
    EnrollmentStatus,
    EnrollmentWarning,
    PossibleDuplicate,
    ServiceApplication,
    WarningKind,
)
from recipients.signals import enrollment_ended

WARNING_HORIZON_DAYS = 30


@transaction.atomic
def child_save(*, child: Child, acting_user: Any) -> Child:
    """Create or change a child's record; the IIN stays unique (the database refuses a second)."""
    ensure_role(acting_user, Role.AKIMAT_OFFICER)
    child.name_key = rules.name_key(child.last_name, child.first_name, child.middle_name)
    validated_save(child, acting_user=acting_user)
    return child


def enrollment_missing_conditions(enrollment: Enrollment) -> list[rules.Missing]:
    """What stops this decision from being approved, judged on its start date."""
    child = enrollment.child
    return rules.enrollment_conditions(
        start_on=enrollment.start_on,
        birth_date=child.birth_date,
        application=enrollment.application,
        ipars=list(child.ipars.all()),
        has_assessment=child.assessments.filter(assessed_on__lte=enrollment.start_on).exists(),
        provider_is_participant=enrollment.provider.accepts_enrolments_on(enrollment.start_on),
        application_of_this_child=enrollment.application is None
        or enrollment.application.child_id == child.pk,
    )


def _locked(enrollment: Enrollment) -> Enrollment:
    return (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("child", "provider", "application")
        .get(pk=enrollment.pk)
    )


@transaction.atomic
def enrollment_approve(*, enrollment: Enrollment, acting_user: Any) -> Enrollment:
    """Approve a draft decision; the refusal names every condition that is not met."""
    ensure_role(acting_user, Role.AKIMAT_OFFICER)
    # Lock the consent first (as consent_withdraw does), then the decision: a fixed order.
    if enrollment.application_id:
        ServiceApplication.objects.select_for_update().get(pk=enrollment.application_id)
    enrollment = _locked(enrollment)
    if enrollment.status != EnrollmentStatus.DRAFT:
        raise fail(_("Only a draft decision can be approved."), "invalid_transition", "status")
    missing = enrollment_missing_conditions(enrollment)
    if missing:
        # One error per condition, each with its code, so pages and the API can name them all.
        raise ValidationError([ValidationError(item.message, code=item.code) for item in missing])
    enrollment.status = EnrollmentStatus.APPROVED
    enrollment.decided_by = acting_user
    fields = ["status", "decided_by", "updated_at"]
    withdrawn = enrollment.application.consent_withdrawn_on if enrollment.application else None
    if withdrawn is not None:
        # Consent covered the start but is already withdrawn: services stop the day before.
        last_day = withdrawn - datetime.timedelta(days=1)
        if enrollment.end_on is None or enrollment.end_on > last_day:
            enrollment.end_on = last_day
            enrollment.end_reason = EndReason.CONSENT_WITHDRAWN
            fields += ["end_on", "end_reason"]
    with acting_as(acting_user):
        enrollment.save(update_fields=fields)
    return enrollment


@transaction.atomic
def enrollment_refuse(*, enrollment: Enrollment, reasons: str, acting_user: Any) -> Enrollment:
    ensure_role(acting_user, Role.AKIMAT_OFFICER)
    if not reasons.strip():
        raise fail(_("Say why the enrolment is refused."), "reasons_required", "reasons")
    enrollment = _locked(enrollment)
    if enrollment.status != EnrollmentStatus.DRAFT:
        raise fail(_("Only a draft decision can be refused."), "invalid_transition", "status")
    enrollment.status = EnrollmentStatus.REFUSED
    enrollment.refusal_reasons = reasons.strip()
    enrollment.decided_by = acting_user
    with acting_as(acting_user):
        enrollment.save(update_fields=["status", "refusal_reasons", "decided_by", "updated_at"])
    return enrollment


@transaction.atomic
def enrollment_end(
    *,
    enrollment: Enrollment,
    end_on: datetime.date,
    reason: str,
    acting_user: Any,
    note: str = "",
) -> Enrollment:
    """End an approved enrolment; `end_on` is its last day of service."""
    ensure_role(acting_user, Role.AKIMAT_OFFICER)
    if reason not in EndReason.values:
        raise fail(_("Choose why the enrolment ends."), "invalid_reason", "reason")
    if reason == EndReason.OTHER and not note.strip():
        raise fail(_("Describe the reason."), "note_required", "note")
    enrollment = _locked(enrollment)
    if enrollment.status != EnrollmentStatus.APPROVED:
        raise fail(_("Only an approved enrolment can be ended."), "invalid_transition", "status")
    if end_on < enrollment.start_on:
        raise fail(_("An enrolment cannot end before it starts."), "before_start", "end_on")
    if enrollment.end_on is not None and enrollment.end_on < end_on:
        raise fail(_("The enrolment already ended earlier."), "already_ended", "end_on")
    enrollment.end_on = end_on
    enrollment.end_reason = reason
    enrollment.end_note = note.strip()
    with acting_as(acting_user):
        enrollment.save(update_fields=["end_on", "end_reason", "end_note", "updated_at"])
    _plans_end(enrollment, acting_user)
    return enrollment


def _plans_end(enrollment: Enrollment, acting_user: Any) -> None:
    """The child's planned visits after the last day of service are no longer planned
    (services removes them: it listens to `enrollment_ended`)."""
    enrollment_ended.send(sender=Enrollment, enrollment=enrollment, acting_user=acting_user)


@transaction.atomic
def consent_withdraw(
    *, application: ServiceApplication, on: datetime.date, reason: str, acting_user: Any
) -> ServiceApplication:
    """The representative withdraws consent from `on`: services stop the day before.

    Approved enrolments resting on this consent that run past that day end on the day before
    the withdrawal, with the reason "consent withdrawn".
    """
    ensure_role(acting_user, Role.AKIMAT_OFFICER)
    application = ServiceApplication.objects.select_for_update().get(pk=application.pk)
    if application.consent_on is None:
        raise fail(_("No consent was given on this application."), "no_consent")
    if application.consent_withdrawn_on is not None:
        raise fail(_("The consent is already withdrawn."), "already_withdrawn")
    if on < application.consent_on:
        raise fail(_("Consent is withdrawn only after it was given."), "before_consent", "on")
    if not reason.strip():
        raise fail(_("Give the reason for the withdrawal."), "reason_required", "reason")
    application.consent_withdrawn_on = on
    application.withdrawal_reason = reason.strip()
    last_day = on - datetime.timedelta(days=1)
    with acting_as(acting_user):
        application.save(update_fields=["consent_withdrawn_on", "withdrawal_reason"])
        for enrollment in (
            Enrollment.objects.select_for_update()
            .filter(application=application, status=EnrollmentStatus.APPROVED)
            .order_by("pk")
        ):
            if enrollment.end_on is not None and enrollment.end_on <= last_day:
                continue
            if enrollment.start_on > last_day:
                # Never started before the withdrawal: it ends on its first day.
                enrollment.end_on = enrollment.start_on
            else:
                enrollment.end_on = last_day
            enrollment.end_reason = EndReason.CONSENT_WITHDRAWN
            enrollment.save(update_fields=["end_on", "end_reason", "updated_at"])
            _plans_end(enrollment, acting_user)
    return application


@transaction.atomic
def enrollment_warnings_refresh(*, today: datetime.date) -> int:
    """List enrolments about to lose a condition within 30 days; idempotent. Returns new rows."""
    horizon = today + datetime.timedelta(days=WARNING_HORIZON_DAYS)
    active = (
        Enrollment.objects.filter(status=EnrollmentStatus.APPROVED, start_on__lte=horizon)
        .exclude(end_on__lt=today)
        .select_related("child")
        .prefetch_related("child__ipars")
    )
    warnings = []
    for enrollment in active:
        child = enrollment.child
        birthday = rules.eighteenth_birthday(child.birth_date)
        if today <= birthday <= horizon:
            warnings.append(
                EnrollmentWarning(
                    enrollment=enrollment,
                    kind=WarningKind.TURNS_18,
                    due_on=birthday,
                    found_on=today,
                )
            )
        ipar_end = rules.home_ipar_coverage_end(list(child.ipars.all()), today)
        if ipar_end is not None and ipar_end <= horizon:
            warnings.append(
                EnrollmentWarning(
                    enrollment=enrollment,
                    kind=WarningKind.IPAR_ENDING,
                    due_on=ipar_end,
                    found_on=today,
                )
            )
    # A warning no longer found (the ИПАР was renewed, the enrolment ended) is taken off the list.
    found = {(w.enrollment.pk, w.kind, w.due_on) for w in warnings}
    stale = [
        pk
        for pk, enrollment_id, kind, due_on in EnrollmentWarning.objects.filter(
            due_on__gte=today
        ).values_list("pk", "enrollment_id", "kind", "due_on")
        if (enrollment_id, kind, due_on) not in found
    ]
    EnrollmentWarning.objects.filter(pk__in=stale).delete()
    before = EnrollmentWarning.objects.count()
    EnrollmentWarning.objects.bulk_create(warnings, ignore_conflicts=True)
    return EnrollmentWarning.objects.count() - before


@transaction.atomic
def duplicates_search_start(*, acting_user: Any) -> None:
    """Queue the search for possible duplicates now (it also runs after every import)."""
    ensure_role(acting_user, Role.AKIMAT_OFFICER)
    outbox_enqueue(FIND_DUPLICATES)


@transaction.atomic
def duplicates_find() -> int:
    """Pair children with the same normalised name and birth date under different IINs.

    Set-based: one grouping query, one query for the children in those groups, one insert.
    Pairs already found (open or decided) are kept as they are. Returns new pairs.
    """
    groups = (
        Child.objects.values("name_key", "birth_date")
        .annotate(count=Count("pk"))
        .filter(count__gt=1)
        .values_list("name_key", "birth_date")
    )
    keys = set(groups)
    if not keys:
        return 0
    by_key: dict[tuple[str, datetime.date], list[Child]] = {}
    for child in Child.objects.filter(name_key__in={key for key, _birth in keys}).order_by("pk"):
        if (child.name_key, child.birth_date) in keys:
            by_key.setdefault((child.name_key, child.birth_date), []).append(child)
    pairs = [
        PossibleDuplicate(
            first=first,
            second=second,
            first_label=_label(first),
            second_label=_label(second),
        )
        for children in by_key.values()
        for index, first in enumerate(children)
        for second in children[index + 1 :]
    ]
    before = PossibleDuplicate.objects.count()
    PossibleDuplicate.objects.bulk_create(pairs, ignore_conflicts=True)
    return PossibleDuplicate.objects.count() - before


def _label(child: Child) -> str:
    return f"{child.iin} {child.full_name} {child.birth_date:%d.%m.%Y}"


def _open_pair(pair: PossibleDuplicate) -> PossibleDuplicate:
    pair = PossibleDuplicate.objects.select_for_update().get(pk=pair.pk)
    if pair.status != DuplicateStatus.OPEN:
        raise fail(_("This pair was already decided."), "already_decided")
    return pair


@transaction.atomic
def duplicate_mark_distinct(
    *, pair: PossibleDuplicate, comment: str, acting_user: Any
) -> PossibleDuplicate:
    ensure_role(acting_user, Role.AKIMAT_OFFICER)
    if not comment.strip():
        raise fail(
            _("Say how you know these are different children."), "comment_required", "comment"
        )
    pair = _open_pair(pair)
    pair.status = DuplicateStatus.DISTINCT
    pair.comment = comment.strip()
    pair.decided_by = acting_user
    with acting_as(acting_user):
        pair.save(update_fields=["status", "comment", "decided_by"])
    return pair


@transaction.atomic
def duplicate_merge(
    *, pair: PossibleDuplicate, keep: Child, comment: str, acting_user: Any
) -> Child:
    """Merge the pair into `keep`: every record of the other child moves to it, then it goes."""
    ensure_role(acting_user, Role.AKIMAT_OFFICER)
    if not comment.strip():
        raise fail(_("Say why these records are the same child."), "comment_required", "comment")
    pair = _open_pair(pair)
    if keep.pk not in (pair.first_id, pair.second_id):
        raise fail(_("Keep one of the two records of the pair."), "not_in_pair", "keep")
    removed_id = pair.second_id if keep.pk == pair.first_id else pair.first_id
    if removed_id is None:
        raise fail(_("The other record no longer exists."), "gone")
    # Locks in a fixed order (by primary key) so two officers cannot deadlock each other.
    children = {
        c.pk: c
        for c in Child.objects.select_for_update()
        .filter(pk__in=[keep.pk, removed_id])
        .order_by("pk")
    }
    kept, removed = children[keep.pk], children[removed_id]
    with acting_as(acting_user):
        # Row by row (a child has a handful of records), so the audit trail shows every move.
        kept_representatives = {r.iin: r for r in kept.representatives.all()}
        for representative in removed.representatives.all():
            same_person = kept_representatives.get(representative.iin)
            if same_person is None:
                representative.child = kept
                representative.save(update_fields=["child"])
                continue
            for application in representative.applications.all():
                application.representative = same_person
                application.save(update_fields=["representative"])
            representative.delete()
        for related in ("ipars", "applications", "assessments", "enrollments"):
            for record in getattr(removed, related).all():
                record.child = kept
                record.save(update_fields=["child"])
        pair.status = DuplicateStatus.MERGED
        pair.comment = comment.strip()
        pair.decided_by = acting_user
        pair.save(update_fields=["status", "comment", "decided_by"])
        PossibleDuplicate.objects.filter(status=DuplicateStatus.OPEN).filter(
            first_id=removed.pk
        ).delete()
        PossibleDuplicate.objects.filter(status=DuplicateStatus.OPEN).filter(
            second_id=removed.pk
        ).delete()
        removed.delete()
    return kept
