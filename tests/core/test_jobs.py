"""Jobs that survive a dead worker or a missing broker (core.jobs): task settings, the outbox,
the sweep, resumed jobs, counters counted from the rows, one journal export at a time, and the
dashboard without its cache. The real-worker drills are in test_jobs_worker.py."""

import contextlib
import datetime
import io
import socket
import time

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from core import jobs
from core.models import OutboxMessage
from pilot.celery import app
from reconciliation import services as reconciliation
from reconciliation.checks import CHECKS, Period
from reconciliation.models import Finding, ReconciliationRun, RunStatus
from services.models import JobStatus, JournalExport
from tests.factories import VisitFactory, analyst, coordinator_of, officer
from tests.reconciliation import test_reconciliation
from tests.services import test_journal

JULY, SEPTEMBER = test_reconciliation.JULY, test_journal.SEPTEMBER
# The fixtures of those modules, used here too
prepared = test_reconciliation.prepared
two_centres = test_journal.two_centres

pytestmark = pytest.mark.django_db

OUR_APPS = ("core.", "providers.", "recipients.", "services.", "reconciliation.", "reports.")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def broker_down():
    """The portal's Celery app publishing to a Redis nobody listens on (a stopped broker)."""
    saved = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url = f"redis://127.0.0.1:{free_port()}/0"
    app.conf.task_always_eager = False
    app.amqp._producer_pool = None
    app._pool = None
    yield
    app.conf.broker_url, app.conf.task_always_eager = saved
    app.amqp._producer_pool = None
    app._pool = None


def long_journal(settings, two_centres, rows=3):
    settings.JOURNAL_PDF_INLINE_ROWS = 2
    mine, _, enrollment, _ = two_centres
    for day in range(1, rows + 1):
        VisitFactory(enrollment=enrollment, date=SEPTEMBER.replace(day=day))
    return mine


# -- a. task settings ---------------------------------------------------------------------------
def test_every_task_is_acknowledged_late_redelivered_when_its_worker_dies_and_time_limited():
    app.loader.import_default_modules()
    ours = {name: task for name, task in app.tasks.items() if name.startswith(OUR_APPS)}
    assert "services.tasks.journal_pdf_task" in ours and "core.tasks.jobs_sweep_task" in ours
    hard = app.conf.task_time_limit
    for name, task in ours.items():
        assert task.acks_late and task.reject_on_worker_lost, name
        limit, soft = task.time_limit or hard, task.soft_time_limit or app.conf.task_soft_time_limit
        assert limit and limit <= 1200 and soft and soft < limit, name
    # Redis hands a task out again only after its hard limit: never while it still runs
    assert app.conf.broker_transport_options["visibility_timeout"] > hard
    assert "jobs-sweep" in app.conf.beat_schedule


# -- c. the outbox: a missing broker delays work, never fails the request ----------------------
def test_with_the_broker_down_the_admin_starts_a_run_that_runs_when_the_broker_is_back(
    client,
    prepared,
    broker_down,
    django_capture_on_commit_callbacks,
):
    client.force_login(officer())
    began = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/reconciliation/reconciliationrun/add/",
            {"period_start": "2026-07-01", "period_end": "2026-07-31"},
        )
    assert response.status_code == 302 and time.monotonic() - began < 8
    run = ReconciliationRun.objects.get()
    assert run.status == RunStatus.QUEUED
    message = OutboxMessage.objects.get()
    assert message.sent_at is None and message.kwargs == {"run_id": run.pk}
    assert "Error" in message.error or "refused" in message.error.lower()

    # When the broker is back, the sweep sends it (here: the task runs in the process)
    app.conf.task_always_eager = True
    assert jobs.jobs_sweep()["sent"] == 1
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and run.found > 0
    assert OutboxMessage.objects.get().sent_at is not None


def test_with_the_broker_down_a_long_journal_pdf_is_queued_and_made_when_it_is_back(
    client,
    settings,
    two_centres,
    broker_down,
    django_capture_on_commit_callbacks,
):
    mine = long_journal(settings, two_centres)
    client.force_login(coordinator_of(mine))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("services:journal_pdf"), {"month": "2026-09"})
    export = JournalExport.objects.get()
    assert response.status_code == 302 and export.status == JobStatus.QUEUED
    assert client.get(response.url).status_code == 200
    assert OutboxMessage.objects.get().sent_at is None

    app.conf.task_always_eager = True
    jobs.outbox_flush()
    export.refresh_from_db()
    assert export.status == JobStatus.DONE and export.rows == 3


def test_with_the_broker_down_a_report_version_waits_queued_instead_of_failing(
    broker_down, django_capture_on_commit_callbacks
):
    from reports import services as reports
    from reports.models import VersionStatus

    report = reports.pilot_report(period_end=datetime.date(2026, 11, 30))
    with django_capture_on_commit_callbacks(execute=True):
        version = reports.version_start(
            report=report, language="ru", on=datetime.date(2026, 11, 20)
        )
    version.refresh_from_db()
    assert version.status == VersionStatus.QUEUED and version.error == ""
    assert OutboxMessage.objects.get().kwargs == {"version_id": version.pk}


def test_with_the_broker_down_import_dataset_writes_prints_its_summary_and_exits_0(
    sample, broker_down
):
    out = io.StringIO()
    call_command("import_dataset", str(sample), stdout=out)  # raised RuntimeError before
    assert " ".join(out.getvalue().splitlines()[1].split()) == "providers.csv 9 9 0 0"
    assert OutboxMessage.objects.filter(task=jobs.FIND_DUPLICATES, sent_at__isnull=True).exists()


