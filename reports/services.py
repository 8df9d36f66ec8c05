"""Reports: creating them with their deadlines, generating versions (a Celery job), moving them
draft → final → delivered → published, what is due, and reminders (R261 §11–14, Alg. §27–28)."""

from __future__ import annotations

import datetime
import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import acting_as, validated_save
from core.errors import fail
from core.jobs import REPORT_VERSION, job_lock, job_started, outbox_enqueue
from core.models import User
from core.periods import month_end
from core.roles import Role, ensure_role
from recipients.models import Enrollment
from reports import documents
from reports.figures import is_neutral, localise, neutral
from reports.models import (
    Channel,
    ReminderMilestone,
    Report,
    ReportKind,
    ReportReminder,
    ReportStatus,
    ReportVersion,
    SurveyInvitation,
    SurveyResponse,
    VersionStatus,
)
from reports.periods import PILOT_START, data_as_of, half_year_bounds, previous_half

logger = logging.getLogger(__name__)

# A deadline this close is "due soon", and officers get their first reminder.
DUE_SOON_DAYS = 7


# -- deadlines ------------------------------------------------------------------------------
def deadlines(year: int, half: int) -> dict[str, datetime.date]:
    """R261 §11, §12, §14: final by 15 July / 15 January, delivered on the 20th day after the
    half-year, published by 25 July / 25 January (of the next year for the second half)."""
    month_year = (year, 7) if half == 1 else (year + 1, 1)
    return {
        ReminderMilestone.FINAL: datetime.date(*month_year, 15),
        ReminderMilestone.DELIVERED: datetime.date(*month_year, 20),
        ReminderMilestone.PUBLISHED: datetime.date(*month_year, 25),
    }


def report_for_half(*, year: int, half: int, acting_user: Any = None) -> Report:
    """The half-year's report, created with its deadlines when it does not exist yet."""
    ensure_role(acting_user, Role.AKIMAT_OFFICER, scheduler_may=True)
    start, end = half_year_bounds(year, half)
    due = deadlines(year, half)
    report, _created = Report.objects.get_or_create(
        kind=ReportKind.HALF_YEAR,
        period_start=start,
        period_end=end,
        defaults={
            "year": year,
            "half": half,
            "final_due": due[ReminderMilestone.FINAL],
            "delivery_due": due[ReminderMilestone.DELIVERED],
            "publication_due": due[ReminderMilestone.PUBLISHED],
        },
    )
    return report


def pilot_report(
    *, period_end: datetime.date, start: datetime.date = PILOT_START, acting_user: Any = None
) -> Report:
    """The analytical report of the pilot over its whole period (Alg. §28). No deadline is set
    by the seeds; officers record the dates when it is delivered and published."""
    ensure_role(acting_user, Role.AKIMAT_OFFICER, scheduler_may=True)
    if period_end < start:
        raise fail(
            _("The pilot's report must end after the pilot began (%(start)s).")
            % {"start": f"{start:%d.%m.%Y}"},
            "ends_before_pilot",
            field="period_end",
        )
    if period_end != month_end(period_end):
        raise fail(
            _(
                "The pilot's report ends on the last day of a month (%(day)s), as the "
                "dashboard's figures do."
            )
            % {"day": f"{month_end(period_end):%d.%m.%Y}"},
            "not_month_end",
            field="period_end",
        )
    report, _created = Report.objects.get_or_create(
        kind=ReportKind.PILOT,
        period_start=start,
        period_end=period_end,
        defaults={"year": period_end.year},
    )
    return report


