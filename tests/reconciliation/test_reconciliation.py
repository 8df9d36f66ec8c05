"""Reconciliation runs (a Celery job), their findings, and the officers' review (domain.md §6)."""

import datetime
import os

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from exchange.service import dataset_import
from recipients.models import Enrollment
from reconciliation import services
from reconciliation.models import Finding, FindingStatus, ReconciliationRun, RunStatus
from services.models import Visit
from services.services import flag_overlaps_in
from tariffs.billing import rules
from tariffs.models import InvoiceExclusion
from tariffs.services import bill_month
from tests.factories import (
    VisitFactory,
    admitted_provider,
    enrolled_child,
    enrollment_for,
    iin_for,
    officer,
)

D = datetime.date
T = datetime.time
JULY = (D(2026, 7, 1), D(2026, 7, 31))


def visit(enrollment, day, setting, start, end, **fields):
    return VisitFactory(
        enrollment=enrollment,
        date=day,
        setting=setting,
        start=T(*start),
        end=T(*end),
        confirmation_method="paper",
        **fields,
    )


@pytest.fixture
def prepared(db):
    """A month with one of each kind of finding, and their expected keys.

    - child A: a full week 6–12 July (2 home, 3 centre) plus a centre visit on Monday 6 July
      overlapping the home visit; one home visit in the week of 13 July; nothing the week of 20.
    - child B: enrolled with P, then also with Q from 10 July; one home visit with Q on 14 July.
    - child C: an IIN whose digits say 01.01.2016, recorded as born on 02.02.2016.
    """
    p, q = admitted_provider(), admitted_provider()
    a = enrolled_child(p)
    home_monday = visit(a, D(2026, 7, 6), "home", (10, 0), (12, 0))
    visit(a, D(2026, 7, 7), "centre", (9, 0), (12, 0))
    in_hospital = visit(a, D(2026, 7, 8), "home", (10, 0), (12, 0))
    visit(a, D(2026, 7, 9), "centre", (9, 0), (12, 0))
    visit(a, D(2026, 7, 10), "centre", (9, 0), (12, 0))
    overlapping = visit(a, D(2026, 7, 6), "centre", (11, 0), (13, 0))
    visit(a, D(2026, 7, 14), "home", (10, 0), (12, 0))
    b_p = enrolled_child(p)
    b_q = enrollment_for(b_p.child, q, start_on=D(2026, 7, 10))
    with_q = visit(b_q, D(2026, 7, 14), "home", (10, 0), (12, 0))
    c = enrolled_child(p, iin=iin_for(D(2016, 1, 1)), birth_date=D(2016, 2, 2))
    visit(c, D(2026, 7, 15), "home", (10, 0), (12, 0))
    flag_overlaps_in(Visit.objects.all())
    # the health registry has child A in hospital on 8 July: that day's visit is withheld
    report = dataset_import(
        directory={
            "registry_health.csv": "iin,kind,start_on,end_on,organisation\n"
            f"{a.child.iin},hospital,2026-07-08,2026-07-08,ГКП «Городская больница №1»\n"
        }
    )
    assert report.ok and report.written
    call_command("seed_tariffs")

    pair = sorted([home_monday.visit_id, overlapping.visit_id])
    low = {
        f"low_frequency:{a.pk}:2026-07-13",
        f"low_frequency:{a.pk}:2026-07-20",
        *(f"low_frequency:{b_p.pk}:2026-07-{day}" for day in ("06", "13", "20")),
        *(f"low_frequency:{b_q.pk}:2026-07-{day}" for day in ("13", "20")),
        *(f"low_frequency:{c.pk}:2026-07-{day}" for day in ("06", "13", "20")),
    }
    return {
        "overlap": f"overlap:{pair[0]}:{pair[1]}",
        "overlap_visits": {home_monday.pk, overlapping.pk},
        "two_providers": f"two_providers:{b_p.pk}:{b_q.pk}",
        "with_q": with_q,
        "iin": f"iin_birth_date:{c.child_id}",
        "hospital": f"hospital:{in_hospital.visit_id}",
        "in_hospital": in_hospital,
        "low": low,
        "a": a,
        "overlapping": overlapping,
    }


def reconcile(django_capture_on_commit_callbacks, user=None, period=JULY):
    """Start a run; Celery runs it in the process when the start commits (tests: eager)."""
    with django_capture_on_commit_callbacks(execute=True):
        run = services.run_start(period_start=period[0], period_end=period[1], acting_user=user)
    run.refresh_from_db()
    return run


