"""Uploads are parsed, not sniffed: a polyglot (the leading bytes of a PDF, PNG or JPEG followed
by HTML or SVG) is refused at every upload point, by page and API, and nothing is stored; real
files are accepted, stored under random names and downloaded under neutral ones; a drawn
signature is stored re-encoded."""

import base64
import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from pypdf import PdfReader, PdfWriter
from rest_framework.test import APIClient

from providers import services as provider_services
from providers.models import DocumentKind, QualificationDocument, StaffDocument
from providers.uploads import validate_document_file
from services import services
from services.models import Visit
from tests.factories import (
    PDF_BYTES,
    StaffMemberFactory,
    VisitFactory,
    admitted_provider,
    coordinator_of,
    enrolled_child,
    head_of,
)

pytestmark = pytest.mark.django_db

HTML = b"<html><body><script>alert(document.domain)</script></body></html>\n"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.domain)"/>\n'
POLYGLOTS = {
    "pdf_then_html": ("journal.pdf", b"%PDF-1.4\n" + HTML),
    "png_then_html": ("journal.png", b"\x89PNG\r\n\x1a\n" + HTML),
    "jpeg_then_svg": ("journal.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + SVG),
}
PERSONAL_NAME = "Иванов_Данияр_120501542660_журнал"


def image_bytes(kind, **save):
    out = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(out, format=kind, **save)
    return out.getvalue()


PNG = image_bytes("PNG")
JPEG = image_bytes("JPEG")
REAL = {"pdf": ("pdf", PDF_BYTES), "png": ("png", PNG), "jpeg": ("jpg", JPEG)}
# Whole, valid files with markup appended: each parser stops at its file's end and accepts it.
WHOLE_THEN_MARKUP = {
    "whole_pdf_then_html": ("journal.pdf", PDF_BYTES + HTML),
    "whole_png_then_html": ("journal.png", PNG + HTML),
    "whole_jpeg_then_svg": ("journal.jpg", JPEG + SVG),
}


def stored_files(settings):
    root = settings.MEDIA_ROOT
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def error_codes(response):
    return {(error["field"], error["code"]) for error in response.json()["errors"]}


@pytest.fixture
def centre():
    provider = admitted_provider()
    enrollment = enrolled_child(provider)
    visit = VisitFactory(enrollment=enrollment, visit_id="V-1")
    visit.enrollment = enrollment
    return provider, coordinator_of(provider), visit


def document_post(client, url, name, content, **fields):
    return client.post(
        url,
        {"issued_on": "2026-01-01", "file": SimpleUploadedFile(name, content), **fields},
    )


def scan_posts(client, coordinator, visit, name, content):
    """A journal scan sent by the coordinator through the page and through the API."""
    client.force_login(coordinator)
    page = client.post(
        reverse("services:visit_confirm", args=[visit.pk]),
        {"method": "paper", "scan": SimpleUploadedFile(name, content)},
    )
    by_api = api(coordinator).post(
        "/api/visits/V-1/confirm/",
        {"method": "paper", "scan": SimpleUploadedFile(name, content)},
        format="multipart",
    )
    return page, by_api


# --- each polyglot at each upload point: refused, nothing stored -------------------------------


@pytest.mark.parametrize("polyglot", POLYGLOTS)
def test_a_polyglot_qualification_document_is_refused(client, settings, polyglot):
    name, content = POLYGLOTS[polyglot]
    provider = admitted_provider()
    client.force_login(head_of(provider))

    response = document_post(
        client,
        reverse("providers:upload_document"),
        name,
        content,
        kind=DocumentKind.STAFFING_TABLE,
    )

    assert response.status_code == 200
    assert "cannot be read as a" in response.content.decode()
    assert not QualificationDocument.objects.filter(provider=provider).exists()
    assert stored_files(settings) == []


@pytest.mark.parametrize("polyglot", POLYGLOTS)
def test_a_polyglot_staff_document_is_refused(client, settings, polyglot):
    name, content = POLYGLOTS[polyglot]
    provider = admitted_provider()
    member = StaffMemberFactory(provider=provider)
    client.force_login(head_of(provider))

    response = document_post(
        client,
        reverse("providers:staff_member", args=[member.pk]),
        name,
        content,
        kind="education",
    )

    assert response.status_code == 200
    assert "cannot be read as a" in response.content.decode()
    assert not StaffDocument.objects.exists()
    assert stored_files(settings) == []


@pytest.mark.parametrize("polyglot", POLYGLOTS)
def test_a_polyglot_journal_scan_is_refused_by_page_and_api(client, settings, centre, polyglot):
    name, content = POLYGLOTS[polyglot]
    _provider, coordinator, visit = centre
    page, by_api = scan_posts(client, coordinator, visit, name, content)

    assert page.status_code == 400 and "cannot be read as a" in page.content.decode()
    assert page.context["confirm_form"].errors["scan"]  # on the field, as the API names it
    assert by_api.status_code == 400
    assert error_codes(by_api) == {("scan", "file_unreadable")}  # the field as the request names it
    visit.refresh_from_db()
    assert not visit.is_confirmed and not visit.paper_scan
    assert stored_files(settings) == []


@pytest.mark.parametrize("polyglot", ["png_then_html", "pdf_then_html", "jpeg_then_svg"])
def test_a_polyglot_signature_is_refused_by_page_and_api(client, settings, centre, polyglot):
    _name, content = POLYGLOTS[polyglot]
    _provider, coordinator, visit = centre
    data_url = "data:image/png;base64," + base64.b64encode(content).decode()
    client.force_login(coordinator)

    page = client.post(
        reverse("services:visit_confirm", args=[visit.pk]),
        {"method": "signature", "signature": data_url},
    )
    by_api = api(coordinator).post(
        "/api/visits/V-1/confirm/", {"method": "signature", "signature": data_url}, format="json"
    )

    assert page.status_code == 400 and "The signature could not be read" in page.content.decode()
    assert by_api.status_code == 400
    assert error_codes(by_api) == {("signature", "signature_invalid")}
    visit.refresh_from_db()
    assert not visit.is_confirmed and not visit.signature
    assert stored_files(settings) == []


def test_an_encrypted_or_pageless_pdf_is_refused_with_its_own_code(settings):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(PDF_BYTES)))
    writer.encrypt("secret", algorithm="RC4-128")
    encrypted = io.BytesIO()
    writer.write(encrypted)
    empty = PdfWriter()
    pageless = io.BytesIO()
    empty.write(pageless)
    provider = admitted_provider()
    for content, code in (
        (encrypted.getvalue(), "file_encrypted"),
        (pageless.getvalue(), "file_no_pages"),
    ):
        with pytest.raises(ValidationError) as refused:
            provider_services.document_upload(
                provider=provider,
                kind=DocumentKind.STAFFING_TABLE,
                file=SimpleUploadedFile("table.pdf", content),
                issued_on=datetime.date(2026, 1, 1),
                acting_user=head_of(provider),
            )
        assert [e.code for e in refused.value.error_dict["file"]] == [code]
    assert stored_files(settings) == []


