"""Drills with a real worker process (PostgreSQL + Redis pass): a worker killed by SIGKILL in
the middle of a long journal PDF (only its pool's child, then the whole worker), and a stopped
broker. The work finishes within minutes of a worker being there again, with the same result as
a clean run. Skipped without REDIS_URL."""

from __future__ import annotations

import datetime
import io
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils.translation import override
from pypdf import PdfReader

from core.models import OutboxMessage
from pilot.celery import app
from reconciliation.models import ReconciliationRun, RunStatus
from services.journal import Journal, Period, render_pdf
from services.models import JobStatus, JournalExport, Visit
from tests.factories import (
    VisitFactory,
    admitted_provider,
    analyst,
    coordinator_of,
    enrolled_child,
    officer,
)
from tests.reconciliation import test_reconciliation

prepared = test_reconciliation.prepared  # the fixture, used here too

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"), reason="needs REDIS_URL: a real Celery worker"
    ),
    pytest.mark.django_db(transaction=True),
]

SEPTEMBER = datetime.date(2026, 9, 1)
# ~15 ms a row in WeasyPrint: long enough to be killed mid-way, short enough for CI.
JOURNAL_ROWS = int(os.environ.get("DRILL_JOURNAL_ROWS", "900"))
RECOVERY_LIMIT = 300  # seconds: the job finishes within 5 minutes of a worker being back


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> float:
    began = time.monotonic()
    while not condition():
        if time.monotonic() - began > timeout:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.5)
    return time.monotonic() - began


class Worker:
    """`celery -A pilot worker` (prefork, one child) on the test database, in its own process
    group, logging to a file."""

    def __init__(self, broker: str, log: Path) -> None:
        db = connection.settings_dict
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "pilot.settings.local",
            "DEBUG": "0",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
            "REDIS_URL": broker,
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        }
        if db.get("PASSWORD"):
            self.env["DATABASE_URL"] = (
                f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
            )
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> float:
        """Start it; returns the moment it was started (time.monotonic)."""
        self.log.write_text("")
        began = time.monotonic()
        self.process = subprocess.Popen(  # noqa: S603  # our own command line
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "pilot",
                "worker",
                "-P",
                "prefork",
                "-c",
                "1",
                "-l",
                "INFO",
                "--without-mingle",
                "--without-gossip",
                "-n",
                f"drill-{uuid.uuid4().hex[:8]}@%h",
            ],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(lambda: "ready." in self.log.read_text(), 90, "the worker started")
        return began

    def children(self) -> list[int]:
        assert self.process is not None
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]

    def kill_child(self) -> None:
        (child,) = self.children()
        os.kill(child, signal.SIGKILL)

    def kill(self) -> None:
        """SIGKILL to the whole worker: its main process and its pool."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def publishing_to() -> Iterator[Callable[[str], None]]:
    """The test process publishes tasks (not eager) to the given broker."""
    saved = app.conf.broker_url, app.conf.task_always_eager

    def point(url: str) -> None:
        app.conf.broker_url = url
        app.amqp._producer_pool = None
        app._pool = None

    app.conf.task_always_eager = False
    yield point
    app.conf.task_always_eager = saved[1]
    point(saved[0])


@pytest.fixture
def workers(tmp_path) -> Iterator[Callable[[str], Worker]]:
    started: list[Worker] = []

    def make(broker: str) -> Worker:
        worker = Worker(broker, tmp_path / f"worker-{len(started)}.log")
        started.append(worker)
        return worker

    yield make
    for worker in started:
        worker.stop()


def pages_text(content: bytes) -> list[str]:
    """The PDF's text without the line that says when it was printed."""
    return [
        "\n".join(line for line in page.extract_text().splitlines() if "Printed on" not in line)
        for page in PdfReader(io.BytesIO(content)).pages
    ]


