from __future__ import annotations

import datetime
from typing import Any

from celery import shared_task
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.jobs import RECONCILIATION, job_heartbeat
from core.periods import month_start
from reconciliation.services import run_reconciliation, run_start


@shared_task(
    bind=True,
    name="reconciliation.tasks.reconcile_task",
    acks_late=True,  # a worker that dies mid-run leaves the task to be delivered again
    reject_on_worker_lost=True,
)
def reconcile_task(self: Any, run_id: int) -> str:
    """Run a queued reconciliation; idempotent, so running it again is safe."""

    with job_heartbeat(RECONCILIATION, run_id, enabled=not self.request.is_eager):
        return run_reconciliation(run_id=run_id)


@shared_task(name="reconciliation.tasks.reconcile_current_month_task")
def reconcile_current_month_task() -> int | None:
    """Nightly (beat): the current month up to yesterday. Skipped while one is running."""

    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    start = month_start(yesterday)
    try:
        return run_start(period_start=start, period_end=yesterday).pk
    except ValidationError:
        return None
