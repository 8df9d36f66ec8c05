from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.signals import worker_ready

from core import jobs

logger = logging.getLogger(__name__)


@shared_task(name="core.tasks.jobs_sweep_task")
def jobs_sweep_task() -> dict[str, int]:
    """Every minute (beat) and at every worker start: the outbox sent, jobs whose worker died
    queued again (core.jobs.jobs_sweep)."""
    return jobs.jobs_sweep()


@worker_ready.connect
def _sweep_when_a_worker_starts(sender: Any = None, **kwargs: Any) -> None:
    """A worker that starts after a crash takes up what the dead one left at once, not at the
    next beat: the sweep is queued to this worker's pool (the main process stays off the
    database)."""
    try:
        jobs_sweep_task.apply_async(retry=False)
    except Exception:
        logger.exception("the sweep at worker start could not be queued")
