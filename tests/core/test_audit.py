"""The audit trail records who changed what, and who opened which record."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from providers import services
from providers.models import AdmissionApplication
from tests.factories import (
    DocumentFactory,
    ProviderFactory,
    StaffMemberFactory,
    coordinator_of,
    head_of,
    officer,
)

pytestmark = pytest.mark.django_db


def entries_for(obj):
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_pk=str(obj.pk)
    )


def test_a_service_change_is_recorded_with_its_actor_and_fields():
    provider = ProviderFactory()
    head = head_of(provider)
    application = services.application_create(provider=provider, acting_user=head)
    city = officer()
    AdmissionApplication.objects.filter(pk=application.pk).update(status="submitted")
    application.refresh_from_db()

    services.application_return(application=application, reasons="Fix the lease", acting_user=city)

    change = entries_for(application).filter(action=LogEntry.Action.UPDATE).latest("timestamp")
    assert change.actor == city
    assert change.changes_dict["status"] == ["submitted", "returned"]
    assert change.changes_dict["reasons"][1] == "Fix the lease"
    created = entries_for(application).get(action=LogEntry.Action.CREATE)
    assert created.actor == head


def test_a_change_in_the_admin_is_attributed_to_the_officer(client):
    provider = ProviderFactory(name="Old name")
    city = officer()
    client.force_login(city)
    url = reverse("admin:providers_provider_change", args=[provider.pk])
    form = client.get(url).context["adminform"].form
    data = {key: value for key, value in form.initial.items() if value is not None}
    data.update(
        {
            "name": "New name",
            "license_issued_on": "2020-01-01",
            **{
                f"{prefix}-TOTAL_FORMS": "0"
                for prefix in (
                    "branches",
                    "premises",
                    "documents",
                    "rooms",
                    "staff",
                    "applications",
                )
            },
            **{
                f"{prefix}-INITIAL_FORMS": "0"
                for prefix in (
                    "branches",
                    "premises",
                    "documents",
                    "rooms",
                    "staff",
                    "applications",
                )
            },
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    change = entries_for(provider).get(action=LogEntry.Action.UPDATE)
    assert change.actor == city
    assert change.changes_dict["name"] == ["Old name", "New name"]


def test_opening_a_staff_record_in_the_admin_is_recorded(client):
    member = StaffMemberFactory()
    city = officer()
    client.force_login(city)
    response = client.get(reverse("admin:providers_staffmember_change", args=[member.pk]))
    assert response.status_code == 200
    read = entries_for(member).get(action=LogEntry.Action.ACCESS)
    assert read.actor == city


def test_opening_a_document_file_is_recorded(client):
    document = DocumentFactory()
    reader = coordinator_of(document.provider)
    client.force_login(reader)
    before = datetime.datetime.now(datetime.UTC)
    client.get(reverse("providers:document_file", args=[document.pk]))
    read = entries_for(document).get(action=LogEntry.Action.ACCESS)
    assert read.actor == reader
    assert read.timestamp >= before - datetime.timedelta(seconds=1)