def keys():
    return set(Finding.objects.values_list("key", flat=True))


def test_a_run_raises_the_expected_findings(prepared, django_capture_on_commit_callbacks):
    run = reconcile(django_capture_on_commit_callbacks, officer())

    assert run.status == RunStatus.DONE and run.percent == 100
    assert keys() == {
        prepared["overlap"],
        prepared["two_providers"],
        prepared["iin"],
        prepared["hospital"],
    } | set(prepared["low"])
    assert run.found == len(keys()) and run.visits_checked == Visit.objects.count()
    overlap = Finding.objects.get(key=prepared["overlap"])
    assert set(overlap.visits.values_list("pk", flat=True)) == prepared["overlap_visits"]
    assert {item["setting"] for item in overlap.evidence["visits"]} == {"home", "centre"}
    two = Finding.objects.get(key=prepared["two_providers"])
    assert list(two.visits.all()) == [prepared["with_q"]]
    assert two.evidence["days"] == ["2026-07-10", None]  # the enrolments' own days
    low = Finding.objects.get(key=f"low_frequency:{prepared['a'].pk}:2026-07-13")
    assert (low.evidence["home"], low.evidence["centre"]) == (1, 0)
    assert not low.visits.exists()
    iin = Finding.objects.get(key=prepared["iin"])
    assert iin.evidence["encoded_birth_date"] == "2016-01-01"
    hospital = Finding.objects.get(key=prepared["hospital"])
    assert list(hospital.visits.all()) == [prepared["in_hospital"]]
    (stay,) = hospital.evidence["registry"]
    assert (stay["kind"], stay["start_on"], stay["end_on"]) == (
        "hospital",
        "2026-07-08",
        "2026-07-08",
    )
    assert stay["organisation"] == "ГКП «Городская больница №1»" and stay["file"]
    assert set(Finding.objects.values_list("status", flat=True)) == {FindingStatus.OPEN}


