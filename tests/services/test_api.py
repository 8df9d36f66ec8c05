"""The visits API: scoped to the provider, idempotent logging, status changes and confirmation."""

import base64
import datetime

import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from recipients.models import Enrollment
from services import services
from services.models import Visit
from tests.factories import (
    PDF_BYTES,
    StaffMemberFactory,
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

# A real 1×1 PNG, as a signature canvas would send it.
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
SIGNATURE = "data:image/png;base64," + base64.b64encode(TINY_PNG).decode()
MONDAY = datetime.date(2026, 7, 6)


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def error_codes(response):
    return {(error["field"], error["code"]) for error in response.json()["errors"]}


def visit_ids(response):
    assert response.status_code == 200, response.content
    return [row["visit_id"] for row in response.json()["results"]]


@pytest.fixture
def centre():
    """A provider, its coordinator and one enrolled child."""
    provider = admitted_provider()
    enrollment = enrolled_child(provider)
    return provider, coordinator_of(provider), enrollment


def new_visit(enrollment, **fields):
    return {
        "visit_id": "C-0001",
        "child": enrollment.child_id,
        "setting": "centre",
        "date": "2026-07-07",
        "start": "09:00",
        "end": "12:00",
        "status": "done",
        "services": ["pedagogical.aba", "medical.massage"],
        **fields,
    }


# --- reading ---------------------------------------------------------------------------------


def test_visits_list_filters_by_date_range_setting_status_and_child(centre):
    provider, coordinator, enrollment = centre
    other_child = enrolled_child(provider)
    VisitFactory(enrollment=enrollment, visit_id="JUL-06", date=MONDAY)
    VisitFactory(enrollment=enrollment, visit_id="JUL-07", date=MONDAY.replace(day=7))
    VisitFactory(
        enrollment=enrollment, visit_id="JUL-08", date=MONDAY.replace(day=8), setting="centre"
    )
    VisitFactory(
        enrollment=other_child, visit_id="JUL-09", date=MONDAY.replace(day=9), status="missed"
    )
    client = api(coordinator)

    in_range = client.get("/api/visits/", {"date_from": "2026-07-07", "date_to": "2026-07-08"})
    assert sorted(visit_ids(in_range)) == ["JUL-07", "JUL-08"]
    assert visit_ids(client.get("/api/visits/", {"setting": "centre"})) == ["JUL-08"]
    assert visit_ids(client.get("/api/visits/", {"status": "missed"})) == ["JUL-09"]
    assert visit_ids(client.get("/api/visits/", {"child": other_child.child_id})) == ["JUL-09"]
    by_iin = client.get("/api/visits/", {"child_iin": enrollment.child.iin, "ordering": "-date"})
    assert visit_ids(by_iin) == ["JUL-08", "JUL-07", "JUL-06"]


def test_updated_since_returns_only_visits_changed_from_that_moment_in_update_order(centre):
    _provider, coordinator, enrollment = centre
    for visit_id in ("OLD", "NEWER", "NEWEST"):
        VisitFactory(enrollment=enrollment, visit_id=visit_id)
    moment = timezone.make_aware(datetime.datetime(2026, 8, 1, 12, 0))
    Visit.objects.filter(visit_id="OLD").update(updated_at=moment - datetime.timedelta(seconds=1))
    Visit.objects.filter(visit_id="NEWER").update(updated_at=moment)
    Visit.objects.filter(visit_id="NEWEST").update(updated_at=moment + datetime.timedelta(days=1))

    response = api(coordinator).get("/api/visits/", {"updated_since": moment.isoformat()})

    assert visit_ids(response) == ["NEWER", "NEWEST"]


def test_a_visit_is_returned_with_its_child_provider_services_and_kinds(centre):
    provider, coordinator, enrollment = centre
    staff = StaffMemberFactory(provider=provider)
    VisitFactory(enrollment=enrollment, visit_id="2026.07.06-1", staff=staff)

    row = api(coordinator).get("/api/visits/2026.07.06-1/").json()

    assert row["visit_id"] == "2026.07.06-1"
    assert row["child"] == enrollment.child_id
    assert row["child_iin"] == enrollment.child.iin
    assert row["provider_bin"] == provider.bin
    assert row["services"] == ["pedagogical", "pedagogical.aba"]
    assert row["kinds"] == ["pedagogical"]
    assert row["staff"] == staff.pk
    assert (row["date"], row["start"], row["end"]) == ("2026-07-06", "10:00:00", "12:00:00")
    assert row["confirmation_method"] == "" and row["confirmed_at"] is None
    read = LogEntry.objects.get(action=LogEntry.Action.ACCESS, actor=coordinator)
    assert (read.object_pk, read.additional_data) == (
        str(enrollment.child_id),
        {"opened": "api visit"},
    )


def test_reading_visits_records_a_read_of_each_child_on_the_page(centre):
    provider, coordinator, enrollment = centre
    other = enrolled_child(provider)
    VisitFactory(enrollment=enrollment, visit_id="A-1")
    VisitFactory(enrollment=enrollment, visit_id="A-2")
    VisitFactory(enrollment=other, visit_id="B-1")

    api(coordinator).get("/api/visits/")

    reads = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, actor=coordinator)
    assert sorted(reads.values_list("object_pk", flat=True)) == sorted(
        [str(enrollment.child_id), str(other.child_id)]
    )
    assert {entry.additional_data["opened"] for entry in reads} == {"api visits"}


