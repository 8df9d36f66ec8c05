"""Schedules (Alg. §2, §21) and the planned visits generated from them."""

import datetime
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.errors import RoleRequired
from services import services
from services.models import CalendarDay, Schedule, Visit
from tests.factories import (
    WEEK,
    AssessmentFactory,
    admitted_provider,
    approved_schedule,
    coordinator_of,
    enrolled_child,
    head_of,
)

pytestmark = pytest.mark.django_db
T = datetime.time


def codes(error: ValidationError) -> set[str]:
    return {item.code for item in error.error_list}


def slot(weekday, setting, start=10, minutes=120):
    return {"weekday": weekday, "setting": setting, "start": T(start), "duration_minutes": minutes}


def draft(enrollment, slots, **fields):
    return services.schedule_create(
        enrollment=enrollment,
        valid_from=fields.pop("valid_from", enrollment.start_on),
        slots=slots,
        acting_user=coordinator_of(enrollment.provider),
        **fields,
    )


@pytest.mark.parametrize(
    ("slots", "reason", "code"),
    [
        ([*WEEK[:4], slot(4, "centre", 9, 241)], "", "longer_than_four_hours"),
        (
            [slot(0, "home"), *[s for s in WEEK if s["setting"] == "centre"]],
            "",
            "too_few_home_visits",
        ),
        (
            [s for s in WEEK if s["setting"] == "home"] + [slot(1, "centre"), slot(3, "centre")],
            "",
            "centre_reason_required",
        ),
        ([*WEEK, slot(0, "centre", 11)], "", "visits_overlap"),
        ([], "", "empty_schedule"),
    ],
    ids=["over-four-hours", "one-home-visit", "two-centre-visits-no-reason", "overlap", "empty"],
)
def test_approval_is_refused_and_nothing_changes(slots, reason, code):
    # Given a draft that breaks one rule
    enrollment = enrolled_child(admitted_provider())
    schedule = draft(enrollment, slots, centre_reason=reason)
    # When the head approves it, then it is refused with that rule's code
    with pytest.raises(ValidationError) as refused:
        services.schedule_approve(schedule=schedule, acting_user=head_of(enrollment.provider))
    assert code in codes(refused.value)
    schedule.refresh_from_db()
    assert schedule.status == "draft"
    assert not Visit.objects.exists()


def test_fewer_centre_visits_with_a_recorded_reason_are_approved():
    enrollment = enrolled_child(admitted_provider())
    home = [s for s in WEEK if s["setting"] == "home"]
    schedule = draft(
        enrollment,
        [*home, slot(1, "centre"), slot(3, "centre")],
        centre_reason="Быстрая утомляемость: центр дважды в неделю по заключению оценки",
    )
    approved = services.schedule_approve(
        schedule=schedule, acting_user=head_of(enrollment.provider)
    )
    assert approved.status == "approved"
    assert approved.approved_at is not None


def test_only_the_providers_head_approves():
    enrollment = enrolled_child(admitted_provider())
    schedule = draft(enrollment, WEEK)
    for someone in (coordinator_of(enrollment.provider), head_of(admitted_provider())):
        with pytest.raises(RoleRequired) as refused:
            services.schedule_approve(schedule=schedule, acting_user=someone)
        assert getattr(refused.value, "code", "") == "role_required"
    schedule.refresh_from_db()
    assert schedule.status == "draft"


def test_versions_number_up_and_an_approved_version_is_not_edited():
    enrollment = enrolled_child(admitted_provider())
    first = approved_schedule(enrollment)
    second = draft(enrollment, WEEK, valid_from=datetime.date(2026, 9, 1))
    assert (first.version, second.version) == (1, 2)
    with pytest.raises(ValidationError) as refused:
        services.schedule_update(
            schedule=first,
            valid_from=first.valid_from,
            slots=WEEK,
            acting_user=head_of(enrollment.provider),
        )
    assert codes(refused.value) == {"schedule_not_draft"}


def test_a_new_version_must_start_after_the_last_approved_one():
    enrollment = enrolled_child(admitted_provider())
    approved_schedule(enrollment, valid_from=datetime.date(2026, 8, 1))
    earlier = draft(enrollment, WEEK, valid_from=datetime.date(2026, 7, 15))
    with pytest.raises(ValidationError) as refused:
        services.schedule_approve(schedule=earlier, acting_user=head_of(enrollment.provider))
    assert "not_after_approved" in codes(refused.value)


