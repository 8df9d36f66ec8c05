"""The service catalogue, weekly schedules, the working calendar and visits (domain.md §5)."""

from __future__ import annotations

import datetime

from auditlog.registry import auditlog
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.choices import Setting
from core.models import JobRow
from providers.uploads import RandomName, validate_document_file
from recipients.models import ServiceKind
from services.signals import visit_moving


class CatalogueService(models.Model):
    """One of Astana's additional services under a kind of service (Alg. §18), kept as data.

    The same service may appear under several kinds (ABA therapy is pedagogical and
    psychological), so an entry is the pair: its code is "<kind>.<service>".
    """

    code = models.CharField(_("code"), max_length=60, unique=True)
    kind = models.CharField(_("kind of service"), max_length=20, choices=ServiceKind.choices)
    name_ru = models.CharField(_("name (Russian)"), max_length=200)
    name_kk = models.CharField(_("name (Kazakh)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    positions = models.JSONField(
        _("staff positions that give it"),
        default=list,
        blank=True,
        help_text=_("Positions of App. 1 (codes)."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("catalogue service")
        verbose_name_plural = _("service catalogue")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        language = (get_language() or "ru")[:2]
        return str(getattr(self, f"name_{language}", "") or self.name_ru)


class ScheduleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", pgettext_lazy("schedule", "Approved")


class Schedule(models.Model):
    """A version of an enrolled child's weekly visit schedule; approved by the head (Alg. §21)."""

    enrollment = models.ForeignKey(
        "recipients.Enrollment",
        verbose_name=_("enrolment"),
        on_delete=models.PROTECT,
        related_name="schedules",
    )
    version = models.PositiveSmallIntegerField(_("version"))
    valid_from = models.DateField(_("applies from"))
    status = models.CharField(
        _("status"), max_length=10, choices=ScheduleStatus.choices, default=ScheduleStatus.DRAFT
    )
    centre_reason = models.TextField(
        _("reason for fewer than three centre visits"),
        blank=True,
        help_text=_("Required when the child's needs call for fewer centre visits (Alg. §2)."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("prepared by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("schedule")
        verbose_name_plural = _("schedules")
        ordering = ["enrollment", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "version"], name="one_schedule_version_per_number"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(approved_at__isnull=False),
                name="approved_schedule_has_approval_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enrollment.child} v{self.version} ({self.valid_from:%d.%m.%Y})"


WEEKDAY_CHOICES = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class ScheduleSlot(models.Model):
    """One weekly visit of a schedule: weekday, setting, start, duration and the staff member."""

    schedule = models.ForeignKey(
        Schedule, verbose_name=_("schedule"), on_delete=models.CASCADE, related_name="slots"
    )
    weekday = models.PositiveSmallIntegerField(
        _("weekday"),
        choices=WEEKDAY_CHOICES,
    )
    setting = models.CharField(_("setting"), max_length=10, choices=Setting.choices)
    start = models.TimeField(_("start time"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration, minutes"), validators=[MinValueValidator(15), MaxValueValidator(24 * 60)]
    )
    staff = models.ForeignKey(
        "providers.StaffMember",
        verbose_name=_("staff member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="schedule_slots",
    )

    class Meta:
        verbose_name = _("weekly visit")
        verbose_name_plural = _("weekly visits")
        ordering = ["weekday", "start", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gt=0), name="schedule_slot_has_duration"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M} {self.get_setting_display()}"

    @property
    def end(self) -> datetime.time:
        moment = datetime.datetime.combine(datetime.date(2000, 1, 1), self.start)
        return (moment + datetime.timedelta(minutes=self.duration_minutes)).time()


class CalendarDayKind(models.TextChoices):
    DAY_OFF = "day_off", _("Day off (a working day moved away)")
    WORKING_DAY = "working_day", _("Working day (moved onto a weekend or holiday)")


class CalendarDay(models.Model):
    """A working-day transfer decreed by the government, entered by the akimat.

    The `holidays` package knows Kazakhstan's public holidays; the yearly transfers after 2025
    are not in it, so an officer enters each day here.
    """

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=CalendarDayKind.choices)
    works_as = models.PositiveSmallIntegerField(
        _("follows the schedule of"),
        null=True,
        blank=True,
        choices=WEEKDAY_CHOICES,
        help_text=_(
            "For a working day: whose weekday's visits take place (usually the day moved away)."
        ),
    )
    note = models.CharField(_("decree or note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("working-day transfer")
        verbose_name_plural = _("working-day transfers")
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="working_day") | Q(works_as__isnull=True),
                name="only_working_day_follows_a_weekday",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%d.%m.%Y} {self.get_kind_display()}"


class VisitStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    MISSED = "missed", _("Missed")
    CANCELLED = "cancelled", _("Cancelled")


class ConfirmationMethod(models.TextChoices):
    """How the legal representative confirmed the visit (Alg. §20)."""

    SIGNATURE = "signature", _("Signature drawn on the coordinator's device")
    PIN = "pin", _("Representative's PIN")
    PAPER = "paper", _("Signed paper journal")
    EXCHANGE = "exchange", _("Confirmed in an imported journal")


class Visit(models.Model):
    """One visit of one child, at home or at the centre, on one day."""

    visit_id = models.CharField(
        _("visit id"),
        max_length=64,
        unique=True,
        help_text=_(
            "The journal's id of the visit (exchange key; a client's id makes retries safe)."
        ),
    )
    # No index of their own: the indexes on (child, date) and (provider, date) below serve
    # lookups by either alone, and each index costs on every one of a half-year's inserts.
    child = models.ForeignKey(
        "recipients.Child",
        verbose_name=_("child"),
        on_delete=models.PROTECT,
        related_name="visits",
        db_index=False,
    )
    provider = models.ForeignKey(
        "providers.Provider",
        verbose_name=_("provider"),
        on_delete=models.PROTECT,
        related_name="visits",
        db_index=False,
    )
    setting = models.CharField(_("setting"), max_length=10, choices=Setting.choices)
    date = models.DateField(_("date"))
    start = models.TimeField(_("start time"))
    end = models.TimeField(_("end time"))
    status = models.CharField(
        _("status"), max_length=10, choices=VisitStatus.choices, default=VisitStatus.PLANNED
    )
    missed_reason = models.TextField(_("reason it was missed or cancelled"), blank=True)
    services = models.JSONField(
        _("services given"),
        default=list,
        blank=True,
        help_text=_('Kinds ("medical") and catalogue services ("medical.massage").'),
    )
    slot = models.ForeignKey(
        ScheduleSlot,
        verbose_name=_("planned by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visits",
    )
    overlaps = models.BooleanField(
        _("overlaps another setting"),
        default=False,
        help_text=_("The child's home and centre visits of this day overlap in time."),
    )
    staff = models.ForeignKey(
        "providers.StaffMember",
        verbose_name=_("staff member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    confirmation_method = models.CharField(
        _("confirmed by the representative"),
        max_length=10,
        choices=ConfirmationMethod.choices,
        blank=True,
        help_text=_("Empty: not confirmed."),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    signature = models.FileField(
        _("drawn signature"), upload_to=RandomName("signatures/%Y/%m"), blank=True, max_length=200
    )
    paper_scan = models.FileField(
        _("scan of the signed journal"),
        upload_to=RandomName("journal-scans/%Y/%m"),
        blank=True,
        max_length=200,
        validators=[validate_document_file],
    )
    confirmation_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmation recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["date", "start", "visit_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")),
                name="visit_ends_after_start",
                violation_error_message=_("A visit must end after it starts."),
            ),
        ]
        indexes = [
            models.Index(fields=["provider", "date"]),
            models.Index(fields=["child", "date"]),
            models.Index(fields=["date", "status"]),
        ]

    def __str__(self) -> str:
        # The key and the day name a visit. No translated words: an import names (in its audit
        # entries) hundreds of thousands of visits, and reading the language costs each time.
        day = self.date
        return f"{self.visit_id} {day.day:02d}.{day.month:02d}.{day.year}"

    def clean(self) -> None:
        """A visit moving to another provider or month is announced (`visit_moving`): billing
        refuses the move of one on an approved invoice (it would be paid again)."""
        super().clean()
        if self.pk is None:
            return
        stored = Visit.objects.filter(pk=self.pk).values("provider_id", "date").first()
        if stored is None:
            return
        moved = stored["provider_id"] != self.provider_id or (
            self.date is not None
            and (stored["date"].year, stored["date"].month) != (self.date.year, self.date.month)
        )
        if not moved:
            return
        original = Visit(
            pk=self.pk,
            visit_id=self.visit_id,
            provider_id=stored["provider_id"],
            date=stored["date"],
        )
        visit_moving.send(sender=Visit, original=original)

    @property
    def is_confirmed(self) -> bool:
        return bool(self.confirmation_method)

    @property
    def kinds(self) -> list[str]:
        """The kinds of service given, as the exchange files and billing name them."""
        return sorted({code.split(".", 1)[0] for code in self.services})

    @property
    def minutes(self) -> int:
        return (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)


class VisitCorrection(models.Model):
    """A head's correction of a confirmed visit: who, when, why, and what changed."""

    visit = models.ForeignKey(
        Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="corrections"
    )
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("corrected by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    corrected_at = models.DateTimeField(_("corrected at"), auto_now_add=True)
    reason = models.TextField(_("reason"))
    changes = models.JSONField(_("changes"), default=dict)

    class Meta:
        verbose_name = _("visit correction")
        verbose_name_plural = _("visit corrections")
        ordering = ["-corrected_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.visit} {self.corrected_at:%d.%m.%Y %H:%M}"


auditlog.register(CatalogueService)
auditlog.register(Schedule)
auditlog.register(ScheduleSlot)
auditlog.register(CalendarDay)
auditlog.register(Visit)
auditlog.register(VisitCorrection)


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Being prepared")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class JournalExport(JobRow):
    """A journal PDF too long to make during a request: prepared by a Celery job, then fetched."""

    provider = models.ForeignKey(
        "providers.Provider", verbose_name=_("provider"), on_delete=models.CASCADE, related_name="+"
    )
    child = models.ForeignKey(
        "recipients.Child",
        verbose_name=_("child"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    language = models.CharField(_("language"), max_length=8)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    rows = models.PositiveIntegerField(_("rows"), default=0)
    file = models.FileField(_("file"), upload_to="journals/%Y/%m/", blank=True, max_length=200)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("journal PDF")
        verbose_name_plural = _("journal PDFs")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.provider} {self.period_start:%Y-%m}–{self.period_end:%Y-%m}"