def long_journal() -> tuple[JournalExport, Journal]:
    provider = admitted_provider()
    enrollments = [enrolled_child(provider) for _ in range(JOURNAL_ROWS // 25 + 1)]
    for index in range(JOURNAL_ROWS):
        VisitFactory(
            enrollment=enrollments[index // 25],
            date=SEPTEMBER.replace(day=index % 25 + 1),
        )
    assert Visit.objects.count() >= JOURNAL_ROWS
    journal = Journal(provider=provider, period=Period.month(SEPTEMBER))
    return coordinator_of(provider), journal


def request_export(user, journal: Journal) -> JournalExport:  # type: ignore[no-untyped-def]
    from services.journal import journal_export_request

    with override("en"):
        return journal_export_request(journal=journal, acting_user=user)


def test_a_journal_pdf_survives_its_pool_child_and_then_its_whole_worker_killed(
    publishing_to, workers
):
    broker = os.environ["REDIS_URL"]
    publishing_to(broker)
    app.control.purge()
    user, journal = long_journal()
    with override("en"):
        clean = pages_text(render_pdf(journal, user)[0])
    worker = workers(broker)
    worker.start()

    # Only the pool's child killed mid-way: the task is handed out again to the new child
    export = request_export(user, journal)
    wait_for(lambda: status(export) == JobStatus.RUNNING, 60, "the export started")
    time.sleep(4)
    worker.kill_child()
    killed = time.monotonic()
    assert status(export) == JobStatus.RUNNING
    recovered = wait_for(lambda: status(export) == JobStatus.DONE, RECOVERY_LIMIT, "recovery")
    export.refresh_from_db()
    assert export.attempts == 2 and pages_text(export.file.read()) == clean
    print(f"\nchild killed: done {recovered:.0f} s after the kill")

    # The whole worker killed mid-way: a new worker takes the export up when it starts
    again = request_export(user, journal)
    assert again.pk != export.pk
    wait_for(lambda: status(again) == JobStatus.RUNNING, 60, "the second export started")
    time.sleep(4)
    worker.kill()
    time.sleep(2)
    assert status(again) == JobStatus.RUNNING
    began = workers(broker).start()
    recovered = wait_for(lambda: status(again) == JobStatus.DONE, RECOVERY_LIMIT, "recovery")
    again.refresh_from_db()
    assert again.attempts == 2 and pages_text(again.file.read()) == clean
    print(
        f"whole worker killed: done {time.monotonic() - began:.0f} s after the new worker "
        f"started ({recovered:.0f} s after it was ready); child drill {time.monotonic() - killed:.0f} s"
    )


def status(export: JournalExport) -> str:
    return str(JournalExport.objects.values_list("status", flat=True).get(pk=export.pk))


def test_with_the_broker_stopped_the_admin_the_journal_and_the_dashboard_answer_and_the_work_runs_when_it_is_back(
    client,
    settings,
    prepared,
    publishing_to,
    workers,
    tmp_path,
):
    port = free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    redis_args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    redis_args += ["--appendonly", "no", "--dir", str(tmp_path)]
    publishing_to(broker)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": broker,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    settings.JOURNAL_PDF_INLINE_ROWS = 2
    mine = admitted_provider()
    enrollment = enrolled_child(mine)
    for day in (1, 2, 3):
        VisitFactory(enrollment=enrollment, date=SEPTEMBER.replace(day=day))

    # Given the broker is stopped (never started here: the port is closed)
    client.force_login(officer())
    began = time.monotonic()
    response = client.post(
        "/admin/reconciliation/reconciliationrun/add/",
        {"period_start": "2026-07-01", "period_end": "2026-07-31"},
    )
    assert response.status_code == 302 and time.monotonic() - began < 10
    client.force_login(coordinator_of(mine))
    response = client.get(reverse("services:journal_pdf"), {"month": "2026-09"})
    assert response.status_code == 302 and client.get(response.url).status_code == 200
    client.force_login(analyst())
    assert client.get(reverse("reports:dashboard"), {"period": "pilot"}).status_code == 200
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 2

    # When the broker is back and a worker starts, the work runs
    redis = subprocess.Popen(  # noqa: S603  # our own command line
        redis_args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for(lambda: can_connect(port), 30, "redis started")
        began = workers(broker).start()
        wait_for(
            lambda: (
                ReconciliationRun.objects.filter(status=RunStatus.DONE).exists()
                and JournalExport.objects.filter(status=JobStatus.DONE).exists()
            ),
            RECOVERY_LIMIT,
            "the queued work ran",
        )
        print(f"\nbroker back: work done {time.monotonic() - began:.0f} s after the worker started")
        assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
        assert ReconciliationRun.objects.get().found > 0
        # and the dashboard uses its cache again
        assert client.get(reverse("reports:dashboard"), {"period": "pilot"}).status_code == 200
    finally:
        redis.terminate()
        redis.wait(30)


def can_connect(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False
