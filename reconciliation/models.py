"""Reconciliation runs and the findings they raise for review (domain.md §6)."""

from __future__ import annotations

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import JobRow


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)


class ReconciliationRun(JobRow):
    """One reconciliation of a period: a Celery job whose progress officers follow."""

    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    percent = models.PositiveSmallIntegerField(_("done, %"), default=0)
    step = models.CharField(_("step"), max_length=100, blank=True)
    visits_checked = models.PositiveIntegerField(_("visits checked"), default=0)
    found = models.PositiveIntegerField(_("findings raised"), default=0)
    updated = models.PositiveIntegerField(_("findings changed"), default=0)
    resolved = models.PositiveIntegerField(_("findings no longer found"), default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last progress"), auto_now=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("reconciliation run")
        verbose_name_plural = _("reconciliation runs")
        ordering = ["-created_at"]
        constraints = [
            # The lock: one queued or running reconciliation of a period at a time.
            models.UniqueConstraint(
                fields=["period_start", "period_end"],
                condition=Q(status__in=["queued", "running"]),
                name="one_active_reconciliation_per_period",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="reconciliation_period_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period_start:%d.%m.%Y} – {self.period_end:%d.%m.%Y}"


class FindingKind(models.TextChoices):
    OVERLAP = "overlap", _("Home and centre visits overlap in time")
    TWO_PROVIDERS = "two_providers", _("Enrolled with two providers at once")
    LOW_FREQUENCY = "low_frequency", _("A week below the minimum frequency")
    IIN_BIRTH_DATE = "iin_birth_date", _("The IIN disagrees with the birth date")
    # Double financing prevented (Alg. §24–25): a visit the billing rules withhold because of
    # a state registry, with the registry's row as evidence.
    DECEASED = "deceased", _("Registry: the child's death recorded")
    NOT_RESIDENT = "not_resident", _("Registry: not registered in Astana")
    HOSPITAL = "hospital", _("Registry: in hospital")
    SANATORIUM = "sanatorium", _("Registry: in a sanatorium")
    EDUCATION_CORRECTION = "education_correction", _("Registry: КППК / ПМПК correctional services")


# Findings that stop an invoice from being checked while open: visits the billing rules would
# pay but a review may reject. The registry kinds are withheld by the rules already, and the
# week and IIN kinds name no visit.
BLOCKING_KINDS = (FindingKind.OVERLAP, FindingKind.TWO_PROVIDERS)


class FindingStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CONFIRMED = "confirmed", _("Confirmed")
    DISMISSED = "dismissed", _("Dismissed")
    # An open finding a later run no longer raises (the data were corrected).
    RESOLVED = "resolved", _("No longer found")


class Finding(models.Model):
    """Something a reconciliation found for an officer to review, with its evidence.

    `key` names it across runs (kind, child, the visits or enrolments, the week), so a run
    over the same data raises nothing new. Confirming it excludes its visits from billing
    with the reason REJECTED_ON_REVIEW; dismissing it does not.
    """

    key = models.CharField(_("key"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=FindingKind.choices)
    child = models.ForeignKey(
        "recipients.Child", verbose_name=_("child"), on_delete=models.PROTECT, related_name="+"
    )
    provider = models.ForeignKey(
        "providers.Provider",
        verbose_name=_("provider"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    day = models.DateField(_("day or first day concerned"))
    visits = models.ManyToManyField(
        "services.Visit", verbose_name=_("visits"), blank=True, related_name="findings"
    )
    evidence = models.JSONField(_("evidence"), default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=FindingStatus.choices, default=FindingStatus.OPEN
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    last_run = models.ForeignKey(
        ReconciliationRun,
        verbose_name=_("last raised by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="findings",
    )
    created_at = models.DateTimeField(_("found at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["status", "kind", "day"]
        indexes = [models.Index(fields=["kind", "status"]), models.Index(fields=["day"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["open", "resolved"])
                | (Q(reviewer__isnull=False) & ~Q(comment="")),
                name="reviewed_finding_has_reviewer_and_comment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.day:%d.%m.%Y}"


auditlog.register(ReconciliationRun)
auditlog.register(Finding, m2m_fields={"visits"})
