"""Reconciliation runs: start one, run it (the Celery job), review what it found."""

from __future__ import annotations

import dataclasses
import datetime
import functools
import operator
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import acting_as
from core.jobs import RECONCILIATION, job_lock, job_started, outbox_enqueue
from core.roles import Role, ensure_role
from reconciliation.checks import CHECKS, Found, Period, done_visits, judged_by
from reconciliation.models import (
    ACTIVE,
    Finding,
    FindingStatus,
    ReconciliationRun,
    RunStatus,
)

# A queued or running run with no progress for this long is taken to have lost its worker.
ABANDONED_AFTER = datetime.timedelta(hours=6)

# The share of a run's progress the checks take; storing what they found is the rest.
_CHECKS_PERCENT = 80


def run_start(
    *, period_start: datetime.date, period_end: datetime.date, acting_user: Any = None
) -> ReconciliationRun:
    """Queue a reconciliation of the period; refused while one of the same period is queued or
    running (the lock is a database constraint, so two officers cannot both start one)."""
    ensure_role(acting_user, Role.AKIMAT_OFFICER, scheduler_may=True)
    if period_end < period_start:
        raise ValidationError({"period_end": _("The period ends before it starts.")})
    user = acting_user if getattr(acting_user, "is_authenticated", False) else None
    try:
        with transaction.atomic(), acting_as(user):
            # A run whose worker vanished (no progress for hours) no longer holds its period.
            ReconciliationRun.objects.filter(
                status__in=ACTIVE, updated_at__lt=timezone.now() - ABANDONED_AFTER
            ).update(
                status=RunStatus.FAILED,
                error="abandoned: no progress",
                finished_at=timezone.now(),
            )
            # Runs of overlapping periods would resolve each other's findings: one at a time.
            overlapping = ReconciliationRun.objects.filter(
                status__in=ACTIVE, period_start__lte=period_end, period_end__gte=period_start
            ).exists()
            if overlapping:
                raise IntegrityError("an overlapping run is active")
            run = ReconciliationRun.objects.create(
                period_start=period_start,
                period_end=period_end,
                requested_by=user,
                heartbeat_at=timezone.now(),
            )
            # Queued with the run: sent on commit, or by the sweep once a missing broker is back.
            outbox_enqueue(RECONCILIATION.task, run_id=run.pk)
    except IntegrityError:
        raise ValidationError(
            _(
                "A reconciliation of %(start)s – %(end)s, or of days within it, is already queued or running."
            )
            % {"start": f"{period_start:%d.%m.%Y}", "end": f"{period_end:%d.%m.%Y}"},
            code="reconciliation_running",
        ) from None
    return run


def _progress(run: ReconciliationRun, **fields: Any) -> None:
    fields["updated_at"] = timezone.now()  # update() skips auto_now: the run shows it is alive
    fields["heartbeat_at"] = fields["updated_at"]
    for name, value in fields.items():
        setattr(run, name, value)
    ReconciliationRun.objects.filter(pk=run.pk).update(**fields)


def run_reconciliation(*, run_id: int) -> str:
    """The job. Every step is idempotent (findings are matched on their key), so a run that
    died half-way is simply run again from the start when its task is redelivered (or the
    sweep queues it again); its counters are counted from the findings it marked, so what the
    killed attempt stored is counted too."""
    with job_lock(RECONCILIATION, run_id) as acquired:
        if not acquired:
            return "busy"  # another worker has it
        run = ReconciliationRun.objects.get(pk=run_id)
        if run.status not in ACTIVE:
            return run.status
        job_started(RECONCILIATION, run_id)
        period = Period(run.period_start, run.period_end)
        _progress(
            run,
            status=RunStatus.RUNNING,
            # A resumed run keeps its first start: its findings are counted from then.
            started_at=run.started_at or timezone.now(),
            percent=0,
            error="",
            step="",
        )
        try:
            checked = done_visits(period).count()
            _progress(run, visits_checked=checked)
            for index, check in enumerate(CHECKS):
                _progress(
                    run,
                    step=str(check.step),
                    percent=index * _CHECKS_PERCENT // len(CHECKS),
                )
                # Stored check by check: memory holds one check's findings at a time.
                with transaction.atomic():
                    store_findings(run, check.run(period))
            _progress(run, step=str(_("Storing the findings")), percent=_CHECKS_PERCENT)
            resolve_findings(run, period)
            counted = run_counters(run)
        except Exception as error:
            _progress(
                run,
                status=RunStatus.FAILED,
                error=repr(error)[:2000],
                finished_at=timezone.now(),
            )
            raise
        _progress(
            run,
            status=RunStatus.DONE,
            percent=100,
            step="",
            finished_at=timezone.now(),
            **counted,
        )
        return run.status