def test_listing_visits_does_not_query_per_visit(centre, django_assert_max_num_queries):
    provider, coordinator, _enrollment = centre
    staff = StaffMemberFactory(provider=provider)
    for _ in range(10):
        enrollment = enrolled_child(provider)
        for day in range(3):
            VisitFactory(
                enrollment=enrollment, date=MONDAY + datetime.timedelta(days=day), staff=staff
            )
    client = api(coordinator)

    with django_assert_max_num_queries(6):
        response = client.get("/api/visits/")

    assert response.json()["count"] == 30


# --- who sees what ---------------------------------------------------------------------------


def test_a_coordinator_cannot_read_or_change_another_centres_visits(centre):
    _provider, coordinator, enrollment = centre
    foreign = enrolled_child(admitted_provider())
    VisitFactory(enrollment=enrollment, visit_id="MINE")
    VisitFactory(enrollment=foreign, visit_id="THEIRS", status="planned")
    client = api(coordinator)

    assert visit_ids(client.get("/api/visits/")) == ["MINE"]
    assert client.get("/api/visits/THEIRS/").status_code == 404
    cancel = client.post("/api/visits/THEIRS/status/", {"status": "cancelled", "reason": "x"})
    assert cancel.status_code == 404
    assert Visit.objects.get(visit_id="THEIRS").status == "planned"


def test_a_coordinator_cannot_log_a_visit_for_a_child_of_another_centre(centre):
    _provider, coordinator, _enrollment = centre
    foreign = enrolled_child(admitted_provider())

    response = api(coordinator).post("/api/visits/", new_visit(foreign), format="json")

    assert response.status_code == 400
    assert error_codes(response) == {("child", "does_not_exist")}
    assert not Visit.objects.exists()


def test_the_officer_reads_every_visit_but_logs_none(centre):
    _provider, _coordinator, enrollment = centre
    foreign = enrolled_child(admitted_provider())
    VisitFactory(enrollment=enrollment, visit_id="MINE")
    VisitFactory(enrollment=foreign, visit_id="THEIRS")
    client = api(officer())

    assert sorted(visit_ids(client.get("/api/visits/"))) == ["MINE", "THEIRS"]
    assert client.get("/api/visits/THEIRS/").status_code == 200
    created = client.post("/api/visits/", new_visit(enrollment), format="json")
    assert created.status_code == 403
    missed = client.post("/api/visits/MINE/status/", {"status": "missed", "reason": "ill"})
    assert missed.status_code == 403
    assert Visit.objects.count() == 2


@pytest.mark.parametrize("make_user", [analyst, inspector])
def test_analysts_and_inspectors_see_no_visits(centre, make_user):
    _provider, _coordinator, enrollment = centre
    VisitFactory(enrollment=enrollment, visit_id="MINE")
    client = api(make_user())

    assert client.get("/api/visits/").json()["count"] == 0
    assert client.get("/api/visits/MINE/").status_code == 404


def test_anonymous_callers_are_refused():
    assert APIClient().get("/api/visits/").status_code in (401, 403)


# --- logging a visit -------------------------------------------------------------------------


