"""A family answers the questionnaire on a phone; an analyst reads the dashboard on a tablet
(the charts load under the portal's content security policy)."""

import pytest
from playwright.sync_api import expect

from reports.models import SurveyInvitation, SurveyResponse
from tests.factories import analyst
from tests.reports.conftest import half_year  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


def test_a_family_answers_on_a_phone(live_server, browser, roles, half_year):  # noqa: F811
    invitation = SurveyInvitation.objects.create(
        enrollment=half_year["enrolments"][0], year=2026, half=2
    )
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, locale="ru-RU"
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/survey/{invitation.token}/")
    assert "Центр А" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.click("button[type=submit].primary")  # nothing chosen: refused, nothing saved
    # the click does not wait for the answer page: expect polls until it has come
    expect(page.locator("fieldset.has-error")).to_have_count(5)
    assert not SurveyResponse.objects.exists()
    for question, score in (
        ("convenience", 5),
        ("specialists", 4),
        ("coordination", 4),
        ("progress", 3),
        ("overall", 5),
    ):
        page.locator(f"input[name={question}][value='{score}']").check()
    page.fill("textarea[name=comment]", "Спасибо центру")
    page.click("button[type=submit].primary")
    expect(page.locator("h1")).to_have_text("Спасибо")
    assert SurveyResponse.objects.get().progress == 3
    assert page.locator(".card.narrow p").count() == 1
    context.close()


def test_an_analyst_reads_the_dashboard_on_a_tablet(
    live_server,
    browser,
    roles,
    half_year,  # noqa: F811
):
    analyst(username="analyst.tablet")
    context = browser.new_context(viewport={"width": 800, "height": 1280}, locale="ru-RU")
    page = context.new_page()
    problems = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "analyst.tablet")
    page.fill("#id_password", "a-long-test-password")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/reports/")
    page.goto(f"{live_server.url}/reports/dashboard/")
    assert page.locator("#tile-children").inner_text() == "< 5"
    images = page.locator("figure.chart img")
    assert images.count() == 5
    for index in range(5):
        images.nth(index).scroll_into_view_if_needed()
    loaded = "Array.from(document.querySelectorAll('figure.chart img')).every(img => img.complete && img.naturalWidth > 0)"
    for _attempt in range(50):  # wait_for_function would need 'unsafe-eval', which CSP forbids
        if page.evaluate(loaded):
            break
        page.wait_for_timeout(200)
    assert page.evaluate(loaded)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert not problems, problems
    context.close()
