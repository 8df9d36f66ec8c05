"""The dashboard's month: it counts up to the end of the last month that has ended, its figures
are written once a month and kept, and the next month's keep every cell already shown (issue
13, item 2: pages saved on two days put side by side)."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from reports import published
from reports.models import Release
from reports.periods import dashboard_periods, data_as_of, release_periods, releases
from reports.tasks import report_calendar_task
from tests.factories import VisitFactory, admitted_provider, analyst, enrolled_child
from tests.reports.conftest import D, bill_month

pytestmark = pytest.mark.django_db


def test_the_months_the_dashboard_counts_up_to():
    assert data_as_of(D(2026, 12, 4)) == data_as_of(D(2026, 12, 1)) == D(2026, 11, 30)
    assert releases(D(2026, 6, 30)) == []  # no month of the pilot has ended
    assert releases(D(2026, 7, 1)) == [D(2026, 6, 30)]
    assert releases(D(2026, 9, 15)) == [D(2026, 6, 30), D(2026, 7, 31), D(2026, 8, 31)]
    assert dashboard_periods(D(2026, 6, 20)) == []
    # On 1 July: the first half-year, and the pilot up to 30 June; no second half-year yet.
    assert [(code, start, end) for code, _l, start, end in dashboard_periods(D(2026, 7, 1))] == [
        ("2026-H1", D(2026, 1, 1), D(2026, 6, 30)),
        ("pilot", D(2026, 6, 5), D(2026, 6, 30)),
    ]
    # Every period offered since the pilot began, as each month's end counted it.
    assert release_periods(D(2026, 8, 31)) == [
        (D(2026, 1, 1), D(2026, 6, 30)),
        (D(2026, 6, 5), D(2026, 6, 30)),
        (D(2026, 6, 5), D(2026, 7, 31)),
        (D(2026, 6, 5), D(2026, 8, 31)),
        (D(2026, 7, 1), D(2026, 7, 31)),
        (D(2026, 7, 1), D(2026, 8, 31)),
    ]


def test_the_dashboard_shows_the_same_figures_every_day_of_a_month(client, monkeypatch):
    provider = admitted_provider(name="Центр А")
    for i in range(7):
        VisitFactory(enrollment=enrolled_child(provider), date=D(2026, 11, 2 + i))
    late = enrolled_child(provider)
    client.force_login(analyst())
    pages = []
    for day in (D(2026, 12, 1), D(2026, 12, 4), D(2026, 12, 31)):
        monkeypatch.setattr(timezone, "localdate", lambda *a, day=day: day)
        if day == D(2026, 12, 4):  # a December visit: not counted before January
            VisitFactory(enrollment=late, date=D(2026, 12, 3))
        page = client.get(
            reverse("reports:dashboard"), {"period": "2026-H2"}, HTTP_ACCEPT_LANGUAGE="ru"
        )
        assert page.status_code == 200
        figures = page.context["figures"]
        assert figures["period"]["until"] == "2026-11-30"
        pages.append(figures["recipients"]["total"])
        assert "обновляется 1-го числа каждого месяца" in page.content.decode()
    assert pages == [7, 7, 7]
    assert list(Release.objects.values_list("as_of", flat=True)) == releases(D(2026, 12, 1))


def test_a_months_figures_are_written_once_and_the_next_month_keeps_them():
    """Late data (September visits logged in October) change nothing written at the end of
    September; the end of October's decision keeps every cell September published whose count
    is the same, and decides afresh those the late visits changed."""
    provider = admitted_provider(name="Центр А")
    other = admitted_provider(name="Центр Б")
    for i in range(9):
        VisitFactory(enrollment=enrolled_child(provider, sex="MF"[i % 2]), date=D(2026, 9, 10))
    for _ in range(3):
        VisitFactory(enrollment=enrolled_child(other), date=D(2026, 9, 11))
    september = published.release(D(2026, 9, 30))
    stored = Release.objects.get(as_of=D(2026, 9, 30))
    assert len(stored.cells) == len(september.cells)
    key = published.recipients_key((D(2026, 7, 1), D(2026, 9, 30)), other.pk, "total")
    assert september.cell(key) == "< 5"
    for _ in range(3):  # logged late: B's September is 6 children now
        VisitFactory(enrollment=enrolled_child(other), date=D(2026, 9, 12))
    assert published.release(D(2026, 9, 30)).cells == september.cells  # read back, as written
    assert Release.objects.count() == len(releases(D(2026, 10, 1)))
    october = published.release(D(2026, 10, 31))
    unchanged = {k for k in september.cells if october.value(k) == september.value(k)}
    assert unchanged and {k: october.cells[k] for k in unchanged} == {
        k: september.cells[k] for k in unchanged
    }
    # B's September counted 3 then and 6 now: decided afresh, as it counts now.
    assert (september.value(key), october.value(key)) == (3, 6)
    assert key not in unchanged and october.cell(key) != "< 5"


def test_the_nightly_job_writes_the_months_figures(monkeypatch):
    provider = admitted_provider(name="Центр А")
    VisitFactory(enrollment=enrolled_child(provider), date=D(2026, 10, 5))
    monkeypatch.setattr(timezone, "localdate", lambda *a: D(2026, 11, 1))
    report_calendar_task()
    assert Release.objects.filter(as_of=D(2026, 10, 31)).exists()
    written = Release.objects.get(as_of=D(2026, 10, 31)).created_at
    report_calendar_task()  # the next night: nothing new
    assert Release.objects.get(as_of=D(2026, 10, 31)).created_at == written
    assert not Release.objects.filter(as_of=D(2026, 11, 30)).exists()


def test_before_any_month_of_the_pilot_has_ended_the_dashboard_says_so(client, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a: D(2026, 6, 20))
    client.force_login(analyst())
    page = client.get(reverse("reports:dashboard"))
    assert page.status_code == 200 and page.context["figures"] is None
    assert client.get(reverse("reports:chart", args=["children"])).status_code == 404


def test_tenge_of_an_invoice_approved_after_the_months_figures_wait_for_the_next_month(
    client, monkeypatch
):
    """October's figures were written on 1 November, before October's invoice was approved
    (on the 10th): they hold no days billed for October, so October's tenge stay hidden until
    1 December's figures decide its days."""
    providers = [admitted_provider(name=f"Центр {n}") for n in "АБ"]
    for provider in providers:
        for i in range(12):
            VisitFactory(enrollment=enrolled_child(provider), date=D(2026, 10, 5 + i))
    client.force_login(analyst())

    def october_approved(day):
        monkeypatch.setattr(timezone, "localdate", lambda *a: day)
        cache.clear()
        page = client.get(reverse("reports:dashboard"), {"period": "2026-H2"})
        return {row["month"]: row["approved"] for row in page.context["figures"]["monthly"]}[
            "2026-10"
        ]

    assert october_approved(D(2026, 11, 5)) == 0  # nothing approved yet
    for provider in providers:
        bill_month(provider, D(2026, 10, 1), D(2026, 11, 20))
    assert october_approved(D(2026, 11, 15)) == "×"
    assert october_approved(D(2026, 12, 2)) == 2 * 12 * 4997
