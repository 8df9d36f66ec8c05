"""What providers ask of the apps above it (core.ports).

Children are enrolled with admitted providers (recipients builds on providers), yet the
staffing table of App. 1 is counted per child enrolled: recipients provides the count.
"""

from __future__ import annotations

import datetime

from core.ports import Port
from providers.models import Provider


def _enrolled_counts(provider: Provider, *, on: datetime.date) -> tuple[int, int]:
    """(children enrolled with `provider` on `on`, those of them needing a care worker)."""
    raise NotImplementedError


enrolled_counts = Port("children enrolled with a provider", _enrolled_counts)
