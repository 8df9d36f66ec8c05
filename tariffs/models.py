"""Tariffs per service day and the monthly invoices computed from them (domain.md §6)."""

from __future__ import annotations

import datetime

from auditlog.registry import auditlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.choices import Setting
from core.periods import month_end, ranges_overlap


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
        # A handful of periods a setting: compared here by the rule the import uses too.
        others = Tariff.objects.filter(setting=self.setting).exclude(pk=self.pk)
        clash = next(
            (
                other
                for other in others.order_by("valid_from")
                if ranges_overlap(self.valid_from, self.valid_to, other.valid_from, other.valid_to)
            ),
            None,
        )
        if clash is not None:
            raise ValidationError(
                _("The period overlaps the tariff valid from %(start)s.")
                % {"start": clash.valid_from.strftime("%d.%m.%Y")},
                code="tariff_overlap",
            )

    def covers(self, day: datetime.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    CHECKED = "checked", pgettext_lazy("invoice", "Checked")
    APPROVED = "approved", pgettext_lazy("invoice", "Approved (frozen)")
    PAID = "paid", pgettext_lazy("invoice", "Paid")


FROZEN = (InvoiceStatus.APPROVED, InvoiceStatus.PAID)


class Invoice(models.Model):
    """What a provider is owed for a month (domain.md §6): a draft until the akimat approves it.

    An approved invoice is frozen: its lines and exclusions are kept as they were computed, and
    later changes to visits, registries or tariffs never alter it.
    """

    provider = models.ForeignKey(
        "providers.Provider",
        verbose_name=_("provider"),
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    month = models.DateField(_("month"), help_text=_("The first day of the billing month."))
    status = models.CharField(
        _("status"), max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    home_units = models.PositiveIntegerField(_("home service days"), default=0)
    centre_units = models.PositiveIntegerField(_("centre service days"), default=0)
    amount_kzt = models.PositiveBigIntegerField(_("amount, ₸"), default=0)
    computed_at = models.DateTimeField(_("computed at"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    # Frozen with the invoice at approval, so that later edits never change what is paid.
    base_kzt = models.PositiveBigIntegerField(_("base component, ₸"), null=True, blank=True)
    adjustments_kzt = models.BigIntegerField(_("adjustments, ₸"), null=True, blank=True)
    payment_order = models.CharField(_("payment order number"), max_length=50, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-month", "provider__bin"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "month"], name="one_invoice_per_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="invoice_month_is_first_day"),
            models.CheckConstraint(
                condition=~Q(status="paid") | (~Q(payment_order="") & Q(paid_on__isnull=False)),
                name="paid_invoice_has_payment_order",
            ),
            models.CheckConstraint(
                condition=Q(checked_by__isnull=True)
                | Q(approved_by__isnull=True)
                | ~Q(checked_by=models.F("approved_by")),
                name="invoice_checker_is_not_approver",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.month:%Y-%m}"

    @property
    def is_frozen(self) -> bool:
        return self.status in FROZEN

    @property
    def month_running(self) -> bool:
        """Its month has not ended (today is in it, or before it): the invoice is a draft to
        preview, never checked or approved until the month is over (docs/decisions.md)."""
        return timezone.localdate() <= month_end(self.month)

    @property
    def total_kzt(self) -> int:
        """The lines and the adjustments of earlier months' invoices made on this one."""
        return self.amount_kzt + sum(item.amount_kzt for item in self.adjustments.all())


class InvoiceLine(models.Model):
    """Billed service days of one child in one setting at one tariff amount."""

    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.CASCADE, related_name="lines"
    )
    child = models.ForeignKey(
        "recipients.Child", verbose_name=_("child"), on_delete=models.PROTECT, related_name="+"
    )
    child_iin = models.CharField(_("IIN"), max_length=12)
    setting = models.CharField(_("setting"), max_length=10, choices=Setting.choices)
    tariff_kzt = models.PositiveIntegerField(_("tariff, ₸"))
    units = models.PositiveIntegerField(_("service days"))
    amount_kzt = models.PositiveBigIntegerField(_("amount, ₸"))
    # The visits billed on the line: with the exclusions, every candidate's outcome is kept.
    visit_ids = models.JSONField(_("visits"), default=list)

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "child_iin", "setting", "tariff_kzt"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_kzt=models.F("tariff_kzt") * models.F("units")),
                name="line_amount_is_tariff_times_units",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.child_iin} {self.setting} {self.units} × {self.tariff_kzt}"


class InvoiceExclusion(models.Model):
    """A candidate visit of the month that was not billed, with the first rule it failed."""

    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.CASCADE, related_name="exclusions"
    )
    visit = models.ForeignKey(
        "services.Visit", verbose_name=_("visit"), on_delete=models.PROTECT, related_name="+"
    )
    visit_id_text = models.CharField(_("visit id"), max_length=64)
    child_iin = models.CharField(_("IIN"), max_length=12)
    date = models.DateField(_("date"))
    setting = models.CharField(_("setting"), max_length=10, choices=Setting.choices)
    reason = models.CharField(_("reason"), max_length=30)

    class Meta:
        verbose_name = _("excluded visit")
        verbose_name_plural = _("excluded visits")
        ordering = ["invoice", "visit_id_text"]

    def __str__(self) -> str:
        return f"{self.visit_id_text} {self.reason}"


class InvoiceAdjustment(models.Model):
    """A correction of a frozen invoice, carried on a later month's invoice with a reason."""

    invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("invoice it is paid with"),
        on_delete=models.CASCADE,
        related_name="adjustments",
    )
    corrects = models.ForeignKey(
        Invoice,
        verbose_name=_("frozen invoice it corrects"),
        on_delete=models.PROTECT,
        related_name="corrections",
    )
    amount_kzt = models.BigIntegerField(_("amount, ₸"), help_text=_("Negative to withhold."))
    reason = models.TextField(_("reason"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("adjustment")
        verbose_name_plural = _("adjustments")
        ordering = ["invoice", "created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount_kzt=0), name="adjustment_not_zero"),
            models.CheckConstraint(condition=~Q(reason=""), name="adjustment_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.amount_kzt:+} ₸ ({self.corrects})"


auditlog.register(Tariff)
auditlog.register(Invoice)
auditlog.register(InvoiceAdjustment)
