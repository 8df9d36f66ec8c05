from __future__ import annotations

import datetime
from typing import Any

from celery import shared_task
from django.utils import timezone

from core.jobs import JOURNAL_EXPORT, job_heartbeat
from services import services
from services.journal import journal_export_run


@shared_task(name="services.tasks.visits_generate_task")
def visits_generate_task(
    start: str | None = None,
    days: int = services.PLAN_AHEAD_DAYS,
    enrollment_ids: list[int] | None = None,
) -> int:
    """Nightly, and after a schedule is approved: planned visits for the coming weeks. Idempotent."""
    day = datetime.date.fromisoformat(start) if start else timezone.localdate()
    return services.visits_generate(start=day, days=days, enrollment_ids=enrollment_ids)


@shared_task(
    bind=True,
    name="services.tasks.journal_pdf_task",
    acks_late=True,  # a worker that dies mid-export leaves the task to be delivered again
    reject_on_worker_lost=True,
)
def journal_pdf_task(self: Any, export_id: int) -> str:
    """A long journal's PDF, asked for on the journal page. Idempotent; resumed when redelivered."""

    with job_heartbeat(JOURNAL_EXPORT, export_id, enabled=not self.request.is_eager):
        return journal_export_run(export_id=export_id)
