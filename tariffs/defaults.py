"""The tariffs of the source documents, created where missing (`seed_tariffs`, the demo)."""

from __future__ import annotations

import datetime

from core.choices import Setting
from tariffs.models import Tariff


def ensure_tariffs() -> None:
    """The tariffs of the source documents (PM): 4 346 / 9 918 ₸, then 4 997 / 13 000 ₸."""
    rows = [
        (
            Setting.HOME,
            4346,
            datetime.date(2025, 1, 1),
            datetime.date(2026, 6, 4),
            "постановление акимата г. Астаны (2025)",
        ),
        (
            Setting.CENTRE,
            9918,
            datetime.date(2025, 1, 1),
            datetime.date(2026, 6, 4),
            "постановление акимата г. Астаны (2025)",
        ),
        (
            Setting.HOME,
            4997,
            datetime.date(2026, 6, 5),
            None,
            "постановление акимата г. Астаны (2026)",
        ),
        (
            Setting.CENTRE,
            13000,
            datetime.date(2026, 6, 5),
            None,
            "постановление акимата г. Астаны (2026)",
        ),
    ]
    for setting, amount, start, end, act in rows:
        Tariff.objects.get_or_create(
            setting=setting,
            valid_from=start,
            defaults={"amount_kzt": amount, "valid_to": end, "act": act},
        )
