from __future__ import annotations

import datetime

from celery import shared_task
from django.utils import timezone

from recipients import services


@shared_task(name="recipients.tasks.find_duplicates_task")
def find_duplicates_task() -> int:
    """After each import and on demand: pair possible duplicates for review. Idempotent."""
    return services.duplicates_find()


@shared_task(name="recipients.tasks.enrollment_warnings_task")
def enrollment_warnings_task(today: str | None = None) -> int:
    """Nightly: enrolments whose ИПАР ends or whose child turns 18 within 30 days."""
    day = datetime.date.fromisoformat(today) if today else timezone.localdate()
    return services.enrollment_warnings_refresh(today=day)
