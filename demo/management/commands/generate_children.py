import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from demo.children import generate_children
from providers.models import Provider


class Command(BaseCommand):
    help = (
        "Generate synthetic children at every stage (Astana scale: --count 3550), for benchmarks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, default=3550)
        parser.add_argument("--seed", type=int, default=3550)

    def handle(self, *args: Any, **options: Any) -> None:
        providers = [
            p
            for p in Provider.objects.filter(admitted_on__isnull=False).order_by("pk")
            if p.is_eligible
        ]
        if not providers:
            raise CommandError("No admitted provider: run load_demo or import_dataset first.")
        started = datetime.datetime.now()
        result = generate_children(
            count=options["count"],
            providers=providers,
            seed=options["seed"],
            today=timezone.localdate(),
        )
        seconds = (datetime.datetime.now() - started).total_seconds()
        self.stdout.write(
            f"{result.children} children and {result.enrollments} enrolments in {seconds:.1f} s."
        )
