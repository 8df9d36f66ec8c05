"""Jobs that survive a dead worker or a missing broker (docs/operations.md, "Jobs that survive
a dead worker or broker").

- The outbox: work is queued by writing an `OutboxMessage` in the transaction that writes the
  job row; it is sent when that transaction commits, and, when the broker is down then, by the
  sweep once it is back. The request that asked for the work never fails because of the broker.
- The lock: one worker at a time on a job row (a PostgreSQL session advisory lock, which the
  database releases the moment the worker's connection dies).
- The heartbeat: a job row's `heartbeat_at` (core.models.JobRow) moves while a worker works on
  it, from a thread of the task's own, whatever the job is doing (WeasyPrint lays out a long
  journal in one call).
- The sweep (every minute, and at every worker start): sends what the outbox holds, then
  re-queues every job row that is queued or running with no sign of life for JOB_STALE_SECONDS,
  or (PostgreSQL) running while nobody holds its lock: its worker died.
"""

from __future__ import annotations

import contextlib
import datetime
import importlib
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from celery import current_app
from django.apps import apps
from django.conf import settings
from django.db import connection, connections, models, transaction
from django.db.models import F, Q
from django.utils import timezone

from core.models import OutboxMessage

logger = logging.getLogger(__name__)

# A job started this many times without finishing (its worker died each time, or it passed its
# hard time limit) is marked failed rather than handed out again.
MAX_ATTEMPTS = 5
ACTIVE = ("queued", "running")
RUNNING = "running"
FAILED = "failed"


@dataclass(frozen=True)
class JobKind:
    """A kind of job row: its model, the task that runs it and that task's argument."""

    model: str
    task: str
    argument: str
    lock: int  # the first key of its advisory lock

    def rows(self) -> models.QuerySet[Any]:
        return apps.get_model(self.model)._default_manager.all()


RECONCILIATION = JobKind(
    "reconciliation.ReconciliationRun", "reconciliation.tasks.reconcile_task", "run_id", 7261
)
REPORT_VERSION = JobKind(
    "reports.ReportVersion", "reports.tasks.generate_report_task", "version_id", 7262
)
JOURNAL_EXPORT = JobKind(
    "services.JournalExport", "services.tasks.journal_pdf_task", "export_id", 7263
)
KINDS = (RECONCILIATION, REPORT_VERSION, JOURNAL_EXPORT)
# Tasks with no job row of their own (idempotent, and run again by the next import or night).
FIND_DUPLICATES = "recipients.tasks.find_duplicates_task"
VISITS_GENERATE = "services.tasks.visits_generate_task"


def stale_after() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.JOB_STALE_SECONDS)


# -- the outbox ---------------------------------------------------------------------------------
def outbox_enqueue(task: str, **kwargs: Any) -> OutboxMessage:
    """Queue `task(**kwargs)` with the current transaction: written now, sent on commit."""
    message = OutboxMessage.objects.create(task=task, kwargs=kwargs)
    transaction.on_commit(lambda: outbox_send(message.pk))
    return message


def outbox_send(message_id: int) -> bool:
    """Send one message; False (logged, the row kept for the sweep) when the broker is down.

    Eager (no broker: SQLite, tests) the task runs here and its errors propagate as before."""
    app = current_app
    claimed = OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True).update(
        sent_at=timezone.now(), tries=F("tries") + 1
    )
    if not claimed:
        return True  # sent already (by the sweep or an earlier try)
    message = OutboxMessage.objects.get(pk=message_id)
    if app.conf.task_always_eager:
        # The task's module names it (`reconciliation.tasks.reconcile_task`); a web process
        # has not necessarily imported it.
        importlib.import_module(message.task.rsplit(".", 1)[0])
        app.tasks[message.task].apply_async(kwargs=message.kwargs)
        return True
    try:
        # No retries: the broker is asked once, with a short connection timeout
        # (CELERY_BROKER_CONNECTION_TIMEOUT), so a request never waits on a missing broker.
        app.send_task(message.task, kwargs=message.kwargs, retry=False)
    except Exception as error:  # the broker is unreachable: the sweep sends it later
        logger.warning(
            "task %s (%s) not sent, kept in the outbox: %r", message.task, message_id, error
        )
        OutboxMessage.objects.filter(pk=message_id).update(sent_at=None, error=repr(error)[:2000])
        return False
    return True


def outbox_flush(limit: int = 500) -> int:
    """Send what the outbox holds, oldest first; stops at the first message the broker refuses."""
    sent = 0
    for message_id in OutboxMessage.objects.filter(sent_at__isnull=True).values_list(
        "pk", flat=True
    )[:limit]:
        if not outbox_send(message_id):
            break
        sent += 1
    return sent


