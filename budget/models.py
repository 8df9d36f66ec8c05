"""The pilot's local budget (R261 §2–4): the year's allocation, the individual financing plan by
obligations and by payments, payments by expense specifics code, and each provider's base
component (PM)."""

from __future__ import annotations

from auditlog.registry import auditlog
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class ExpenseCode(models.Model):
    """A specifics code of the economic classification of expenses (editable; seeded)."""

    code = models.CharField(_("code"), max_length=10, unique=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=200)
    name_kk = models.CharField(_("name (Kazakh)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("expense specifics code")
        verbose_name_plural = _("expense specifics codes")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def name(self) -> str:
        language = (get_language() or "ru")[:2]
        return getattr(self, f"name_{language}", "") or self.name_ru


class BudgetYear(models.Model):
    """The year's local-budget allocation for the pilot."""

    year = models.PositiveSmallIntegerField(
        _("year"), unique=True, validators=[MinValueValidator(2026), MaxValueValidator(2100)]
    )
    allocation_kzt = models.PositiveBigIntegerField(_("allocation, ₸"))
    act = models.CharField(_("approving act"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("budget year")
        verbose_name_plural = _("budget years")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


class PlanMonth(models.Model):
    """One month of the individual financing plan: by obligations and by payments."""

    budget_year = models.ForeignKey(
        BudgetYear, verbose_name=_("budget year"), on_delete=models.CASCADE, related_name="months"
    )
    month = models.PositiveSmallIntegerField(
        _("month"), validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    obligations_kzt = models.PositiveBigIntegerField(_("plan by obligations, ₸"), default=0)
    payments_kzt = models.PositiveBigIntegerField(_("plan by payments, ₸"), default=0)

    class Meta:
        verbose_name = _("financing plan month")
        verbose_name_plural = _("financing plan")
        ordering = ["budget_year", "month"]
        constraints = [
            models.UniqueConstraint(fields=["budget_year", "month"], name="one_plan_per_month"),
            models.CheckConstraint(
                condition=Q(month__gte=1) & Q(month__lte=12), name="plan_month_in_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:02d}.{self.budget_year}"


class Payment(models.Model):
    """A payment of an approved invoice, by expense specifics code."""

    invoice = models.ForeignKey(
        "tariffs.Invoice",
        verbose_name=_("invoice"),
        on_delete=models.PROTECT,
        related_name="payments",
    )
    order_number = models.CharField(_("payment order number"), max_length=50)
    paid_on = models.DateField(_("paid on"))
    amount_kzt = models.BigIntegerField(_("amount, ₸"))
    expense_code = models.ForeignKey(
        ExpenseCode, verbose_name=_("expense specifics"), on_delete=models.PROTECT
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-paid_on", "order_number"]

    def __str__(self) -> str:
        return f"№ {self.order_number} {self.paid_on:%d.%m.%Y}"


class BaseComponent(models.Model):
    """A provider's monthly base component (infrastructure, administration: R261 §8), which does
    not depend on the number of recipients; the per-capita component is its billed service
    days (PM)."""

    provider = models.ForeignKey(
        "providers.Provider",
        verbose_name=_("provider"),
        on_delete=models.PROTECT,
        related_name="base_components",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    monthly_kzt = models.PositiveBigIntegerField(_("base component a month, ₸"))

    class Meta:
        verbose_name = _("base component")
        verbose_name_plural = _("base components")
        ordering = ["-year", "provider"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "year"], name="one_base_per_provider_year")
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.year}"


for _model in (ExpenseCode, BudgetYear, PlanMonth, Payment, BaseComponent):
    auditlog.register(_model)
