"""The officers' admin for children: card, decisions, the side-by-side duplicate review."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from recipients import services
from recipients.models import DuplicateStatus, EnrollmentStatus, PossibleDuplicate
from tests.factories import (
    ChildFactory,
    admitted_provider,
    enrollable_child,
    enrollment_for,
    officer,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(client):
    user = officer()
    client.force_login(user)
    return user


def test_child_page_shows_the_iin_warning_and_records_the_read(client, city):
    child = ChildFactory()
    child.birth_date = child.birth_date.replace(day=child.birth_date.day + 1)
    child.save()
    page = client.get(reverse("admin:recipients_child_change", args=[child.pk]))
    assert page.status_code == 200
    assert "The IIN encodes the birth date" in page.content.decode()
    assert LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS, object_pk=str(child.pk), actor=city
    ).exists()


def test_search_by_iin_and_filters(client, city):
    child = ChildFactory()
    ChildFactory()
    listing = client.get(reverse("admin:recipients_child_changelist"), {"q": child.iin})
    assert list(listing.context["cl"].result_list) == [child]
    for query in (
        {"ipar": "none"},
        {"ipar": "ending"},
        {"enrolment": "active"},
        {"district": "yesil"},
    ):
        assert client.get(reverse("admin:recipients_child_changelist"), query).status_code == 200


def test_approve_action_on_a_draft(client, city):
    child, application = enrollable_child()
    draft = enrollment_for(child, admitted_provider(), status="draft", application=application)
    client.post(
        reverse("admin:recipients_enrollment_changelist"),
        {"action": "approve", "_selected_action": [draft.pk]},
    )
    draft.refresh_from_db()
    assert draft.status == EnrollmentStatus.APPROVED


def test_duplicate_review_side_by_side_and_merge(client, city, django_capture_on_commit_callbacks):
    first = ChildFactory(last_name="Ли", first_name="Ева")
    second = ChildFactory(last_name="Ли", first_name="Ева")
    for child in (first, second):
        services.child_save(child=child, acting_user=city)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:recipients_possibleduplicate_find"))  # queued after commit
    pair = PossibleDuplicate.objects.get()
    url = reverse("admin:recipients_possibleduplicate_review", args=[pair.pk])
    page = client.get(url)
    text = page.content.decode()
    assert first.iin in text and second.iin in text
    client.post(url, {"decision": "keep_first", "comment": "One child"})
    pair.refresh_from_db()
    assert pair.status == DuplicateStatus.MERGED
    assert type(first).objects.filter(pk__in=[first.pk, second.pk]).count() == 1