# -- b. the sweep, resumed jobs, counters -------------------------------------------------------


@contextlib.contextmanager
def worker_holding(kind, pk):
    """Another database session holds the job's lock, as the worker running it does."""
    if connection.vendor != "postgresql":
        yield
        return
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [kind.lock, pk])
        yield
    finally:
        other.close()  # the session ends, and its lock with it


def test_the_sweep_requeues_a_run_whose_heartbeat_stopped_and_fails_one_out_of_attempts(
    prepared,
    django_capture_on_commit_callbacks,
):
    quiet = timezone.now() - datetime.timedelta(minutes=10)
    dead = ReconciliationRun.objects.create(
        period_start=JULY[0],
        period_end=JULY[1],
        status=RunStatus.RUNNING,
        percent=48,
        heartbeat_at=quiet,
        attempts=1,
    )
    hopeless = ReconciliationRun.objects.create(
        period_start=datetime.date(2026, 8, 1),
        period_end=datetime.date(2026, 8, 31),
        status=RunStatus.RUNNING,
        heartbeat_at=quiet,
        attempts=jobs.MAX_ATTEMPTS,
    )
    alive = ReconciliationRun.objects.create(
        period_start=datetime.date(2026, 9, 1),
        period_end=datetime.date(2026, 9, 30),
        status=RunStatus.RUNNING,
        heartbeat_at=timezone.now(),
    )

    # A live worker holds its job's lock (PostgreSQL): the sweep must leave that run alone even
    # though, without the lock, a running job nobody holds is handed out again at once.
    with (
        worker_holding(jobs.RECONCILIATION, alive.pk),
        django_capture_on_commit_callbacks(execute=True),
    ):
        counts = jobs.jobs_sweep()  # tasks run in the process: the requeued run finishes here

    active = list(
        ReconciliationRun.objects.values_list("pk", "status", "heartbeat_at", "attempts", "error")
    )
    assert (counts["requeued"], counts["failed"]) == (1, 1), (counts, active, timezone.now())
    dead.refresh_from_db()
    hopeless.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == RunStatus.DONE and dead.attempts == 2 and dead.percent == 100
    assert hopeless.status == RunStatus.FAILED and "5 times" in hopeless.error
    assert alive.status == RunStatus.RUNNING


def test_a_resumed_run_counts_what_its_killed_attempt_stored(prepared):
    clean = len({found.key for check in CHECKS for found in check.run(Period(JULY[0], JULY[1]))})
    # Given an attempt that stored the first checks' findings, then died
    run = ReconciliationRun.objects.create(
        period_start=JULY[0],
        period_end=JULY[1],
        status=RunStatus.RUNNING,
        started_at=timezone.now(),
        attempts=1,
    )
    for check in CHECKS[:2]:
        reconciliation.store_findings(run, check.run(Period(JULY[0], JULY[1])))
    stored = Finding.objects.filter(last_run=run).count()
    assert 0 < stored < clean

    # When its task is delivered again
    assert reconciliation.run_reconciliation(run_id=run.pk) == RunStatus.DONE

    # Then it counts every finding it raised, as a clean run would (it counted clean - stored)
    run.refresh_from_db()
    assert run.found == clean == Finding.objects.filter(last_run=run).count()
    assert (run.updated, run.resolved, run.attempts) == (0, 0, 2)


def test_a_journal_export_left_running_by_a_dead_worker_is_made_when_redelivered(
    settings,
    two_centres,
):
    mine = long_journal(settings, two_centres)
    export = JournalExport.objects.create(
        provider=mine,
        period_start=SEPTEMBER,
        period_end=datetime.date(2026, 9, 30),
        language="ru",
        requested_by=coordinator_of(mine),
        status=JobStatus.RUNNING,
        attempts=1,
    )
    from services.journal import journal_export_run

    assert journal_export_run(export_id=export.pk) == JobStatus.DONE  # "running" before
    export.refresh_from_db()
    assert export.rows == 3 and export.file and export.attempts == 2


# -- e. one export per requester and journal at a time ------------------------------------------
def test_reloading_a_long_journal_pdf_reuses_the_export_being_prepared(
    client,
    settings,
    two_centres,
):
    mine = long_journal(settings, two_centres)
    client.force_login(coordinator_of(mine))
    # on_commit callbacks are not run here: the first export stays queued
    urls = {client.get(reverse("services:journal_pdf"), {"month": "2026-09"}).url for _ in range(3)}
    assert JournalExport.objects.count() == 1 and len(urls) == 1
    assert OutboxMessage.objects.count() == 1
    # once ready, asking again makes a fresh one (the data may have changed)
    JournalExport.objects.update(status=JobStatus.DONE)
    client.get(reverse("services:journal_pdf"), {"month": "2026-09"})
    assert JournalExport.objects.count() == 2


# -- d. the dashboard without its cache ---------------------------------------------------------
def test_the_dashboard_counts_afresh_when_its_cache_is_unreachable(client, settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    client.force_login(analyst())
    response = client.get(reverse("reports:dashboard"), {"period": "pilot"})
    assert response.status_code == 200  # 500 before
    assert "cache unreachable" in caplog.text
