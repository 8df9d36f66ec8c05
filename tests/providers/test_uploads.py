"""Uploads: only PDF or images, size-limited, checked by content; a refusal saves nothing."""

import base64
import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from providers import services
from providers.models import DocumentKind, QualificationDocument
from tests.factories import PDF_BYTES, ProviderFactory, head_of

pytestmark = pytest.mark.django_db
# A real 1×1 PNG: uploads are decoded, leading bytes are not enough.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def stored_files(settings):
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def upload(provider, user, name, content, **extra):
    return services.document_upload(
        provider=provider,
        kind=DocumentKind.STAFFING_TABLE,
        file=SimpleUploadedFile(name, content),
        issued_on=datetime.date(2026, 1, 1),
        acting_user=user,
        **extra,
    )


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("table.docx", b"PK\x03\x04 word", "file_type_not_allowed"),
        ("table.pdf", b"MZ\x90 this is an executable", "file_content_mismatch"),
        ("photo.png", PDF_BYTES, "file_content_mismatch"),
        ("empty.pdf", b"", "file_empty"),
    ],
)
def test_wrong_files_are_refused_and_nothing_is_saved(settings, name, content, code):
    provider = ProviderFactory()
    with pytest.raises(ValidationError) as error:
        upload(provider, head_of(provider), name, content)
    assert code in {e.code for errors in error.value.error_dict.values() for e in errors}
    assert not QualificationDocument.objects.exists()
    assert stored_files(settings) == []


def test_too_large_file_is_refused(settings):
    settings.DOCUMENT_MAX_BYTES = 1024
    provider = ProviderFactory()
    with pytest.raises(ValidationError) as error:
        upload(provider, head_of(provider), "big.pdf", PDF_BYTES + b"0" * 2048)
    assert error.value.error_dict["file"][0].code == "file_too_large"
    assert not QualificationDocument.objects.exists()
    assert stored_files(settings) == []


def test_pdf_and_png_are_accepted_under_random_names(settings):
    provider = ProviderFactory()
    head = head_of(provider)
    pdf = upload(provider, head, "Устав Иванова.pdf", PDF_BYTES)
    png = upload(provider, head, "scan.png", PNG)
    assert pdf.original_name == "Устав Иванова.pdf"
    assert "Иванова" not in pdf.file.name
    assert png.file.name.endswith(".png")
    assert len(stored_files(settings)) == 2
    assert pdf.uploaded_by == head


def test_upload_page_shows_the_reason_in_the_form_and_saves_nothing(client, settings):
    provider = ProviderFactory()
    client.force_login(head_of(provider))
    response = client.post(
        reverse("providers:upload_document"),
        {
            "kind": DocumentKind.STAFFING_TABLE,
            "issued_on": "2026-01-01",
            "file": SimpleUploadedFile("virus.exe.pdf", b"MZ\x90\x00"),
        },
    )
    assert response.status_code == 200
    assert "is not a PDF document" in response.content.decode()
    assert not QualificationDocument.objects.exists()
    assert stored_files(settings) == []


def test_upload_page_saves_a_valid_pdf(client):
    provider = ProviderFactory()
    client.force_login(head_of(provider))
    response = client.post(
        reverse("providers:upload_document"),
        {
            "kind": DocumentKind.STAFFING_TABLE,
            "issued_on": "2026-01-01",
            "valid_until": "2027-01-01",
            "number": "ШР-1",
            "file": SimpleUploadedFile("table.pdf", PDF_BYTES),
        },
    )
    assert response.status_code == 302
    document = QualificationDocument.objects.get()
    assert document.provider == provider and document.number == "ШР-1"


def test_coordinator_cannot_upload(client):
    provider = ProviderFactory()
    from tests.factories import coordinator_of

    client.force_login(coordinator_of(provider))
    assert client.get(reverse("providers:upload_document")).status_code == 403
