"""Billing at the Astana scale (`make bench`, after bench/run.py, on a fresh database).

Generates a half-year of the city in the exchange format (shared/spec/exchange.md) — seeded, so
every run writes the same files — imports it with `dataset_import`, bills each of the six months
with `bill_month`, and prints rows a second, seconds a month, queries and peak memory as a table.
With BENCH_TEN_TIMES=1 it then does the same at ten times the size to show how the cost grows:
the big dataset starts with the very rows of the city's, so only the other nine tenths are
written and imported, and the six months are billed again over the whole. BENCH_CHILDREN sets
the size of the "city" (3 550 unless told), e.g. 355 to see the growth up to the city quickly.

Each measured step runs in a process of its own, so that its peak memory is its own: the peak
resident set size of that process (`resource.getrusage(RUSAGE_SELF).ru_maxrss`, Django and the
interpreter included). BENCH_TRACEMALLOC=1 also reports the peak of Python's own allocations
(`tracemalloc`), which slows the step down: its seconds are then not the figures to quote.
Queries are counted with an execute wrapper (every statement; a bulk insert Django splits into
batches counts once a batch). DEBUG is off, as in production, so Django keeps no query log.

Speed targets (issue 5, on PostgreSQL, 2 cores) live here, never in unit tests.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pilot.settings.local")
os.environ.setdefault("DEBUG", "false")  # no query log, as in production

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from core.spreadsheets import csv_writer  # noqa: E402
from core.validators import check_digit  # noqa: E402
from exchange.specs import FILE_SPECS  # noqa: E402

SEED = 20260705
FIRST_DAY = datetime.date(2026, 7, 1)
LAST_DAY = datetime.date(2026, 12, 31)
MONTHS = [datetime.date(2026, month, 1) for month in range(7, 13)]
ADMITTED_ON = datetime.date(2026, 6, 5)
CHILDREN = 3550  # the city (BENCH_CHILDREN may say otherwise)

# Targets (issue 5, PostgreSQL on this 2-core machine).
MONTH_SECONDS = 3.0
HALF_YEAR_SECONDS = 15.0
VISITS_PER_SECOND = 10_000
PEAK_MB = 400
RECONCILE_SECONDS = 30.0
REPORT_SECONDS = 30.0  # issue 7: the half-year monitoring report, PDF and XLSX included
TRANSLATION_SECONDS = 15.0  # its translation: the stored figures printed again
DASHBOARD_SECONDS = 10.0  # an analyst's first look at a half-year (then cached)
DASHBOARD_CACHED_SECONDS = 0.5
LINEAR = 12.0  # ten times the data may cost at most this many times as much ("linear")


# --- the dataset --------------------------------------------------------------------------

LAST_NAMES = [
    ("Ахметов", "Ахметова"),
    ("Беков", "Бекова"),
    ("Жуманов", "Жуманова"),
    ("Иванов", "Иванова"),
    ("Касымов", "Касымова"),
    ("Нурланов", "Нурланова"),
    ("Омаров", "Омарова"),
    ("Петров", "Петрова"),
    ("Сейткали", "Сейткали"),
    ("Тулеубаев", "Тулеубаева"),
    ("Әбілов", "Әбілова"),
    ("Есенов", "Есенова"),
    ("Кенжебаев", "Кенжебаева"),
    ("Смагулов", "Смагулова"),
    ("Ким", "Ким"),
    ("Сатпаев", "Сатпаева"),
]
FIRST_NAMES = {
    "M": ["Алихан", "Арман", "Айдос", "Даниял", "Ерлан", "Иван", "Нурсултан", "Тимур", "Әлихан"],
    "F": ["Аружан", "Айым", "Дана", "Мадина", "Мария", "Сабина", "Томирис", "Әсем", "Жанель"],
}
PATRONYMICS = {
    "M": ["Серикович", "Маратович", "Ерланович", "Асланович", "Андреевич"],
    "F": ["Сериковна", "Маратовна", "Ерлановна", "Аслановна", "Андреевна"],
}
STREETS = [
    "Сыганак",
    "Туран",
    "Кенесары",
    "Республики",
    "Бейбитшилик",
    "Сарыарка",
    "Кабанбай батыра",
]
DISTRICTS = ["almaty", "baikonur", "yesil", "saryarka", "nura"]
KINDS = ["household", "medical", "pedagogical", "labour", "cultural", "psychological", "legal"]
PROVIDER_WORDS = ["Солнечный", "Береке", "Мейірім", "Шапағат", "Үміт", "Жарық", "Дара", "Көмек"]

# The files' columns, in the order exchange.md gives them: the import's own specs, so the
# dataset the bench writes is always one the import takes.
HEADERS = {name: spec.column_names for name, spec in FILE_SPECS.items()}


def city_children() -> int:
    return int(os.environ.get("BENCH_CHILDREN", CHILDREN))


def children_per_provider() -> int:
    """Ten providers for the city, about a hundred at ten times the size."""
    return max(1, -(-city_children() // 10))


def _day(value: datetime.date | None) -> str:
    return value.isoformat() if value else ""


def _between(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    return first + datetime.timedelta(days=rng.randint(0, (last - first).days))


def _identifier(prefix: str, rng: random.Random, taken: set[str]) -> str:
    """A free 12-digit IIN/BIN starting with `prefix`, with a valid check digit."""
    width = 11 - len(prefix)
    start = rng.randrange(10**width)
    for step in range(10**width):
        body = f"{prefix}{(start + step) % 10**width:0{width}d}"
        digit = check_digit(body)
        if digit is not None and f"{body}{digit}" not in taken:
            taken.add(f"{body}{digit}")
            return f"{body}{digit}"
    raise RuntimeError(f"no free identifier starting {prefix}")


def _iin(birth: datetime.date, sex: str, rng: random.Random, taken: set[str]) -> str:
    century = 5 if birth.year >= 2000 else 3
    return _identifier(f"{birth:%y%m%d}{century + (sex == 'F')}", rng, taken)


@dataclass
class Dataset:
    folder: Path
    providers: int
    children: int
    rows: Counter[str] = field(default_factory=Counter)

    @property
    def visits(self) -> int:
        return self.rows["visits"]

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def generate(folder: Path, children: int, *, first: int = 0) -> Dataset:
    """The exchange files of children `first`…`children - 1`, on 2 home + 3 centre visits a week.

    Every random choice comes from a generator seeded by the row's own index, and a provider
    takes every `children_per_provider()` children in turn, so the dataset of ten times the size
    starts with the very rows of the city's: the rows before `first` (already imported) are
    not written, only their identifiers taken again so that the later ones come out the same.
    """
    folder.mkdir(parents=True, exist_ok=True)
    per_provider = children_per_provider()
    providers = -(-children // per_provider)
    first_provider = first // per_provider
    dataset = Dataset(folder, providers - first_provider, children - first)
    files = {
        name: (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") for name in HEADERS
    }
    writers = {name: csv_writer(file, lineterminator="\n") for name, file in files.items()}
    for name, writer in writers.items():
        writer.writerow(HEADERS[name])

    def write(name: str, row: list[Any]) -> None:
        assert len(row) == len(HEADERS[name]), (name, row)  # a column added to the spec
        writers[name].writerow(row)
        dataset.rows[name] += 1

    taken: set[str] = set()
    bins = []
    for number in range(providers):
        rng = random.Random(f"{SEED}:provider:{number}")
        registered = datetime.date(rng.randint(2005, 2020), rng.randint(1, 12), 1)
        bins.append(_identifier(f"{registered:%y%m}40", rng, taken))
        if number < first_provider:
            continue
        write(
            "providers",
            [
                bins[-1],
                f"ОФ «{rng.choice(PROVIDER_WORDS)} {number + 1:03d}»",
                "ОФ",
                "non_state",
                f"{rng.randint(10_000_000, 99_999_999)}",
                _day(registered + datetime.timedelta(days=rng.randint(30, 900))),
                "yes",
                _day(ADMITTED_ON),
                "",
            ],
        )
    act_2025, act_2026 = (
        "постановление акимата г. Астаны (2025)",
        "постановление акимата г. Астаны (2026)",
    )
    write("tariffs", ["home", 4346, "2025-01-01", "2026-06-04", act_2025])
    write("tariffs", ["centre", 9918, "2025-01-01", "2026-06-04", act_2025])
    write("tariffs", ["home", 4997, "2026-06-05", "", act_2026])
    write("tariffs", ["centre", 13000, "2026-06-05", "", act_2026])

    def skip(name: str, row: list[Any]) -> None:
        pass

    for index in range(children):
        earlier = index < first
        _child(index, bins[index // per_provider], taken, skip if earlier else write, earlier)
    for file in files.values():
        file.close()
    return dataset


def _child(
    index: int, provider_bin: str, taken: set[str], write: Any, identifiers_only: bool = False
) -> None:
    """One child's rows in every file: the child, ИПАР, enrolment, registries, half-year of visits.

    Every identifier is drawn before the visits, so `identifiers_only` may stop there.
    """
    rng = random.Random(f"{SEED}:child:{index}")
    sex = rng.choice("MF")
    birth = _between(rng, datetime.date(2008, 1, 1), datetime.date(2022, 12, 31))
    iin = _iin(birth, sex, rng, taken)
    last = rng.choice(LAST_NAMES)[sex == "F"]
    representative = ["", "", "", ""]
    if rng.random() < 0.95:
        parent_sex = rng.choice("MF")
        parent_birth = _between(rng, datetime.date(1972, 1, 1), datetime.date(1996, 12, 31))
        representative = [
            _iin(parent_birth, parent_sex, rng, taken),
            f"{rng.choice(LAST_NAMES)[parent_sex == 'F']} {rng.choice(FIRST_NAMES[parent_sex])}",
            f"+7 7{rng.randint(0, 9)}{rng.randint(0, 9)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
            rng.choices(["parent", "guardian", "other"], weights=[90, 7, 3])[0],
        ]
    write(
        "children",
        [
            iin,
            last,
            rng.choice(FIRST_NAMES[sex]),
            rng.choice(PATRONYMICS[sex]) if rng.random() < 0.7 else "",
            _day(birth),
            sex,
            rng.choice(DISTRICTS),
            f"г. Астана, ул. {rng.choice(STREETS)}, д. {rng.randint(1, 120)}, кв. {rng.randint(1, 300)}",
            *representative,
        ],
    )

    # ИПАР: one covering the half-year; about 1 % have a gap between two.
    kinds = sorted(rng.sample(KINDS, rng.randint(2, 5)))
    if rng.random() < 0.01:
        ends = _between(rng, datetime.date(2026, 7, 15), datetime.date(2026, 10, 31))
        renewed = ends + datetime.timedelta(days=rng.randint(5, 25))
        ipars = [
            (_between(rng, datetime.date(2025, 6, 1), datetime.date(2026, 3, 31)), ends),
            (renewed, renewed + datetime.timedelta(days=364)),
        ]
    else:
        issued = _between(rng, datetime.date(2026, 1, 5), datetime.date(2026, 6, 30))
        ipars = [(issued, issued + datetime.timedelta(days=364 * rng.randint(1, 2)))]
    for number, (issued, until) in enumerate(ipars):
        write(
            "ipar",
            [
                iin,
                f"ИПАР-Б-{index:07d}-{number}",
                _day(issued),
                _day(until),
                "yes",
                ";".join(kinds),
            ],
        )

    # Enrolment with consent: ~3 % end during the half-year, ~1 % of consents are withdrawn.
    start_on = _between(rng, ADMITTED_ON, FIRST_DAY)
    decided = start_on - datetime.timedelta(days=rng.randint(1, 5))
    consent_on = decided - datetime.timedelta(days=rng.randint(0, 3))
    end_on = withdrawn = None
    stop = LAST_DAY  # the last day the journal has visits
    roll = rng.random()
    if roll < 0.03:
        end_on = _between(rng, datetime.date(2026, 8, 1), datetime.date(2026, 11, 30))
        # most journals stop with the enrolment, a few go on for two more weeks (not enrolled)
        stop = end_on + datetime.timedelta(days=14 if rng.random() < 0.2 else 0)
    elif roll < 0.04:
        withdrawn = _between(rng, datetime.date(2026, 7, 15), datetime.date(2026, 12, 15))
        stop = withdrawn + datetime.timedelta(days=rng.randint(0, 21))
    write(
        "enrollments",
        [
            iin,
            provider_bin,
            f"РЕШ-Б-{index:07d}",
            _day(decided),
            _day(start_on),
            _day(end_on),
            _day(consent_on),
            _day(withdrawn),
        ],
    )

    # Registries: the persons database knows ~97 %; a few move away, a few die.
    death = None
    if rng.random() < 0.97:
        moved_in = (
            birth if rng.random() < 0.7 else _between(rng, birth, datetime.date(2025, 12, 31))
        )
        moved_out = None
        roll = rng.random()
        if roll < 0.005:
            moved_out = _between(rng, datetime.date(2026, 8, 1), datetime.date(2026, 11, 30))
        elif roll < 0.0065:
            death = _between(rng, datetime.date(2026, 7, 10), datetime.date(2026, 12, 10))
            stop = min(stop, death + datetime.timedelta(days=rng.randint(0, 7)))
        write("registry_persons", [iin, _day(moved_in), _day(moved_out), _day(death)])
    if index % 100 == 99:  # a row for an IIN the portal does not know
        unknown = _between(rng, datetime.date(2023, 1, 1), datetime.date(2024, 12, 31))
        write(
            "registry_persons", [_iin(unknown, rng.choice("MF"), rng, taken), _day(unknown), "", ""]
        )
    if rng.random() < 0.03:
        kind = "hospital" if rng.random() < 0.7 else "sanatorium"
        start = _between(rng, FIRST_DAY, datetime.date(2026, 12, 20))
        end = None if rng.random() < 0.05 else start + datetime.timedelta(days=rng.randint(2, 20))
        place = (
            "Многопрофильная городская больница №2"
            if kind == "hospital"
            else "Санаторий «Окжетпес»"
        )
        write("registry_health", [iin, kind, _day(start), _day(end), place])
    if rng.random() < 0.02:
        kind = rng.choice(["kppk", "pmpk"])
        start = _between(rng, FIRST_DAY, datetime.date(2026, 12, 1))
        end = None if rng.random() < 0.2 else start + datetime.timedelta(days=rng.randint(20, 90))
        write(
            "registry_education",
            [iin, kind, _day(start), _day(end), f"{kind.upper()} №1 г. Астаны"],
        )
    if identifiers_only:
        return

    # Visits: 2 home + 3 centre a week on working days, home and centre never on the same day.
    home_days = set(rng.sample(range(5), 2))
    home_start = rng.choice([9, 10, 11, 14, 15, 16])
    centre_start = rng.choice([9, 10])
    day, number = FIRST_DAY, 0
    while day <= stop:
        if day.weekday() < 5:
            home = day.weekday() in home_days
            begin = home_start if home else centre_start
            hours = rng.choice([1, 2]) if home else rng.choice([2, 3, 4])
            roll = rng.random()
            status = "done" if roll < 0.93 else "missed" if roll < 0.98 else "cancelled"
            confirmed = status == "done" and rng.random() < 0.965
            services = ";".join(rng.sample(kinds, rng.randint(1, 2))) if status == "done" else ""
            row = [
                f"Б-{index:07d}-{number:03d}",
                iin,
                provider_bin,
                "home" if home else "centre",
                _day(day),
                f"{begin:02d}:00",
                f"{begin + hours:02d}:00",
                status,
                "yes" if confirmed else "no",
                services,
            ]
            write("visits", row)
            number += 1
            if status == "done" and rng.random() < 0.002:  # entered twice: a duplicate
                write(
                    "visits",
                    [f"Б-{index:07d}-{number:03d}", *row[1:5], f"{begin:02d}:30", *row[6:]],
                )
                number += 1
        day += datetime.timedelta(days=1)


# --- the measured steps, each in a process of its own ---------------------------------------


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def _peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, else KiB


def _tracing() -> bool:
    return os.environ.get("BENCH_TRACEMALLOC") == "1"


def step_import(folder: str) -> dict[str, Any]:
    import tracemalloc

    from exchange.service import dataset_import

    result: dict[str, Any] = {"baseline_mb": _peak_mb()}
    if _tracing():
        tracemalloc.start()
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        report = dataset_import(directory=folder)
        result["seconds"] = time.perf_counter() - started
    if not report.ok or not report.written:
        for error in report.errors[:20]:
            print(f"  refused: {error}", file=sys.stderr)
        raise SystemExit(f"the generated dataset was refused ({len(report.errors)} rows)")
    result["queries"] = counter.count
    result["peak_mb"] = _peak_mb()
    if _tracing():
        result["traced_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    result["files"] = {
        summary.name: [summary.rows, summary.created, summary.updated, summary.unchanged]
        for summary in report.files
    }
    return result


def step_bill() -> dict[str, Any]:
    import tracemalloc

    from django.db.models import Count

    from tariffs.models import InvoiceExclusion, InvoiceLine
    from tariffs.services import bill_month

    result: dict[str, Any] = {"baseline_mb": _peak_mb(), "months": []}
    reasons: Counter[str] = Counter()
    if _tracing():
        tracemalloc.start()
    for month in MONTHS:
        if _tracing():
            tracemalloc.reset_peak()
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            bill = bill_month(month=month)
            seconds = time.perf_counter() - started
        lines = InvoiceLine.objects.filter(invoice__in=bill.invoices)
        exclusions = InvoiceExclusion.objects.filter(invoice__in=bill.invoices)
        reasons.update(dict(exclusions.values_list("reason").annotate(n=Count("pk"))))
        result["months"].append(
            {
                "month": f"{month:%Y-%m}",
                "seconds": seconds,
                "queries": counter.count,
                "invoices": len(bill.invoices),
                "units": sum(i.home_units + i.centre_units for i in bill.invoices),
                "amount_kzt": sum(i.amount_kzt for i in bill.invoices),
                "lines": lines.count(),
                "exclusions": exclusions.count(),
                "peak_mb": _peak_mb(),
                "traced_mb": tracemalloc.get_traced_memory()[1] / 2**20 if _tracing() else None,
            }
        )
    result["reasons"] = dict(reasons)
    return result


def step_reconcile() -> dict[str, Any]:
    """The reconciliation job over the whole half-year, as the Celery task runs it."""
    from django.db.models import Count

    from reconciliation.models import Finding, ReconciliationRun
    from reconciliation.services import run_reconciliation

    result: dict[str, Any] = {"baseline_mb": _peak_mb()}
    run = ReconciliationRun.objects.create(period_start=FIRST_DAY, period_end=LAST_DAY)
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        run_reconciliation(run_id=run.pk)
        result["seconds"] = time.perf_counter() - started
    run.refresh_from_db()
    result.update(
        queries=counter.count,
        peak_mb=_peak_mb(),
        status=run.status,
        visits=run.visits_checked,
        found=run.found,
        kinds=dict(Finding.objects.values_list("kind").annotate(n=Count("pk"))),
    )
    return result


def step_report() -> dict[str, Any]:
    """The half-year monitoring report as the Celery job makes it: the figures of the dataset's
    six months, the PDF (WeasyPrint, SVG charts) and the XLSX."""
    from reports.models import ReportVersion
    from reports.services import report_for_half, run_version

    result: dict[str, Any] = {"baseline_mb": _peak_mb()}
    report = report_for_half(year=FIRST_DAY.year, half=1 if FIRST_DAY.month <= 6 else 2)
    version = ReportVersion.objects.create(
        report=report, number=1, language="ru", data_until=report.period_end
    )
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        status = run_version(version.pk)
        result["seconds"] = time.perf_counter() - started
    version.refresh_from_db()
    result.update(
        queries=counter.count,
        peak_mb=_peak_mb(),
        status=status,
        children=version.figures["recipients"]["total"],
        pdf_kb=version.pdf.size // 1024,
        xlsx_kb=version.xlsx.size // 1024,
    )
    result["translation"] = _timed(lambda: _translate(version))
    period = f"{report.year}-H{report.half}"
    result["dashboard"] = _timed(lambda: _dashboard(period))
    result["dashboard_again"] = _timed(lambda: _dashboard(period))
    return result


def _timed(action: Any) -> dict[str, Any]:
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        action()
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "queries": counter.count}


def _translate(version: Any) -> None:
    """The final report in the other language: its stored figures printed again."""
    from reports.models import ReportVersion, VersionStatus
    from reports.services import run_version

    translation = ReportVersion.objects.create(
        report=version.report,
        number=version.number + 1,
        language="kk",
        data_until=version.data_until,
        translation_of=version,
    )
    if run_version(translation.pk) != VersionStatus.DONE:
        raise SystemExit("the translation failed")


def _dashboard(period: str) -> None:
    """An analyst opens the dashboard of the half-year (the figures counted live, then cached
    for five minutes)."""
    from django.contrib.auth.models import Group
    from django.test import Client

    from core.models import User
    from core.roles import Role

    analyst, created = User.objects.get_or_create(username="bench.analyst")
    if created:
        analyst.groups.add(Group.objects.get(name=Role.ANALYST))
    client = Client(HTTP_HOST="localhost")
    client.force_login(analyst)
    response = client.get("/reports/dashboard/", {"period": period})
    if response.status_code != 200 or b"tile-children" not in response.content:
        raise SystemExit(f"dashboard: HTTP {response.status_code}")


def _run_step(*arguments: str) -> dict[str, Any]:
    """Run one step in a fresh interpreter; it writes its figures as JSON to a file."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        command = [sys.executable, __file__, "--step", *arguments, "--out", out.name]
        subprocess.run(command, check=True)  # noqa: S603 (this very script)
        return json.loads(Path(out.name).read_text(encoding="utf-8"))