def test_a_second_run_over_the_same_data_changes_nothing(
    prepared, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr("reconciliation.services.STORE_BATCH", 4)  # stored in several batches
    first = reconcile(django_capture_on_commit_callbacks)
    assert first.found == len(keys()) > 4
    before = list(Finding.objects.order_by("pk").values("pk", "key", "status", "updated_at"))

    again = reconcile(django_capture_on_commit_callbacks)

    assert (again.found, again.updated, again.resolved) == (0, 0, 0)
    assert list(Finding.objects.order_by("pk").values("pk", "key", "status", "updated_at")) == (
        before
    )


def test_changed_data_updates_open_findings_and_resolves_the_gone_but_never_a_review(
    prepared, django_capture_on_commit_callbacks
):
    reconcile(django_capture_on_commit_callbacks)
    reviewer = officer()
    two = Finding.objects.get(key=prepared["two_providers"])
    services.findings_review(
        findings=[two],
        status=FindingStatus.DISMISSED,
        comment="Known transfer",
        acting_user=reviewer,
    )
    # the second enrolment now ends on 20 July and has a new visit; the overlapping visit
    # moves to the afternoon; the IIN finding's child gets the birth date its IIN says
    enrollment = prepared["with_q"].child.enrollments.get(provider=prepared["with_q"].provider)
    enrollment.end_on = D(2026, 7, 20)
    enrollment.save()
    later = visit(enrollment, D(2026, 7, 16), "home", (10, 0), (12, 0))
    Visit.objects.filter(pk=prepared["overlapping"].pk).update(start=T(14), end=T(16))
    flag_overlaps_in(Visit.objects.all())

    run = reconcile(django_capture_on_commit_callbacks)

    two.refresh_from_db()
    assert (two.status, two.comment) == (FindingStatus.DISMISSED, "Known transfer")
    assert two.evidence["days"] == ["2026-07-10", None]  # as it was reviewed
    assert list(two.visits.all()) == [prepared["with_q"]]
    # the visit the review did not see is a finding of its own, open for review
    follow_up = Finding.objects.get(key=f"{prepared['two_providers']}+{later.pk}")
    assert follow_up.status == FindingStatus.OPEN and list(follow_up.visits.all()) == [later]
    assert follow_up.evidence["days"] == ["2026-07-10", "2026-07-20"]
    assert Finding.objects.get(key=prepared["overlap"]).status == FindingStatus.RESOLVED
    assert run.found >= 1 and run.resolved >= 1


def test_a_confirmation_survives_runs_of_other_periods_and_the_visit_stays_unpaid(
    prepared, django_capture_on_commit_callbacks
):
    reconcile(django_capture_on_commit_callbacks)
    overlap = Finding.objects.get(key=prepared["overlap"])
    services.findings_review(
        findings=[overlap],
        status=FindingStatus.CONFIRMED,
        comment="Impossible",
        acting_user=officer(),
    )
    reconcile(django_capture_on_commit_callbacks, period=(D(2026, 7, 15), D(2026, 7, 31)))
    reconcile(django_capture_on_commit_callbacks, period=(D(2026, 7, 1), D(2026, 7, 20)))

    overlap.refresh_from_db()
    assert overlap.status == FindingStatus.CONFIRMED
    assert set(overlap.visits.values_list("pk", flat=True)) == prepared["overlap_visits"]
    bill_month(month=D(2026, 7, 1))
    rejected = InvoiceExclusion.objects.filter(reason=rules.REJECTED_ON_REVIEW)
    assert set(rejected.values_list("visit_id", flat=True)) == prepared["overlap_visits"]


def test_two_runs_of_one_period_cannot_overlap(prepared):
    services.run_start(period_start=JULY[0], period_end=JULY[1])  # queued, not yet run

    with pytest.raises(ValidationError) as refused:
        services.run_start(period_start=JULY[0], period_end=JULY[1])

    assert refused.value.code == "reconciliation_running"
    # nor may a run of days within it: the two would resolve each other's findings
    with pytest.raises(ValidationError):
        services.run_start(period_start=D(2026, 7, 15), period_end=D(2026, 8, 15))
    assert ReconciliationRun.objects.count() == 1
    # a run of another period may go at the same time
    services.run_start(period_start=D(2026, 8, 1), period_end=D(2026, 8, 31))


def test_a_run_abandoned_by_its_worker_does_not_hold_its_period_for_ever(prepared):
    stale = services.run_start(period_start=JULY[0], period_end=JULY[1])
    ReconciliationRun.objects.filter(pk=stale.pk).update(
        status=RunStatus.RUNNING, updated_at=timezone.now() - datetime.timedelta(hours=7)
    )

    services.run_start(period_start=JULY[0], period_end=JULY[1])

    stale.refresh_from_db()
    assert stale.status == RunStatus.FAILED and "abandoned" in stale.error


def test_a_run_left_running_by_a_dead_worker_is_taken_over_and_loses_nothing(
    prepared, django_capture_on_commit_callbacks
):
    run = ReconciliationRun.objects.create(
        period_start=JULY[0], period_end=JULY[1], status=RunStatus.RUNNING, percent=40
    )
    # the task is delivered again (acks_late): the run is made whole from the start
    assert services.run_reconciliation(run_id=run.pk) == RunStatus.DONE
    assert services.run_reconciliation(run_id=run.pk) == RunStatus.DONE  # and never twice
    run.refresh_from_db()
    assert run.percent == 100 and run.found == Finding.objects.count() > 0


def test_a_confirmed_finding_excludes_its_visits_from_the_next_bill_a_dismissed_one_does_not(
    prepared, django_capture_on_commit_callbacks
):
    reconcile(django_capture_on_commit_callbacks)
    reviewer = officer()
    services.findings_review(
        findings=[Finding.objects.get(key=prepared["overlap"])],
        status=FindingStatus.CONFIRMED,
        comment="Both at once is impossible",
        acting_user=reviewer,
    )
    services.findings_review(
        findings=[Finding.objects.get(key=prepared["two_providers"])],
        status=FindingStatus.DISMISSED,
        comment="The transfer was agreed",
        acting_user=reviewer,
    )

    bill_month(month=D(2026, 7, 1))

    reasons = dict(InvoiceExclusion.objects.values_list("visit_id", "reason"))
    assert reasons.get(prepared["with_q"].pk) is None, reasons  # billed
    rejected = set(
        InvoiceExclusion.objects.filter(reason=rules.REJECTED_ON_REVIEW).values_list(
            "visit_id", flat=True
        )
    )
    assert rejected == prepared["overlap_visits"]
    assert not InvoiceExclusion.objects.filter(visit=prepared["with_q"]).exists()
    # the review is in the audit trail, attributed
    entry = LogEntry.objects.get_for_model(Finding).filter(actor=reviewer).first()
    assert entry is not None and "status" in entry.changes_dict


def test_a_rejected_visit_never_makes_another_a_duplicate():
    facts = rules.Facts(
        providers={}, children={}, enrollments={}, tariffs={}, rejected=frozenset({1})
    )
    first = rules.Candidate("A", 1, 1, "home", D(2026, 7, 6), T(9), True, pk=1)
    second = rules.Candidate("B", 1, 1, "home", D(2026, 7, 6), T(10), True, pk=2)
    rules_exclusion = rules.exclusion_reason
    try:
        rules.exclusion_reason = lambda visit, facts: None  # both pass rules 1–12
        decisions = {d.visit.visit_id: d.reason for d in rules.decide([first, second], facts)}
    finally:
        rules.exclusion_reason = rules_exclusion
    assert decisions == {"A": rules.REJECTED_ON_REVIEW, "B": None}


def test_a_review_needs_a_comment_and_a_resolved_finding_cannot_be_reviewed(
    prepared, django_capture_on_commit_callbacks
):
    reconcile(django_capture_on_commit_callbacks)
    finding = Finding.objects.get(key=prepared["iin"])
    with pytest.raises(ValidationError):
        services.findings_review(
            findings=[finding], status=FindingStatus.CONFIRMED, comment=" ", acting_user=officer()
        )
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN
    Finding.objects.filter(pk=finding.pk).update(status=FindingStatus.RESOLVED)
    finding.refresh_from_db()
    with pytest.raises(ValidationError):
        services.findings_review(
            findings=[finding], status=FindingStatus.DISMISSED, comment="ok", acting_user=officer()
        )


def test_officers_start_runs_and_review_findings_in_bulk_in_the_admin(
    client, prepared, django_capture_on_commit_callbacks
):
    client.force_login(officer())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/reconciliation/reconciliationrun/add/",
            {"period_start": "2026-07-01", "period_end": "2026-07-31"},
        )
    assert response.status_code == 302
    assert ReconciliationRun.objects.get().status == RunStatus.DONE
    low = list(Finding.objects.filter(kind="low_frequency").values_list("pk", flat=True))
    page = client.get(
        f"/admin/reconciliation/finding/{Finding.objects.get(key=prepared['overlap']).pk}/change/"
    )
    assert LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS, object_pk=str(prepared["a"].child_id)
    ).exists()  # reading a finding is reading the child
    html = page.content.decode()
    assert page.status_code == 200
    assert prepared["overlapping"].visit_id in html and "centre" in html
    hospital = Finding.objects.get(key=prepared["hospital"])
    html = client.get(f"/admin/reconciliation/finding/{hospital.pk}/change/").content.decode()
    assert prepared["in_hospital"].visit_id in html and "Городская больница №1" in html

    # the bulk action asks for a comment first, then applies to every selected finding
    asked = client.post(
        "/admin/reconciliation/finding/",
        {"action": "dismiss_findings", "_selected_action": low},
    )
    assert asked.status_code == 200 and "comment" in asked.content.decode()
    client.post(
        "/admin/reconciliation/finding/",
        {
            "action": "dismiss_findings",
            "_selected_action": low,
            "apply": "1",
            "comment": "Holidays",
        },
    )
    assert set(Finding.objects.filter(pk__in=low).values_list("status", "comment")) == {
        (FindingStatus.DISMISSED, "Holidays")
    }


