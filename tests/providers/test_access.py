"""Who may see what (domain.md §2), by page, by file URL and by API."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from rest_framework.test import APIClient

from providers import services
from providers.models import DocumentKind
from tests.factories import (
    PDF_BYTES,
    DocumentFactory,
    ProviderFactory,
    analyst,
    coordinator_of,
    head_of,
    inspector,
    officer,
)

pytestmark = pytest.mark.django_db
PERSONAL_FIELDS = {"head_name", "phone", "email", "address", "applications"}


@pytest.fixture
def two_providers():
    return ProviderFactory(name="ОФ «Первый»"), ProviderFactory(name="ОФ «Второй»")


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_head_sees_only_own_provider_in_api(two_providers):
    mine, other = two_providers
    client = api_for(head_of(mine))

    listing = client.get("/api/providers/")
    assert listing.status_code == 200
    assert [row["bin"] for row in listing.json()["results"]] == [mine.bin]
    assert client.get(f"/api/providers/{other.pk}/").status_code == 404
    assert client.get(f"/api/providers/{mine.pk}/").status_code == 200


def test_coordinator_cannot_open_another_providers_document_by_url(client, two_providers):
    mine, other = two_providers
    foreign = DocumentFactory(provider=other)
    own = DocumentFactory(provider=mine)
    client.force_login(coordinator_of(mine))

    assert client.get(reverse("providers:document_file", args=[foreign.pk])).status_code == 404
    response = client.get(reverse("providers:document_file", args=[own.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_head_page_shows_own_provider_only(client, two_providers):
    mine, other = two_providers
    client.force_login(head_of(mine))
    page = client.get(reverse("providers:my_provider"))
    assert page.status_code == 200
    assert mine.name in page.content.decode()
    assert other.name not in page.content.decode()


def test_analyst_gets_no_personal_fields(two_providers):
    client = api_for(analyst())
    listing = client.get("/api/providers/").json()["results"]
    assert len(listing) == 2
    for row in listing:
        assert not PERSONAL_FIELDS & set(row)
    detail = client.get(f"/api/providers/{two_providers[0].pk}/").json()
    assert not PERSONAL_FIELDS & set(detail)
    assert detail["admission_status"] == "not_applied"


def test_officer_and_inspector_see_personal_fields(two_providers):
    for user in (officer(), inspector()):
        detail = api_for(user).get(f"/api/providers/{two_providers[0].pk}/").json()
        assert detail["head_name"] == "Иванова Анна"


def test_analyst_cannot_open_documents_or_provider_pages(client, two_providers):
    document = DocumentFactory(provider=two_providers[0])
    client.force_login(analyst())
    assert client.get(reverse("providers:document_file", args=[document.pk])).status_code == 404
    assert client.get(reverse("providers:my_provider")).status_code == 403
    participants = client.get(reverse("providers:participants"))
    assert participants.status_code == 200
    assert "Иванова" not in participants.content.decode()


def test_anonymous_is_sent_to_login_and_api_refuses(client, two_providers):
    response = client.get(reverse("providers:my_provider"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert APIClient().get("/api/providers/").status_code in (401, 403)


def test_head_cannot_upload_for_another_provider(two_providers):
    mine, other = two_providers
    with pytest.raises(services.RoleRequired):
        services.document_upload(
            provider=other,
            kind=DocumentKind.STAFFING_TABLE,
            file=ContentFile(PDF_BYTES, name="a.pdf"),
            issued_on="2026-01-01",
            acting_user=head_of(mine),
        )
    assert not other.documents.exists()


def test_head_cannot_submit_another_providers_application_by_url(client, two_providers):
    mine, other = two_providers
    application = services.application_create(provider=other, acting_user=officer())
    client.force_login(head_of(mine))
    response = client.post(reverse("providers:application_submit", args=[application.pk]))
    assert response.status_code == 404
    application.refresh_from_db()
    assert application.status == "draft"


def test_api_list_has_a_fixed_number_of_queries(django_assert_max_num_queries):
    for _ in range(15):
        ProviderFactory()
    client = api_for(officer())
    client.get("/api/providers/")  # warm the user's role cache path
    with django_assert_max_num_queries(8):
        response = client.get("/api/providers/")
    assert response.json()["count"] == 15


def test_list_pages_do_not_query_per_provider(client, django_assert_max_num_queries):
    for _ in range(12):
        services.application_create(provider=ProviderFactory(), acting_user=officer())
    client.force_login(officer())
    client.get(reverse("providers:participants"))
    with django_assert_max_num_queries(12):
        assert client.get(reverse("providers:participants")).status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get(reverse("admin:providers_provider_changelist")).status_code == 200