# -- versions -------------------------------------------------------------------------------
@transaction.atomic
def version_start(
    *,
    report: Report,
    language: str,
    acting_user: Any = None,
    on: datetime.date | None = None,
) -> ReportVersion:
    """Queue a new version of the report; the job runs once the transaction commits.

    Data are counted up to the period's end, or, while the period is running, up to the end
    of the last month that has ended, as the analysts' dashboard counts them: every version
    is then a period the month's suppression decision holds, and two versions never differ
    by a day (docs/decisions.md, "Small cells"). A report made final is not generated again (its status is read under the report's lock,
    so a version is never queued beside a finalisation)."""
    ensure_role(acting_user, Role.AKIMAT_OFFICER, scheduler_may=True)
    _check_language(language)
    _lock(report)
    if report.status != ReportStatus.DRAFT:
        raise fail(
            _("The report is %(status)s: its versions can no longer change.")
            % {"status": report.get_status_display().lower()},
            "not_draft",
        )
    today = on or timezone.localdate()
    if today <= report.period_start:
        raise fail(
            _("The period has not started yet: there are no data to report."),
            "period_not_started",
        )
    until = data_until(report, today)
    if until < report.period_start:
        raise fail(
            _(
                "No month of the period has ended yet: the first version counts the data "
                "up to %(day)s and can be made from the next day."
            )
            % {"day": f"{month_end(report.period_start):%d.%m.%Y}"},
            "no_month_ended",
        )
    return _queue(report=report, language=language, data_until=until, requested_by=acting_user)


def data_until(report: Report, today: datetime.date) -> datetime.date:
    """The last day a version made `today` counts: the period's end once it is over, else the
    end of the last month that has ended (before the period's start: no month of it yet)."""
    return report.period_end if today > report.period_end else data_as_of(today)


def _lock(report: Report) -> None:
    """Lock the report's row for the transaction and read it again under the lock: its status
    may have moved since the caller read it. The caller's object is the one refreshed."""
    report.refresh_from_db(from_queryset=Report.objects.select_for_update())


def _check_language(language: str) -> None:
    if language not in dict(settings.LANGUAGES):
        raise fail(_("Unknown language."), "unknown_language", field="language")


def _queue(*, report: Report, **fields: Any) -> ReportVersion:
    """A new version, numbered after the report's last, queued once the transaction commits."""
    try:
        with transaction.atomic():
            number = (report.versions.aggregate(n=Max("number"))["n"] or 0) + 1
            version = ReportVersion.objects.create(
                report=report, number=number, heartbeat_at=timezone.now(), **fields
            )
            # Queued with the version: sent on commit, or by the sweep once a missing broker
            # is back (the version waits, queued, instead of failing).
            outbox_enqueue(REPORT_VERSION.task, version_id=version.pk)
    except IntegrityError as error:
        raise fail(
            _("A version of this report is being prepared: wait until it is ready."),
            "version_in_preparation",
        ) from error
    return version


ACTIVE = (VersionStatus.QUEUED, VersionStatus.RUNNING)
# A version with no progress for this long was abandoned (a lost message, a dead worker that
# was not redelivered): the daily calendar marks it failed so the report can be generated again.
STALE_AFTER = datetime.timedelta(hours=2)
FINAL_MEANWHILE = gettext_lazy("The report was made final before this version was ready.")


def _fail(version_id: int, error: str) -> None:
    """Only a version still in preparation is marked failed: a ready one never changes."""
    ReportVersion.objects.filter(pk=version_id, status__in=ACTIVE).update(
        status=VersionStatus.FAILED, error=error[:2000], updated_at=timezone.now()
    )


def _progress(version_id: int, language: str) -> Any:
    def report(percent: int, step: str) -> None:
        with translation.override(language):  # the figures are counted with no language active
            text = _(step)
        now = timezone.now()
        ReportVersion.objects.filter(pk=version_id, status__in=ACTIVE).update(
            percent=percent, step=text[:100], updated_at=now, heartbeat_at=now
        )

    return report


def release_stale_versions(now: datetime.datetime | None = None) -> int:
    """Versions queued or running with no progress for STALE_AFTER are marked failed."""
    now = now or timezone.now()
    return ReportVersion.objects.filter(status__in=ACTIVE, updated_at__lt=now - STALE_AFTER).update(
        status=VersionStatus.FAILED,
        error=str(_("Abandoned: no progress for two hours. Generate the version again.")),
        updated_at=now,
    )


