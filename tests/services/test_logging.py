"""Logging visits: the rules, the representative's confirmation, corrections, and the pages."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core.errors import RoleRequired
from services import services
from services.models import Visit, VisitCorrection
from tests.factories import (
    PDF_BYTES,
    PNG_DATA_URL,
    VisitFactory,
    admitted_provider,
    coordinator_of,
    enrolled_child,
    head_of,
)

pytestmark = pytest.mark.django_db
T = datetime.time
DAY = datetime.date(2026, 7, 7)


def field_codes(error: ValidationError) -> dict[str, list[str]]:
    return {field: [item.code for item in items] for field, items in error.error_dict.items()}


def log(enrollment, user=None, **fields):
    values = {
        "provider_id": enrollment.provider_id,
        "child": enrollment.child,
        "setting": "home",
        "date": DAY,
        "start": T(10),
        "end": T(12),
        "services": ["pedagogical.aba"],
        **fields,
    }
    return services.visit_create(acting_user=user or coordinator_of(enrollment.provider), **values)


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"end": T(14, 1)}, "end", "longer_than_four_hours"),
        ({"end": T(9)}, "end", "end_not_after_start"),
        ({"date": datetime.date(2026, 6, 30)}, "child", "not_enrolled_that_day"),
        ({"services": ["astrology"]}, "services", "unknown_service"),
        ({"date": datetime.date(2099, 1, 5)}, "date", "visit_in_future"),
    ],
    ids=[
        "over-four-hours",
        "end-before-start",
        "not-enrolled-that-day",
        "unknown-service",
        "future-done",
    ],
)
def test_a_visit_breaking_a_rule_is_refused_and_nothing_is_saved(fields, field, code):
    enrollment = enrolled_child(admitted_provider())  # enrolled from 1 July 2026
    with pytest.raises(ValidationError) as refused:
        log(enrollment, **fields)
    assert field_codes(refused.value) == {field: [code]}
    assert not Visit.objects.exists()


def test_a_visit_after_the_enrolment_ended_is_refused():
    enrollment = enrolled_child(admitted_provider())
    enrollment.end_on = DAY - datetime.timedelta(days=1)
    enrollment.save(update_fields=["end_on"])
    with pytest.raises(ValidationError) as refused:
        log(enrollment)
    assert field_codes(refused.value) == {"child": ["not_enrolled_that_day"]}


def test_a_coordinator_cannot_log_for_another_centres_child():
    enrollment = enrolled_child(admitted_provider())
    stranger = coordinator_of(admitted_provider())
    with pytest.raises(RoleRequired):
        log(enrollment, user=stranger)
    # Nor by naming the other provider's child under their own provider.
    with pytest.raises(ValidationError) as refused:
        services.visit_create(
            provider_id=stranger.provider_id,
            child=enrollment.child,
            setting="home",
            date=DAY,
            start=T(10),
            end=T(11),
            acting_user=stranger,
        )
    assert field_codes(refused.value) == {"child": ["not_enrolled_that_day"]}


def test_the_same_visit_id_twice_makes_one_visit():
    enrollment = enrolled_child(admitted_provider())
    first, created = log(enrollment, visit_id="U-phone-1")
    again, created_again = log(enrollment, visit_id="U-phone-1")
    assert (created, created_again) == (True, False)
    assert first.pk == again.pk
    assert Visit.objects.count() == 1


def test_overlapping_home_and_centre_visits_are_flagged_and_unflagged():
    enrollment = enrolled_child(admitted_provider())
    home, _ = log(enrollment, setting="home", start=T(10), end=T(12))
    centre, _ = log(enrollment, setting="centre", start=T(11), end=T(13))
    home.refresh_from_db()
    assert (home.overlaps, centre.overlaps) == (True, True)
    services.visit_mark_done(
        visit=centre,
        start=T(12),
        end=T(14),
        services=["cultural"],
        acting_user=head_of(enrollment.provider),
    )
    home.refresh_from_db()
    centre.refresh_from_db()
    assert (home.overlaps, centre.overlaps) == (False, False)


def test_missed_needs_a_reason():
    visit = VisitFactory(
        enrollment=enrolled_child(admitted_provider()), status="planned", services=[]
    )
    user = coordinator_of(visit.provider)
    with pytest.raises(ValidationError) as refused:
        services.visit_mark_missed(visit=visit, reason="  ", acting_user=user)
    assert field_codes(refused.value) == {"reason": ["reason_required"]}
    services.visit_mark_missed(visit=visit, reason="Ребёнок болеет", acting_user=user)
    visit.refresh_from_db()
    assert (visit.status, visit.missed_reason) == ("missed", "Ребёнок болеет")


def test_confirmation_by_a_drawn_signature_stores_the_png():
    visit = VisitFactory(enrollment=enrolled_child(admitted_provider()))
    user = coordinator_of(visit.provider)
    services.visit_confirm(
        visit=visit, method="signature", signature=PNG_DATA_URL, acting_user=user
    )
    visit.refresh_from_db()
    assert visit.confirmation_method == "signature"
    assert visit.confirmation_recorded_by == user and visit.confirmed_at is not None
    assert visit.signature.read().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("signature", "code"),
    [("", "signature_missing"), ("data:image/png;base64,bm90IGEgcG5n", "signature_invalid")],
)
def test_a_missing_or_fake_signature_is_refused(signature, code):
    visit = VisitFactory(enrollment=enrolled_child(admitted_provider()))
    with pytest.raises(ValidationError) as refused:
        services.visit_confirm(
            visit=visit,
            method="signature",
            signature=signature,
            acting_user=coordinator_of(visit.provider),
        )
    assert field_codes(refused.value) == {"signature": [code]}
    visit.refresh_from_db()
    assert not visit.is_confirmed


def test_confirmation_by_pin_is_checked_against_the_hash_and_locks_after_five_wrong():
    enrollment = enrolled_child(admitted_provider())
    user = coordinator_of(enrollment.provider)
    services.enrollment_set_pin(enrollment=enrollment, pin="2468", acting_user=user)
    enrollment.refresh_from_db()
    assert enrollment.confirmation_pin and "2468" not in enrollment.confirmation_pin
    visit = VisitFactory(enrollment=enrollment)
    with pytest.raises(ValidationError) as refused:
        services.visit_confirm(visit=visit, method="pin", pin="1111", acting_user=user)
    assert field_codes(refused.value) == {"pin": ["wrong_pin"]}
    services.visit_confirm(visit=visit, method="pin", pin="2468", acting_user=user)
    visit.refresh_from_db()
    assert visit.confirmation_method == "pin"
    # Five wrong entries in a row lock the PIN, even the right one, until it is set again.
    other = VisitFactory(enrollment=enrollment, date=DAY)
    for _ in range(5):
        with pytest.raises(ValidationError):
            services.visit_confirm(visit=other, method="pin", pin="0000", acting_user=user)
    with pytest.raises(ValidationError) as locked:
        services.visit_confirm(visit=other, method="pin", pin="2468", acting_user=user)
    assert field_codes(locked.value) == {"pin": ["pin_locked"]}
    # The PIN's hash never reaches the audit trail.
    assert not LogEntry.objects.filter(
        changes_text__contains=enrollment.confirmation_pin[:20]
    ).exists()


def test_confirmation_by_a_paper_scan_keeps_the_file():
    visit = VisitFactory(enrollment=enrolled_child(admitted_provider()))
    scan = SimpleUploadedFile("journal.pdf", PDF_BYTES, content_type="application/pdf")
    services.visit_confirm(
        visit=visit, method="paper", scan=scan, acting_user=coordinator_of(visit.provider)
    )
    visit.refresh_from_db()
    assert visit.confirmation_method == "paper"
    assert visit.paper_scan.read().startswith(b"%PDF")


def test_a_planned_visit_cannot_be_confirmed():
    visit = VisitFactory(enrollment=enrolled_child(admitted_provider()), status="planned")
    with pytest.raises(ValidationError) as refused:
        services.visit_confirm(
            visit=visit,
            method="signature",
            signature=PNG_DATA_URL,
            acting_user=coordinator_of(visit.provider),
        )
    assert field_codes(refused.value) == {"status": ["visit_not_done"]}


def test_a_confirmed_visit_is_locked_for_the_coordinator_and_corrected_by_the_head():
    visit = VisitFactory(enrollment=enrolled_child(admitted_provider()))
    coordinator, head = coordinator_of(visit.provider), head_of(visit.provider)
    services.visit_confirm(
        visit=visit, method="signature", signature=PNG_DATA_URL, acting_user=coordinator
    )
    with pytest.raises(ValidationError) as refused:
        services.visit_mark_done(
            visit=visit, start=T(9), end=T(12), services=["legal"], acting_user=coordinator
        )
    assert refused.value.code == "visit_confirmed"
    with pytest.raises(RoleRequired):
        services.visit_correct(
            visit=visit, reason="x", changes={"end": T(11)}, acting_user=coordinator
        )
    with pytest.raises(ValidationError) as no_reason:
        services.visit_correct(visit=visit, reason="", changes={"end": T(11)}, acting_user=head)
    assert field_codes(no_reason.value) == {"reason": ["reason_required"]}
    services.visit_correct(
        visit=visit, reason="Ошибка во времени окончания", changes={"end": T(11)}, acting_user=head
    )
    visit.refresh_from_db()
    assert visit.end == T(11) and visit.is_confirmed
    correction = VisitCorrection.objects.get(visit=visit)
    assert (correction.corrected_by, correction.changes) == (head, {"end": ["12:00", "11:00"]})
    entry = LogEntry.objects.get_for_object(visit).filter(action=LogEntry.Action.UPDATE).first()
    assert entry.actor == head


def test_a_correction_still_keeps_the_rules():
    visit = VisitFactory(enrollment=enrolled_child(admitted_provider()))
    with pytest.raises(ValidationError) as refused:
        services.visit_correct(
            visit=visit,
            reason="Опечатка",
            changes={"end": T(15)},
            acting_user=head_of(visit.provider),
        )
    assert field_codes(refused.value) == {"end": ["longer_than_four_hours"]}
    assert not VisitCorrection.objects.exists()


def test_a_coordinator_sets_a_pin_once_and_only_the_head_changes_it():
    enrollment = enrolled_child(admitted_provider())
    coordinator = coordinator_of(enrollment.provider)
    services.enrollment_set_pin(enrollment=enrollment, pin="2468", acting_user=coordinator)
    with pytest.raises(RoleRequired):
        services.enrollment_set_pin(enrollment=enrollment, pin="9999", acting_user=coordinator)
    services.enrollment_set_pin(
        enrollment=enrollment, pin="9999", acting_user=head_of(enrollment.provider)
    )


def test_the_pin_hash_is_not_in_the_admins_enrolment_form(client):
    from tests.factories import officer

    enrollment = enrolled_child(admitted_provider())
    client.force_login(officer())
    page = client.get(f"/admin/recipients/enrollment/{enrollment.pk}/change/").content.decode()
    assert 'name="confirmation_pin"' not in page and 'name="pin_failures"' not in page


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"services": ["pedagogical.aba", "pedagogical"]}, None, "no_change"),
        ({"status": "planned"}, "status", "visit_confirmed"),
        ({"status": "missed"}, "missed_reason", "reason_required"),
    ],
    ids=["same-services-other-order", "confirmed-back-to-planned", "missed-without-reason"],
)
def test_a_correction_that_changes_nothing_or_breaks_the_record_is_refused(changes, field, code):
    visit = VisitFactory(
        enrollment=enrolled_child(admitted_provider()), confirmation_method="paper"
    )
    with pytest.raises(ValidationError) as refused:
        services.visit_correct(
            visit=visit, reason="Проверка", changes=changes, acting_user=head_of(visit.provider)
        )
    error = refused.value
    assert (field_codes(error) == {field: [code]}) if field else error.code == code
    assert not VisitCorrection.objects.exists()


def test_a_form_reused_for_another_child_is_refused_not_merged():
    provider = admitted_provider()
    first, second = enrolled_child(provider), enrolled_child(provider)
    log(first, visit_id="U-form-1")
    with pytest.raises(ValidationError) as refused:
        log(second, visit_id="U-form-1")
    assert field_codes(refused.value) == {"visit_id": ["visit_id_reused"]}


def test_ending_an_enrolment_removes_its_untouched_plans_after_the_last_day():
    from django.utils import timezone

    from recipients.services import enrollment_end
    from tests.factories import approved_schedule, officer

    today = timezone.localdate()
    enrollment = enrolled_child(admitted_provider(), start_on=today - datetime.timedelta(days=7))
    approved_schedule(enrollment)
    services.visits_generate(start=today, days=21)
    last_day = today + datetime.timedelta(days=6)
    kept = Visit.objects.filter(date__gt=last_day).order_by("date").first()
    services.visit_cancel(visit=kept, reason="Перенос", acting_user=head_of(enrollment.provider))
    enrollment_end(
        enrollment=enrollment, end_on=last_day, reason="moved_out", acting_user=officer()
    )
    after = Visit.objects.filter(date__gt=last_day)
    assert list(after.values_list("pk", flat=True)) == [kept.pk]
    assert Visit.objects.filter(date__lte=last_day, status="planned").exists()
