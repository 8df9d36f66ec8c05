"""Daily flagging of documents that expire within 30 days (beat task)."""

import datetime
import os

import pytest
from django.urls import reverse

from providers.models import ExpiryFlag, QualificationDocument, StaffDocument
from providers.services import documents_flag_expiring
from providers.tasks import flag_expiring_documents_task
from tests.factories import DocumentFactory, ProviderFactory, StaffMemberFactory, head_of, officer

TODAY = datetime.date(2026, 11, 22)


def make_documents(provider=None):
    provider = provider or ProviderFactory()
    return {
        "no_end": DocumentFactory(provider=provider, valid_until=None),
        "far": DocumentFactory(provider=provider, valid_until=TODAY + datetime.timedelta(days=31)),
        "edge": DocumentFactory(provider=provider, valid_until=TODAY + datetime.timedelta(days=30)),
        "today": DocumentFactory(provider=provider, valid_until=TODAY),
        "gone": DocumentFactory(provider=provider, valid_until=TODAY - datetime.timedelta(days=1)),
    }


def flags():
    return dict(QualificationDocument.objects.values_list("number", "expiry_flag"))


@pytest.mark.django_db
def test_flags_follow_the_thirty_day_window_and_rerun_changes_nothing():
    documents = make_documents()
    documents_flag_expiring(today=TODAY)
    by_number = flags()
    assert by_number[documents["no_end"].number] == ExpiryFlag.VALID
    assert by_number[documents["far"].number] == ExpiryFlag.VALID
    assert by_number[documents["edge"].number] == ExpiryFlag.EXPIRING
    assert by_number[documents["today"].number] == ExpiryFlag.EXPIRING
    assert by_number[documents["gone"].number] == ExpiryFlag.EXPIRED

    again = documents_flag_expiring(today=TODAY)
    assert sum(again.values()) == 0


@pytest.mark.django_db
def test_training_certificates_are_flagged_too():
    member = StaffMemberFactory()
    certificate = StaffDocument.objects.create(
        staff_member=member,
        kind="training",
        file="documents/x.pdf",
        issued_on=datetime.date(2024, 1, 1),
        valid_until=TODAY + datetime.timedelta(days=5),
    )
    flag_expiring_documents_task.delay(TODAY.isoformat())  # eager without REDIS_URL
    certificate.refresh_from_db()
    assert certificate.expiry_flag == ExpiryFlag.EXPIRING


@pytest.mark.django_db
def test_admin_filters_by_the_flag_and_head_sees_it(client):
    provider = ProviderFactory()
    documents = make_documents(provider)
    documents_flag_expiring(today=TODAY)

    client.force_login(officer())
    listing = client.get(
        reverse("admin:providers_qualificationdocument_changelist") + "?expiry=expiring"
    )
    shown = {row.number for row in listing.context["cl"].result_list}
    assert shown == {documents["edge"].number, documents["today"].number}

    client.force_login(head_of(provider))
    page = client.get(reverse("providers:my_provider")).content.decode()
    assert 'data-testid="expiring"' in page
    assert documents["gone"].number in page


@pytest.mark.celery_worker
@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs REDIS_URL: a real Celery worker on Redis"
)
@pytest.mark.django_db(transaction=True)
def test_the_task_runs_on_a_real_worker(real_celery_worker):
    documents = make_documents()
    result = flag_expiring_documents_task.delay(TODAY.isoformat())
    counts = result.get(timeout=60)
    assert counts["expiring"] == 2 and counts["expired"] == 1
    assert flags()[documents["gone"].number] == ExpiryFlag.EXPIRED


def test_the_flagging_runs_every_day_on_beat(settings):
    schedules = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "providers.tasks.flag_expiring_documents_task" in schedules
    from pilot.celery import app

    assert "providers.tasks.flag_expiring_documents_task" in app.tasks
