"""Visits at home and at the centre (domain.md §5). Schedules and journals build on these."""

from __future__ import annotations

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tariffs.models import Setting


class VisitStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    MISSED = "missed", _("Missed")
    CANCELLED = "cancelled", _("Cancelled")


class ConfirmationMethod(models.TextChoices):
    """How the legal representative confirmed the visit (Alg. §20)."""

    SIGNATURE = "signature", _("Signature on the coordinator's device")
    PIN = "pin", _("Representative's PIN")
    PAPER = "paper", _("Signed paper journal")
    EXCHANGE = "exchange", _("Confirmed in an imported journal")


class Visit(models.Model):
    """One visit of one child, at home or at the centre, on one day."""

    visit_id = models.CharField(
        _("visit id"),
        max_length=40,
        unique=True,
        help_text=_(
            "The journal's id of the visit (exchange key; a client's id makes retries safe)."
        ),
    )
    child = models.ForeignKey(
        "recipients.Child", verbose_name=_("child"), on_delete=models.PROTECT, related_name="visits"
    )
    provider = models.ForeignKey(
        "providers.Provider",
        verbose_name=_("provider"),
        on_delete=models.PROTECT,
        related_name="visits",
    )
    setting = models.CharField(_("setting"), max_length=10, choices=Setting.choices)
    date = models.DateField(_("date"))
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))
    status = models.CharField(
        _("status"), max_length=10, choices=VisitStatus.choices, default=VisitStatus.PLANNED
    )
    missed_reason = models.TextField(_("reason it was missed"), blank=True)
    services = models.JSONField(_("services given"), default=list, blank=True)
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
        return f"{self.visit_id} {self.date:%d.%m.%Y} {self.get_setting_display()}"

    @property
    def is_confirmed(self) -> bool:
        return bool(self.confirmation_method)


auditlog.register(Visit)
