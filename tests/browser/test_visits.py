"""A coordinator's day on a phone: log a visit with services, take the representative's drawn
signature, see it confirmed in the day and in the journal; mark one missed; add one twice."""

import datetime
import io

import pytest
from django.utils import timezone
from PIL import Image  # weasyprint's dependency

from services.models import CatalogueService, Visit
from tests.factories import (
    VisitFactory,
    admitted_provider,
    coordinator_of,
    enrolled_child,
)

pytestmark = pytest.mark.browser

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ABA = "pedagogical.aba"


@pytest.fixture
def phone(browser):
    """A page the size of a phone held upright, with touch; English, like the test settings."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        has_touch=True,
        is_mobile=True,
        locale="en-US",
    )
    page = context.new_page()
    # Console errors (a script refused by the content-security policy is one) and uncaught
    # exceptions: the tests assert there are none and show them when a step fails.
    page.problems = []

    def on_console(message):
        if message.type == "error":
            page.problems.append(f"console error: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: page.problems.append(f"page error: {error}"))
    yield page
    context.close()


@pytest.fixture
def catalogue(transactional_db):
    """The live server's tests are transactional: the catalogue loaded by a data migration is
    flushed after the first of them, so the one service the tests tick is put back."""
    CatalogueService.objects.update_or_create(
        code=ABA,
        defaults={
            "kind": "pedagogical",
            "name_ru": "АВА-терапия",
            "name_kk": "АВА-терапия",
            "name_en": "ABA therapy",
            "order": 1,
            "is_active": True,
        },
    )


def sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "a-long-test-password")
    with page.expect_navigation():
        page.click("button[type=submit].primary")


def a_day_with_a_planned_visit(username, **child_fields):
    today = timezone.localdate()
    provider = admitted_provider()
    enrollment = enrolled_child(
        provider, start_on=min(datetime.date(2026, 7, 1), today), **child_fields
    )
    visit = VisitFactory(
        enrollment=enrollment,
        date=today,
        status="planned",
        services=[],
        start=datetime.time(10, 0),
        end=datetime.time(12, 0),
    )
    coordinator_of(provider, username=username)
    return today, enrollment, visit


def draw_signature(page):
    """One stroke with the mouse on the left half of the pad and one with a finger (real touch
    events through the DevTools protocol) on the right half: the pad listens to pointer events,
    which cover both, and its `touch-action: none` keeps the finger from scrolling the page."""
    canvas = page.locator("canvas[data-signature-pad]")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 40

    def at(x, y):
        return box["x"] + x * box["width"], box["y"] + y * box["height"]

    page.mouse.move(*at(0.1, 0.7))
    page.mouse.down()
    for point in [(0.2, 0.2), (0.3, 0.75), (0.4, 0.3)]:
        page.mouse.move(*at(*point), steps=8)
    page.mouse.up()

    # A zigzag at a finger's pace (a move every 16 ms), then the finger rests before it lifts.
    # Lifted while still moving, Chromium swallows the click of a tap that follows within about
    # a second (a flick), even on this `touch-action: none` pad with no script at all.
    finger = page.context.new_cdp_session(page)
    points = [(0.6 + step * 0.015, 0.3 + (step % 5) * 0.1) for step in range(21)]
    for kind, (x, y) in zip(
        ["touchStart", *["touchMove"] * (len(points) - 1)], points, strict=True
    ):
        left, top = at(x, y)
        finger.send(
            "Input.dispatchTouchEvent",
            {"type": kind, "touchPoints": [{"x": left, "y": top, "id": 1}]},
        )
        page.wait_for_timeout(16)
    page.wait_for_timeout(150)
    finger.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    finger.detach()


def tick_service(form, code, *, group, name):
    """Tap a service as a person does: open its kind's folded group, then tap the service."""
    checkbox = form.locator(f"input[name=services][value='{code}']")
    folded = checkbox.locator("xpath=ancestor::details[1]")
    caption = folded.locator("xpath=./summary")
    assert caption.inner_text().strip().startswith(group)
    if folded.get_attribute("open") is None:
        caption.tap()
    label = checkbox.locator("xpath=ancestor::label[1]")
    assert label.inner_text().strip() == name
    label.tap()
    assert checkbox.is_checked()
    return checkbox


