"""Tariffs per service day (domain.md §6). Billing and invoices come with issue 5."""

from __future__ import annotations

import datetime

from auditlog.registry import auditlog
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Setting(models.TextChoices):
    HOME = "home", _("At home")
    CENTRE = "centre", _("At the centre")


class Tariff(models.Model):
    """The price of one service day in a setting, valid from a day (to a day, if it ended)."""

    setting = models.CharField(_("setting"), max_length=10, choices=Setting.choices)
    amount_kzt = models.PositiveIntegerField(
        _("amount, ₸"), validators=[MinValueValidator(1)], help_text=_("Whole tenge.")
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    act = models.CharField(_("approving act"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")
        ordering = ["setting", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["setting", "valid_from"], name="one_tariff_per_start"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="tariff_ends_after_start",
                violation_error_message=_("A tariff cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_setting_display()}: {self.amount_kzt} ₸ ({self.valid_from:%d.%m.%Y})"

    def clean(self) -> None:
        """Two periods of one setting never overlap: a day has one price (checked on save)."""
        if not self.setting or not self.valid_from:
            return
        others = Tariff.objects.filter(setting=self.setting).exclude(pk=self.pk)
        others = others.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=self.valid_from))
        if self.valid_to is not None:
            others = others.filter(valid_from__lte=self.valid_to)
        clash = others.order_by("valid_from").first()
        if clash is not None:
            raise ValidationError(
                _("The period overlaps the tariff valid from %(start)s.")
                % {"start": clash.valid_from.strftime("%d.%m.%Y")},
                code="tariff_overlap",
            )

    def covers(self, day: datetime.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


auditlog.register(Tariff)