def test_a_retried_create_with_the_same_visit_id_returns_the_first_visit(centre):
    provider, coordinator, enrollment = centre
    client = api(coordinator)

    first = client.post("/api/visits/", new_visit(enrollment), format="json")
    retry = client.post("/api/visits/", new_visit(enrollment), format="json")

    assert first.status_code == 201, first.content
    assert retry.status_code == 200
    assert retry.json() == first.json()
    visit = Visit.objects.get()
    assert (visit.visit_id, visit.provider, visit.status) == ("C-0001", provider, "done")
    assert first.json()["kinds"] == ["medical", "pedagogical"]


def test_another_providers_visit_id_answers_as_one_of_ours_used_for_another_visit(centre):
    """The answer does not tell a stranger's visit from one's own (no existence oracle)."""
    _provider, coordinator, enrollment = centre
    VisitFactory(enrollment=enrolled_child(admitted_provider()), visit_id="C-0001")
    VisitFactory(enrollment=enrollment, visit_id="C-0002", date=datetime.date(2026, 7, 8))
    client = api(coordinator)

    theirs = client.post("/api/visits/", new_visit(enrollment), format="json")
    ours = client.post("/api/visits/", new_visit(enrollment, visit_id="C-0002"), format="json")

    assert theirs.status_code == ours.status_code == 400
    assert error_codes(theirs) == error_codes(ours) == {("visit_id", "visit_id_reused")}
    assert theirs.json()["errors"][0]["message"] == ours.json()["errors"][0]["message"]
    assert Visit.objects.count() == 2


@pytest.mark.parametrize("field", ["child", "staff"])
def test_another_providers_child_or_staff_answers_as_an_id_that_does_not_exist(centre, field):
    _provider, coordinator, enrollment = centre
    elsewhere = admitted_provider()
    strangers = {
        "child": enrolled_child(elsewhere).child_id,
        "staff": StaffMemberFactory(provider=elsewhere).pk,
    }
    client = api(coordinator)

    theirs = client.post(
        "/api/visits/", new_visit(enrollment, **{field: strangers[field]}), format="json"
    )
    nobody = client.post("/api/visits/", new_visit(enrollment, **{field: 999999}), format="json")

    assert theirs.status_code == nobody.status_code == 400
    assert error_codes(theirs) == error_codes(nobody) == {(field, "does_not_exist")}
    assert theirs.json()["errors"][0]["message"] == nobody.json()["errors"][0]["message"].replace(
        "999999", str(strangers[field])
    )
    assert not Visit.objects.exists()


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [("09:00", "13:01", "longer_than_four_hours"), ("12:00", "11:00", "end_not_after_start")],
)
def test_a_visit_breaking_the_time_rules_is_refused(centre, start, end, code):
    _provider, coordinator, enrollment = centre

    response = api(coordinator).post(
        "/api/visits/", new_visit(enrollment, start=start, end=end), format="json"
    )

    assert response.status_code == 400
    assert error_codes(response) == {("end", code)}
    assert not Visit.objects.exists()


def test_a_new_visit_is_either_planned_or_done(centre):
    _provider, coordinator, enrollment = centre

    response = api(coordinator).post(
        "/api/visits/", new_visit(enrollment, status="missed"), format="json"
    )

    assert response.status_code == 400
    assert error_codes(response) == {("status", "invalid_choice")}


def test_a_visit_needs_a_client_visit_id(centre):
    _provider, coordinator, enrollment = centre
    payload = new_visit(enrollment)
    del payload["visit_id"]

    response = api(coordinator).post("/api/visits/", payload, format="json")

    assert error_codes(response) == {("visit_id", "required")}


# --- changing the status ---------------------------------------------------------------------


