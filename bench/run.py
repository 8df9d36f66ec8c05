"""Benchmarks at the Astana scale (`make bench`): timings and query counts, printed as a table.

Runs against the database in DATABASE_URL (the Makefile gives it a throw-away SQLite file):
loads the demo, generates the city's ~3 550 children, then times the pages and jobs that grow
with the number of children. Speed targets live here, never in unit tests.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pilot.settings.local")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from core.models import User  # noqa: E402
from core.spreadsheets import SafeCSV  # noqa: E402
from recipients import services as recipient_services  # noqa: E402
from recipients.models import Child, Enrollment  # noqa: E402

RESULTS: list[tuple[str, float, int, str]] = []


def measure(
    name: str,
    action: Callable[[], object],
    target_seconds: float,
    note: str = "",
    expect: int = 200,
) -> None:
    # The log is a bounded deque: once full (the demo load fills it) its length stops moving.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = action()
        seconds = time.perf_counter() - started
    status = getattr(result, "status_code", 200)
    if status != expect:
        raise SystemExit(f"{name}: HTTP {status}")
    verdict = "ok" if seconds <= target_seconds else f"SLOW (target {target_seconds}s)"
    RESULTS.append((name, seconds, len(queries), f"{verdict} {note}".strip()))


def main() -> int:
    devnull = open(os.devnull, "w")  # noqa: SIM115
    call_command("load_demo", stdout=devnull)
    call_command("generate_children", count=3550, stdout=devnull)
    children = Child.objects.count()
    enrollments = Enrollment.objects.count()

    coordinator = User.objects.get(username="coord.solnechny")
    officer = User.objects.get(username="officer")
    browser = Client(HTTP_HOST="localhost")
    browser.force_login(coordinator)
    api = Client(HTTP_HOST="localhost")
    api.force_login(officer)

    measure(
        "children page, one centre (coordinator)", lambda: browser.get("/children/?status=all"), 0.5
    )
    measure("child card", lambda: browser.get(f"/children/{_first_child_id(coordinator)}/"), 0.3)
    measure("API /api/children/ first page (officer)", lambda: api.get("/api/children/"), 0.5)
    measure("API /api/enrollments/ first page", lambda: api.get("/api/enrollments/"), 0.5)
    measure("admin children list (officer)", lambda: api.get("/admin/recipients/child/"), 1.0)
    measure("duplicates job", recipient_services.duplicates_find, 2.0)
    measure(
        "enrolment warnings job",
        lambda: recipient_services.enrollment_warnings_refresh(today=timezone.localdate()),
        3.0,
    )
    _visits(browser, api, coordinator)
    with tempfile.TemporaryDirectory() as folder:
        dataset = Path(folder)
        _export_dataset(dataset)
        measure(
            "import_dataset, whole city again (all unchanged)",
            lambda: call_command("import_dataset", str(dataset), stdout=devnull),
            20.0,
        )

    print(f"\nAstana scale: {children} children, {enrollments} enrolments ({connection.vendor})\n")
    print(f"| {'what':<48} | {'seconds':>8} | {'queries':>7} | verdict |")
    print(f"|{'-' * 50}|{'-' * 10}|{'-' * 9}|---------|")
    for name, seconds, queries, verdict in RESULTS:
        print(f"| {name:<48} | {seconds:>8.3f} | {queries:>7} | {verdict} |")
    return 1 if any(verdict.startswith("SLOW") for *_, verdict in RESULTS) else 0


def _visits(browser: Client, api: Client, coordinator: User) -> None:
    """Schedules for every approved enrolment of the city, the nightly plan, and the visit pages."""
    import datetime

    from services import services as visit_services
    from services.models import Schedule, ScheduleSlot, Visit

    _schedule_everyone()
    today = timezone.localdate()
    measure(
        "plan visits job, whole city, 28 days",
        lambda: visit_services.visits_generate(start=today, days=28),
        20.0,
        f"({Schedule.objects.count()} schedules, {ScheduleSlot.objects.count()} weekly visits)",
    )
    measure(
        "plan visits job again (nothing new)",
        lambda: visit_services.visits_generate(start=today, days=28),
        10.0,
    )
    provider_id = int(coordinator.provider_id or 0)
    busiest = (
        Visit.objects.filter(provider_id=provider_id, date__gte=today)
        .values_list("date", flat=True)
        .order_by("date")
        .first()
        or today
    )
    measure(
        "coordinator's day of visits",
        lambda: browser.get(f"/visits/?day={busiest:%Y-%m-%d}"),
        0.3,
        f"({Visit.objects.filter(provider_id=provider_id, date=busiest).count()} visits)",
    )
    visit = Visit.objects.filter(provider_id=provider_id, date=busiest).first()
    if visit is not None:
        measure("one visit page", lambda: browser.get(f"/visits/{visit.pk}/"), 0.3)
    month = today.replace(day=1) - datetime.timedelta(days=1)
    measure(
        "journal page, one centre, last month",
        lambda: browser.get(f"/journal/?month={month:%Y-%m}"),
        1.0,
        f"({Visit.objects.filter(provider_id=provider_id, date__year=month.year, date__month=month.month).count()} visits)",
    )
    # Over JOURNAL_PDF_INLINE_ROWS rows the PDF is a job (run in-process here, as in `make run`).
    measure(
        "journal PDF, one centre, last month (job)",
        lambda: browser.get(f"/journal/pdf/?month={month:%Y-%m}"),
        30.0,
        expect=302,
    )
    measure("API /api/visits/ first page (officer)", lambda: api.get("/api/visits/"), 0.5)
    since = (timezone.now() - datetime.timedelta(hours=1)).isoformat()
    measure(
        "API /api/visits/?updated_since (sync page)",
        lambda: api.get("/api/visits/", {"updated_since": since}),
        0.5,
        f"({Visit.objects.count()} visits in the city)",
    )


def _schedule_everyone() -> None:
    """An approved five-visit week for every approved enrolment without a schedule (bulk)."""
    import datetime

    from services.models import Schedule, ScheduleSlot

    pattern = [
        (0, "home", 10, 120),
        (1, "centre", 9, 180),
        (2, "home", 15, 90),
        (3, "centre", 9, 240),
        (4, "centre", 11, 120),
    ]
    enrollments = Enrollment.objects.filter(status="approved", schedules__isnull=True)
    now = timezone.now()
    Schedule.objects.bulk_create(
        [
            Schedule(
                enrollment=enrollment,
                version=1,
                valid_from=enrollment.start_on,
                status="approved",
                approved_at=now,
            )
            for enrollment in enrollments
        ],
        batch_size=1000,
    )
    saved = Schedule.objects.filter(slots__isnull=True, approved_at=now)
    ScheduleSlot.objects.bulk_create(
        [
            ScheduleSlot(
                schedule=schedule,
                weekday=weekday,
                setting=setting,
                start=datetime.time(hour),
                duration_minutes=minutes,
            )
            for schedule in saved
            for weekday, setting, hour, minutes in pattern
        ],
        batch_size=2000,
    )


def _first_child_id(user: User) -> int:
    from recipients.selectors import children_for_user

    return children_for_user(user=user).values_list("pk", flat=True).first() or 0


def _export_dataset(folder: Path) -> None:
    """The whole city's children, ИПАР and enrolments, exported by the admin's resources."""
    from exchange.admin_resources.recipients import ChildResource, EnrollmentResource, IparResource

    for name, resource in (
        ("children", ChildResource()),
        ("ipar", IparResource()),
        ("enrollments", EnrollmentResource()),
    ):
        content = SafeCSV().export_data(resource.export())
        (folder / f"{name}.csv").write_text(content, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
