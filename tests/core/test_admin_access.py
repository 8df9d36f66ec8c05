"""Every admin URL, asked by every role but the akimat's, GET and POST: nothing is created or
changed, and nothing answers with a server error (issue 13, items 1 and 7).

The walk covers every registered ModelAdmin — its list, add, change, delete and history pages
(with a real object of the demo), every route of its own `get_urls` (import, export, the
duplicates' search and review, …) and every admin action posted from the list, both as the
action's first step and as its confirmed second step with a filled-in form.
"""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin import helpers
from django.core.management import call_command
from django.db import transaction
from django.urls import URLPattern, reverse

from core.roles import Role
from providers.models import Provider
from reconciliation.models import ReconciliationRun
from reports.models import Report
from tests.db_state import changed_tables, db_contents, db_summary
from tests.factories import analyst, coordinator_of, head_of, inspector, officer

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today().isoformat()

# Everything the admin's forms and the actions' intermediate pages ask for, filled in, so that
# a request the admin wrongly let through would do its work.
PAYLOAD: dict[str, Any] = {
    "kind": "pilot",
    "year": "2026",
    "half": "2",
    "period_start": "2026-11-01",
    "period_end": "2026-11-30",  # a month's end: a pilot report's may be no other
    "language": "ru",
    "on": TODAY,
    "date": TODAY,
    "url": "https://example.org/report",
    "comment": "probe",
    "reason": "probe",
    "reasons": "probe",
    "decision": "distinct",
    "decision_number": "probe-1",
    "decided_on": TODAY,
    "amount_kzt": "1000",
    "make_links": "1",
    "apply": "1",
    "post": "yes",
    "username": "probe",
    "password1": "A-long-probe-password-1",
    "password2": "A-long-probe-password-1",
}
STANDARD_VIEWS = ("changelist", "add", "change", "delete", "history")


@pytest.fixture(scope="module")
def demo_loaded(django_db_setup, django_db_blocker):
    """The demo (every admin has rows to open), loaded once and rolled back after the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


def _user_of(role: str) -> Any:
    provider = Provider.objects.filter(admitted_on__isnull=False).order_by("pk").first()
    return {
        Role.INSPECTOR: inspector,
        Role.ANALYST: analyst,
        Role.PROVIDER_HEAD: lambda: head_of(provider),
        Role.COORDINATOR: lambda: coordinator_of(provider),
    }[role]()


def _own_routes(model_admin: admin.ModelAdmin[Any], obj: Any) -> list[str]:
    """The URLs of the ModelAdmin's own get_urls routes (beyond the five standard views)."""
    opts = model_admin.model._meta
    standard = {f"{opts.app_label}_{opts.model_name}_{view}" for view in STANDARD_VIEWS}
    urls = []
    for pattern in model_admin.get_urls():
        if not isinstance(pattern, URLPattern) or not pattern.name or pattern.name in standard:
            continue
        converters = getattr(pattern.pattern, "converters", {})
        if converters and obj is None:
            continue
        kwargs = {name: obj.pk for name in converters}
        urls.append(reverse(f"admin:{pattern.name}", kwargs=kwargs))
    return urls


def _action_names(model_admin: admin.ModelAdmin[Any]) -> list[str]:
    names = [name for name, _action in admin.site.actions]
    for action in model_admin.actions or ():
        names.append(action if isinstance(action, str) else action.__name__)
    return names


def _requests(
    model_admin: admin.ModelAdmin[Any], obj: Any, skip: frozenset[str] = frozenset()
) -> list[tuple[str, str, Any]]:
    opts = model_admin.model._meta
    prefix = f"admin:{opts.app_label}_{opts.model_name}"
    changelist = reverse(f"{prefix}_changelist")
    urls = [changelist, reverse(f"{prefix}_add")]
    if obj is not None:
        urls += [reverse(f"{prefix}_{view}", args=[obj.pk]) for view in STANDARD_VIEWS[2:]]
    urls += _own_routes(model_admin, obj)
    requests: list[tuple[str, str, Any]] = []
    for url in urls:
        requests.append(("get", url, None))
        requests.append(("post", url, {**PAYLOAD, "_save": "Save"}))
    if obj is not None:
        for name in _action_names(model_admin):
            if name in skip:
                continue
            chosen = {"action": name, helpers.ACTION_CHECKBOX_NAME: [str(obj.pk)]}
            requests.append(("post", changelist, {**chosen, "index": "0"}))
            requests.append(("post", changelist, {**chosen, **PAYLOAD}))
    return requests