# --- the table ----------------------------------------------------------------------------

ROWS: list[tuple[str, str, str, str, str, str]] = []


def _row(what: str, seconds: float, queries: int, peak: float, rate: str, verdict: str) -> None:
    ROWS.append((what, f"{seconds:.2f}", str(queries), f"{peak:.0f}", rate, verdict))


def _verdict(value: float, target: float, unit: str, *, at_least: bool = False) -> str:
    """The targets are the issue's, for PostgreSQL: on another database a miss is reported
    without failing the benchmark (SQLite is the development default, not production)."""
    good = value >= target if at_least else value <= target
    if good:
        return "ok"
    target_text = f"target {'≥' if at_least else '<'} {_n(target)}{unit}"
    if connection.vendor != "postgresql":
        return f"over ({target_text}, for PostgreSQL)"
    return f"SLOW ({target_text})"


def _n(number: float) -> str:
    return f"{number:,.0f}".replace(",", " ")


@dataclass
class Run:
    scale: int
    dataset: Dataset
    generated_seconds: float
    imported: dict[str, Any]
    billed: dict[str, Any]
    reconciled: dict[str, Any]
    reported: dict[str, Any]

    @property
    def import_seconds(self) -> float:
        return float(self.imported["seconds"])

    @property
    def months(self) -> list[dict[str, Any]]:
        return list(self.billed["months"])

    @property
    def half_year_seconds(self) -> float:
        return sum(month["seconds"] for month in self.months)

    @property
    def candidates(self) -> int:
        return sum(_candidates(month) for month in self.months)

    @property
    def bill_peak_mb(self) -> float:
        return max(month["peak_mb"] for month in self.months)