# --- real files: accepted, random names, neutral downloads --------------------------------------


@pytest.mark.parametrize("kind", REAL)
def test_a_real_file_is_accepted_at_every_upload_point_under_a_random_name(client, settings, kind):
    extension, content = REAL[kind]
    provider = admitted_provider()
    head = head_of(provider)
    member = StaffMemberFactory(provider=provider)
    client.force_login(head)
    name = f"{PERSONAL_NAME}.{extension}"

    document = document_post(
        client,
        reverse("providers:upload_document"),
        name,
        content,
        kind=DocumentKind.STAFFING_TABLE,
    )
    staff = document_post(
        client, reverse("providers:staff_member", args=[member.pk]), name, content, kind="education"
    )
    page_visit = VisitFactory(enrollment=enrolled_child(provider))
    api_visit = VisitFactory(enrollment=enrolled_child(provider), visit_id="V-2")
    coordinator = coordinator_of(provider)
    client.force_login(coordinator)
    page = client.post(
        reverse("services:visit_confirm", args=[page_visit.pk]),
        {"method": "paper", "scan": SimpleUploadedFile(name, content)},
    )
    by_api = api(coordinator).post(
        "/api/visits/V-2/confirm/",
        {"method": "paper", "scan": SimpleUploadedFile(name, content)},
        format="multipart",
    )

    assert document.status_code == 302 and staff.status_code == 302
    assert page.status_code == 302 and by_api.status_code == 200, by_api.content
    stored = [
        QualificationDocument.objects.get().file,
        StaffDocument.objects.get().file,
        Visit.objects.get(pk=page_visit.pk).paper_scan,
        Visit.objects.get(pk=api_visit.pk).paper_scan,
    ]
    for field in stored:
        base = field.name.rsplit("/", 1)[-1]
        assert "Иванов" not in field.name and "120501542660" not in field.name
        stem, suffix = base.rsplit(".", 1)
        assert len(stem) == 32 and int(stem, 16) >= 0 and suffix == extension
        with field.open("rb") as handle:
            assert handle.read() == content
    assert len(stored_files(settings)) == 4


