"""An invoice's payment in its two components (PM): the base component and the service days,
with the adjustments of earlier, frozen invoices."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Sum

from tariffs import ports
from tariffs.models import Invoice


@dataclass(frozen=True)
class Components:
    """A provider's monthly payment in its two components (PM)."""

    base_kzt: int  # the provider's base component for the year
    per_capita_kzt: int  # the billed service days
    adjustments_kzt: int  # corrections of earlier, frozen invoices

    @property
    def total_kzt(self) -> int:
        return self.base_kzt + self.per_capita_kzt + self.adjustments_kzt


def components(invoice: Invoice) -> Components:
    """The payment's components; an approved invoice's are those frozen at its approval."""
    if invoice.is_frozen and invoice.base_kzt is not None:
        return Components(invoice.base_kzt, invoice.amount_kzt, invoice.adjustments_kzt or 0)
    base = ports.base_component(invoice.provider_id, invoice.month.year)
    adjustments = invoice.adjustments.aggregate(total=Sum("amount_kzt"))["total"] or 0
    return Components(base, invoice.amount_kzt, adjustments)