def run_version(version_id: int, *, generated_at: datetime.datetime | None = None) -> str:
    """Compute the figures, draw the PDF and the XLSX, store them with their checksums.

    A translation prints its source version's stored figures in its own language: nothing is
    counted again, and it may be made after the report is final.

    Idempotent: a version already ready (or failed) is left as it is; a version redelivered
    after a lost worker is prepared again, and of two runs at once only the first to finish
    is kept (every write is conditional on the version still being in preparation). A version
    of a report made final meanwhile is refused. (`generated_at` is for the demo's past
    reports; the job always uses the present.)"""
    with job_lock(REPORT_VERSION, version_id) as acquired:
        if not acquired:
            return "busy"  # another worker is preparing it
        return _run_version(version_id, generated_at=generated_at)


def _run_version(version_id: int, *, generated_at: datetime.datetime | None) -> str:
    version = ReportVersion.objects.select_related("report", "requested_by", "translation_of").get(
        pk=version_id
    )
    if version.status not in ACTIVE:
        return version.status
    report, source = version.report, version.translation_of
    if report.status != ReportStatus.DRAFT and source is None:
        _fail(version_id, str(FINAL_MEANWHILE))
        return VersionStatus.FAILED
    ReportVersion.objects.filter(pk=version_id, status__in=ACTIVE).update(
        status=VersionStatus.RUNNING, percent=0, error="", updated_at=timezone.now()
    )
    job_started(REPORT_VERSION, version_id)
    progress = _progress(version_id, version.language)
    stem = f"report-{report.pk}-v{version.number}-{version.language}"
    stored: list[str] = []
    try:
        if source is None:
            figures = neutral(
                report.period_start,
                report.period_end,
                until=version.data_until,
                progress=progress,
            )
        else:
            figures = source.figures
        with translation.override(version.language):
            printed = localise(figures, version.language)
            progress(80, _("PDF"))
            generated_at = timezone.localtime(generated_at or timezone.now())
            pdf = documents.report_pdf(version, printed, generated_at)
            progress(92, _("XLSX"))
            xlsx = documents.report_xlsx(version, printed)
        for field, content in ((version.pdf, pdf), (version.xlsx, xlsx)):
            name = field.field.generate_filename(version, f"{stem}.{field.field.name}")
            stored.append(field.storage.save(name, ContentFile(content)))
        with transaction.atomic():
            locked = Report.objects.select_for_update().get(pk=report.pk)
            open_to_it = locked.status == ReportStatus.DRAFT or source is not None
            ready = open_to_it and ReportVersion.objects.filter(
                pk=version_id, status__in=ACTIVE
            ).update(
                status=VersionStatus.DONE,
                percent=100,
                step="",
                figures=figures,
                pdf=stored[0],
                pdf_sha256=hashlib.sha256(pdf).hexdigest(),
                xlsx=stored[1],
                xlsx_sha256=hashlib.sha256(xlsx).hexdigest(),
                finished_at=generated_at,
                updated_at=timezone.now(),
            )
    except Exception as error:
        logger.exception("report version %s failed", version_id)
        _fail(version_id, str(error))
        for name in stored:
            version.pdf.storage.delete(name)
        raise
    if not ready:  # another run finished it first, or the report was made final meanwhile
        for name in stored:
            version.pdf.storage.delete(name)
        if not open_to_it:
            _fail(version_id, str(FINAL_MEANWHILE))
    return str(ReportVersion.objects.values_list("status", flat=True).get(pk=version_id))


def translation_source(report: Report) -> ReportVersion | None:
    """The version a translation prints: the final one once the report is final, else the
    latest ready version that is not itself a translation."""
    if report.final_version_id is not None:
        return report.final_version
    return (
        report.versions.filter(status=VersionStatus.DONE, translation_of__isnull=True)
        .order_by("-number")
        .first()
    )


