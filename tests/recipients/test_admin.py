"""The officers' admin for children: card, decisions, the side-by-side duplicate review."""

import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.jobs import FIND_DUPLICATES
from core.models import OutboxMessage
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
    import datetime

    from django.utils import timezone

    from tests.factories import IparFactory

    today = timezone.localdate()
    ending = ChildFactory(district="nura")
    IparFactory(
        child=ending,
        issued_on=today - datetime.timedelta(days=300),
        valid_until=today + datetime.timedelta(days=10),
    )
    enrollment_for(ending, admitted_provider(), start_on=today - datetime.timedelta(days=30))
    url = reverse("admin:recipients_child_changelist")

    def shown(query):
        return set(client.get(url, query).context["cl"].result_list)

    assert shown({"ipar": "ending"}) == {ending}
    assert shown({"ipar": "none"}) == {
        child,
        type(child).objects.exclude(pk__in=[child.pk, ending.pk]).get(),
    }
    assert shown({"enrolment": "active"}) == {ending}
    assert shown({"district": "nura"}) == {ending}


def test_approve_action_on_a_draft(client, city):
    child, application = enrollable_child()
    draft = enrollment_for(child, admitted_provider(), status="draft", application=application)
    url = reverse("admin:recipients_enrollment_changelist")
    confirm = client.post(url, {"action": "approve", "_selected_action": [draft.pk]})
    assert str(draft) in confirm.content.decode()  # a legal decision: shown before it is taken
    draft.refresh_from_db()
    assert draft.status == EnrollmentStatus.DRAFT
    client.post(url, {"action": "approve", "_selected_action": [draft.pk], "apply": "1"})
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
    client.post(url, {"decision": "keep_first", "comment": "One child"})  # not confirmed
    pair.refresh_from_db()
    assert pair.status == DuplicateStatus.OPEN
    client.post(url, {"decision": "keep_first", "comment": "One child", "compared": "on"})
    pair.refresh_from_db()
    assert pair.status == DuplicateStatus.MERGED
    assert type(first).objects.filter(pk__in=[first.pk, second.pk]).count() == 1


def test_ipar_services_are_checkboxes_with_names(client, city):
    from recipients.models import Ipar

    child = ChildFactory()
    page = client.get(reverse("admin:recipients_ipar_add"))
    text = page.content.decode()
    assert 'type="checkbox" name="services" value="pedagogical"' in text
    assert "Social-pedagogical" in text
    response = client.post(
        reverse("admin:recipients_ipar_add"),
        {
            "child": child.pk,
            "number": "ИПАР-1",
            "issued_on": "2026-01-01",
            "valid_until": "2027-01-01",
            "home_services": "on",
            "services": ["pedagogical", "legal"],
        },
    )
    assert response.status_code == 302
    assert Ipar.objects.get().services == ["pedagogical", "legal"]


def test_an_inspector_cannot_open_the_duplicate_review(client):
    from tests.factories import inspector

    first = ChildFactory(last_name="Ли", first_name="Ева")
    second = ChildFactory(last_name="Ли", first_name="Ева")
    for child in (first, second):
        services.child_save(child=child, acting_user=officer())
    services.duplicates_find()
    pair = PossibleDuplicate.objects.get()
    client.force_login(inspector())
    page = client.get(reverse("admin:recipients_possibleduplicate_review", args=[pair.pk]))
    assert page.status_code == 403
    assert first.iin not in page.content.decode()
    assert client.get(reverse("admin:recipients_child_changelist")).status_code == 403


def test_consent_that_a_decision_rests_on_is_not_edited_in_place(client, city):
    child, application = enrollable_child()
    enrollment_for(child, admitted_provider(), application=application)
    page = client.get(reverse("admin:recipients_serviceapplication_change", args=[application.pk]))
    form_fields = page.context["adminform"].form.fields
    assert "consent_on" not in form_fields
    assert list(form_fields["representative"].queryset) == list(child.representatives.all())


def test_the_admin_children_import_queues_the_duplicates_job(
    client, city, django_capture_on_commit_callbacks
):
    header = (
        "iin,last_name,first_name,middle_name,birth_date,sex,district,address,"
        "representative_iin,representative_name,representative_phone,representative_relation\n"
    )
    row = "220615674240,Жуманов,Мадина,,2022-06-15,F,nura,г. Астана,860508473537,Абенова,+7 701,parent\n"
    url = reverse("admin:recipients_child_import")
    page = client.get(url)
    csv_format = dict(
        (label, value) for value, label in page.context["form"].fields["format"].choices
    )["csv"]
    preview = client.post(
        url,
        {
            "resource": "0",
            "format": csv_format,
            "import_file": SimpleUploadedFile("c.csv", (header + row).encode()),
        },
    )
    confirm = preview.context["confirm_form"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(
            reverse("admin:recipients_child_process_import"),
            {name: confirm[name].value() for name in confirm.fields},
        )
    # The search is queued through the outbox: a row written with the import, sent on commit.
    message = OutboxMessage.objects.get(task=FIND_DUPLICATES, sent_at__isnull=True)
    assert callbacks
    for callback in callbacks:
        callback()
    message.refresh_from_db()
    assert message.sent_at is not None