def test_marking_a_planned_visit_done_records_its_times_services_and_staff(centre):
    provider, coordinator, enrollment = centre
    staff = StaffMemberFactory(provider=provider)
    VisitFactory(enrollment=enrollment, visit_id="P-1", status="planned", services=[])

    response = api(coordinator).post(
        "/api/visits/P-1/status/",
        {
            "status": "done",
            "start": "10:15",
            "end": "11:45",
            "services": ["medical.massage"],
            "staff": staff.pk,
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    row = response.json()
    assert (row["status"], row["start"], row["end"]) == ("done", "10:15:00", "11:45:00")
    assert (row["services"], row["kinds"], row["staff"]) == (
        ["medical.massage"],
        ["medical"],
        staff.pk,
    )
    assert Visit.objects.get(visit_id="P-1").status == "done"


def test_marking_done_by_another_providers_staff_answers_as_no_such_staff(centre):
    _provider, coordinator, enrollment = centre
    stranger = StaffMemberFactory(provider=admitted_provider())
    VisitFactory(enrollment=enrollment, visit_id="P-1", status="planned", services=[])
    done = {"status": "done", "start": "10:15", "end": "11:45"}
    client = api(coordinator)

    theirs = client.post("/api/visits/P-1/status/", {**done, "staff": stranger.pk}, format="json")
    nobody = client.post("/api/visits/P-1/status/", {**done, "staff": 999999}, format="json")

    assert theirs.status_code == nobody.status_code == 400
    assert error_codes(theirs) == error_codes(nobody) == {("staff", "does_not_exist")}
    assert Visit.objects.get(visit_id="P-1").status == "planned"


def test_marking_done_needs_the_times_and_keeps_the_four_hour_rule(centre):
    _provider, coordinator, enrollment = centre
    VisitFactory(enrollment=enrollment, visit_id="P-1", status="planned")
    client = api(coordinator)

    no_times = client.post("/api/visits/P-1/status/", {"status": "done"}, format="json")
    too_long = client.post(
        "/api/visits/P-1/status/",
        {"status": "done", "start": "08:00", "end": "12:30"},
        format="json",
    )

    assert error_codes(no_times) == {("start", "required"), ("end", "required")}
    assert error_codes(too_long) == {("end", "longer_than_four_hours")}
    assert Visit.objects.get(visit_id="P-1").status == "planned"


def test_a_missed_visit_needs_a_reason(centre):
    _provider, coordinator, enrollment = centre
    VisitFactory(enrollment=enrollment, visit_id="P-1", status="planned")
    client = api(coordinator)

    refused = client.post("/api/visits/P-1/status/", {"status": "missed"}, format="json")
    missed = client.post(
        "/api/visits/P-1/status/", {"status": "missed", "reason": "The child is ill"}, format="json"
    )

    assert refused.status_code == 400
    assert error_codes(refused) == {("reason", "reason_required")}
    assert missed.status_code == 200
    assert (missed.json()["status"], missed.json()["missed_reason"]) == (
        "missed",
        "The child is ill",
    )
    assert missed.json()["services"] == []


def test_cancelling_a_visit_keeps_the_reason(centre):
    _provider, _coordinator, enrollment = centre
    VisitFactory(enrollment=enrollment, visit_id="P-1", status="planned")

    response = api(head_of(enrollment.provider)).post(
        "/api/visits/P-1/status/", {"status": "cancelled", "reason": "Rescheduled"}, format="json"
    )

    assert response.status_code == 200
    visit = Visit.objects.get(visit_id="P-1")
    assert (visit.status, visit.missed_reason) == ("cancelled", "Rescheduled")


def test_a_confirmed_visit_cannot_be_changed_by_a_coordinator(centre):
    _provider, coordinator, enrollment = centre
    VisitFactory(
        enrollment=enrollment,
        visit_id="V-1",
        confirmation_method="paper",
        confirmed_at=timezone.now(),
    )

    response = api(coordinator).post(
        "/api/visits/V-1/status/", {"status": "missed", "reason": "Not at home"}, format="json"
    )

    assert response.status_code == 400
    assert error_codes(response) == {(None, "visit_confirmed")}
    assert Visit.objects.get(visit_id="V-1").status == "done"


# --- the representative's confirmation -------------------------------------------------------


def test_confirming_by_pin_refuses_a_wrong_pin_and_counts_it(centre):
    _provider, coordinator, enrollment = centre
    services.enrollment_set_pin(enrollment=enrollment, pin="4821", acting_user=coordinator)
    VisitFactory(enrollment=enrollment, visit_id="V-1")
    client = api(coordinator)

    wrong = client.post("/api/visits/V-1/confirm/", {"method": "pin", "pin": "1111"}, format="json")

    assert wrong.status_code == 400
    assert error_codes(wrong) == {("pin", "wrong_pin")}
    assert Enrollment.objects.get(pk=enrollment.pk).pin_failures == 1
    assert not Visit.objects.get(visit_id="V-1").is_confirmed

    right = client.post("/api/visits/V-1/confirm/", {"method": "pin", "pin": "4821"}, format="json")

    assert right.status_code == 200, right.content
    assert right.json()["confirmation_method"] == "pin"
    assert right.json()["confirmed_at"] is not None
    assert Enrollment.objects.get(pk=enrollment.pk).pin_failures == 0


def test_confirming_by_a_drawn_signature_stores_the_png(centre):
    _provider, coordinator, enrollment = centre
    assert services.signature_png(SIGNATURE).startswith(b"\x89PNG")  # re-encoded
    VisitFactory(enrollment=enrollment, visit_id="V-1")

    response = api(coordinator).post(
        "/api/visits/V-1/confirm/", {"method": "signature", "signature": SIGNATURE}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["confirmation_method"] == "signature"
    visit = Visit.objects.get(visit_id="V-1")
    assert visit.confirmation_recorded_by == coordinator
    with visit.signature.open("rb") as stored:
        assert stored.read() == services.signature_png(SIGNATURE)


def test_a_signature_that_is_not_a_png_is_refused(centre):
    _provider, coordinator, enrollment = centre
    VisitFactory(enrollment=enrollment, visit_id="V-1")
    not_png = "data:image/png;base64," + base64.b64encode(PDF_BYTES).decode()

    response = api(coordinator).post(
        "/api/visits/V-1/confirm/", {"method": "signature", "signature": not_png}, format="json"
    )

    assert error_codes(response) == {("signature", "signature_invalid")}


def test_confirming_by_a_paper_scan_takes_a_multipart_upload(centre):
    _provider, coordinator, enrollment = centre
    VisitFactory(enrollment=enrollment, visit_id="V-1")
    scan = SimpleUploadedFile("journal.pdf", PDF_BYTES, content_type="application/pdf")

    response = api(coordinator).post(
        "/api/visits/V-1/confirm/", {"method": "paper", "scan": scan}, format="multipart"
    )

    assert response.status_code == 200, response.content
    assert response.json()["confirmation_method"] == "paper"
    with Visit.objects.get(visit_id="V-1").paper_scan.open("rb") as stored:
        assert stored.read() == PDF_BYTES


def test_a_paper_confirmation_needs_the_scan_and_a_planned_visit_cannot_be_confirmed(centre):
    _provider, coordinator, enrollment = centre
    VisitFactory(enrollment=enrollment, visit_id="V-1")
    VisitFactory(enrollment=enrollment, visit_id="P-1", status="planned")
    client = api(coordinator)

    no_scan = client.post("/api/visits/V-1/confirm/", {"method": "paper"}, format="multipart")
    planned = client.post(
        "/api/visits/P-1/confirm/", {"method": "signature", "signature": SIGNATURE}, format="json"
    )

    assert error_codes(no_scan) == {("scan", "scan_missing")}
    assert error_codes(planned) == {("status", "visit_not_done")}


# --- the schema ------------------------------------------------------------------------------


def test_the_openapi_schema_documents_the_visits_api(centre):
    _provider, coordinator, _enrollment = centre

    schema = api(coordinator).get("/api/schema/")

    assert schema.status_code == 200
    text = schema.content.decode()
    for path in (
        "/api/visits/:",
        "/api/visits/{visit_id}/:",
        "/api/visits/{visit_id}/status/:",
        "/api/visits/{visit_id}/confirm/:",
    ):
        assert path in text
    assert "name: updated_since" in text
    assert "VisitCreate" in text and "VisitConfirm" in text


def test_a_done_visit_needs_the_services_given_by_create_and_by_status(centre):
    _provider, coordinator, enrollment = centre
    VisitFactory(enrollment=enrollment, visit_id="P-1", status="planned", services=[])
    client = api(coordinator)

    created = client.post("/api/visits/", new_visit(enrollment, services=[]), format="json")
    done = client.post(
        "/api/visits/P-1/status/",
        {"status": "done", "start": "10:00", "end": "11:00", "services": []},
        format="json",
    )

    assert created.status_code == done.status_code == 400
    assert error_codes(created) == error_codes(done) == {("services", "services_required")}
    assert Visit.objects.get().status == "planned"
