"""What services asks of the apps above it (core.ports).

Billing (tariffs) builds on visits, so services cannot import it; the visit page shows
whether a done visit is paid, by billing's own rules, through this port.
"""

from __future__ import annotations

from typing import Any

from core.ports import Port
from services.models import Visit


def _visit_billing(visit: Visit) -> dict[str, Any] | None:
    """For a done visit: {"billable", "tariff_kzt", "reason", "explanation"}; else None."""
    raise NotImplementedError


visit_billing = Port("whether a visit is paid", _visit_billing)