# -- the lock and the heartbeat -----------------------------------------------------------------
@contextlib.contextmanager
def job_lock(kind: JobKind, pk: int, *, wait: float = 5.0) -> Iterator[bool]:
    """One worker at a time on a job. PostgreSQL: a session advisory lock, released by the
    database if the worker dies, so a redelivered task can take the job over. Tried for up to
    `wait` seconds: a task redelivered the moment its process was killed may arrive before the
    database has ended the dead process's session. Elsewhere (SQLite: tasks run in the
    process) there is nothing to lock against."""
    if connection.vendor != "postgresql":
        yield True
        return
    deadline = time.monotonic() + wait
    while True:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [kind.lock, pk])
            acquired = bool(cursor.fetchone()[0])
        if acquired or time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [kind.lock, pk])


def job_beat(kind: JobKind, pk: int, **fields: Any) -> None:
    """A sign of life (with `fields`, e.g. progress) on a job row."""
    kind.rows().filter(pk=pk).update(heartbeat_at=timezone.now(), **fields)


def job_started(kind: JobKind, pk: int) -> int:
    """A worker starts (or resumes) the job: one more attempt; returns how many so far."""
    job_beat(kind, pk, attempts=F("attempts") + 1)
    return int(kind.rows().values_list("attempts", flat=True).get(pk=pk))


@contextlib.contextmanager
def job_heartbeat(kind: JobKind, pk: int, *, enabled: bool = True) -> Iterator[None]:
    """While the block runs, `heartbeat_at` moves every JOB_HEARTBEAT_SECONDS, from a thread
    with its own database connection. It stops with the process: a killed worker's job goes
    quiet, and the sweep hands it out again. (Off for tasks run eagerly in a request.)"""
    if not enabled:
        yield
        return
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.JOB_HEARTBEAT_SECONDS):
                kind.rows().filter(pk=pk, status__in=ACTIVE).update(heartbeat_at=timezone.now())
        except Exception:  # a heartbeat lost is noticed by the sweep, never fatal to the job
            logger.exception("heartbeat of %s %s stopped", kind.model, pk)
        finally:
            connections.close_all()  # this thread's connections only

    thread = threading.Thread(target=beat, name=f"heartbeat-{kind.model}-{pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


def _lock_free(kind: JobKind, pk: int) -> bool:
    """PostgreSQL: nobody holds the job's lock (the worker that set it running is gone)."""
    with job_lock(kind, pk, wait=0) as acquired:
        return acquired


# -- the sweep ----------------------------------------------------------------------------------
def job_requeue(kind: JobKind, pk: int) -> None:
    """Hand a job out again (through the outbox); its heartbeat restarts the stale clock."""
    with transaction.atomic():
        job_beat(kind, pk)
        outbox_enqueue(kind.task, **{kind.argument: pk})


def jobs_sweep(now: datetime.datetime | None = None) -> dict[str, int]:
    """Send the outbox, then re-queue the jobs nobody is working on (or fail those that used up
    their attempts). Safe to run at any time and on several workers: a job re-queued while it
    runs finds its lock taken and leaves it to the worker that has it."""
    now = now or timezone.now()
    counts = {"sent": outbox_flush(), "requeued": 0, "failed": 0}
    quiet = Q(heartbeat_at__lt=now - stale_after()) | Q(
        heartbeat_at__isnull=True, created_at__lt=now - stale_after()
    )
    for kind in KINDS:
        active = kind.rows().filter(status__in=ACTIVE)
        candidates = set(active.filter(quiet).values_list("pk", flat=True))
        if connection.vendor == "postgresql":
            candidates |= {
                pk
                for pk in active.filter(status=RUNNING)
                .exclude(pk__in=candidates)
                .values_list("pk", flat=True)
                if _lock_free(kind, pk)
            }
        for pk in sorted(candidates):
            if kind.rows().filter(pk=pk, attempts__gte=MAX_ATTEMPTS).exists():
                kind.rows().filter(pk=pk, status__in=ACTIVE).update(
                    status=FAILED,
                    error=f"abandoned: its worker stopped {MAX_ATTEMPTS} times",
                    heartbeat_at=now,
                )
                counts["failed"] += 1
                logger.warning("%s %s failed after %s attempts", kind.model, pk, MAX_ATTEMPTS)
                continue
            job_requeue(kind, pk)
            counts["requeued"] += 1
            logger.warning("%s %s had no worker: queued again", kind.model, pk)
    return counts
