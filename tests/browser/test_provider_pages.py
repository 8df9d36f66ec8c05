"""The provider head's pages on a tablet: sign in, see what is missing, upload, switch language."""

import datetime

import pytest

from providers.models import DocumentKind, QualificationDocument
from tests.factories import PDF_BYTES, PremisesFactory, ProviderFactory, head_of

pytestmark = pytest.mark.browser


def sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "a-long-test-password")
    page.click("button[type=submit].primary")


def test_head_uploads_a_missing_document_on_a_tablet(live_server, tablet, roles, tmp_path):
    provider = ProviderFactory(name="ОФ «Планшет»")
    PremisesFactory(provider=provider, address="ул. Туран, 5")
    head_of(provider, username="head.tablet")
    page = tablet

    sign_in(page, live_server, "head.tablet")
    page.wait_for_url(f"{live_server.url}/provider/")
    gaps = page.locator("[data-testid=gaps] li")
    before = gaps.count()
    assert before >= 3 and "ул. Туран, 5" in page.locator("[data-testid=gaps]").inner_text()
    # Nothing overflows sideways on a tablet.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.click("a[href='/provider/documents/upload/']")
    page.select_option("#id_kind", DocumentKind.SANITARY_CONCLUSION)
    page.select_option("#id_premises", label="ул. Туран, 5")
    page.fill("#id_issued_on", "2026-03-01")
    pdf = tmp_path / "conclusion.pdf"
    pdf.write_bytes(PDF_BYTES)
    page.set_input_files("#id_file", str(pdf))
    page.click("form button[type=submit].primary")

    page.wait_for_url(f"{live_server.url}/provider/")
    assert page.locator(".message.success").count() == 1
    document = QualificationDocument.objects.get(provider=provider)
    assert document.kind == DocumentKind.SANITARY_CONCLUSION
    assert document.issued_on == datetime.date(2026, 3, 1)
    assert page.locator("[data-testid=gaps] li").count() == before - 1


def test_a_wrong_file_is_refused_with_a_message_and_nothing_saved(
    live_server, tablet, roles, tmp_path
):
    provider = ProviderFactory()
    head_of(provider, username="head.wrong")
    page = tablet
    sign_in(page, live_server, "head.wrong")
    page.wait_for_url(f"{live_server.url}/provider/")
    page.goto(f"{live_server.url}/provider/documents/upload/")
    page.select_option("#id_kind", DocumentKind.STAFFING_TABLE)
    page.fill("#id_issued_on", "2026-03-01")
    fake = tmp_path / "table.pdf"
    fake.write_bytes(b"this is not a pdf")
    page.set_input_files("#id_file", str(fake))
    with page.expect_navigation():
        page.click("form button[type=submit].primary")

    assert page.locator(".error[role=alert]").count() >= 1
    assert not QualificationDocument.objects.exists()


def test_the_language_switch_in_the_header(live_server, tablet, roles):
    page = tablet
    page.goto(f"{live_server.url}/accounts/login/")
    with page.expect_navigation():
        page.click("button.lang-button[value=kk]")
    assert page.locator("html").get_attribute("lang") == "kk"
    with page.expect_navigation():
        page.click("button.lang-button[value=en]")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Sign in"
