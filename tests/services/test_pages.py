"""The coordinator's pages: a day of visits, one visit, an unplanned visit, the PIN."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from services.models import Visit
from tests.factories import (
    PNG_DATA_URL,
    VisitFactory,
    admitted_provider,
    analyst,
    coordinator_of,
    enrolled_child,
    head_of,
)

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 7, 7)


@pytest.fixture
def enrollment():
    return enrolled_child(admitted_provider())


@pytest.fixture
def coordinator(client, enrollment):
    user = coordinator_of(enrollment.provider)
    client.force_login(user)
    return user


def test_the_day_lists_the_providers_visits_in_time_order(
    client, coordinator, enrollment, django_assert_max_num_queries
):
    later = VisitFactory(
        enrollment=enrollment,
        date=DAY,
        start=datetime.time(14),
        end=datetime.time(15),
        status="planned",
    )
    earlier = VisitFactory(
        enrollment=enrollment, date=DAY, start=datetime.time(9), end=datetime.time(10)
    )
    for _ in range(20):
        VisitFactory(enrollment=enrolled_child(enrollment.provider), date=DAY)
    VisitFactory(date=DAY)  # another provider's
    with django_assert_max_num_queries(12):
        page = client.get("/visits/", {"day": "2026-07-07"})
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('class="visit visit-') == 22
    assert html.index(f"/visits/{earlier.pk}/") < html.index(f"/visits/{later.pk}/")


def test_the_coordinator_lands_on_todays_visits(client, coordinator, enrollment):
    today = timezone.localdate()
    assert client.get("/").url == "/visits/"
    VisitFactory(enrollment=enrollment, date=today, status="planned")
    assert "visit-planned" in client.get("/visits/").content.decode()


def test_marking_done_with_services_on_the_page(client, coordinator, enrollment):
    visit = VisitFactory(enrollment=enrollment, date=DAY, status="planned", services=[])
    response = client.post(
        f"/visits/{visit.pk}/done/",
        {"start": "10:05", "end": "11:50", "services": ["pedagogical.aba", "legal"]},
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert (visit.status, visit.start, visit.services) == (
        "done",
        datetime.time(10, 5),
        ["legal", "pedagogical.aba"],
    )
    assert LogEntry.objects.get_for_object(visit).filter(actor=coordinator).exists()


def test_a_refused_visit_shows_the_reason_and_changes_nothing(client, coordinator, enrollment):
    visit = VisitFactory(enrollment=enrollment, date=DAY, status="planned", services=[])
    response = client.post(
        f"/visits/{visit.pk}/done/", {"start": "09:00", "end": "13:30", "services": ["legal"]}
    )
    assert response.status_code == 400
    assert "at most 4 hours" in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == "planned"


def test_confirming_with_a_drawn_signature_on_the_page(client, coordinator, enrollment):
    visit = VisitFactory(enrollment=enrollment, date=DAY)
    response = client.post(
        f"/visits/{visit.pk}/confirm/", {"method": "signature", "signature": PNG_DATA_URL}
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.confirmation_method == "signature"
    image = client.get(f"/visits/{visit.pk}/signature/")
    assert image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content).startswith(b"\x89PNG")


def test_a_confirmed_visit_page_offers_no_edit_to_the_coordinator(client, coordinator, enrollment):
    visit = VisitFactory(enrollment=enrollment, date=DAY, confirmation_method="paper")
    html = client.get(f"/visits/{visit.pk}/").content.decode()
    assert f"/visits/{visit.pk}/done/" not in html
    response = client.post(
        f"/visits/{visit.pk}/done/", {"start": "10:00", "end": "11:00", "services": ["legal"]}
    )
    assert response.status_code == 400
    assert client.get(f"/visits/{visit.pk}/correct/").status_code == 403


def test_the_head_corrects_a_confirmed_visit_with_a_reason(client, enrollment):
    visit = VisitFactory(enrollment=enrollment, date=DAY, confirmation_method="paper")
    client.force_login(head_of(enrollment.provider))
    data = {
        "setting": "home",
        "status": "done",
        "start": "10:00",
        "end": "11:00",
        "services": ["legal"],
        "reason": "Время по журналу",
    }
    assert client.post(f"/visits/{visit.pk}/correct/", data).status_code == 302
    visit.refresh_from_db()
    assert visit.end == datetime.time(11) and visit.corrections.get().reason == "Время по журналу"


def test_an_unplanned_visit_submitted_twice_is_one_visit(client, coordinator, enrollment):
    form = client.get("/visits/new/", {"day": "2026-07-07"}).content.decode()
    assert enrollment.child.last_name in form
    data = {
        "client_id": "U-tap-42",
        "child": enrollment.child_id,
        "setting": "centre",
        "date": "2026-07-07",
        "start": "09:00",
        "end": "11:00",
        "status": "done",
        "services": ["cultural.chess"],
    }
    first = client.post("/visits/new/", data)
    second = client.post("/visits/new/", data)
    assert first.status_code == second.status_code == 302
    assert first.url == second.url
    assert Visit.objects.filter(visit_id="U-tap-42").count() == 1


def test_another_centres_visit_and_child_are_not_found(client, coordinator):
    foreign = VisitFactory(enrollment=enrolled_child(admitted_provider()), date=DAY)
    assert client.get(f"/visits/{foreign.pk}/").status_code == 404
    assert (
        client.post(f"/visits/{foreign.pk}/done/", {"start": "10:00", "end": "11:00"}).status_code
        == 404
    )
    assert (
        client.post(
            f"/visits/{foreign.pk}/confirm/", {"method": "signature", "signature": PNG_DATA_URL}
        ).status_code
        == 404
    )
    assert client.get(f"/visits/{foreign.pk}/signature/").status_code == 404
    data = {
        "client_id": "U-x",
        "child": foreign.child_id,
        "setting": "home",
        "date": "2026-07-07",
        "start": "10:00",
        "end": "11:00",
        "status": "done",
    }
    assert client.post("/visits/new/", data).status_code == 400
    foreign.refresh_from_db()
    assert not foreign.is_confirmed and Visit.objects.count() == 1


def test_analysts_do_not_see_visit_pages(client):
    client.force_login(analyst())
    assert client.get("/visits/").status_code == 403


def test_opening_a_visit_is_recorded_as_a_read_of_the_child(client, coordinator, enrollment):
    visit = VisitFactory(enrollment=enrollment, date=DAY)
    client.get(f"/visits/{visit.pk}/")
    assert (
        LogEntry.objects.get_for_object(enrollment.child)
        .filter(action=LogEntry.Action.ACCESS, actor=coordinator)
        .exists()
    )


def test_the_representative_sets_a_pin_on_the_coordinators_phone(client, coordinator, enrollment):
    mismatch = client.post(
        f"/enrollments/{enrollment.pk}/pin/", {"pin": "2468", "pin_again": "2469"}
    )
    assert mismatch.status_code == 200
    enrollment.refresh_from_db()
    assert not enrollment.confirmation_pin
    assert (
        client.post(
            f"/enrollments/{enrollment.pk}/pin/", {"pin": "2468", "pin_again": "2468"}
        ).status_code
        == 302
    )
    enrollment.refresh_from_db()
    assert enrollment.confirmation_pin.startswith(("md5$", "pbkdf2"))


@pytest.mark.parametrize(("action", "status"), [("missed", "missed"), ("cancel", "cancelled")])
def test_missed_or_cancelled_on_the_page_needs_a_reason(
    client, coordinator, enrollment, action, status
):
    visit = VisitFactory(enrollment=enrollment, date=DAY, status="planned", services=[])
    refused = client.post(f"/visits/{visit.pk}/{action}/", {f"{action}-reason": ""})
    assert refused.status_code == 400
    visit.refresh_from_db()
    assert visit.status == "planned"
    done = client.post(f"/visits/{visit.pk}/{action}/", {f"{action}-reason": "Семья в отъезде"})
    assert done.status_code == 302
    visit.refresh_from_db()
    assert (visit.status, visit.missed_reason) == (status, "Семья в отъезде")


def test_a_done_visit_shows_whether_it_is_paid_and_why_not(client, coordinator, enrollment):
    from tariffs.models import Tariff

    Tariff.objects.create(setting="home", amount_kzt=4997, valid_from=datetime.date(2026, 6, 5))
    unconfirmed = VisitFactory(enrollment=enrollment, date=DAY)
    html = client.get(f"/visits/{unconfirmed.pk}/").content.decode()
    assert 'data-reason="NOT_CONFIRMED"' in html
    confirmed = VisitFactory(
        enrollment=enrollment, date=DAY + datetime.timedelta(days=1), confirmation_method="pin"
    )
    html = client.get(f"/visits/{confirmed.pk}/").content.decode()
    assert 'data-reason=""' in html and "4,997 ₸" in html
    russian = client.get(f"/visits/{confirmed.pk}/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "4\xa0997 ₸" in russian
    # The reason is said in words, never as its code.
    assert ">NOT_CONFIRMED<" not in client.get(f"/visits/{unconfirmed.pk}/").content.decode()


def test_a_done_visit_with_no_services_ticked_is_refused_and_nothing_is_saved(
    client, coordinator, enrollment
):
    data = {
        "client_id": "U-empty-1",
        "child": enrollment.child_id,
        "setting": "centre",
        "date": "2026-07-07",
        "start": "09:00",
        "end": "11:00",
        "status": "done",
    }

    response = client.post("/visits/new/", data)

    assert response.status_code == 400
    assert response.context["form"].errors["services"] == [
        "Tick the services given during the visit."
    ]
    assert not Visit.objects.exists()
    # A planned visit names its services when it is marked done.
    planned = client.post("/visits/new/", {**data, "status": "planned"})
    assert planned.status_code == 302


def test_the_day_title_and_the_time_rule_read_as_sentences_in_russian_and_kazakh(
    client, coordinator, enrollment
):
    import re

    today_ru = client.get("/visits/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    today_kk = client.get("/visits/", HTTP_ACCEPT_LANGUAGE="kk").content.decode()
    assert re.search(r"<h1>Сегодня, [а-яё]+, \d+ [а-яё]+</h1>", today_ru), today_ru[:2000]
    assert re.search(r"<h1>Бүгін, [а-яәғқңөұүһі]+, \d+ [а-яәғқңөұүһі]+</h1>", today_kk)

    refused = client.post(
        "/visits/new/",
        {
            "client_id": "U-times-1",
            "child": enrollment.child_id,
            "setting": "home",
            "date": "2026-07-07",
            "start": "11:00",
            "end": "10:00",
            "status": "done",
            "services": ["cultural.chess"],
        },
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert "Посещение должно заканчиваться после начала" in refused.content.decode()
