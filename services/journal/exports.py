"""A long journal's PDF made by a Celery job (JournalExport): requested, run, resumed."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language, override

from core.jobs import JOURNAL_EXPORT, job_lock, job_started, outbox_enqueue
from services.journal.pdf import render_pdf
from services.journal.reads import Journal, Period
from services.models import (
    JobStatus,
    JournalExport,
)


@transaction.atomic
def journal_export_request(*, journal: Journal, acting_user: Any) -> JournalExport:
    """The requester's export of this journal: the one being prepared if there is one (a
    reload does not start another four-minute job), else a new one, queued through the outbox
    so that a missing broker delays it and never fails the request."""
    language = get_language() or settings.LANGUAGE_CODE
    # One request at a time per requester: two reloads at once cannot both start a job.
    get_user_model().objects.select_for_update().filter(pk=acting_user.pk).first()
    fields = {
        "provider": journal.provider,
        "child": journal.child,
        "period_start": journal.period.start,
        "period_end": journal.period.end,
        "language": language,
        "requested_by": acting_user,
    }
    running = JournalExport.objects.filter(
        status__in=(JobStatus.QUEUED, JobStatus.RUNNING), **fields
    ).first()
    if running is not None:
        return running
    export = JournalExport.objects.create(heartbeat_at=timezone.now(), **fields)
    outbox_enqueue(JOURNAL_EXPORT.task, export_id=export.pk)
    return export


def journal_export_run(*, export_id: int) -> str:
    """The job: make the PDF as its requester would see it, in their language. Idempotent, and
    resumed when redelivered: an export left running by a dead worker is made again (its lock
    is free), one another worker is making is left to it."""
    with job_lock(JOURNAL_EXPORT, export_id) as acquired:
        if not acquired:
            return "busy"  # another worker is making it
        return _export_run(export_id)


def _export_run(export_id: int) -> str:
    with transaction.atomic():
        export = (
            JournalExport.objects.select_for_update(of=("self",))
            .select_related("provider", "child", "requested_by")
            .get(pk=export_id)
        )
        if export.status in (JobStatus.DONE, JobStatus.FAILED):
            return export.status
        export.status = JobStatus.RUNNING
        export.save(update_fields=["status"])
    job_started(JOURNAL_EXPORT, export_id)
    journal = Journal(
        provider=export.provider,
        period=Period(export.period_start, export.period_end),
        child=export.child,
    )
    try:
        with override(export.language):
            content, rows = render_pdf(journal, export.requested_by)
    except Exception as error:
        export.status = JobStatus.FAILED
        export.error = repr(error)[:2000]
        export.finished_at = timezone.now()
        export.save(update_fields=["status", "error", "finished_at"])
        raise
    export.file.save(journal.filename(), ContentFile(content), save=False)
    export.rows = rows
    export.status = JobStatus.DONE
    export.finished_at = timezone.now()
    export.save(update_fields=["file", "rows", "status", "finished_at"])
    return export.status