def test_the_current_month_is_reconciled_every_night(settings):
    from pilot.celery import app

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "reconciliation.tasks.reconcile_current_month_task" in tasks
    assert "reconciliation.tasks.reconcile_task" in app.tasks
    assert app.tasks["reconciliation.tasks.reconcile_task"].acks_late


@pytest.mark.celery_worker
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL: a real Celery worker")
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_reconciles_and_a_second_run_changes_nothing(real_celery_worker, prepared):
    from reconciliation.tasks import reconcile_task

    run = ReconciliationRun.objects.create(period_start=JULY[0], period_end=JULY[1])
    assert reconcile_task.delay(run.pk).get(timeout=120) == RunStatus.DONE
    found = keys()
    assert prepared["overlap"] in found and prepared["two_providers"] in found
    second = ReconciliationRun.objects.create(period_start=JULY[0], period_end=JULY[1])
    assert reconcile_task.delay(second.pk).get(timeout=120) == RunStatus.DONE
    second.refresh_from_db()
    assert (second.found, second.updated, second.resolved) == (0, 0, 0)
    assert keys() == found


HALF_YEAR = (D(2026, 7, 1), D(2026, 12, 31))
EDGE_MONDAY = D(2026, 7, 27)  # 27 July – 2 August: crosses July's end, whole in the half-year


