from __future__ import annotations

from typing import Any

from celery import shared_task
from django.utils import timezone

from core.jobs import REPORT_VERSION, job_heartbeat
from reports import published
from reports.periods import PILOT_START, data_as_of
from reports.services import (
    open_half_year_drafts,
    release_stale_versions,
    run_version,
    send_reminders,
)


@shared_task(
    bind=True,
    name="reports.tasks.generate_report_task",
    acks_late=True,  # a worker that dies mid-run leaves the task to be delivered again
    reject_on_worker_lost=True,
)
def generate_report_task(self: Any, version_id: int) -> str:
    """Generate a queued report version; running it again on a ready version does nothing."""

    with job_heartbeat(REPORT_VERSION, version_id, enabled=not self.request.is_eager):
        return run_version(version_id)


@shared_task(name="reports.tasks.report_calendar_task")
def report_calendar_task() -> dict[str, int]:
    """Daily (beat): the month's figures for the dashboard (written on the 1st, read back
    after), abandoned versions released, the draft of a half-year that just ended, and the
    deadline reminders."""

    today = timezone.localdate()
    if data_as_of(today) >= PILOT_START:
        published.release(data_as_of(today))
    released = release_stale_versions()
    drafts = open_half_year_drafts(today)
    return {"released": released, "drafts": len(drafts), "reminders": send_reminders(today)}
