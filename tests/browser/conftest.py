"""Browser tests: Debian's chromium driven by Playwright against the live test server."""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the tests' own database calls
    # (and the flush after each) stay synchronous, so Django's async-safety guard is lifted
    # while the browser runs. The deploy check strips this variable from its environment.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def tablet(browser):
    """A page the size of a 10-inch tablet held upright, with touch."""
    context = browser.new_context(
        viewport={"width": 800, "height": 1280}, has_touch=True, locale="ru-RU"
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def roles(transactional_db):
    """Transactional tests start from an empty database: recreate the role groups."""
    from django.apps import apps

    from core.roles_permissions import sync_role_groups

    sync_role_groups(apps)