def _candidates(month: dict[str, Any]) -> int:
    """The done visits of the month: each is billed (a unit) or excluded."""
    return int(month["units"] + month["exclusions"])


def measure(scale: int, folder: Path, *, first: int) -> Run:
    """Write the dataset of `scale` times the city (rows from child `first` on), import, bill."""
    started = time.perf_counter()
    dataset = generate(folder, city_children() * scale, first=first)
    generated = time.perf_counter() - started
    print(
        f"×{scale}: {_n(dataset.total_rows)} rows ({_n(dataset.visits)} visits) written in "
        f"{generated:.1f} s; importing…",
        flush=True,
    )
    imported = _run_step("import", str(folder))
    print(f"×{scale}: imported in {imported['seconds']:.1f} s; billing six months…", flush=True)
    billed = _run_step("bill")
    print(f"×{scale}: billed; reconciling the half-year…", flush=True)
    reconciled = _run_step("reconcile")
    print(f"×{scale}: reconciled; the half-year's monitoring report…", flush=True)
    reported = _run_step("report")
    return Run(scale, dataset, generated, imported, billed, reconciled, reported)


def _growth(cost: float, base_cost: float) -> str:
    """Cost per visit at ten times the size against the city's: linear is about ×1."""
    ratio = cost / base_cost
    if ratio <= LINEAR / 10:
        return f"ok (×{ratio:.2f} a visit)"
    return f"SLOW (×{ratio:.2f} a visit: not linear)"


