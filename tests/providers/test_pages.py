"""The provider head's own pages: premises, staff, rooms, the application buttons."""

import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from providers.models import (
    ApplicationStatus,
    EquippedRoom,
    Premises,
    RoomKind,
    StaffDocument,
    StaffMember,
)
from tests.factories import (
    PDF_BYTES,
    ProviderFactory,
    StaffMemberFactory,
    coordinator_of,
    head_of,
    qualified_provider,
)

pytestmark = pytest.mark.django_db


def test_leased_premises_without_an_end_date_are_refused_and_nothing_saved(client):
    provider = ProviderFactory()
    client.force_login(head_of(provider))
    response = client.post(
        reverse("providers:premises"), {"address": "ул. Мира, 1", "tenure": "leased"}
    )
    assert response.status_code == 200
    assert "A lease must have an end date." in response.content.decode()
    assert not Premises.objects.exists()

    response = client.post(
        reverse("providers:premises"),
        {"address": "ул. Мира, 1", "tenure": "leased", "lease_ends_on": "2027-05-31"},
    )
    assert response.status_code == 302
    assert Premises.objects.get().lease_ends_on.isoformat() == "2027-05-31"


def test_head_adds_a_worker_and_the_shortfall_shrinks(client):
    provider = ProviderFactory(planned_recipients=80)
    client.force_login(head_of(provider))
    page = client.get(reverse("providers:my_provider"))
    line = next(line for line in page.context["state"].staffing if line.position == "psychologist")
    assert line.shortfall == 1

    response = client.post(
        reverse("providers:staff"),
        {"full_name": "Абаева Сара", "position": "psychologist", "fte": "1.00"},
    )
    assert response.status_code == 302
    page = client.get(reverse("providers:my_provider"))
    line = next(line for line in page.context["state"].staffing if line.position == "psychologist")
    assert line.shortfall == 0


def test_coordinator_sees_no_personnel_file_and_cannot_change_rooms(client):
    provider = ProviderFactory()
    member = StaffMemberFactory(provider=provider)
    client.force_login(coordinator_of(provider))
    assert client.get(reverse("providers:staff")).status_code == 403
    assert client.get(reverse("providers:staff_member", args=[member.pk])).status_code == 403
    response = client.post(
        reverse("providers:staff"), {"full_name": "X", "position": "nurse", "fte": "1"}
    )
    assert response.status_code == 403
    assert StaffMember.objects.count() == 1
    assert client.get(reverse("providers:rooms")).status_code == 200
    assert client.post(reverse("providers:rooms"), {}).status_code == 403


def test_another_providers_worker_cannot_be_opened_by_url(client):
    foreign = StaffMemberFactory()
    own = StaffMemberFactory()
    reader = head_of(own.provider)
    client.force_login(reader)
    assert client.get(reverse("providers:staff_member", args=[foreign.pk])).status_code == 404
    assert client.get(reverse("providers:staff_member", args=[own.pk])).status_code == 200
    assert LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS, object_pk=str(own.pk), actor=reader
    ).exists()


def test_head_uploads_a_training_certificate(client):
    member = StaffMemberFactory()
    client.force_login(head_of(member.provider))
    response = client.post(
        reverse("providers:staff_member", args=[member.pk]),
        {
            "kind": "training",
            "issued_on": "2025-01-10",
            "valid_until": "2030-01-09",
            "file": SimpleUploadedFile("cert.pdf", PDF_BYTES),
        },
    )
    assert response.status_code == 302
    assert StaffDocument.objects.get().staff_member == member


def test_rooms_form_saves_all_or_nothing(client):
    provider = ProviderFactory()
    client.force_login(head_of(provider))
    kinds = list(RoomKind)
    data = {"form-TOTAL_FORMS": str(len(kinds)), "form-INITIAL_FORMS": str(len(kinds))}
    for index, kind in enumerate(kinds):
        data[f"form-{index}-kind"] = kind.value
        data[f"form-{index}-equipped"] = "on"
        data[f"form-{index}-inventory"] = "Стол" if index else ""  # the first one lacks it
    response = client.post(reverse("providers:rooms"), data, follow=True)
    assert "list the main equipment" in response.content.decode()
    assert not EquippedRoom.objects.exists()

    data["form-0-inventory"] = "Массажный стол"
    assert client.post(reverse("providers:rooms"), data).status_code == 302
    assert EquippedRoom.objects.filter(provider=provider, equipped=True).count() == 8


def test_head_submits_from_the_page(client):
    provider = qualified_provider()
    client.force_login(head_of(provider))
    client.post(reverse("providers:application_create"))
    application = provider.applications.get()
    response = client.post(
        reverse("providers:application_submit", args=[application.pk]), follow=True
    )
    assert "submitted to the akimat" in response.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED


def test_refusals_use_the_portals_own_pages(client):
    provider = ProviderFactory()
    client.force_login(coordinator_of(provider))
    denied = client.get(reverse("providers:upload_document"))
    assert denied.status_code == 403
    assert "Access denied" in denied.content.decode()
    missing = client.get(reverse("recipients:child", args=[999999]))
    assert missing.status_code == 404
    assert "Page not found" in missing.content.decode()
    password = client.get(reverse("password_change"))
    assert password.status_code == 200
    assert 'class="top"' in password.content.decode()  # the portal's header, not the admin's


def test_staffing_follows_enrolled_children_once_there_are_any(client):
    import datetime

    from providers import selectors
    from tests.factories import ChildFactory, admitted_provider, enrollment_for

    provider = admitted_provider(planned_recipients=200)
    day = datetime.date(2026, 7, 10)
    assert selectors.readiness(provider=provider, on=day).recipients == 200
    for index in range(3):
        enrollment_for(
            ChildFactory(diagnosis_group="musculoskeletal" if index else "other"), provider
        )
    state = selectors.readiness(provider=provider, on=day)
    assert (state.recipients, state.care_recipients) == (3, 2)
    speech = next(line for line in state.staffing if line.position == "speech_therapist")
    assert speech.required == 1