# The inspectors' own work in the admin (domain.md §2: they review documents and record
# inspections; tests/providers cover it): the walk does not post these actions for them.
PERMITTED = {
    Role.INSPECTOR: {
        ("providers.AdmissionApplication", "record_inspection"),
        ("providers.QualificationDocument", "accept"),
        ("providers.QualificationDocument", "reject"),
        ("providers.StaffDocument", "accept"),
        ("providers.StaffDocument", "reject"),
    }
}
NON_OFFICERS = [Role.INSPECTOR, Role.PROVIDER_HEAD, Role.COORDINATOR, Role.ANALYST]


@pytest.mark.parametrize("role", NON_OFFICERS)
def test_no_admin_url_changes_anything_for_a_non_officer(demo_loaded, client, role):
    # given a user of the role, signed in, and every table as it is
    user = _user_of(role)
    client.force_login(user)
    before_all = db_contents()
    server_errors, changes, walked = [], [], 0
    # when every admin URL is asked, GET and POST
    for model, model_admin in admin.site._registry.items():
        obj = model._default_manager.order_by("pk").first()
        before = db_summary()
        skip = frozenset(
            name for label, name in PERMITTED.get(role, ()) if label == model._meta.label
        )
        for method, url, data in _requests(model_admin, obj, skip):
            response = getattr(client, method)(url, data) if data else getattr(client, method)(url)
            walked += 1
            if response.status_code >= 500:
                server_errors.append((method, url, response.status_code))
        if changed := changed_tables(before, db_summary()):
            changes.append((model._meta.label, changed))
    # then nothing answered with a server error and nothing was written
    assert walked > 500
    assert server_errors == []
    assert changes == []
    assert changed_tables(before_all, db_contents()) == []


def test_an_inspector_cannot_create_a_report_or_start_a_run_in_the_admin(demo_loaded, client):
    client.force_login(inspector())
    reports, runs = Report.objects.count(), ReconciliationRun.objects.count()

    report = client.post(
        reverse("admin:reports_report_add"), {"kind": "pilot", "period_end": "2026-11-30"}
    )
    run = client.post(
        reverse("admin:reconciliation_reconciliationrun_add"),
        {"period_start": "2026-11-01", "period_end": "2026-11-15"},
    )

    assert (report.status_code, run.status_code) == (403, 403)
    assert (Report.objects.count(), ReconciliationRun.objects.count()) == (reports, runs)


@pytest.mark.parametrize("who", ["inspector", "officer"])
def test_a_report_id_beyond_64_bits_is_refused_or_not_found(demo_loaded, client, who):
    client.force_login(inspector() if who == "inspector" else officer())
    url = reverse("admin:reports_report_change", args=["99999999999999999999"])

    response = client.get(url)

    assert response.status_code == (403 if who == "inspector" else 404)


def test_officers_still_create_reports_and_start_runs_in_the_admin(demo_loaded, client):
    client.force_login(officer())

    mid_month = client.post(
        reverse("admin:reports_report_add"),
        {"kind": "pilot", "period_end": "2026-11-15"},
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert "последним днем месяца (30.11.2026)" in mid_month.content.decode()
    assert not Report.objects.filter(kind="pilot", period_end="2026-11-15").exists()
    report = client.post(
        reverse("admin:reports_report_add"), {"kind": "pilot", "period_end": "2026-11-30"}
    )
    run = client.post(
        reverse("admin:reconciliation_reconciliationrun_add"),
        {"period_start": "2026-06-05", "period_end": "2026-06-07"},
    )

    created = Report.objects.get(kind="pilot", period_end="2026-11-30")
    assert report.url == reverse("admin:reports_report_change", args=[created.pk])
    assert run.status_code == 302
    assert ReconciliationRun.objects.filter(period_start="2026-06-05").exists()
