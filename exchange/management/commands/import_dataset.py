from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from core.errors import RoleRequired
from exchange.service import dataset_import


class Command(BaseCommand):
    help = (
        "Import a dataset of exchange files (providers, tariffs, children, ipar, enrollments, "
        "visits and the three registries) as one transaction. Nothing is written if any row "
        "is refused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path, help="the folder holding the files")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report, write nothing"
        )
        parser.add_argument(
            "--user", metavar="USERNAME", help="the portal user the changes are attributed to"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        directory: Path = options["directory"]
        if not directory.is_dir():
            raise CommandError(_("%(path)s is not a folder") % {"path": directory})
        user = None
        if options["user"]:
            try:
                user = get_user_model().objects.get(username=options["user"])
            except get_user_model().DoesNotExist as exc:
                raise CommandError(
                    _("There is no user %(username)s") % {"username": options["user"]}
                ) from exc

        try:
            report = dataset_import(
                directory=directory, dry_run=options["dry_run"], acting_user=user
            )
        except RoleRequired as exc:
            raise CommandError(
                _("%(username)s may not import data: %(reason)s")
                % {"username": options["user"], "reason": exc}
            ) from exc

        for line in report.summary_lines():
            self.stdout.write(line)
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(_("Warning: %(row)s") % {"row": warning}))
        if not report.ok:
            for error in report.errors:
                self.stderr.write(str(error))
            raise CommandError(report.outcome_line(), returncode=1)
        self.stdout.write(self.style.SUCCESS(report.outcome_line()))
