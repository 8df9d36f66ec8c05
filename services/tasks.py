from __future__ import annotations

import datetime

from celery import shared_task
from django.utils import timezone

from services import services


@shared_task(name="services.tasks.visits_generate_task")
def visits_generate_task(
    start: str | None = None,
    days: int = services.PLAN_AHEAD_DAYS,
    enrollment_ids: list[int] | None = None,
) -> int:
    """Nightly, and after a schedule is approved: planned visits for the coming weeks. Idempotent."""
    day = datetime.date.fromisoformat(start) if start else timezone.localdate()
    return services.visits_generate(start=day, days=days, enrollment_ids=enrollment_ids)


@shared_task(name="services.tasks.journal_pdf_task")
def journal_pdf_task(export_id: int) -> str:
    """A long journal's PDF, asked for on the journal page. Idempotent."""
    from services.journal import journal_export_run

    return journal_export_run(export_id=export_id)