def test_scans_and_signatures_download_under_a_neutral_name(client, centre):
    provider, coordinator, visit = centre
    # A scan stored before names were random kept its uploaded name on disk.
    old_name = default_storage.save(
        f"journal-scans/2026/07/{PERSONAL_NAME}.pdf", ContentFile(PDF_BYTES)
    )
    Visit.objects.filter(pk=visit.pk).update(paper_scan=old_name)
    signed = VisitFactory(enrollment=visit.enrollment, date=visit.date + datetime.timedelta(1))
    services.visit_confirm(
        visit=signed,
        method="signature",
        signature="data:image/png;base64," + base64.b64encode(PNG).decode(),
        acting_user=coordinator,
    )
    client.force_login(coordinator)

    scan = client.get(reverse("services:visit_scan", args=[visit.pk]))
    signature = client.get(reverse("services:visit_signature", args=[signed.pk]))

    assert scan.status_code == 200 and signature.status_code == 200
    month = f"{visit.date:%Y-%m}"
    assert scan["Content-Disposition"] == (
        f'inline; filename="journal-{provider.bin}-{month}-visit{visit.pk}.pdf"'
    )
    assert signature["Content-Disposition"] == (
        f'inline; filename="signature-{provider.bin}-{signed.date:%Y-%m}-visit{signed.pk}.png"'
    )
    assert scan["Content-Type"] == "application/pdf"
    assert signature["Content-Type"] == "image/png"
    for response in (scan, signature):
        header = response["Content-Disposition"]
        assert "Иванов" not in header and "120501542660" not in header
        assert visit.child.iin not in header and visit.child.last_name not in header
    assert b"".join(scan.streaming_content) == PDF_BYTES


def test_a_drawn_signature_is_stored_re_encoded_without_what_came_with_it(centre, settings):
    _provider, coordinator, visit = centre
    info = PngInfo()
    info.add_text("Comment", "Иванов Данияр 120501542660")
    uploaded = image_bytes("PNG", pnginfo=info) + b"<html>trailing</html>"

    services.visit_confirm(
        visit=visit,
        method="signature",
        signature="data:image/png;base64," + base64.b64encode(uploaded).decode(),
        acting_user=coordinator,
    )

    visit.refresh_from_db()
    with visit.signature.open("rb") as handle:
        stored = handle.read()
    assert stored != uploaded
    assert b"120501542660" not in stored and b"<html>" not in stored
    decoded = Image.open(io.BytesIO(stored))
    assert decoded.format == "PNG" and decoded.size == (40, 20)
    assert decoded.convert("RGB").getpixel((0, 0)) == (200, 30, 30)
    assert "Comment" not in decoded.info
    base = visit.signature.name.rsplit("/", 1)[-1]
    stem, suffix = base.split(".")
    assert len(stem) == 32 and int(stem, 16) >= 0 and suffix == "png"