def ink(image, left, right):
    """The darkest grey level in a vertical band of the signature (255 is blank paper)."""
    width, height = image.size
    return image.crop((int(left * width), 0, int(right * width), height)).getextrema()[0]


def test_coordinator_logs_a_visit_and_the_representative_signs_on_a_phone(
    live_server, phone, roles, catalogue
):
    today, enrollment, visit = a_day_with_a_planned_visit(
        "coord.visits", last_name="Жумабаева", first_name="Алия"
    )
    child = enrollment.child
    page = phone

    # The coordinator lands on today's visits.
    sign_in(page, live_server, "coord.visits")
    page.wait_for_url(f"{live_server.url}/visits/")
    assert page.locator("h1").inner_text().startswith("Today")
    rows = page.locator("[data-testid=visits] li.visit")
    assert rows.count() == 1
    assert child.full_name in rows.first.inner_text()
    assert rows.first.locator(".badge-planned").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # One tap opens the visit, with the "mark done" form already open.
    with page.expect_navigation():
        rows.first.locator("a").tap()
    assert page.url == f"{live_server.url}/visits/{visit.pk}/"
    assert page.locator("[data-testid=status]").inner_text() == "Planned"
    done = page.locator(f"form[action='/visits/{visit.pk}/done/']")
    assert done.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # The real times and the services given: ABA therapy under Social-pedagogical.
    done.locator("#id_start").fill("10:15")
    done.locator("#id_end").fill("11:45")
    aba = tick_service(done, ABA, group="Social-pedagogical", name="ABA therapy")
    assert aba.is_checked()
    assert done.locator("input[name=services]:checked").count() == 1
    with page.expect_navigation():
        done.locator("button[type=submit]").tap()
    assert page.url == f"{live_server.url}/visits/{visit.pk}/"
    assert page.locator(".message.success").count() == 1, page.content()
    assert page.locator("[data-testid=status]").inner_text() == "Done"
    assert "ABA therapy" in page.locator("dl.facts").inner_text()
    assert page.locator("[data-testid=confirmation]").inner_text() == "not confirmed"

    # The representative signs on the screen; "signature" is the method chosen by default.
    confirm = page.locator("form[data-signature-form]")
    assert confirm.locator("input[name=method][value=signature]").is_checked()
    assert confirm.locator(".method-signature").is_visible()
    assert not confirm.locator(".method-pin").is_visible()
    draw_signature(page)
    with page.expect_navigation():
        confirm.locator("button[type=submit]").tap()
    assert page.url == f"{live_server.url}/visits/{visit.pk}/", page.problems
    confirmation = page.locator("[data-testid=confirmation]").inner_text()
    assert confirmation.startswith("✓"), (confirmation, page.problems)
    assert "signature" in confirmation
    assert page.locator("form[data-signature-form]").count() == 0
    assert page.problems == []

    # What was stored: the times, the service, and the drawing as a PNG that is not blank.
    visit.refresh_from_db()
    assert visit.status == "done"
    assert (visit.start, visit.end) == (datetime.time(10, 15), datetime.time(11, 45))
    assert visit.services == [ABA]
    assert visit.confirmation_method == "signature" and visit.confirmed_at is not None
    with visit.signature.open("rb") as stored:
        content = stored.read()
    assert content.startswith(PNG_MAGIC)
    image = Image.open(io.BytesIO(content)).convert("L")
    assert image.size == (600, 220)
    assert ink(image, 0.0, 0.5) < 128, "the mouse stroke is missing"
    assert ink(image, 0.5, 1.0) < 128, "the finger stroke is missing"
    # The stored signature opens from the visit page.
    response = page.request.get(f"{live_server.url}/visits/{visit.pk}/signature/")
    assert response.status == 200 and response.body().startswith(PNG_MAGIC)

    # Back to the day: done and confirmed, nothing left to log or confirm.
    with page.expect_navigation():
        page.locator(f"a[href='/visits/?day={today:%Y-%m-%d}']").tap()
    row = page.locator("[data-testid=visits] li.visit")
    assert row.count() == 1
    assert row.first.locator(".badge-done").count() == 1
    assert row.first.locator(".badge-confirmed").inner_text() == "✓ confirmed"
    assert row.first.locator(".badge-unconfirmed").count() == 0
    assert "to log" not in page.locator(".summary").inner_text()
    assert "to confirm" not in page.locator(".summary").inner_text()

    # The month's journal shows the visit with its service and the signature.
    with page.expect_navigation():
        page.locator("a.button[href^='/journal/']").tap()
    assert page.url == f"{live_server.url}/journal/?month={today:%Y-%m}"
    journal = page.locator("[data-testid=journal] tbody tr")
    assert journal.count() == 1
    line = journal.first.inner_text()
    assert child.full_name in line
    assert "10:15–11:45" in line
    assert "Social-pedagogical: ABA therapy" in line
    assert "signature" in line
    assert "Done" in line and "not confirmed" not in line
    totals = page.locator("[data-testid=totals]").inner_text()
    assert "Done, not confirmed by the representative\n0" in totals.replace("\t", "\n")
    assert page.problems == []