def test_generation_skips_a_public_holiday():
    # Given a Monday home visit, and Monday 6 July 2026 is Capital Day
    enrollment = enrolled_child(admitted_provider(), start_on=datetime.date(2026, 6, 29))
    approved_schedule(enrollment)
    # When the plan for 29 June – 12 July is generated
    services.visits_generate(start=datetime.date(2026, 6, 29), days=14)
    mondays = Visit.objects.filter(slot__weekday=0).values_list("date", flat=True)
    # Then the holiday has no visit, the next Monday has
    assert sorted(mondays) == [datetime.date(2026, 6, 29)]
    assert Visit.objects.filter(date=datetime.date(2026, 7, 6)).count() == 0
    assert (
        Visit.objects.filter(
            date__range=(datetime.date(2026, 7, 6), datetime.date(2026, 7, 12))
        ).count()
        == 4
    )


def test_generation_honours_a_transferred_working_day():
    # Given the akimat moved Friday 4 Sept 2026 onto Saturday 5 Sept
    CalendarDay.objects.create(date=datetime.date(2026, 9, 4), kind="day_off", note="Постановление")
    CalendarDay.objects.create(
        date=datetime.date(2026, 9, 5), kind="working_day", works_as=4, note="Постановление"
    )
    enrollment = enrolled_child(admitted_provider())
    approved_schedule(enrollment)
    services.visits_generate(start=datetime.date(2026, 8, 31), days=7)
    dates = set(Visit.objects.values_list("date", flat=True))
    # Then Friday has no visit and Saturday has Friday's centre visit
    assert datetime.date(2026, 9, 4) not in dates
    saturday = Visit.objects.get(date=datetime.date(2026, 9, 5))
    assert (saturday.setting, saturday.start) == ("centre", T(11))


def test_a_working_day_transfer_overrides_a_holiday():
    CalendarDay.objects.create(date=datetime.date(2026, 7, 6), kind="working_day")
    enrollment = enrolled_child(admitted_provider(), start_on=datetime.date(2026, 6, 29))
    approved_schedule(enrollment)
    services.visits_generate(start=datetime.date(2026, 7, 6), days=1)
    assert Visit.objects.filter(date=datetime.date(2026, 7, 6)).count() == 1


def test_generation_is_idempotent_and_never_brings_back_a_cancelled_plan():
    enrollment = enrolled_child(admitted_provider())
    approved_schedule(enrollment)
    first = services.visits_generate(start=datetime.date(2026, 7, 1), days=28)
    assert first == Visit.objects.count() > 0
    cancelled = Visit.objects.order_by("date").first()
    services.visit_cancel(
        visit=cancelled, reason="Перенос", acting_user=head_of(enrollment.provider)
    )
    assert services.visits_generate(start=datetime.date(2026, 7, 1), days=28) == 0
    assert Visit.objects.count() == first


def test_generation_stops_at_the_end_of_the_enrolment():
    enrollment = enrolled_child(admitted_provider())
    enrollment.end_on = datetime.date(2026, 7, 8)
    enrollment.save(update_fields=["end_on"])
    approved_schedule(enrollment)
    services.visits_generate(start=datetime.date(2026, 7, 1), days=28)
    assert max(Visit.objects.values_list("date", flat=True)) <= datetime.date(2026, 7, 8)


def test_a_new_version_replaces_untouched_plans_from_its_date_but_not_in_the_past():
    # Given a schedule approved three weeks ago and its plans for six weeks
    today = timezone.localdate()
    start = today - datetime.timedelta(days=21)
    enrollment = enrolled_child(admitted_provider(), start_on=start)
    approved_schedule(enrollment)
    services.visits_generate(start=start, days=42)
    kept = (
        Visit.objects.filter(date__gt=today + datetime.timedelta(days=7)).order_by("date").first()
    )
    services.visit_cancel(
        visit=kept, reason="Семья в отъезде", acting_user=head_of(enrollment.provider)
    )
    # When version 2, applying from a week ago, is approved
    new_week = [slot(d, "home" if d < 2 else "centre", 14, 60) for d in range(5)]
    approved_schedule(enrollment, valid_from=today - datetime.timedelta(days=7), slots=new_week)
    services.visits_generate(start=start, days=42)
    # Then from today on only version 2's plans remain (and the cancelled one), the past is kept
    upcoming = Visit.objects.filter(date__gte=today, status="planned")
    assert upcoming.exists()
    assert set(upcoming.values_list("start", flat=True)) == {T(14)}
    assert Visit.objects.filter(pk=kept.pk, status="cancelled").exists()
    past = Visit.objects.filter(
        date__range=(today - datetime.timedelta(days=7), today - datetime.timedelta(days=1))
    )
    assert T(14) not in set(past.values_list("start", flat=True))
    assert past.exists()