def test_the_refusal_is_translated():
    upload = SimpleUploadedFile("table.pdf", POLYGLOTS["pdf_then_html"][1])
    for language, text in (
        ("ru", "Файл не читается как PDF"),
        ("kk", "Файлды PDF ретінде оқу мүмкін емес"),
    ):
        with translation.override(language):
            with pytest.raises(ValidationError) as refused:
                validate_document_file(upload)
            assert text in refused.value.messages[0]  # lazy: rendered in the language
        assert refused.value.code == "file_unreadable"


def test_a_file_stored_before_the_parsing_still_saves_with_its_row(centre):
    """Stored files were checked when they came; a later full_clean does not re-judge them."""
    _provider, _coordinator, visit = centre
    old = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    name = default_storage.save("journal-scans/2026/07/old.pdf", ContentFile(old))
    Visit.objects.filter(pk=visit.pk).update(paper_scan=name)
    visit.refresh_from_db()

    visit.full_clean()  # no ValidationError


# --- a whole file with markup appended: refused with its own reason at every upload point ------


@pytest.mark.parametrize("polyglot", WHOLE_THEN_MARKUP)
def test_a_whole_file_followed_by_markup_is_refused_at_every_upload_point(
    client, settings, centre, polyglot
):
    name, content = WHOLE_THEN_MARKUP[polyglot]
    with pytest.raises(ValidationError) as refused:
        validate_document_file(SimpleUploadedFile(name, content))
    assert refused.value.code == "file_trailing_data"
    provider, coordinator, visit = centre
    member = StaffMemberFactory(provider=provider)
    client.force_login(head_of(provider))
    pages = [
        document_post(
            client,
            reverse("providers:upload_document"),
            name,
            content,
            kind=DocumentKind.STAFFING_TABLE,
        ),
        document_post(
            client,
            reverse("providers:staff_member", args=[member.pk]),
            name,
            content,
            kind="education",
        ),
    ]
    page, by_api = scan_posts(client, coordinator, visit, name, content)
    pages.append(page)

    for page in pages:
        assert page.status_code in (200, 400)
        assert "holds something more after the end" in page.content.decode()
    assert by_api.status_code == 400
    assert error_codes(by_api) == {("scan", "file_trailing_data")}
    assert not QualificationDocument.objects.filter(provider=provider).exists()
    assert not StaffDocument.objects.exists()
    visit.refresh_from_db()
    assert not visit.is_confirmed and not visit.paper_scan
    assert stored_files(settings) == []


def test_a_pdf_updated_incrementally_and_files_ending_in_padding_are_accepted():
    """A digitally signed PDF is an incremental update: a second body after the first, ending
    with its own `%%EOF`. Line ends and NUL padding after the end are what writers leave; a
    camera's data after a JPEG's end (a motion photo's video) is not markup."""
    writer = PdfWriter(io.BytesIO(PDF_BYTES), incremental=True)
    writer.add_metadata({"/Title": "signed"})
    out = io.BytesIO()
    writer.write(out)
    updated = out.getvalue()
    assert updated.startswith(PDF_BYTES) and updated.count(b"%%EOF") == 2
    for name, content in [
        ("signed.pdf", updated),
        ("a.pdf", PDF_BYTES + b"\r\n\x00\x00"),
        ("d.pdf", PDF_BYTES + b"\x0c\x1a"),  # a form feed (PDF white space), DOS's end mark
        ("b.png", PNG + b"\n"),
        ("c.jpg", JPEG + b"ftypmp42" + bytes(range(256)) * 4),
    ]:
        validate_document_file(SimpleUploadedFile(name, content))


def test_the_trailing_refusal_is_translated():
    for language, words in (("ru", "после конца"), ("kk", "соңынан кейін")):
        with translation.override(language):
            with pytest.raises(ValidationError) as refused:
                validate_document_file(SimpleUploadedFile("a.pdf", PDF_BYTES + HTML))
            assert words in " ".join(refused.value.messages)


def test_a_picture_with_something_after_it_is_asked_to_be_saved_again_as_a_picture():
    with pytest.raises(ValidationError) as refused:
        validate_document_file(SimpleUploadedFile("a.png", PNG + HTML))
    message = " ".join(refused.value.messages)
    assert "PNG picture" in message and "PDF" not in message
