"""Input no API may answer with a 500: format suffixes, numbers beyond 64 bits, fractions."""

import pytest
from rest_framework.test import APIClient

from tests.factories import (
    VisitFactory,
    admitted_provider,
    analyst,
    coordinator_of,
    enrolled_child,
    head_of,
    inspector,
    officer,
)

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"


@pytest.fixture
def centre():
    provider = admitted_provider()
    enrollment = enrolled_child(provider)
    VisitFactory(enrollment=enrollment, visit_id="V-1", status="planned", services=[])
    return provider, enrollment


def api(user):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user)
    return client


def users(provider):
    return [
        officer(),
        inspector(),
        analyst(),
        head_of(provider),
        coordinator_of(provider),
    ]


@pytest.mark.parametrize("action", ["confirm", "status"])
def test_the_visit_actions_answer_with_a_format_suffix(centre, action):
    provider, _enrollment = centre
    for user in (head_of(provider), coordinator_of(provider)):
        response = api(user).post(f"/api/visits/V-1/{action}.json", {}, format="json")

        assert response.status_code == 400, response.content
        assert response.json()["errors"]


def test_a_status_change_by_format_suffix_is_applied(centre):
    provider, _enrollment = centre

    response = api(coordinator_of(provider)).post(
        "/api/visits/V-1/status.json", {"status": "cancelled", "reason": "ill"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"


# Every numeric filter of every API, as the schema lists them.
NUMBER_FILTERS = [
    ("/api/visits/", "child"),
    ("/api/enrollments/", "provider"),
    ("/api/reports/", "year"),
    ("/api/reports/", "half"),
    ("/api/report-versions/", "report"),
]


@pytest.mark.parametrize(("url", "name"), NUMBER_FILTERS)
@pytest.mark.parametrize("value", [HUGE, "-" + HUGE, "1e400", "9223372036854775808"])
def test_a_number_filter_beyond_64_bits_is_a_400_naming_the_filter(centre, url, name, value):
    provider, _enrollment = centre
    for user in users(provider):
        response = api(user).get(url, {name: value})

        if response.status_code == 403:  # the role may not read this API at all
            continue
        assert response.status_code == 400, (user, response.content)
        fields = {error["field"] for error in response.json()["errors"]}
        assert fields == {name}


def test_a_fraction_is_no_child_id(centre):
    provider, enrollment = centre

    response = api(coordinator_of(provider)).get("/api/visits/", {"child": "1.5"})
    whole = api(coordinator_of(provider)).get("/api/visits/", {"child": enrollment.child_id})

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "not_a_whole_number"
    assert whole.status_code == 200
    assert whole.json()["count"] == 1


def test_the_largest_64_bit_number_is_a_valid_filter(centre):
    provider, _enrollment = centre

    response = api(coordinator_of(provider)).get("/api/visits/", {"child": str(2**63 - 1)})

    assert response.status_code == 200
    assert response.json()["count"] == 0


@pytest.mark.parametrize(
    "url",
    [
        "/api/providers/{}/",
        "/api/children/{}/",
        "/api/enrollments/{}/",
        "/api/reports/{}/",
        "/api/report-versions/{}/",
        "/api/report-versions/{}/pdf/",
        "/api/visits/{}/",
        "/api/visits/{}/status/",
        "/api/visits/{}/confirm/",
    ],
)
def test_a_path_id_beyond_64_bits_is_not_found(centre, url):
    provider, _enrollment = centre
    for user in users(provider):
        client = api(user)
        for id_ in (HUGE, "-" + HUGE):
            if url.endswith(("status/", "confirm/")):
                response = client.post(url.format(id_), {}, format="json")
            else:
                response = client.get(url.format(id_))

            assert response.status_code in (403, 404), (user, url, response.content)


@pytest.mark.parametrize(
    "since",
    ["0438-09-04T06:59:40+20:56", "2026-07-01T00:00:00-23:59", "9999-12-31T23:59:59-05:00"],
)
def test_a_date_time_with_any_offset_is_compared_in_utc(centre, since):
    """PostgreSQL refuses an offset beyond ±15:59: the filter hands it UTC, never a 500."""
    provider, _enrollment = centre

    response = api(coordinator_of(provider)).get("/api/visits/", {"updated_since": since})

    assert response.status_code in (200, 400), response.content
    if since.startswith("0438"):
        assert response.status_code == 200
        assert [row["visit_id"] for row in response.json()["results"]] == ["V-1"]


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_a_date_time_with_no_utc_equivalent_is_a_400_naming_the_filter(centre, since):
    provider, _enrollment = centre

    response = api(coordinator_of(provider)).get("/api/visits/", {"updated_since": since})

    assert response.status_code == 400, response.content
    assert {error["field"] for error in response.json()["errors"]} == {"updated_since"}


@pytest.mark.parametrize(
    ("language", "message"), [("ru", "Не найдено."), ("kk", "Табылмады."), ("en", "Not found.")]
)
def test_not_found_is_the_error_envelope_in_the_callers_language_naming_no_model(
    centre, language, message
):
    provider, _enrollment = centre
    client = api(coordinator_of(provider))

    for url in ("/api/visits/NOPE/", "/api/children/999999/"):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)

        assert response.status_code == 404
        assert response.json() == {
            "errors": [{"field": None, "code": "not_found", "message": message}]
        }


def test_a_body_that_is_not_json_is_a_400_in_the_callers_language(centre):
    provider, _enrollment = centre

    response = api(coordinator_of(provider)).post(
        "/api/visits/",
        data='{"visit_id": ',
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="kk",
    )

    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error == {
        "field": None,
        "code": "parse_error",
        "message": "Сұрау денесін оқу мүмкін болмады: оның дұрыс JSON екенін тексеріңіз.",
    }


def test_reports_refused_to_a_coordinator_in_their_language(centre):
    provider, _enrollment = centre

    response = api(coordinator_of(provider)).get("/api/reports/", HTTP_ACCEPT_LANGUAGE="ru")

    assert response.status_code == 403
    assert response.json()["errors"][0]["message"] == (
        "Отчёты доступны только аналитикам и сотрудникам акимата."
    )


def test_an_unknown_child_is_said_in_plain_words(centre):
    provider, _enrollment = centre

    response = api(coordinator_of(provider)).post(
        "/api/visits/",
        {
            "visit_id": "X-1",
            "child": 999999,
            "setting": "home",
            "date": "2026-07-07",
            "start": "10:00",
            "end": "11:00",
            "services": ["cultural"],
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE="ru",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "child", "code": "does_not_exist", "message": "Такой записи нет: «999999»."}
    ]
