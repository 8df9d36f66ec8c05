"""What tariffs asks of the apps above it (core.ports).

The budget (allocations, plans, each provider's base component, payments) builds on the
invoices it pays, so billing cannot import it; an invoice's payment is in two components
(PM), and the base one is the budget's: budget provides it.
"""

from __future__ import annotations

from core.ports import Port


def _base_component(provider_id: int, year: int) -> int:
    """The provider's monthly base component for `year`, whole tenge (0 where none is set)."""
    raise NotImplementedError


base_component = Port("a provider's monthly base component", _base_component)