@transaction.atomic
def version_translate(*, report: Report, language: str, acting_user: Any = None) -> ReportVersion:
    """Queue a translation: the source version's figures printed in another language (the
    state language and Russian both, for one final report). Nothing is counted again, so the
    two files hold the same numbers; the translation is a version of its own, immutable once
    ready, with its own checksums."""

    ensure_role(acting_user, Role.AKIMAT_OFFICER, scheduler_may=True)
    _check_language(language)
    _lock(report)  # the source is read as the report stands: final or not
    source = translation_source(report)
    if source is None:
        raise fail(
            _("Generate a version first: there is nothing to translate."), "nothing_to_translate"
        )
    if not is_neutral(source.figures):
        raise fail(
            _(
                "Version %(number)s was made before reports could be translated: its labels "
                "are in its own language. Generate the version again to translate it."
            )
            % {"number": source.number},
            "made_before_translations",
        )
    if source.language == language:
        raise fail(
            _("Version %(number)s is in this language already.") % {"number": source.number},
            "same_language",
            field="language",
        )
    exists = _(
        "Version %(number)s has a translation into this language already, or one is being prepared."
    ) % {"number": source.number}
    translated = source.translations.exclude(status=VersionStatus.FAILED).filter(language=language)
    if translated.exists():
        raise fail(exists, "translation_exists", field="language")
    try:
        return _queue(
            report=report,
            language=language,
            data_until=source.data_until,
            translation_of=source,
            requested_by=acting_user,
        )
    except ValidationError:
        # refused by a constraint: another version is being prepared, or the same translation
        # was asked for at the same moment
        if translated.exists():
            raise fail(exists, "translation_exists", field="language") from None
        raise


# -- the report's status -----------------------------------------------------------------
# Each transition checks the role, locks the report's row and reads its status again under the
# lock: two officers moving the same report at once move it once, the second is refused.
@transaction.atomic
def report_finalise(*, report: Report, acting_user: Any) -> Report:
    """Draft → final, with its latest ready version. A half-year report is final only once
    its half-year is over and the version holds its data to the last day."""
    ensure_role(acting_user, Role.AKIMAT_OFFICER)
    _lock(report)
    if report.status != ReportStatus.DRAFT:
        raise fail(_("Only a draft is made final."), "not_draft")
    if report.versions.filter(status__in=ACTIVE).exists():
        raise fail(
            _("A version of this report is being prepared: wait until it is ready."),
            "version_in_preparation",
        )
    version = (
        report.versions.filter(status=VersionStatus.DONE, translation_of__isnull=True)
        .order_by("-number")
        .first()
    )
    if version is None:
        raise fail(
            _("Generate a version first: there is nothing to make final."), "nothing_to_finalise"
        )
    if version.data_until < report.period_end:
        raise fail(
            _(
                "The latest version holds data up to %(until)s only: generate it again after "
                "the period ends (%(end)s)."
            )
            % {"until": f"{version.data_until:%d.%m.%Y}", "end": f"{report.period_end:%d.%m.%Y}"},
            "data_incomplete",
        )
    report.status = ReportStatus.FINAL
    report.final_version = version
    report.finalised_by = acting_user
    report.finalised_at = timezone.now()
    with acting_as(acting_user):
        report.save(update_fields=["status", "final_version", "finalised_by", "finalised_at"])
    return report


@transaction.atomic
def report_deliver(*, report: Report, acting_user: Any, on: datetime.date) -> Report:
    """Final → delivered to the ministry, on or after the day it was made final."""
    ensure_role(acting_user, Role.AKIMAT_OFFICER)
    _lock(report)
    if report.status != ReportStatus.FINAL:
        raise fail(_("Only a final report is delivered."), "not_final")
    if report.finalised_at and on < timezone.localdate(report.finalised_at):
        raise fail(
            _("A report is delivered on or after the day it was made final."), "before_final"
        )
    report.status = ReportStatus.DELIVERED
    report.delivered_on = on
    with acting_as(acting_user):
        report.save(update_fields=["status", "delivered_on"])
    return report