def test_approving_versions_out_of_order_never_plans_a_day_twice():
    enrollment = enrolled_child(admitted_provider())
    today = timezone.localdate()
    later = draft(enrollment, WEEK, valid_from=today + datetime.timedelta(days=14))
    earlier = draft(enrollment, WEEK, valid_from=today + datetime.timedelta(days=7))
    head = head_of(enrollment.provider)
    services.schedule_approve(schedule=earlier, acting_user=head)
    services.schedule_approve(schedule=later, acting_user=head)
    services.visits_generate(start=today, days=28)
    per_day = Counter(Visit.objects.values_list("date", "setting"))
    assert per_day and max(per_day.values()) == 1


def test_the_schedule_page_shows_the_assessment_and_the_head_approves(client):
    enrollment = enrolled_child(admitted_provider())
    AssessmentFactory(child=enrollment.child, home_visits_per_week=3, centre_visits_per_week=4)
    schedule = draft(enrollment, WEEK)
    head = head_of(enrollment.provider)
    client.force_login(head)
    page = client.get(f"/children/{enrollment.child_id}/schedule/")
    assert page.status_code == 200
    assert "Version 1" in page.content.decode()
    response = client.post(f"/schedules/{schedule.pk}/approve/")
    assert response.status_code == 302
    assert Schedule.objects.get(pk=schedule.pk).status == "approved"


def test_a_draft_is_prepared_on_the_page_and_a_bad_one_is_explained(client):
    enrollment = enrolled_child(admitted_provider())
    client.force_login(coordinator_of(enrollment.provider))
    data = {
        "valid_from": "2026-07-01",
        "centre_reason": "",
        "slots-TOTAL_FORMS": "2",
        "slots-INITIAL_FORMS": "0",
        "slots-MIN_NUM_FORMS": "0",
        "slots-MAX_NUM_FORMS": "21",
        "slots-0-weekday": "0",
        "slots-0-setting": "home",
        "slots-0-start": "10:00",
        "slots-0-duration_minutes": "300",
        "slots-1-weekday": "",
    }
    response = client.post(f"/children/{enrollment.child_id}/schedule/new/", data)
    assert response.status_code == 302
    schedule = Schedule.objects.get(enrollment=enrollment)
    assert schedule.slots.count() == 1
    page = client.get(f"/children/{enrollment.child_id}/schedule/").content.decode()
    assert 'data-code="longer_than_four_hours"' in page
    assert 'data-code="too_few_home_visits"' in page


def test_another_centres_schedule_is_not_found(client):
    enrollment = enrolled_child(admitted_provider())
    schedule = draft(enrollment, WEEK)
    client.force_login(head_of(admitted_provider()))
    assert client.get(f"/children/{enrollment.child_id}/schedule/").status_code == 404
    assert client.post(f"/schedules/{schedule.pk}/approve/").status_code == 404
    assert Schedule.objects.get(pk=schedule.pk).status == "draft"


def test_the_plan_runs_every_night_on_beat(settings):
    from pilot.celery import app

    schedules = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "services.tasks.visits_generate_task" in schedules
    app.loader.import_default_modules()  # what a worker and beat do when they start
    assert "services.tasks.visits_generate_task" in app.tasks


@pytest.mark.celery_worker
@pytest.mark.skipif(
    not __import__("os").environ.get("REDIS_URL"), reason="needs REDIS_URL: a real Celery worker"
)
@pytest.mark.django_db(transaction=True)
def test_the_plan_is_made_by_a_real_worker(real_celery_worker):
    from services.tasks import visits_generate_task

    enrollment = enrolled_child(admitted_provider())
    approved_schedule(enrollment)
    Visit.objects.all().delete()
    assert visits_generate_task.delay("2026-07-01", 14).get(timeout=60) == 9
    assert visits_generate_task.delay("2026-07-01", 14).get(timeout=60) == 0
