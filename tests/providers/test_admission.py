"""The admission workflow: every transition and every refusal (domain.md §3)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from providers import services
from providers.models import (
    ApplicationEvent,
    ApplicationStatus,
    DocumentKind,
    InspectionResult,
    ReviewStatus,
    Sector,
)
from tests.factories import (
    DocumentFactory,
    ProviderFactory,
    analyst,
    coordinator_of,
    head_of,
    inspector,
    officer,
    qualified_provider,
)

pytestmark = pytest.mark.django_db
DECISION_DAY = datetime.date(2026, 6, 5)


def error_codes(error: ValidationError) -> set[str]:
    if hasattr(error, "error_dict"):
        return {e.code for errors in error.error_dict.values() for e in errors}
    return {e.code for e in error.error_list}


def walk_to(status, provider=None):
    """Given a qualified provider, move its application up to `status` through the services."""
    provider = provider or qualified_provider()
    head, city, committee = head_of(provider), officer(), inspector()
    application = services.application_create(provider=provider, acting_user=head)
    if status == ApplicationStatus.DRAFT:
        return application, head, city, committee
    services.application_submit(application=application, acting_user=head)
    if status == ApplicationStatus.SUBMITTED:
        return application, head, city, committee
    services.application_request_inspection(application=application, acting_user=head)
    if status == ApplicationStatus.INSPECTION_REQUESTED:
        return application, head, city, committee
    services.application_record_inspection(
        application=application,
        result=InspectionResult.ACCESSIBLE,
        inspected_on=datetime.date.today(),
        acting_user=committee,
    )
    return application, head, city, committee


def test_full_path_to_approval_puts_provider_on_the_list_from_the_decision_date():
    application, _head, city, _ = walk_to(ApplicationStatus.INSPECTED)
    decision_day = datetime.date.today()

    services.application_approve(
        application=application,
        decision_number="РЕШ-1",
        decision_date=decision_day,
        acting_user=city,
    )

    application.refresh_from_db()
    provider = application.provider
    provider.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert provider.admitted_on == decision_day
    assert provider.is_participant_on(decision_day)
    assert not provider.is_participant_on(decision_day - datetime.timedelta(days=1))
    steps = list(application.events.values_list("to_status", "actor"))
    assert [s for s, _ in steps] == [
        "draft",
        "submitted",
        "inspection_requested",
        "inspected",
        "approved",
    ]
    assert steps[-1][1] == city.pk


def test_state_body_cannot_apply():
    provider = ProviderFactory(sector=Sector.STATE, legal_form="КГУ")
    with pytest.raises(ValidationError) as error:
        services.application_create(provider=provider, acting_user=head_of(provider))
    assert error_codes(error.value) == {"state_body"}
    assert not provider.applications.exists()


def test_licence_without_home_care_cannot_apply():
    provider = ProviderFactory(license_home_care=False)
    with pytest.raises(ValidationError) as error:
        services.application_create(provider=provider, acting_user=head_of(provider))
    assert error_codes(error.value) == {"license_without_home_care"}


def test_submission_refused_while_a_document_is_missing_and_nothing_changes():
    provider = qualified_provider()
    provider.documents.filter(kind=DocumentKind.SANITARY_CONCLUSION).delete()
    application, head, *_ = walk_to(ApplicationStatus.DRAFT, provider)

    with pytest.raises(ValidationError) as error:
        services.application_submit(application=application, acting_user=head)

    assert error_codes(error.value) == {"requirements_missing"}
    assert "Sanitary-epidemiological conclusion" in error.value.messages[0]
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT
    assert application.submitted_at is None


def test_submission_refused_while_a_document_is_out_of_date():
    provider = qualified_provider()
    provider.documents.filter(kind=DocumentKind.FIRE_INSPECTION_ACT).update(
        valid_until=datetime.date.today() - datetime.timedelta(days=1)
    )
    application, head, *_ = walk_to(ApplicationStatus.DRAFT, provider)
    with pytest.raises(ValidationError) as error:
        services.application_submit(application=application, acting_user=head)
    assert "out of date" in error.value.messages[0]
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT


def test_submission_refused_while_a_room_is_not_equipped():
    provider = qualified_provider()
    provider.rooms.filter(kind="music").update(equipped=False)
    application, head, *_ = walk_to(ApplicationStatus.DRAFT, provider)
    with pytest.raises(ValidationError):
        services.application_submit(application=application, acting_user=head)


def test_approval_needs_every_document_accepted():
    provider = qualified_provider(accepted=False)
    application, _head, city, _ = walk_to(ApplicationStatus.INSPECTED, provider)
    with pytest.raises(ValidationError) as error:
        services.application_approve(
            application=application,
            decision_number="РЕШ-2",
            decision_date=datetime.date.today(),
            acting_user=city,
        )
    assert error_codes(error.value) == {"requirements_missing"}
    provider.refresh_from_db()
    assert provider.admitted_on is None


def test_approval_refused_when_inspectors_found_premises_not_accessible():
    application, _head, city, committee = walk_to(ApplicationStatus.INSPECTION_REQUESTED)
    services.application_record_inspection(
        application=application,
        result=InspectionResult.NOT_ACCESSIBLE,
        inspected_on=datetime.date.today(),
        notes="No ramp at the entrance",
        acting_user=committee,
    )
    with pytest.raises(ValidationError) as error:
        services.application_approve(
            application=application,
            decision_number="РЕШ-3",
            decision_date=datetime.date.today(),
            acting_user=city,
        )
    assert error_codes(error.value) == {"not_accessible"}


def test_return_and_resubmit_then_reject():
    application, head, city, _ = walk_to(ApplicationStatus.SUBMITTED)
    services.application_return(
        application=application, reasons="The lease copy is unreadable", acting_user=city
    )
    application.refresh_from_db()
    assert application.status == ApplicationStatus.RETURNED
    assert application.reasons == "The lease copy is unreadable"

    services.application_submit(application=application, acting_user=head)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED

    services.application_reject(application=application, reasons="Not qualified", acting_user=city)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED
    assert ApplicationEvent.objects.filter(application=application).count() == 5


@pytest.mark.parametrize("service", ["application_return", "application_reject"])
def test_refusals_need_reasons(service):
    application, _head, city, _ = walk_to(ApplicationStatus.SUBMITTED)
    with pytest.raises(ValidationError) as error:
        getattr(services, service)(application=application, reasons="  ", acting_user=city)
    assert error_codes(error.value) == {"reasons_required"}


def test_transitions_out_of_order_are_refused():
    application, head, city, _committee = walk_to(ApplicationStatus.DRAFT)
    with pytest.raises(ValidationError) as error:
        services.application_request_inspection(application=application, acting_user=head)
    assert error_codes(error.value) == {"invalid_transition"}
    with pytest.raises(ValidationError):
        services.application_approve(
            application=application,
            decision_number="X",
            decision_date=DECISION_DAY,
            acting_user=city,
        )


def test_wrong_roles_are_refused():
    application, head, city, committee = walk_to(ApplicationStatus.SUBMITTED)
    other_head = head_of(ProviderFactory())
    with pytest.raises(PermissionDenied):
        services.application_request_inspection(application=application, acting_user=other_head)
    with pytest.raises(PermissionDenied):
        services.application_approve(
            application=application,
            decision_number="X",
            decision_date=DECISION_DAY,
            acting_user=head,
        )
    with pytest.raises(PermissionDenied):
        services.application_return(application=application, reasons="x", acting_user=committee)
    with pytest.raises(PermissionDenied):
        services.application_submit(
            application=application, acting_user=coordinator_of(application.provider)
        )
    services.application_request_inspection(application=application, acting_user=head)
    for user in (head, city, analyst()):
        with pytest.raises(PermissionDenied):
            services.application_record_inspection(
                application=application,
                result=InspectionResult.ACCESSIBLE,
                inspected_on=datetime.date.today(),
                acting_user=user,
            )
    application.refresh_from_db()
    assert application.status == ApplicationStatus.INSPECTION_REQUESTED


def test_only_one_open_application_per_provider():
    application, head, *_ = walk_to(ApplicationStatus.DRAFT)
    with pytest.raises(ValidationError) as error:
        services.application_create(provider=application.provider, acting_user=head)
    assert error_codes(error.value) == {"application_open"}


def test_exclusion_from_a_date_ends_participation_that_day():
    application, _head, city, _ = walk_to(ApplicationStatus.INSPECTED)
    day = datetime.date.today()
    services.application_approve(
        application=application, decision_number="Р-9", decision_date=day, acting_user=city
    )
    provider = application.provider
    excluded_on = day + datetime.timedelta(days=10)
    services.provider_exclude(provider=provider, on=excluded_on, reason="Closed", acting_user=city)
    provider.refresh_from_db()
    assert provider.is_participant_on(excluded_on - datetime.timedelta(days=1))
    assert not provider.is_participant_on(excluded_on)
    with pytest.raises(ValidationError):
        services.provider_exclude(
            provider=provider, on=excluded_on, reason="again", acting_user=city
        )


def test_document_review_reject_needs_reason_and_role():
    document = DocumentFactory()
    with pytest.raises(ValidationError):
        services.document_review(
            document=document, status=ReviewStatus.REJECTED, acting_user=officer()
        )
    with pytest.raises(PermissionDenied):
        services.document_review(
            document=document, status=ReviewStatus.ACCEPTED, acting_user=head_of(document.provider)
        )
    services.document_review(
        document=document,
        status=ReviewStatus.REJECTED,
        reason="Unreadable",
        acting_user=inspector(),
    )
    document.refresh_from_db()
    assert document.review_status == ReviewStatus.REJECTED
    assert document.reviewed_by is not None


def test_admin_approve_names_applications_that_are_not_inspected_before_asking(client):
    from django.urls import reverse

    application, _head, city, _ = walk_to(ApplicationStatus.SUBMITTED)
    client.force_login(city)
    response = client.post(
        reverse("admin:providers_admissionapplication_changelist"),
        {"action": "approve", "_selected_action": [application.pk]},
        follow=True,
    )
    text = response.content.decode()
    assert "Only an inspected application can be approved." in text
    assert 'name="decision_number"' not in text
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED


def test_admin_approve_with_the_decision_form(client):
    from django.urls import reverse

    application, _head, city, _ = walk_to(ApplicationStatus.INSPECTED)
    client.force_login(city)
    url = reverse("admin:providers_admissionapplication_changelist")
    form_page = client.post(url, {"action": "approve", "_selected_action": [application.pk]})
    assert 'name="decision_number"' in form_page.content.decode()
    client.post(
        url,
        {
            "action": "approve",
            "_selected_action": [application.pk],
            "apply": "1",
            "decision_number": "РЕШ-77",
            "decision_date": datetime.date.today().isoformat(),
        },
    )
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert application.decision_number == "РЕШ-77"


def test_a_corrected_document_goes_back_to_review_and_inspectors_cannot_edit(client):
    from django.urls import reverse

    from providers.models import QualificationDocument

    document = DocumentFactory(
        review_status=ReviewStatus.ACCEPTED, valid_until=datetime.date(2027, 1, 1)
    )
    url = reverse("admin:providers_qualificationdocument_change", args=[document.pk])

    client.force_login(inspector())
    page = client.get(url)
    assert page.status_code == 200 and "adminform" in page.context
    assert page.context["has_change_permission"] is False
    client.post(url, {"number": "HACKED", "issued_on": "2026-01-10", "valid_until": "2030-01-01"})
    document.refresh_from_db()
    assert document.number != "HACKED"

    client.force_login(officer())
    response = client.post(
        url, {"number": "N-NEW", "issued_on": "2026-01-10", "valid_until": "2027-06-30"}
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert (document.number, document.review_status) == ("N-NEW", ReviewStatus.PENDING)
    assert QualificationDocument.objects.count() == 1