@transaction.atomic
def report_publish(*, report: Report, acting_user: Any, on: datetime.date, url: str = "") -> Report:
    """Delivered → published, on or after the day it was delivered."""
    ensure_role(acting_user, Role.AKIMAT_OFFICER)
    _lock(report)
    if report.status != ReportStatus.DELIVERED:
        raise fail(_("Only a report delivered to the ministry is published."), "not_delivered")
    if report.delivered_on and on < report.delivered_on:
        raise fail(
            _("A report is published on or after the day it was delivered."), "before_delivery"
        )
    report.status = ReportStatus.PUBLISHED
    report.published_on = on
    report.publication_url = url
    with acting_as(acting_user):
        report.save(update_fields=["status", "published_on", "publication_url"])
    return report


@transaction.atomic
def report_proposals_save(*, report: Report, proposals: str, acting_user: Any) -> Report:
    """The proposals for legislation that the pilot's analytical report prints (Alg. §28),
    written while it is a draft: a final report's text no longer changes."""
    ensure_role(acting_user, Role.AKIMAT_OFFICER)
    _lock(report)
    if report.kind != ReportKind.PILOT:
        raise fail(
            _("Proposals for legislation are printed in the pilot's analytical report only."),
            "not_pilot",
        )
    if report.status != ReportStatus.DRAFT:
        raise fail(_("Only a draft's proposals can be changed."), "not_draft")
    report.proposals = proposals
    with acting_as(acting_user):
        report.save(update_fields=["proposals"])
    return report


# -- what is due ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Due:
    report: Report
    milestone: str
    due_on: datetime.date
    done_on: datetime.date | None  # None: not met yet

    @property
    def done(self) -> bool:
        return self.done_on is not None

    @property
    def label(self) -> str:
        return str(ReminderMilestone(self.milestone).label)

    def days_left(self, today: datetime.date) -> int:
        return (self.due_on - today).days

    def state(self, today: datetime.date) -> str:
        """'done', 'done_late', 'late', 'due' (within 7 days) or 'later'."""
        if self.done:
            return "done_late" if self.done_on and self.done_on > self.due_on else "done"
        if today > self.due_on:
            return "late"
        return "due" if self.days_left(today) <= DUE_SOON_DAYS else "later"


def milestones(report: Report) -> list[Due]:
    """The report's three deadlines, with whether and when each was met."""
    finalised = timezone.localdate(report.finalised_at) if report.finalised_at else None
    steps = [
        (ReminderMilestone.FINAL, report.final_due, finalised),
        (ReminderMilestone.DELIVERED, report.delivery_due, report.delivered_on),
        (ReminderMilestone.PUBLISHED, report.publication_due, report.published_on),
    ]
    return [
        Due(report, milestone, due_on, done_on)
        for milestone, due_on, done_on in steps
        if due_on is not None
    ]


def next_due(report: Report, today: datetime.date) -> tuple[Due, str] | None:
    """The first deadline not met yet, with its state; None when all are met."""
    for due in milestones(report):
        if not due.done:
            return due, due.state(today)
    return None


def open_half_year_drafts(today: datetime.date) -> list[ReportVersion]:
    """Beat, daily: on 1 July and 1 January (or the first run after), the half-year that just
    ended gets its report and a draft version. Nothing happens once the draft exists."""
    year, half = previous_half(today)
    if half_year_bounds(year, half)[1] < PILOT_START:
        return []
    report = report_for_half(year=year, half=half)
    whole = report.versions.filter(data_until=report.period_end).exclude(
        status=VersionStatus.FAILED
    )
    if report.status != ReportStatus.DRAFT or whole.exists():
        return []
    if report.versions.filter(status__in=ACTIVE).exists():
        return []  # an officer's version is being prepared: tomorrow's run will see
    return [version_start(report=report, language=settings.LANGUAGE_CODE, on=today)]


def reminder_step(days_left: int) -> int | None:
    """The reminder due with `days_left` to a deadline: 7 (a week before), 1 (the day before)
    or -1 (missed); the latest one reached, so a day the scheduler was down is caught up."""
    if days_left < 0:
        return -1
    if days_left <= 1:
        return 1
    if days_left <= DUE_SOON_DAYS:
        return DUE_SOON_DAYS
    return None