def run_counters(run: ReconciliationRun) -> dict[str, int]:
    """What the run found, changed and resolved, counted from the findings it marked (every
    finding a run raises or resolves names it as `last_run`), not added up as it went: a run
    taken over after its worker died counts what the dead attempt stored as well.

    Raised: created since the run first started. Changed: older, and rewritten (reopened or
    new evidence) since then. Resolved: what it marked no longer found."""
    assert run.started_at is not None
    marked = Finding.objects.filter(last_run=run)
    counts = marked.aggregate(
        found=Count("pk", filter=Q(created_at__gte=run.started_at)),
        updated=Count(
            "pk",
            filter=Q(
                created_at__lt=run.started_at,
                updated_at__gte=run.started_at,
                status=FindingStatus.OPEN,
            ),
        ),
        resolved=Count("pk", filter=Q(status=FindingStatus.RESOLVED)),
    )
    return {name: int(value or 0) for name, value in counts.items()}


def _same(finding: Finding, found: Found, visit_ids: set[int]) -> bool:
    return (
        finding.evidence == found.evidence
        and finding.provider_id == found.provider_id
        and visit_ids == found.visit_ids
    )


# Findings stored a batch at a time: each batch reads, creates and updates its own.
STORE_BATCH = 2000


def store_findings(run: ReconciliationRun, found: Iterable[Found]) -> tuple[int, int]:
    """Create what is new and update what changed; every finding raised is marked with `run`.

    A reviewed finding is left as it was reviewed; visits the check now names that its review
    did not see make a new finding. Returns (created, updated)."""
    created = updated = 0
    items = list(found)
    for start in range(0, len(items), STORE_BATCH):
        made, changed = _store_batch(
            run, {item.key: item for item in items[start : start + STORE_BATCH]}
        )
        created, updated = created + made, updated + changed
    return created, updated


