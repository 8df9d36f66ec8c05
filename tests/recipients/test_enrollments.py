"""Enrolment decisions, consent withdrawal, warnings and duplicates through the services."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from recipients import services
from recipients.models import (
    DuplicateStatus,
    EndReason,
    Enrollment,
    EnrollmentStatus,
    EnrollmentWarning,
    Ipar,
    PossibleDuplicate,
    WarningKind,
)
from tests.factories import (
    AssessmentFactory,
    ChildFactory,
    IparFactory,
    ServiceApplicationFactory,
    admitted_provider,
    enrollable_child,
    enrollment_for,
    head_of,
    officer,
)

pytestmark = pytest.mark.django_db
D = datetime.date


def codes(error):
    return {e.code for e in error.error_list}


def test_a_complete_draft_is_approved_by_an_officer():
    child, application = enrollable_child()
    draft = enrollment_for(child, admitted_provider(), status="draft", application=application)
    city = officer()
    services.enrollment_approve(enrollment=draft, acting_user=city)
    draft.refresh_from_db()
    assert draft.status == EnrollmentStatus.APPROVED and draft.decided_by == city


def test_refusal_names_every_missing_condition_and_changes_nothing():
    child = ChildFactory(birth_date=D(2008, 6, 1))  # 18 on 2026-06-01, before the start
    draft = enrollment_for(child, admitted_provider(), status="draft")
    with pytest.raises(ValidationError) as error:
        services.enrollment_approve(enrollment=draft, acting_user=officer())
    assert codes(error.value) == {"ipar_invalid", "no_assessment", "age_limit"}
    draft.refresh_from_db()
    assert draft.status == EnrollmentStatus.DRAFT


def test_provider_admitted_after_the_start_is_refused():
    child, application = enrollable_child()
    provider = admitted_provider(admitted_on=D(2026, 8, 10))
    draft = enrollment_for(child, provider, status="draft", application=application)
    with pytest.raises(ValidationError) as error:
        services.enrollment_approve(enrollment=draft, acting_user=officer())
    assert "not a pilot participant" in error.value.messages[0]


def test_only_officers_decide():
    child, application = enrollable_child()
    provider = admitted_provider()
    draft = enrollment_for(child, provider, status="draft", application=application)
    with pytest.raises(PermissionDenied):
        services.enrollment_approve(enrollment=draft, acting_user=head_of(provider))


def test_consent_withdrawal_ends_the_enrolment_the_day_before():
    child, application = enrollable_child()
    enrollment = enrollment_for(child, admitted_provider(), application=application)
    services.consent_withdraw(
        application=application, on=D(2026, 9, 15), reason="Family moved", acting_user=officer()
    )
    enrollment.refresh_from_db()
    application.refresh_from_db()
    assert application.consent_withdrawn_on == D(2026, 9, 15)
    assert enrollment.end_on == D(2026, 9, 14)
    assert enrollment.end_reason == EndReason.CONSENT_WITHDRAWN
    assert not application.consent_covers(D(2026, 9, 15))
    assert application.consent_covers(D(2026, 9, 14))
    with pytest.raises(ValidationError):
        services.consent_withdraw(
            application=application, on=D(2026, 9, 20), reason="again", acting_user=officer()
        )


def test_ending_records_the_reason():
    child, application = enrollable_child()
    enrollment = enrollment_for(child, admitted_provider(), application=application)
    with pytest.raises(ValidationError):
        services.enrollment_end(
            enrollment=enrollment,
            end_on=D(2026, 10, 1),
            reason=EndReason.OTHER,
            acting_user=officer(),
        )
    services.enrollment_end(
        enrollment=enrollment,
        end_on=D(2026, 10, 1),
        reason=EndReason.MOVED_OUT,
        acting_user=officer(),
    )
    enrollment.refresh_from_db()
    assert (enrollment.end_on, enrollment.end_reason) == (D(2026, 10, 1), "moved_out")


def test_the_same_iin_is_never_two_children():
    child = ChildFactory()
    duplicate = ChildFactory.build(iin=child.iin)
    with pytest.raises(ValidationError) as error:
        services.child_save(child=duplicate, acting_user=officer())
    assert "iin" in error.value.error_dict


def test_warnings_list_ipar_ending_and_turning_18_once():
    today = D(2026, 11, 22)
    turning = ChildFactory(birth_date=D(2008, 12, 10))
    IparFactory(child=turning, valid_until=D(2027, 6, 1))
    ipar_ending = ChildFactory()
    IparFactory(child=ipar_ending, valid_until=D(2026, 12, 1))
    renewed = ChildFactory()
    IparFactory(child=renewed, valid_until=D(2026, 12, 1))
    IparFactory(child=renewed, issued_on=D(2026, 12, 2), valid_until=D(2027, 12, 1))
    provider = admitted_provider()
    for child in (turning, ipar_ending, renewed):
        enrollment_for(child, provider)

    assert services.enrollment_warnings_refresh(today=today) == 2
    assert services.enrollment_warnings_refresh(today=today) == 0
    found = set(EnrollmentWarning.objects.values_list("enrollment__child", "kind", "due_on"))
    assert found == {
        (turning.pk, WarningKind.TURNS_18, D(2026, 12, 10)),
        (ipar_ending.pk, WarningKind.IPAR_ENDING, D(2026, 12, 1)),
    }


def test_possible_duplicates_are_found_and_merged():
    kept = ChildFactory(last_name="Сёмина", first_name="Анна", birth_date=D(2016, 3, 3))
    other = ChildFactory(last_name="Семина", first_name="анна", birth_date=D(2016, 3, 3))
    for child in (kept, other):
        services.child_save(child=child, acting_user=officer())
    ChildFactory(last_name="Семина", first_name="Анна", birth_date=D(2016, 3, 4))  # another day
    IparFactory(child=other)
    application = ServiceApplicationFactory(child=other)
    enrollment = enrollment_for(other, admitted_provider(), application=application)

    assert services.duplicates_find() == 1
    assert services.duplicates_find() == 0
    pair = PossibleDuplicate.objects.get()

    services.duplicate_merge(
        pair=pair, keep=kept, comment="Same birth certificate", acting_user=officer()
    )

    pair.refresh_from_db()
    assert (
        pair.status == DuplicateStatus.MERGED and other.iin in pair.second_label + pair.first_label
    )
    enrollment.refresh_from_db()
    assert enrollment.child == kept
    assert Ipar.objects.get().child == kept
    assert not type(kept).objects.filter(pk=other.pk).exists()


def test_possible_duplicates_can_be_marked_distinct():
    for _ in range(2):
        child = ChildFactory(last_name="Ким", first_name="Дана", birth_date=D(2017, 1, 1))
        services.child_save(child=child, acting_user=officer())
    services.duplicates_find()
    pair = PossibleDuplicate.objects.get()
    with pytest.raises(ValidationError):
        services.duplicate_mark_distinct(pair=pair, comment=" ", acting_user=officer())
    services.duplicate_mark_distinct(pair=pair, comment="Twins", acting_user=officer())
    pair.refresh_from_db()
    assert pair.status == DuplicateStatus.DISTINCT
    assert services.duplicates_find() == 0


def test_assessment_must_exist_by_the_start():
    child = ChildFactory()
    IparFactory(child=child)
    application = ServiceApplicationFactory(child=child)
    AssessmentFactory(child=child, assessed_on=D(2026, 7, 5))
    draft = enrollment_for(child, admitted_provider(), status="draft", application=application)
    with pytest.raises(ValidationError):
        services.enrollment_approve(enrollment=draft, acting_user=officer())
    assert Enrollment.objects.get().status == "draft"


def test_another_childs_application_is_refused():
    child, _application = enrollable_child()
    _other, foreign_application = enrollable_child()
    draft = enrollment_for(
        child, admitted_provider(), status="draft", application=foreign_application
    )
    with pytest.raises(ValidationError) as error:
        services.enrollment_approve(enrollment=draft, acting_user=officer())
    assert codes(error.value) == {"wrong_application"}


def test_a_suspended_provider_takes_no_new_children_but_stays_a_participant():
    child, application = enrollable_child()
    provider = admitted_provider(suspended_on=D(2026, 6, 20))
    draft = enrollment_for(child, provider, status="draft", application=application)
    with pytest.raises(ValidationError) as error:
        services.enrollment_approve(enrollment=draft, acting_user=officer())
    assert codes(error.value) == {"provider_not_participant"}
    assert provider.is_participant_on(D(2026, 7, 1))  # billing still pays its days


def test_a_draft_approved_after_consent_was_withdrawn_ends_the_day_before():
    child, application = enrollable_child()
    draft = enrollment_for(child, admitted_provider(), status="draft", application=application)
    services.consent_withdraw(
        application=application, on=D(2026, 8, 1), reason="Family refused", acting_user=officer()
    )
    services.enrollment_approve(enrollment=draft, acting_user=officer())
    draft.refresh_from_db()
    assert (draft.status, draft.end_on, draft.end_reason) == (
        EnrollmentStatus.APPROVED,
        D(2026, 7, 31),
        EndReason.CONSENT_WITHDRAWN,
    )


def test_merging_two_records_of_the_same_parent_keeps_one_representative():
    from recipients.models import LegalRepresentative

    first = ChildFactory(last_name="Ли", first_name="Ева", birth_date=D(2016, 1, 1))
    second = ChildFactory(last_name="Ли", first_name="Ева", birth_date=D(2016, 1, 1))
    for child in (first, second):
        services.child_save(child=child, acting_user=officer())
        LegalRepresentative.objects.create(
            child=child, iin="860508473537", full_name="Ли Анна", relation="parent"
        )
    parent_of_second = second.representatives.get()
    application = ServiceApplicationFactory(child=second, representative=parent_of_second)
    services.duplicates_find()
    pair = PossibleDuplicate.objects.get()

    services.duplicate_merge(pair=pair, keep=first, comment="One child", acting_user=officer())

    application.refresh_from_db()
    assert application.child == first
    assert application.representative == first.representatives.get()
    assert LegalRepresentative.objects.count() == 1


def test_a_warning_no_longer_true_leaves_the_list():
    today = D(2026, 11, 22)
    child = ChildFactory()
    IparFactory(child=child, valid_until=D(2026, 12, 1))
    enrollment_for(child, admitted_provider())
    services.enrollment_warnings_refresh(today=today)
    assert EnrollmentWarning.objects.count() == 1
    IparFactory(child=child, issued_on=D(2026, 12, 2), valid_until=D(2027, 12, 1))  # renewed
    services.enrollment_warnings_refresh(today=today)
    assert not EnrollmentWarning.objects.exists()


def test_a_guardian_needs_the_guardianship_decision():
    from recipients.models import LegalRepresentative

    guardian = LegalRepresentative(
        child=ChildFactory(), iin="860508473537", full_name="Ким Ольга", relation="guardian"
    )
    with pytest.raises(ValidationError) as error:
        guardian.full_clean()
    assert "guardianship_document" in error.value.error_dict
