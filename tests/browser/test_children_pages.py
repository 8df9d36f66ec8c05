"""A coordinator on a phone: find a child, open the card; another centre's child stays closed."""

import pytest

from tests.factories import (
    ChildFactory,
    IparFactory,
    admitted_provider,
    coordinator_of,
    enrollment_for,
)

pytestmark = pytest.mark.browser


def test_coordinator_finds_a_child_on_a_phone(live_server, browser, roles):
    provider = admitted_provider()
    mine = ChildFactory(last_name="Сейтова", first_name="Алия")
    IparFactory(child=mine)
    enrollment_for(mine, provider)
    other = ChildFactory(last_name="Чужая", first_name="Дана")
    enrollment_for(other, admitted_provider())
    coordinator_of(provider, username="coord.phone")

    context = browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, locale="ru-RU"
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "coord.phone")
    page.fill("#id_password", "a-long-test-password")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/visits/")  # coordinators land on their day

    page.goto(f"{live_server.url}/children/")
    page.fill("#q", "Сейт")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    rows = page.locator("[data-testid=children] tbody tr")
    assert rows.count() == 1
    assert "Чужая" not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    rows.first.locator("a").click()
    page.wait_for_url(f"{live_server.url}/children/{mine.pk}/")
    assert mine.iin in page.locator("dl.facts").inner_text()
    assert "ИПАР-" in page.locator("[data-testid=valid-ipar]").inner_text()

    response = page.goto(f"{live_server.url}/children/{other.pk}/")
    assert response.status == 404
    context.close()