def report(run: Run, base: Run | None) -> None:
    """Rows of the table for one scale: targets for the city, growth per visit at ten times."""
    label = "" if base is None else f" ×{run.scale}"
    data = run.dataset
    visits_rate = data.visits / run.import_seconds
    if base is None:
        verdict = _verdict(visits_rate, VISITS_PER_SECOND, " visits/s", at_least=True)
        memory = _verdict(run.imported["peak_mb"], PEAK_MB, " MB")
        verdict = verdict if memory == "ok" else f"{verdict}; memory {memory}"
    else:
        verdict = _growth(
            run.import_seconds / data.visits, base.import_seconds / base.dataset.visits
        )
    what = f"import_dataset{label} ({_n(data.total_rows)} rows, {_n(data.visits)} visits)"
    if base is not None:
        what = f"import_dataset{label}: the other {run.scale - 1} tenths ({_n(data.visits)} visits)"
    _row(
        what,
        run.import_seconds,
        run.imported["queries"],
        run.imported["peak_mb"],
        f"{_n(data.total_rows / run.import_seconds)} rows/s, {_n(visits_rate)} visits/s",
        verdict,
    )
    for number, month in enumerate(run.months):
        if base is None:
            verdict = _verdict(month["seconds"], MONTH_SECONDS, " s")
        else:
            old = base.months[number]
            verdict = _growth(
                month["seconds"] / _candidates(month), old["seconds"] / _candidates(old)
            )
        _row(
            f"bill_month {month['month']}{label} ({_n(_candidates(month))} done visits, "
            f"{_n(month['exclusions'])} excluded)",
            month["seconds"],
            month["queries"],
            month["peak_mb"],
            f"{_n(_candidates(month) / month['seconds'])} visits/s",
            verdict,
        )
    if base is None:
        verdict = _verdict(run.half_year_seconds, HALF_YEAR_SECONDS, " s")
        memory = _verdict(run.bill_peak_mb, PEAK_MB, " MB")
        verdict = verdict if memory == "ok" else f"{verdict}; memory {memory}"
    else:
        verdict = _growth(
            run.half_year_seconds / run.candidates, base.half_year_seconds / base.candidates
        )
    _row(
        f"bill_month, the half-year{label} ({_n(sum(m['amount_kzt'] for m in run.months))} ₸)",
        run.half_year_seconds,
        sum(month["queries"] for month in run.months),
        run.bill_peak_mb,
        f"{_n(run.candidates / run.half_year_seconds)} visits/s",
        verdict,
    )
    reconciled = run.reconciled
    if base is None:
        verdict = _verdict(reconciled["seconds"], RECONCILE_SECONDS, " s")
        memory = _verdict(reconciled["peak_mb"], PEAK_MB, " MB")
        verdict = verdict if memory == "ok" else f"{verdict}; memory {memory}"
    else:
        verdict = _growth(
            reconciled["seconds"] / reconciled["visits"],
            base.reconciled["seconds"] / base.reconciled["visits"],
        )
    _row(
        f"reconciliation, the half-year{label} ({_n(reconciled['found'])} findings)",
        reconciled["seconds"],
        reconciled["queries"],
        reconciled["peak_mb"],
        f"{_n(reconciled['visits'] / reconciled['seconds'])} visits/s",
        verdict,
    )
    reported = run.reported
    if base is None:
        verdict = _verdict(reported["seconds"], REPORT_SECONDS, " s")
        memory = _verdict(reported["peak_mb"], PEAK_MB, " MB")
        verdict = verdict if memory == "ok" else f"{verdict}; memory {memory}"
    else:
        verdict = _growth(
            reported["seconds"] / run.dataset.visits, base.reported["seconds"] / base.dataset.visits
        )
    _row(
        f"monitoring report, the half-year{label} ({reported['children']} children; "
        f"PDF {reported['pdf_kb']} KB, XLSX {reported['xlsx_kb']} KB)",
        reported["seconds"],
        reported["queries"],
        reported["peak_mb"],
        f"{_n(run.dataset.visits / reported['seconds'])} visits/s",
        verdict,
    )
    for key, what, target in (
        ("translation", "the report translated into Kazakh (same figures)", TRANSLATION_SECONDS),
        ("dashboard", "analysts' dashboard, the half-year, first load", DASHBOARD_SECONDS),
        ("dashboard_again", "analysts' dashboard again (cached)", DASHBOARD_CACHED_SECONDS),
    ):
        timed = reported[key]
        _row(
            f"{what}{label}",
            timed["seconds"],
            timed["queries"],
            reported["peak_mb"],
            "",
            _verdict(timed["seconds"], target, " s") if base is None else "",
        )


