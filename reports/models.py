"""Half-year monitoring reports (R261 ch. 3), the pilot's analytical report (Alg. §28), their
immutable versions, deadline reminders, and the families' satisfaction questionnaire (Alg. §27)."""

from __future__ import annotations

import datetime
import secrets

from auditlog.registry import auditlog
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import fail
from core.models import JobRow
from reports.periods import HALF_CHOICES, half_year_bounds, half_year_label


class ReportKind(models.TextChoices):
    HALF_YEAR = "half_year", _("Half-year monitoring report")
    PILOT = "pilot", _("Analytical report of the pilot")


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    FINAL = "final", _("Final")
    DELIVERED = "delivered", _("Delivered to the ministry")
    PUBLISHED = "published", _("Published")


class Report(models.Model):
    """One report of a period. Its figures and files live in versions; the report keeps the
    status, the deadlines of R261 §11–14 and who moved it on."""

    kind = models.CharField(_("kind"), max_length=10, choices=ReportKind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    half = models.PositiveSmallIntegerField(
        _("half-year"),
        null=True,
        blank=True,
        choices=HALF_CHOICES,
    )
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    final_due = models.DateField(_("final by"), null=True, blank=True)
    delivery_due = models.DateField(_("delivered by"), null=True, blank=True)
    publication_due = models.DateField(_("published by"), null=True, blank=True)
    proposals = models.TextField(
        _("proposals for legislation"),
        blank=True,
        help_text=_("Alg. §28: printed in the analytical report of the pilot."),
    )
    final_version = models.ForeignKey(
        "ReportVersion",
        verbose_name=_("final version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("made final by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    finalised_at = models.DateTimeField(_("made final at"), null=True, blank=True)
    delivered_on = models.DateField(_("delivered on"), null=True, blank=True)
    published_on = models.DateField(_("published on"), null=True, blank=True)
    publication_url = models.URLField(_("published at (address)"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("monitoring report")
        verbose_name_plural = _("monitoring reports")
        ordering = ["-period_end", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "period_start", "period_end"], name="one_report_per_period"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="report_period_in_order",
            ),
            models.CheckConstraint(
                condition=Q(kind="pilot") | Q(half__in=[1, 2]),
                name="half_year_report_names_its_half",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == ReportKind.HALF_YEAR:
            return half_year_label(self.year, self.half)
        return str(
            _("Pilot %(start)s – %(end)s")
            % {"start": f"{self.period_start:%d.%m.%Y}", "end": f"{self.period_end:%d.%m.%Y}"}
        )


class VersionStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Being prepared")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class ReportVersion(JobRow):
    """One generation of a report: the figures as computed, the PDF and the XLSX, with their
    checksums. Once ready, a version never changes (see `save`)."""

    report = models.ForeignKey(
        Report, verbose_name=_("report"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveSmallIntegerField(_("version"))
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    status = models.CharField(
        _("status"), max_length=10, choices=VersionStatus.choices, default=VersionStatus.QUEUED
    )
    percent = models.PositiveSmallIntegerField(_("done, %"), default=0)
    step = models.CharField(_("step"), max_length=100, blank=True)
    data_until = models.DateField(_("data up to"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("generated by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty when the scheduler generated it."),
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last progress"), auto_now=True)
    finished_at = models.DateTimeField(_("generated at"), null=True, blank=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="reports/%Y/", blank=True, max_length=200)
    pdf_sha256 = models.CharField(_("PDF checksum (SHA-256)"), max_length=64, blank=True)
    xlsx = models.FileField(_("XLSX"), upload_to="reports/%Y/", blank=True, max_length=200)
    xlsx_sha256 = models.CharField(_("XLSX checksum (SHA-256)"), max_length=64, blank=True)
    error = models.TextField(_("error"), blank=True)
    translation_of = models.ForeignKey(
        "self",
        verbose_name=_("translation of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="translations",
        help_text=_(
            "The version whose figures this one prints in another language: the same figures, "
            "not counted again."
        ),
    )

    class Meta:
        verbose_name = _("report version")
        verbose_name_plural = _("report versions")
        ordering = ["report", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="report_version_number"),
            models.UniqueConstraint(
                fields=["report"],
                condition=Q(status__in=["queued", "running"]),
                name="one_version_in_preparation_per_report",
            ),
            models.UniqueConstraint(
                fields=["translation_of", "language"],
                condition=~Q(status="failed"),
                name="one_translation_per_language",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report} · v{self.number} ({self.language})"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored == VersionStatus.DONE:
                raise fail(_("A report version that is ready never changes."), "version_ready")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        if self.status == VersionStatus.DONE:
            raise fail(_("A report version that is ready is never deleted."), "version_ready")
        return super().delete(*args, **kwargs)  # type: ignore[arg-type]


class ReminderMilestone(models.TextChoices):
    FINAL = "final", _("final report")
    DELIVERED = "delivered", _("delivery to the ministry")
    PUBLISHED = "published", _("publication")


class ReportReminder(models.Model):
    """A reminder sent to officers before (or after) a deadline; kept so it is sent once."""

    report = models.ForeignKey(
        Report, verbose_name=_("report"), on_delete=models.CASCADE, related_name="reminders"
    )
    milestone = models.CharField(_("deadline"), max_length=10, choices=ReminderMilestone.choices)
    days_before = models.SmallIntegerField(
        _("days before the deadline"), help_text=_("Negative: days late.")
    )
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    recipients = models.PositiveSmallIntegerField(_("officers reminded"), default=0)

    class Meta:
        verbose_name = _("deadline reminder")
        verbose_name_plural = _("deadline reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["report", "milestone", "days_before"], name="one_reminder_per_step"
            )
        ]

    def __str__(self) -> str:
        return f"{self.report} · {self.get_milestone_display()} · {self.days_before}"


def _survey_token() -> str:
    return secrets.token_urlsafe(24)


class SurveyInvitation(models.Model):
    """A family's link to the satisfaction questionnaire of a half-year (one per enrolment)."""

    enrollment = models.ForeignKey(
        "recipients.Enrollment",
        verbose_name=_("enrolment"),
        on_delete=models.PROTECT,
        related_name="survey_invitations",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    half = models.PositiveSmallIntegerField(_("half-year"))
    token = models.CharField(max_length=40, unique=True, default=_survey_token, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("questionnaire link")
        verbose_name_plural = _("questionnaire links")
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "year", "half"], name="one_survey_link_per_half"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enrollment} · H{self.half} {self.year}"

    @property
    def closes_on(self) -> datetime.date:
        """The questionnaire of a half-year takes answers until its last day (every report
        of the half-year then counts the same answers)."""
        return half_year_bounds(self.year, self.half)[1]


class Channel(models.TextChoices):
    FAMILY = "family", _("Filled in by the family (link)")
    STAFF = "staff", _("Entered by staff from a paper form")


SCORE = [MinValueValidator(1), MaxValueValidator(5)]


class SurveyResponse(models.Model):
    """The legal representative's answers (made by `survey_response_submit`, which copies the
    link's provider and half-year onto them). Only aggregates of five or more answers leave the
    akimat; the comment is read by officers only."""

    invitation = models.OneToOneField(
        SurveyInvitation,
        verbose_name=_("questionnaire link"),
        on_delete=models.PROTECT,
        related_name="response",
    )
    provider = models.ForeignKey(
        "providers.Provider",
        verbose_name=_("provider"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    year = models.PositiveSmallIntegerField(_("year"), editable=False)
    half = models.PositiveSmallIntegerField(_("half-year"), editable=False)
    convenience = models.PositiveSmallIntegerField(
        _("Visit times are convenient for the family"), validators=SCORE
    )
    specialists = models.PositiveSmallIntegerField(
        _("The specialists are attentive and competent"), validators=SCORE
    )
    coordination = models.PositiveSmallIntegerField(
        _("Home and centre visits fit together well"), validators=SCORE
    )
    progress = models.PositiveSmallIntegerField(_("The child is making progress"), validators=SCORE)
    overall = models.PositiveSmallIntegerField(_("Overall satisfaction"), validators=SCORE)
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    channel = models.CharField(_("how it was given"), max_length=10, choices=Channel.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)

    QUESTIONS = ("convenience", "specialists", "coordination", "progress", "overall")

    class Meta:
        verbose_name = _("questionnaire answer")
        verbose_name_plural = _("questionnaire answers")

    def __str__(self) -> str:
        return f"{self.invitation} · {self.overall}/5"

    def clean(self) -> None:
        """Answers are taken until the half-year's last day, by the link or from paper."""

        invitation = getattr(self, "invitation", None)
        if invitation is not None and timezone.localdate() > invitation.closes_on:
            raise fail(
                _("The questionnaire of this half-year closed on %(day)s.")
                % {"day": f"{invitation.closes_on:%d.%m.%Y}"},
                "survey_closed",
            )


auditlog.register(Report)
auditlog.register(ReportVersion, exclude_fields=["figures", "percent", "step", "updated_at"])
auditlog.register(SurveyInvitation, exclude_fields=["token"])
auditlog.register(SurveyResponse)


class Release(models.Model):
    """The small-cell decision published to the analysts' dashboard at the end of a month:
    every cell of every period the dashboard has offered since the pilot began, as shown
    then. Kept so that a later month's decision keeps every cell an analyst has already seen
    (reports.published.release); never changed once written."""

    as_of = models.DateField(_("data up to"), unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    values = models.JSONField(_("counts"), default=list)
    cells = models.JSONField(_("cells as published"), default=list)

    class Meta:
        ordering = ["as_of"]
        verbose_name = _("published figures")
        verbose_name_plural = _("published figures")

    def __str__(self) -> str:
        return f"{self.as_of:%d.%m.%Y}"
