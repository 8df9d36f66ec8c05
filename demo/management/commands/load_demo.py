from typing import Any

from django.core.management.base import BaseCommand

from demo.loading import DEMO_PASSWORD, USERS, load_demo
from demo.visits import DEMO_PIN


class Command(BaseCommand):
    help = "Load the demo data (idempotent) and print one login per role."

    def handle(self, *args: Any, **options: Any) -> None:
        result = load_demo()
        self.stdout.write(
            f"Demo data: {result['providers_created']} organisations created this run, "
            f"{result['users']} demo users, {result['children_created']} children created this run."
        )
        if result.get("schedules_created"):
            self.stdout.write(
                f"Visits: {result['schedules_created']} approved schedules; "
                f"{result.get('visits_done', 0)} done ({result.get('visits_confirmed', 0)} "
                f"confirmed), {result.get('visits_missed', 0)} missed, "
                f"{result.get('visits_cancelled', 0)} cancelled, "
                f"{result.get('visits_planned', 0)} planned."
            )
        if result.get("registry_rows"):
            self.stdout.write(
                f"Registries: {result['registry_rows']} rows (two hospital stays, a sanatorium stay, "
                "a КППК period and a family that moved away; admin → Monitoring and reports): the "
                "bills withhold those days."
            )
        if result.get("invoices"):
            self.stdout.write(
                f"Invoices: {result['invoices']} (every finished month billed: the earlier months "
                "approved and paid, the last checked by officer2 and waiting for officer's "
                "approval)."
            )
        if result.get("findings"):
            self.stdout.write(
                f"Findings: {result['findings']} open from the reconciliations of last month "
                "and this month (admin → Reconciliation and findings); last month's overlaps "
                "hold some of its invoices until they are reviewed."
            )
        if result.get("reports"):
            self.stdout.write(
                f"Reports: {result['reports']} versions generated: H1 2026 final (in Russian, with its "
                "Kazakh translation), delivered and published; "
                "the running half-year a draft (log in as analyst: /reports/ and "
                "/reports/dashboard/). Questionnaire answers: "
                f"{result.get('survey_answers', 0)} (admin → Monitoring reports)."
            )
        self.stdout.write(
            f"Legal representatives' PIN for confirming a visit (all demo children): {DEMO_PIN}"
        )
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        self.stdout.write(f"  {'admin':<18} superuser")
        for username, role, _first, _last, bin_ in USERS:
            where = f" of {bin_}" if bin_ else ""
            self.stdout.write(f"  {username:<18} {role}{where}")