def main() -> int:
    from services.models import Visit

    if Visit.objects.exists():
        raise SystemExit(
            "bench/billing.py needs a fresh database (`make bench` makes one): visits are there."
        )
    vendor = connection.vendor
    connection.close()  # each step opens its own
    runs: list[Run] = []
    scales = [1, 10] if os.environ.get("BENCH_TEN_TIMES") == "1" else [1]
    with tempfile.TemporaryDirectory(prefix="bench-billing-") as folder:
        for scale in scales:
            # At ten times, the first tenth is the city imported already: the rest is imported.
            first = 0 if scale == 1 else city_children()
            runs.append(measure(scale, Path(folder) / f"x{scale}", first=first))
            for path in (Path(folder) / f"x{scale}").glob("*.csv"):
                path.unlink()

    base = runs[0]
    for run in runs:
        report(run, None if run is base else base)
    data = base.dataset
    print(
        f"\nBilling benchmark ({vendor}): {data.providers} providers, "
        f"{_n(data.children)} children, {_n(data.visits)} visits, "
        f"{FIRST_DAY:%Y-%m-%d} … {LAST_DAY:%Y-%m-%d} (files written in {base.generated_seconds:.1f} s)"
    )
    print(
        "peak MB: the step's process peak resident set (ru_maxrss), Django included "
        f"(≈ {base.imported['baseline_mb']:.0f} MB before the step starts)"
    )
    if _tracing():
        traced = "; ".join(
            f"×{run.scale}: import {run.imported['traced_mb']:.0f} MB, "
            f"billing {max(m['traced_mb'] for m in run.months):.0f} MB"
            for run in runs
        )
        print(f"tracemalloc peaks (Python's allocations; the timings are slowed by it): {traced}")
    print()
    headers = ("what", "seconds", "queries", "peak MB", "rate", "verdict")
    widths = [max(len(headers[column]), *(len(row[column]) for row in ROWS)) for column in range(6)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in ROWS:
        cells = [
            cell.rjust(width) if column in (1, 2, 3) else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        print("| " + " | ".join(cells) + " |")
    for run in runs:
        outcome: Counter[str] = Counter()
        for _rows, created, updated, unchanged in run.imported["files"].values():
            outcome.update(created=created, updated=updated, unchanged=unchanged)
        print(
            f"\nimport_dataset ×{run.scale}: {_n(outcome['created'])} rows created, "
            f"{_n(outcome['updated'])} updated, {_n(outcome['unchanged'])} unchanged",
            end="",
        )
    print()
    reasons = Counter(base.billed["reasons"]).most_common()
    print("Exclusions of the half-year: " + ", ".join(f"{r} {_n(n)}" for r, n in reasons))
    kinds = sorted(base.reconciled["kinds"].items())
    print("Findings of the half-year: " + ", ".join(f"{k} {_n(n)}" for k, n in kinds))
    return 1 if any("SLOW" in row[5] for row in ROWS) else 0


def _step(arguments: list[str]) -> None:
    out = Path(arguments[arguments.index("--out") + 1])
    name = arguments[1]
    steps = {"bill": step_bill, "reconcile": step_reconcile, "report": step_report}
    result = step_import(arguments[2]) if name == "import" else steps[name]()
    out.write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--step":
        _step(sys.argv[1:])
    else:
        sys.exit(main())