def _store_batch(run: ReconciliationRun, by_key: dict[str, Found]) -> tuple[int, int]:
    existing = Finding.objects.in_bulk(list(by_key), field_name="key")
    visits_of: dict[int, set[int]] = {}
    through = Finding.visits.through
    for finding_id, visit_id in through.objects.filter(
        finding_id__in=[finding.pk for finding in existing.values()]
    ).values_list("finding_id", "visit_id"):
        visits_of.setdefault(finding_id, set()).add(visit_id)

    new = [
        Finding(
            key=item.key,
            kind=item.kind,
            child_id=item.child_id,
            provider_id=item.provider_id,
            day=item.day,
            evidence=item.evidence,
            last_run=run,
        )
        for key, item in by_key.items()
        if key not in existing
    ]
    Finding.objects.bulk_create(new, batch_size=1000)
    links = [
        through(finding_id=finding.pk, visit_id=visit_id)
        for finding in new
        for visit_id in by_key[finding.key].visit_ids
    ]

    now = timezone.now()
    changed: list[Finding] = []
    unlinked: list[Any] = []  # (finding, visits no longer concerned)
    unchanged: list[int] = []
    follow_ups: dict[str, Found] = {}
    for key, finding in existing.items():
        item = by_key[key]
        old_visits = visits_of.get(finding.pk, set())
        if finding.status in (FindingStatus.CONFIRMED, FindingStatus.DISMISSED):
            # A review is never undone by a run: what was confirmed stays excluded, what was
            # dismissed stays paid. Visits the check names now that the review did not see are
            # raised as a finding of their own, for a review of their own.
            unchanged.append(finding.pk)
            extra = item.visit_ids - old_visits
            if extra:
                follow_key = f"{key}+{min(extra)}"
                follow_ups[follow_key] = dataclasses.replace(item, key=follow_key, visit_ids=extra)
            continue
        same = _same(finding, item, old_visits)
        if same and finding.status != FindingStatus.RESOLVED:
            unchanged.append(finding.pk)
            continue
        if not same:
            finding.evidence = item.evidence
            finding.provider_id = item.provider_id
            if old_visits - item.visit_ids:
                unlinked.append(Q(finding_id=finding.pk, visit_id__in=old_visits - item.visit_ids))
            links.extend(
                through(finding_id=finding.pk, visit_id=visit_id)
                for visit_id in item.visit_ids - old_visits
            )
        finding.status = FindingStatus.OPEN
        finding.last_run = run
        finding.updated_at = now
        changed.append(finding)
    if unlinked:
        through.objects.filter(functools.reduce(operator.or_, unlinked)).delete()
    through.objects.bulk_create(links, batch_size=1000, ignore_conflicts=True)
    Finding.objects.bulk_update(
        changed, ["evidence", "provider", "status", "last_run", "updated_at"], batch_size=1000
    )
    Finding.objects.filter(pk__in=unchanged).update(last_run=run)
    created, updated = len(new), len(changed)
    if follow_ups:
        more = _store_batch(run, follow_ups)
        created, updated = created + more[0], updated + more[1]
    return created, updated


def resolve_findings(run: ReconciliationRun, period: Period) -> int:
    """Open findings of the period that `run` did not raise again are no longer found."""
    # Every kind is checked by every run (CHECKS); a week only by a run that holds all of it.
    return (
        Finding.objects.filter(judged_by(period), status=FindingStatus.OPEN)
        .exclude(last_run=run)
        .update(status=FindingStatus.RESOLVED, last_run=run, updated_at=timezone.now())
    )


def findings_review(
    *, findings: Iterable[Finding], status: str, comment: str, acting_user: Any
) -> int:
    """Confirm or dismiss findings, always with a comment; every change audited.

    A confirmed finding's visits are excluded from billing (REJECTED_ON_REVIEW); a dismissed
    one's are not. Findings no longer found cannot be reviewed."""
    ensure_role(acting_user, Role.AKIMAT_OFFICER)
    if status not in (FindingStatus.CONFIRMED, FindingStatus.DISMISSED):
        raise ValidationError({"status": _("Choose confirm or dismiss.")})
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("A comment is required to review a finding.")})
    now = timezone.now()
    count = 0
    with transaction.atomic(), acting_as(acting_user):
        for finding in findings:
            if finding.status == FindingStatus.RESOLVED:
                raise ValidationError(
                    _("“%(finding)s” is no longer found and cannot be reviewed.")
                    % {"finding": finding}
                )
            finding.status = status
            finding.comment = comment
            finding.reviewer = acting_user
            finding.reviewed_at = now
            finding.save(
                update_fields=["status", "comment", "reviewer", "reviewed_at", "updated_at"]
            )
            count += 1
    return count


def rejected_visit_ids(visits: Any) -> set[int]:
    """The visits among `visits` (a queryset) that a confirmed finding excludes from billing."""
    return set(
        Finding.visits.through.objects.filter(
            finding__status=FindingStatus.CONFIRMED, visit__in=visits
        ).values_list("visit_id", flat=True)
    )
