"""Every service that changes state or starts work checks the acting user's role itself
(issue 13, item 1): a non-officer gets `role_required` and nothing is written; the scheduler
(acting_user=None) still runs the ones it runs."""

import datetime

import pytest

from core.errors import RoleRequired
from core.roles import Role
from exchange.service import dataset_import
from recipients import services as recipients
from reconciliation import services as reconciliation
from reports import services as reports
from services.services import enrollment_plans_end
from tariffs.services import bill_month
from tests.db_state import changed_tables, db_contents
from tests.exchange_files import SAMPLE
from tests.factories import (
    admitted_provider,
    analyst,
    coordinator_of,
    enrolled_child,
    head_of,
    inspector,
)

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def report(db):
    return reports.report_for_half(year=2026, half=2)  # as the scheduler makes it


@pytest.fixture
def enrollment(db):
    return enrolled_child(admitted_provider())


CALLS = {
    "run_start": lambda user, report, enrollment: reconciliation.run_start(
        period_start=D(2026, 7, 1), period_end=D(2026, 7, 31), acting_user=user
    ),
    "findings_review": lambda user, report, enrollment: reconciliation.findings_review(
        findings=[], status="confirmed", comment="x", acting_user=user
    ),
    "report_for_half": lambda user, report, enrollment: reports.report_for_half(
        year=2027, half=1, acting_user=user
    ),
    "pilot_report": lambda user, report, enrollment: reports.pilot_report(
        period_end=D(2026, 11, 15), acting_user=user
    ),
    "version_start": lambda user, report, enrollment: reports.version_start(
        report=report, language="ru", acting_user=user, on=D(2026, 10, 1)
    ),
    "version_translate": lambda user, report, enrollment: reports.version_translate(
        report=report, language="kk", acting_user=user
    ),
    "report_finalise": lambda user, report, enrollment: reports.report_finalise(
        report=report, acting_user=user
    ),
    "report_deliver": lambda user, report, enrollment: reports.report_deliver(
        report=report, acting_user=user, on=D(2027, 1, 20)
    ),
    "report_publish": lambda user, report, enrollment: reports.report_publish(
        report=report, acting_user=user, on=D(2027, 1, 25)
    ),
    "survey_invitations": lambda user, report, enrollment: reports.survey_invitations(
        year=2026, half=2, acting_user=user
    ),
    "bill_month": lambda user, report, enrollment: bill_month(
        month=D(2026, 7, 1), acting_user=user
    ),
    "enrollment_plans_end": lambda user, report, enrollment: enrollment_plans_end(
        enrollment=enrollment, acting_user=user
    ),
    "dataset_import": lambda user, report, enrollment: dataset_import(
        directory=SAMPLE, acting_user=user
    ),
    "duplicates_search_start": lambda user, report, enrollment: recipients.duplicates_search_start(
        acting_user=user
    ),
}


def _user(role, enrollment):
    return {
        Role.INSPECTOR: inspector,
        Role.ANALYST: analyst,
        Role.PROVIDER_HEAD: lambda: head_of(enrollment.provider),
        Role.COORDINATOR: lambda: coordinator_of(enrollment.provider),
    }[role]()


@pytest.mark.parametrize(
    "role", [Role.INSPECTOR, Role.PROVIDER_HEAD, Role.COORDINATOR, Role.ANALYST]
)
@pytest.mark.parametrize("service", sorted(CALLS))
def test_a_non_officer_is_refused_with_a_code_and_nothing_is_written(
    report, enrollment, role, service
):
    user = _user(role, enrollment)
    before = db_contents()

    with pytest.raises(RoleRequired) as refused:
        CALLS[service](user, report, enrollment)

    assert refused.value.code == "role_required"
    assert changed_tables(before, db_contents()) == []


def test_an_anonymous_user_is_not_the_scheduler(report, enrollment):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(RoleRequired):
        CALLS["run_start"](AnonymousUser(), report, enrollment)


def test_the_scheduler_still_starts_runs_and_versions(report):
    run = reconciliation.run_start(period_start=D(2026, 7, 1), period_end=D(2026, 7, 31))
    version = reports.version_start(report=report, language="ru", on=D(2026, 10, 1))
    assert run.requested_by is None
    assert version.requested_by is None