def send_reminders(today: datetime.date) -> int:
    """Beat, daily: remind officers a week and a day before each unmet deadline, and after it
    is missed. Each reminder is sent once, and recorded only once the mail has gone."""

    sent = 0
    officers = list(
        User.objects.filter(groups__name=Role.AKIMAT_OFFICER, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    recorded = set(ReportReminder.objects.values_list("report_id", "milestone", "days_before"))
    for report in Report.objects.exclude(status=ReportStatus.PUBLISHED):
        for due in milestones(report):
            step = reminder_step(due.days_left(today))
            if due.done or step is None or (report.pk, due.milestone, step) in recorded:
                continue
            with translation.override(settings.LANGUAGE_CODE):
                values = {"report": report, "step": due.label, "date": f"{due.due_on:%d.%m.%Y}"}
                if step >= 0:
                    subject = _("%(report)s: %(step)s due on %(date)s") % values
                else:
                    subject = _("%(report)s: %(step)s is late (due %(date)s)") % values
            try:
                with transaction.atomic():
                    ReportReminder.objects.create(
                        report=report,
                        milestone=due.milestone,
                        days_before=step,
                        recipients=len(officers),
                    )
                    if officers:
                        send_mail(subject, subject, None, officers, fail_silently=False)
            except IntegrityError:
                continue  # sent meanwhile by another run
            except Exception:  # the mail server refused: not recorded, tried again tomorrow
                logger.exception("reminder for %s not sent", report)
                continue
            sent += 1
    return sent


# -- satisfaction questionnaire -----------------------------------------------------------
def survey_invitations(*, year: int, half: int, acting_user: Any = None) -> int:
    """A link for every enrolment in force during the half-year that has none yet; returns
    how many were made."""

    ensure_role(acting_user, Role.AKIMAT_OFFICER, scheduler_may=True)
    enrolments = (
        Enrollment.objects.in_force(*half_year_bounds(year, half))
        .exclude(
            pk__in=SurveyInvitation.objects.filter(year=year, half=half).values("enrollment_id")
        )
        .values_list("pk", flat=True)
    )
    before = SurveyInvitation.objects.filter(year=year, half=half).count()
    SurveyInvitation.objects.bulk_create(
        [SurveyInvitation(enrollment_id=pk, year=year, half=half) for pk in enrolments],
        ignore_conflicts=True,  # two clicks at once make each link once
    )
    return SurveyInvitation.objects.filter(year=year, half=half).count() - before


@transaction.atomic
def survey_response_submit(
    *,
    invitation: SurveyInvitation,
    answers: dict[str, Any],
    channel: str,
    acting_user: Any = None,
) -> SurveyResponse:
    """A family's answers, by its link (no one signed in), or a paper form entered by an
    officer. One answer per link, taken until the half-year's last day; the answer is counted
    for the provider and the half-year of its link."""
    if channel == Channel.STAFF:
        ensure_role(acting_user, Role.AKIMAT_OFFICER)
    # The link's row is locked (not its enrolment's): two answers by one link come one after
    # the other, and the second finds the first.
    invitation = (
        SurveyInvitation.objects.select_for_update(of=("self",))
        .select_related("enrollment")
        .get(pk=invitation.pk)
    )
    if SurveyResponse.objects.filter(invitation=invitation).exists():
        raise fail(_("Answers have already been received for this link."), "already_answered")
    response = SurveyResponse(
        invitation=invitation,
        provider_id=invitation.enrollment.provider_id,
        year=invitation.year,
        half=invitation.half,
        channel=channel,
        entered_by=acting_user if channel == Channel.STAFF else None,
        **{name: answers.get(name) for name in (*SurveyResponse.QUESTIONS, "comment")},
    )
    response.comment = response.comment or ""
    try:
        with transaction.atomic():
            validated_save(response, acting_user=acting_user)
    except IntegrityError as error:  # answered at the same moment through another request
        raise fail(
            _("Answers have already been received for this link."), "already_answered"
        ) from error
    return response