def test_missed_with_a_reason_and_a_repeated_submit_adds_one_visit(
    live_server, phone, roles, catalogue
):
    today, enrollment, visit = a_day_with_a_planned_visit("coord.missed")
    page = phone
    sign_in(page, live_server, "coord.missed")
    page.wait_for_url(f"{live_server.url}/visits/")

    # The child is ill: the visit is marked missed with the reason.
    with page.expect_navigation():
        page.locator(f"a[href='/visits/{visit.pk}/']").tap()
    missed = page.locator(f"form[action='/visits/{visit.pk}/missed/']")
    assert not missed.is_visible()
    page.locator("summary", has_text="Mark missed").tap()
    missed.locator("textarea").fill("Ребёнок болеет")
    with page.expect_navigation():
        missed.locator("button[type=submit]").tap()
    assert page.locator("[data-testid=status]").inner_text() == "Missed"
    assert "Ребёнок болеет" in page.locator("dl.facts").inner_text()
    visit.refresh_from_db()
    assert (visit.status, visit.missed_reason) == ("missed", "Ребёнок болеет")

    # An unplanned visit at the centre the same afternoon. The first submit reaches the server
    # but its answer is lost on the way back (a flaky mobile network): the phone shows an error
    # page, the coordinator reloads it and the browser posts the very same form again.
    page.goto(f"{live_server.url}/visits/?day={today:%Y-%m-%d}")
    with page.expect_navigation():
        page.locator("a.button.primary[href^='/visits/new/']").tap()
    form = page.locator("form.visit-form")
    client_id = form.locator("input[name=client_id]").input_value()
    assert client_id.startswith("U")
    form.locator("#id_child").select_option(label=enrollment.child.full_name)
    form.locator("input[name=setting][value=centre]").check()
    assert form.locator("#id_date").input_value() == f"{today:%Y-%m-%d}"
    form.locator("#id_start").fill("15:00")
    form.locator("#id_end").fill("16:30")
    tick_service(form, ABA, group="Social-pedagogical", name="ABA therapy")

    posts = []

    def lose_the_answer(route):
        if route.request.method != "POST":
            route.continue_()
            return
        posts.append(route.request.post_data)
        route.fetch(max_redirects=0)  # the server handles the request...
        route.abort("connectionreset")  # ...and its answer never arrives

    def new_visit(url):
        return "/visits/new/" in url

    page.route(new_visit, lose_the_answer)
    with page.expect_event("requestfailed"):
        form.locator("button[type=submit]").tap()
    page.unroute(new_visit)
    assert len(posts) == 1 and f"client_id={client_id}" in posts[0]
    assert Visit.objects.filter(visit_id=client_id).count() == 1

    posts_again = []

    def on_request(request):
        if request.method == "POST":
            posts_again.append(request.post_data)

    page.on("request", on_request)
    page.reload()
    page.wait_for_load_state()
    assert posts_again == posts  # the same form, with the same client id, posted again
    created = Visit.objects.get(visit_id=client_id)
    assert page.url == f"{live_server.url}/visits/{created.pk}/"
    # The lost answer's message is shown too: it was stored for the redirect that never came.
    shown = page.locator(".message.success").all_inner_texts()
    assert shown[-1] == "This visit was already added.", shown
    assert Visit.objects.filter(visit_id=client_id).count() == 1
    assert Visit.objects.filter(child=enrollment.child, date=today).count() == 2
    assert (created.setting, created.status, created.services) == ("centre", "done", [ABA])
    assert page.problems == []
