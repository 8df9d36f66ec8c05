"""Analysts' pages, the reports API, the families' questionnaire and the officers' admin; and
the rule that no personal identifier reaches an analyst by any URL or API."""

import datetime
import hashlib

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch
from knox.models import AuthToken
from rest_framework.test import APIClient

from reports import charts, services
from reports.models import (
    Channel,
    Report,
    ReportVersion,
    SurveyInvitation,
    SurveyResponse,
    VersionStatus,
)
from services.models import Visit
from tariffs.models import Invoice
from tests.factories import analyst, coordinator_of, head_of, inspector, officer
from tests.reports.conftest import D

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(half_year, django_capture_on_commit_callbacks):
    report = services.report_for_half(year=2026, half=2)
    with django_capture_on_commit_callbacks(execute=True):
        version = services.version_start(report=report, language="ru", on=D(2026, 10, 1))
    version.refresh_from_db()
    assert version.status == VersionStatus.DONE
    return {**half_year, "report": report, "version": version}


def test_the_analyst_lands_on_the_reports_and_downloads_them(client, ready):
    client.force_login(analyst())
    assert client.get("/").url == reverse("reports:list")
    page = client.get(reverse("reports:list"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "15.01.2027" in body  # the final deadline of H2 2026
    pdf_url = reverse("reports:version_file", args=[ready["version"].pk, "pdf"])
    assert pdf_url in body
    response = client.get(pdf_url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    content = b"".join(response.streaming_content)
    assert hashlib.sha256(content).hexdigest() == ready["version"].pdf_sha256
    assert response["X-Checksum-SHA256"] == ready["version"].pdf_sha256


def test_the_list_shows_what_is_late(client, ready, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a: datetime.date(2027, 1, 16))
    client.force_login(analyst())
    body = client.get(reverse("reports:list")).content.decode()
    assert 'class="deadline-late"' in body


def test_the_dashboard_shows_suppressed_aggregates_and_charts(client, half_year, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a: datetime.date(2026, 10, 1))
    client.force_login(analyst())
    page = client.get(reverse("reports:dashboard"), {"period": "2026-H2"})
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="tile-children">&lt; 5<' in body  # three children: never shown as 3
    assert 'data-label="Provider">Центр А<' in body
    chart = client.get(reverse("reports:chart", args=["spending"]), {"period": "2026-H2"})
    assert chart.status_code == 200 and chart["Content-Type"] == "image/svg+xml"
    assert chart.content.startswith(b"<?xml") and b"<svg" in chart.content
    assert b'id="nothing-to-draw"' not in chart.content  # approved and paid in August
    # A period with nothing to draw says so rather than show bare axes (H1: no plan, no
    # whole child-week; a finding of 29 June, drawn).
    for name, empty in (("spending", True), ("frequency", True), ("findings", False)):
        chart = client.get(reverse("reports:chart", args=[name]), {"period": "2026-H1"})
        assert (b'id="nothing-to-draw"' in chart.content) is empty, name
    assert 'id="nothing-to-draw"' in charts.findings_chart({"control": {"findings": []}})
    one = client.get(
        reverse("reports:dashboard"), {"period": "2026-H2", "provider": half_year["b"].pk}
    )
    assert 'data-label="Provider">Центр А<' not in one.content.decode()
    assert 'data-label="Provider">Центр Б<' in one.content.decode()
    bad = client.get(reverse("reports:dashboard"), {"period": "1999-H1"})
    assert bad.status_code == 200 and "Select a valid choice" in bad.content.decode()


@pytest.mark.parametrize("make_user", ["coordinator", "head", "inspector"])
def test_only_analysts_and_officers_read_reports(client, ready, make_user):
    provider = ready["a"]
    user = {
        "coordinator": lambda: coordinator_of(provider),
        "head": lambda: head_of(provider),
        "inspector": inspector,
    }[make_user]()
    client.force_login(user)
    for url in (
        reverse("reports:list"),
        reverse("reports:dashboard"),
        reverse("reports:version_file", args=[ready["version"].pk, "pdf"]),
    ):
        assert client.get(url).status_code == 403, url
    api = APIClient()
    api.force_authenticate(user)
    assert api.get("/api/reports/").status_code == 403
    assert api.get(f"/api/report-versions/{ready['version'].pk}/pdf/").status_code == 403


def test_the_api_lists_reports_and_serves_their_files_by_token(ready):
    reader = analyst()
    api = APIClient()
    _row, token = AuthToken.objects.create(user=reader)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    listing = api.get("/api/reports/").json()
    row = listing["results"][0] if "results" in listing else listing[0]
    assert (row["period_start"], row["period_end"], row["status"]) == (
        "2026-07-01",
        "2026-12-31",
        "draft",
    )
    assert row["final_due"] == "2027-01-15"
    version = row["versions"][0]
    assert version["generated_by"] == "scheduler"
    assert version["pdf_sha256"] == ready["version"].pdf_sha256
    response = api.get(version["pdf_url"])
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == version["pdf_sha256"]
    xlsx = api.get(f"/api/report-versions/{version['id']}/xlsx/")
    assert xlsx.status_code == 200
    assert api.post("/api/reports/", {}).status_code == 405  # read-only
    assert "figures" not in version


def _routes(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            namespace = entry.namespace or ""
            yield from _routes(entry.url_patterns, f"{prefix}{namespace}:" if namespace else prefix)
        elif isinstance(entry, URLPattern) and entry.name:
            pattern = entry.pattern
            params = list(getattr(pattern, "converters", {}) or pattern.regex.groupindex)
            yield prefix + entry.name, params


def test_no_url_or_api_shows_an_analyst_a_child(client, ready):
    """Every named route of the portal (pages and API, admin aside: analysts are not staff),
    with the keys of real objects, read as an analyst: no child's IIN or name in any answer."""
    children = [e.child for e in ready["enrolments"]]
    secrets = {c.iin for c in children} | {c.last_name for c in children}
    visit = Visit.objects.filter(child=children[0]).first()
    invitation = SurveyInvitation.objects.create(
        enrollment=ready["enrolments"][0], year=2026, half=2
    )
    ints = {
        children[0].pk,
        ready["enrolments"][0].pk,
        visit.pk,
        Invoice.objects.first().pk,
        ready["a"].pk,
        ready["version"].pk,
        ready["report"].pk,
    }
    strings = {str(i) for i in ints} | {visit.visit_id, "pdf", "xlsx", "spending", "json"}
    values = {"token": {invitation.token}}
    client.force_login(analyst())
    api = APIClient()
    api.force_authenticate(analyst())
    seen = 0
    for name, params in _routes(get_resolver().url_patterns):
        if name.startswith("admin:") or name in {"logout", "set_language"}:
            continue
        candidates = [{}]
        for param in params:
            options = values.get(param) or (strings if param != "pk" else {str(i) for i in ints})
            candidates = [{**c, param: option} for c in candidates for option in options]
        for kwargs in candidates:
            try:
                url = reverse(name, kwargs=kwargs)
            except NoReverseMatch:
                continue
            response = (api if url.startswith("/api/") else client).get(url)
            body = (
                b"".join(response.streaming_content)
                if getattr(response, "streaming", False)
                else response.content
            ).decode("utf-8", "replace")
            leaked = [s for s in secrets if s in body]
            assert not leaked, (url, response.status_code, leaked)
            seen += 1
    assert seen > 50  # the sweep did reach the portal's routes


def test_a_family_answers_once_by_its_link(client, half_year):
    invitation = SurveyInvitation.objects.create(
        enrollment=half_year["enrolments"][0], year=2026, half=2
    )
    url = reverse("reports:survey", args=[invitation.token])
    page = client.get(url)
    assert page.status_code == 200 and "Центр А" in page.content.decode()
    assert half_year["enrolments"][0].child.last_name not in page.content.decode()
    incomplete = client.post(url, {"convenience": 5, "overall": 9})
    assert incomplete.status_code == 200
    assert "This field is required." in incomplete.content.decode()
    assert not SurveyResponse.objects.exists()  # nothing half-saved
    answers = {"convenience": 5, "specialists": 4, "coordination": 3, "progress": 4, "overall": 5}
    done = client.post(url, answers)
    assert "Your answers have been received." in done.content.decode()
    response = SurveyResponse.objects.get()
    assert (response.channel, response.provider, response.year, response.half) == (
        Channel.FAMILY,
        half_year["a"],
        2026,
        2,
    )
    again = client.post(url, {**answers, "overall": 1})
    assert "already been received" in again.content.decode()
    assert SurveyResponse.objects.get().overall == 5
    assert client.get(reverse("reports:survey", args=["not-a-token"])).status_code == 404


def test_officers_make_links_and_enter_paper_answers(client, half_year):
    user = officer()
    client.force_login(user)
    client.post(
        reverse("admin:reports_surveyinvitation_changelist"),
        {"make_links": "1", "year": 2026, "half": 2},
    )
    assert SurveyInvitation.objects.filter(year=2026, half=2).count() == 4  # every enrolment
    client.post(
        reverse("admin:reports_surveyinvitation_changelist"),
        {"make_links": "1", "year": 2026, "half": 2},
    )
    assert SurveyInvitation.objects.filter(year=2026, half=2).count() == 4  # once each
    invitation = SurveyInvitation.objects.first()
    response = client.post(
        reverse("admin:reports_surveyresponse_add"),
        {
            "invitation": invitation.pk,
            "convenience": 4,
            "specialists": 4,
            "coordination": 4,
            "progress": 4,
            "overall": 4,
            "comment": "",
        },
    )
    assert response.status_code == 302
    saved = SurveyResponse.objects.get()
    assert (saved.channel, saved.entered_by) == (Channel.STAFF, user)


def test_officers_create_and_generate_reports_in_the_admin(
    client, half_year, django_capture_on_commit_callbacks
):
    client.force_login(officer())
    created = client.post(
        reverse("admin:reports_report_add"), {"kind": "half_year", "year": 2026, "half": 2}
    )
    report = Report.objects.get(year=2026, half=2)
    assert created.url == reverse("admin:reports_report_change", args=[report.pk])
    refused = client.post(reverse("admin:reports_report_add"), {"kind": "half_year", "year": 2026})
    assert "Choose the half-year." in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:reports_report_changelist"),
            {"action": "generate", "_selected_action": [report.pk], "apply": "1", "language": "kk"},
        )
    version = ReportVersion.objects.get(report=report)
    assert (version.status, version.language) == (VersionStatus.DONE, "kk")
    page = client.get(reverse("admin:reports_report_change", args=[report.pk]))
    assert reverse("reports:version_file", args=[version.pk, "pdf"]) in page.content.decode()
    # Its figures printed in Russian too, by the translate action: a second version.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:reports_report_changelist"),
            {
                "action": "translate",
                "_selected_action": [report.pk],
                "apply": "1",
                "language": "ru",
            },
        )
    russian = ReportVersion.objects.get(report=report, language="ru")
    assert (russian.status, russian.translation_of, russian.figures) == (
        VersionStatus.DONE,
        version,
        version.figures,
    )
    client.force_login(analyst())
    listed = client.get(reverse("reports:list")).content.decode()
    assert "translation of version 1" in listed
    api = APIClient()
    api.force_authenticate(analyst(username="analyst.api"))
    rows = api.get("/api/report-versions/", {"report": report.pk}).json()["results"]
    assert {(row["number"], row["translation_of"]) for row in rows} == {
        (1, None),
        (2, version.pk),
    }
    client.force_login(officer(username="officer.second"))
    # A report whose period is still running cannot be made final.
    answer = client.post(
        reverse("admin:reports_report_changelist"),
        {"action": "make_final", "_selected_action": [report.pk]},
        follow=True,
    )
    assert "only" in answer.content.decode()
    report.refresh_from_db()
    assert report.status == "draft"


def test_a_closed_half_years_questionnaire_takes_no_answer(client, half_year):
    """The half-year's questionnaire closes on its last day, by the link and on paper alike."""
    invitation = SurveyInvitation.objects.create(
        enrollment=half_year["enrolments"][0], year=2026, half=1
    )
    answers = {"convenience": 5, "specialists": 4, "coordination": 3, "progress": 4, "overall": 5}
    page = client.post(reverse("reports:survey", args=[invitation.token]), answers)
    assert "closed on 30.06.2026" in page.content.decode()
    client.force_login(officer())
    refused = client.post(
        reverse("admin:reports_surveyresponse_add"),
        {"invitation": invitation.pk, **answers, "comment": ""},
    )
    assert refused.status_code == 200
    assert "closed on 30.06.2026" in refused.content.decode()
    assert not SurveyResponse.objects.exists()


def test_officers_write_the_pilots_proposals_in_the_admin(client, half_year):
    report = services.pilot_report(period_end=D(2026, 9, 30))
    client.force_login(officer())
    text = "Закрепить комбинированную форму в Социальном кодексе."
    inline = {
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
        "versions-MIN_NUM_FORMS": "0",
        "versions-MAX_NUM_FORMS": "1000",
    }
    saved = client.post(
        reverse("admin:reports_report_change", args=[report.pk]), {"proposals": text, **inline}
    )
    assert saved.status_code == 302
    report.refresh_from_db()
    assert (report.proposals, report.status) == (text, "draft")
