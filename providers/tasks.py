from __future__ import annotations

import datetime

from celery import shared_task
from django.utils import timezone

from providers import services


@shared_task(name="providers.tasks.flag_expiring_documents_task")
def flag_expiring_documents_task(today: str | None = None) -> dict[str, int]:
    """Daily: flag documents expiring within 30 days, and those expired. Idempotent."""
    day = datetime.date.fromisoformat(today) if today else timezone.localdate()
    return services.documents_flag_expiring(today=day)
