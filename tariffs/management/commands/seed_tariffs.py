"""`seed_tariffs`: the default tariffs of the source documents, for a new installation."""

from typing import Any

from django.core.management.base import BaseCommand

from tariffs.defaults import ensure_tariffs
from tariffs.models import Tariff


class Command(BaseCommand):
    help = (
        "Create the default tariffs (home 4 346 / centre 9 918 ₸ until 2026-06-04, then "
        "4 997 / 13 000 ₸ from 2026-06-05) where they are missing; never changes a tariff."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        before = Tariff.objects.count()
        ensure_tariffs()
        self.stdout.write(f"{Tariff.objects.count() - before} tariffs created.")