def _low_frequency():
    return {
        key: (status, evidence)
        for key, status, evidence in Finding.objects.filter(kind="low_frequency").values_list(
            "key", "status", "evidence"
        )
    }


@pytest.fixture
def today(monkeypatch):
    """Set the portal's today (timezone.localdate() without arguments) to a given day."""
    original = timezone.localdate

    def set_today(day):
        monkeypatch.setattr(
            timezone,
            "localdate",
            lambda *args, **kwargs: original(*args, **kwargs) if args else day,
        )

    return set_today


def test_a_month_run_leaves_a_week_crossing_its_edge_to_the_run_that_holds_all_of_it(
    prepared, django_capture_on_commit_callbacks, today
):
    """A week is judged only by a run whose period holds the whole week (docs/decisions.md):
    the half-year run raises it, a run of July neither raises nor resolves it, and the next
    half-year run finds everything as it was."""
    today(D(2027, 1, 10))  # the half-year is over
    first = reconcile(django_capture_on_commit_callbacks, period=HALF_YEAR)
    assert first.status == RunStatus.DONE
    before = _low_frequency()
    # Every enrolment's whole weeks of the half-year that fall below the minimum: Mondays from
    # 6 July to 21 December (28 December's week ends in January), from the Monday on which an
    # enrolment covers the whole week; child A's week of 6 July meets the minimum.
    mondays = [D(2026, 7, 6) + datetime.timedelta(weeks=n) for n in range(25)]
    assert mondays[-1] == D(2026, 12, 21)
    enrollments = Finding.objects.filter(kind="low_frequency").values_list("key", flat=True)
    expected = {
        f"low_frequency:{enrollment_id}:{monday.isoformat()}"
        for enrollment_id, start_on in Enrollment.objects.values_list("pk", "start_on")
        for monday in mondays
        if start_on <= monday
    } - {f"low_frequency:{prepared['a'].pk}:2026-07-06"}
    assert set(enrollments) == expected and len(expected) == 98
    edge = {key for key in before if key.endswith(EDGE_MONDAY.isoformat())}
    assert len(edge) == 4  # A, B with P, B with Q, C

    month = reconcile(django_capture_on_commit_callbacks, period=JULY)
    assert month.status == RunStatus.DONE
    after_month = _low_frequency()
    assert {key: after_month[key] for key in edge} == {key: before[key] for key in edge}
    assert all(after_month[key][0] == FindingStatus.OPEN for key in edge)

    again = reconcile(django_capture_on_commit_callbacks, period=HALF_YEAR)
    assert (again.found, again.updated, again.resolved) == (0, 0, 0)
    assert _low_frequency() == before


def test_the_nightly_run_of_a_month_so_far_leaves_its_unfinished_week_alone(
    prepared, django_capture_on_commit_callbacks
):
    reconcile(django_capture_on_commit_callbacks)  # the whole of July
    week_of_20 = {key for key in _low_frequency() if key.endswith("2026-07-20")}
    assert len(week_of_20) == 4

    # 1–22 July: the week of 20 July has only three of its days in the period.
    partial = reconcile(django_capture_on_commit_callbacks, period=(D(2026, 7, 1), D(2026, 7, 22)))
    assert partial.resolved == 0
    assert all(_low_frequency()[key][0] == FindingStatus.OPEN for key in week_of_20)


def test_a_week_that_has_not_ended_is_not_judged(
    prepared, django_capture_on_commit_callbacks, today
):
    today(D(2026, 12, 2))  # a Wednesday: the last week over ended on Sunday 29 November
    reconcile(django_capture_on_commit_callbacks, period=HALF_YEAR)
    mondays = {key.rsplit(":", 1)[1] for key in _low_frequency()}
    assert max(mondays) == "2026-11-23" and len(_low_frequency()) == 98 - 4 * 4

    today(D(2026, 12, 7))  # the week of 30 November is over now; a run of days to come
    run = reconcile(django_capture_on_commit_callbacks, period=(D(2026, 12, 1), D(2026, 12, 31)))
    assert run.resolved == 0
    assert {key.rsplit(":", 1)[1] for key in _low_frequency()} == mondays
    run = reconcile(django_capture_on_commit_callbacks, period=HALF_YEAR)
    assert run.found == 4 and run.resolved == 0
    assert max(key.rsplit(":", 1)[1] for key in _low_frequency()) == "2026-11-30"
