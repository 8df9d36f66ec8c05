"""The API fuzzed against its own OpenAPI schema (schemathesis), as an officer and as a
coordinator, with tokens, on data like the demo's: no answer is a server error, and every
documented answer conforms to the schema.

Bounded so that the whole file takes well under two minutes on SQLite: a few examples per
operation, generation only (no shrinking), half of the examples naming ids that exist.
The sign-in endpoints are left out (fuzzing them locks accounts out and revokes the token in
use); tests/core/test_api_tokens.py covers them.
"""

import datetime
import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from werkzeug.test import Client

from tests.factories import (
    StaffMemberFactory,
    VisitFactory,
    admitted_provider,
    coordinator_of,
    enrolled_child,
    officer,
)

pytestmark = pytest.mark.django_db

# The suite's run is derandomized, so that CI gives the same answer for the same code; `make
# fuzz` explores afresh each time (FUZZ_RANDOM=1) with more examples (FUZZ_EXAMPLES).
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "50"))
RANDOM = os.environ.get("FUZZ_RANDOM") == "1"


@pytest.fixture(autouse=True)
def _server_errors_raised(settings):
    """A server error is raised to the test with its traceback, not answered as the 500 page."""
    settings.DEBUG_PROPAGATE_EXCEPTIONS = True


@pytest.fixture(autouse=True)
def _connection_kept_across_requests():
    """The requests go through Django's real WSGI handler, whose request signals close the
    database connection when it is in a transaction (as a test's is): PostgreSQL would lose the
    test's transaction, and what later requests wrote would be committed for good and outlive
    the test. Django's own test client disconnects the same handler around each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def portal():
    """Two centres, children enrolled with and without consent dates, visits in every state."""
    mine, theirs = admitted_provider(), admitted_provider()
    staff = StaffMemberFactory(provider=mine)
    enrollments = [enrolled_child(mine), enrolled_child(mine), enrolled_child(theirs)]
    enrollments[1].application.consent_on = None
    enrollments[1].application.save(update_fields=["consent_on"])
    day = datetime.date(2026, 7, 6)
    visits = [
        VisitFactory(enrollment=enrollments[0], visit_id="V-DONE", date=day, staff=staff),
        VisitFactory(enrollment=enrollments[0], visit_id="V-PLAN", status="planned", date=day),
        VisitFactory(
            enrollment=enrollments[1],
            visit_id="V-PIN",
            date=day,
            confirmation_method="pin",
            confirmed_at=datetime.datetime(2026, 7, 6, 13, tzinfo=datetime.UTC),
        ),
        VisitFactory(enrollment=enrollments[2], visit_id="V-THEIRS", date=day),
    ]
    return {
        "coordinator": coordinator_of(mine),
        "officer": officer(),
        "ids": {
            "id": [mine.pk, theirs.pk, enrollments[0].pk, enrollments[0].child_id],
            "visit_id": [visit.visit_id for visit in visits],
        },
    }


def api_schema():
    """The schema as drf-spectacular generates it (not over HTTP: /api/schema/ needs a login)."""
    raw = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(raw).exclude(path_regex="^/api/auth/")
    schema.app = WSGIHandler()
    return schema


def fuzz(user, ids):
    _row, token = AuthToken.objects.create(user=user)
    headers = {"Authorization": f"Token {token}"}
    operations = [result.ok() for result in api_schema().get_all_operations()]
    assert len(operations) >= 10
    failures = []
    for operation in operations:
        try:
            _checker(operation, headers, ids)()
        except (Exception, BaseExceptionGroup) as error:  # every operation is tried
            failures.append(f"{operation.label}: {error!r}")
    assert not failures, "\n\n".join(failures)


def _checker(operation, headers, ids):
    names = [parameter.name for parameter in operation.path_parameters]
    checks = [not_a_server_error, response_schema_conformance]

    @settings(
        max_examples=EXAMPLES,
        phases=[Phase.explicit, Phase.generate],
        deadline=None,
        database=None,
        derandomize=not RANDOM,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), real=st.booleans(), pick=st.integers(0, 3))
    def check(case, real, pick):
        if real:  # half the examples name a record that exists
            for name in names:
                known = ids.get(name, ids["id"])
                case.path_parameters[name] = known[pick % len(known)]
        response = case.call(headers=headers)
        case.validate_response(response, checks=checks, headers=headers)

    return check


def test_the_api_answers_an_officer_without_server_errors_and_as_documented(portal):
    fuzz(portal["officer"], portal["ids"])


def test_the_api_answers_a_coordinator_without_server_errors_and_as_documented(portal):
    fuzz(portal["coordinator"], portal["ids"])


@pytest.mark.parametrize("path", ["/api/enrollments/", "/api/visits/"])
def test_real_answers_with_empty_consents_and_unconfirmed_visits_conform_to_the_schema(
    portal, path
):
    """An enrolment without consent dates (null) and an unconfirmed visit ("") as answered."""
    _row, token = AuthToken.objects.create(user=portal["officer"])

    response = Client(WSGIHandler()).get(path, headers={"Authorization": f"Token {token}"})

    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    rows = response.json["results"]
    assert None in {row.get("consent_on", "") for row in rows} or "" in {
        row.get("confirmation_method") for row in rows
    }
    api_schema()[path]["GET"].validate_response(response)
