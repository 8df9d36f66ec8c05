"""Pages of provider heads and coordinators (own provider only) and the analysts' list."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.audit import record_access
from core.forms import add_service_error
from core.roles import PROVIDER_ROLES, Role, has_role, roles_of
from providers import selectors, services
from providers.forms import (
    DocumentUploadForm,
    PremisesForm,
    RoomFormSet,
    StaffDocumentForm,
    StaffLeaveForm,
    StaffMemberForm,
)
from providers.models import (
    AdmissionApplication,
    EquippedRoom,
    Position,
    Premises,
    Provider,
    QualificationDocument,
    RoomKind,
    StaffDocument,
)
from providers.uploads import CONTENT_TYPES, extension_of


def _own_provider(request: HttpRequest) -> Provider:
    if not roles_of(request.user) & PROVIDER_ROLES:
        raise PermissionDenied
    return get_object_or_404(selectors.providers_for_user(user=request.user))


@login_required
def my_provider(request: HttpRequest) -> HttpResponse:
    provider = _own_provider(request)
    today = timezone.localdate()
    state = selectors.readiness(provider=provider, on=today)
    application = selectors.current_application(provider)
    status_code, status_label = selectors.admission_status(provider, on=today)
    position_labels = dict(Position.choices)
    context = {
        "provider": provider,
        "status_code": status_code,
        "status_label": status_label,
        "application": application,
        "events": application.events.select_related("actor") if application else [],
        "state": state,
        "staffing": [(position_labels[line.position], line) for line in state.staffing],
        "expiring_staff_documents": selectors.expiring_staff_documents(provider)
        if has_role(request.user, Role.PROVIDER_HEAD)
        else [],
        "documents": provider.documents.select_related("premises").order_by("kind", "-issued_on"),
        "can_act": has_role(request.user, Role.PROVIDER_HEAD),
        "eligibility_errors": services.eligibility_errors(provider),
    }
    return render(request, "providers/my_provider.html", context)


def _form_page(
    request: HttpRequest,
    *,
    form: Any,
    call: Callable[[dict[str, Any]], Any],
    success: str,
    template: str,
    context: dict[str, Any],
    next_url: str = "providers:my_provider",
) -> HttpResponse:
    """A provider page whose form calls one service: its refusal shows on the form, nothing saved."""
    if request.method == "POST" and form.is_valid():
        try:
            call(form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, success)
            return redirect(next_url)
    return render(request, template, {"form": form, **context})


def _own_provider_for_head(request: HttpRequest) -> Provider:
    provider = _own_provider(request)
    if not has_role(request.user, Role.PROVIDER_HEAD):
        raise PermissionDenied
    return provider


@login_required
def upload_document(request: HttpRequest) -> HttpResponse:
    provider = _own_provider_for_head(request)
    return _form_page(
        request,
        form=DocumentUploadForm(request.POST or None, request.FILES or None, provider=provider),
        call=lambda data: services.document_upload(
            provider=provider, acting_user=request.user, **data
        ),
        success=_("The document was uploaded and awaits review."),
        template="providers/upload_document.html",
        context={"provider": provider},
    )


@login_required
def premises(request: HttpRequest) -> HttpResponse:
    provider = _own_provider(request)
    can_edit = has_role(request.user, Role.PROVIDER_HEAD)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied
    return _form_page(
        request,
        form=PremisesForm(request.POST or None),
        call=lambda data: services.premises_add(
            provider=provider, acting_user=request.user, **data
        ),
        success=_("The premises were added."),
        template="providers/premises.html",
        context={
            "provider": provider,
            "can_edit": can_edit,
            "places": Premises.objects.filter(provider=provider),
        },
        next_url="providers:premises",
    )


@login_required
def staff(request: HttpRequest) -> HttpResponse:
    provider = _own_provider_for_head(request)
    can_edit = True
    members = (
        selectors.staff_for_user(user=request.user)
        .filter(provider=provider)
        .prefetch_related("documents")
        .order_by("left_on", selectors.position_order(), "full_name")
    )
    return _form_page(
        request,
        form=StaffMemberForm(request.POST or None),
        call=lambda data: services.staff_member_add(
            provider=provider, acting_user=request.user, **data
        ),
        success=_("The worker was added to the staff."),
        template="providers/staff.html",
        context={"provider": provider, "can_edit": can_edit, "members": members},
        next_url="providers:staff",
    )


@login_required
def staff_member(request: HttpRequest, pk: int) -> HttpResponse:
    """A worker's card: documents, certificate upload, leaving. Opening it is recorded."""
    provider = _own_provider_for_head(request)
    member = get_object_or_404(selectors.staff_for_user(user=request.user), pk=pk)
    can_edit = True
    if request.method == "GET":
        record_access(member, user=request.user, what="page")
    leave_form = StaffLeaveForm(request.POST if "leave" in request.POST else None)
    if "leave" in request.POST and leave_form.is_valid():
        try:
            services.staff_member_leave(
                member=member, acting_user=request.user, **leave_form.cleaned_data
            )
        except ValidationError as error:
            add_service_error(leave_form, error)
        else:
            messages.success(request, _("The worker's leaving date was saved."))
            return redirect("providers:staff")
    posted = request.method == "POST" and "leave" not in request.POST
    return _form_page(
        request,
        form=StaffDocumentForm(request.POST if posted else None, request.FILES if posted else None),
        call=lambda data: services.staff_document_upload(
            member=member, acting_user=request.user, **data
        ),
        success=_("The document was uploaded and awaits review."),
        template="providers/staff_member.html",
        context={
            "provider": provider,
            "member": member,
            "can_edit": can_edit,
            "leave_form": leave_form,
            "documents": member.documents.all(),
        },
        next_url="providers:staff",
    )


@login_required
def rooms(request: HttpRequest) -> HttpResponse:
    provider = _own_provider(request)
    can_edit = has_role(request.user, Role.PROVIDER_HEAD)
    existing = {room.kind: room for room in EquippedRoom.objects.filter(provider=provider)}
    initial = [
        {
            "kind": kind.value,
            "equipped": existing[kind.value].equipped if kind.value in existing else False,
            "inventory": existing[kind.value].inventory if kind.value in existing else "",
        }
        for kind in RoomKind
    ]
    formset = RoomFormSet(request.POST or None, initial=initial)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if formset.is_valid():
            try:
                services.rooms_set(
                    provider=provider,
                    rooms=[form.cleaned_data for form in formset.forms],
                    acting_user=request.user,
                )
            except ValidationError as error:
                for message in error.messages:
                    messages.error(request, message)
            else:
                messages.success(request, _("The rooms were saved."))
                return redirect("providers:my_provider")
    labels = dict(RoomKind.choices)
    rows = [(labels[form.initial["kind"]], form) for form in formset.forms]
    return render(
        request,
        "providers/rooms.html",
        {"formset": formset, "rows": rows, "provider": provider, "can_edit": can_edit},
    )


def _application_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    provider = _own_provider(request)
    if action == "create":
        call = lambda: services.application_create(provider=provider, acting_user=request.user)  # noqa: E731
        done = _("The application was created. Upload the documents, then submit it.")
    else:
        application = get_object_or_404(selectors.applications_for_user(user=request.user), pk=pk)
        if action == "submit":
            call = lambda: services.application_submit(  # noqa: E731
                application=application, acting_user=request.user
            )
            done = _("The application was submitted to the akimat.")
        elif action == "request_inspection":
            call = lambda: services.application_request_inspection(  # noqa: E731
                application=application, acting_user=request.user
            )
            done = _("The accessibility inspection was requested.")
        else:
            raise Http404
    try:
        call()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)
    return redirect("providers:my_provider")


@login_required
@require_POST
def application_create(request: HttpRequest) -> HttpResponse:
    return _application_action(request, 0, "create")


@login_required
@require_POST
def application_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _application_action(request, pk, "submit")


@login_required
@require_POST
def application_request_inspection(request: HttpRequest, pk: int) -> HttpResponse:
    return _application_action(request, pk, "request_inspection")


def _stream(request: HttpRequest, document: QualificationDocument | StaffDocument) -> FileResponse:
    """Stream an uploaded document to someone allowed to see it; the read is recorded."""
    record_access(document, user=request.user, what="file")
    extension = extension_of(document.file.name)
    content_type = CONTENT_TYPES.get(extension) or mimetypes.guess_type(document.file.name)[0]
    response = FileResponse(
        document.file.open("rb"),
        content_type=content_type or "application/octet-stream",
        as_attachment=False,
        filename=f"document-{document.pk}.{extension}",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def document_file(request: HttpRequest, pk: int) -> FileResponse:
    return _stream(
        request, get_object_or_404(selectors.documents_for_user(user=request.user), pk=pk)
    )


@login_required
def staff_document_file(request: HttpRequest, pk: int) -> FileResponse:
    return _stream(
        request, get_object_or_404(selectors.staff_documents_for_user(user=request.user), pk=pk)
    )


@login_required
def participants(request: HttpRequest) -> HttpResponse:
    """The list of pilot participants: organisations only, no personal data (analysts too)."""
    if not roles_of(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    rows = selectors.providers_with_status(user=request.user, on=today)
    totals = AdmissionApplication.objects.aggregate(
        submitted=Count("pk", filter=Q(submitted_at__isnull=False)),
        approved=Count("pk", filter=Q(status="approved")),
    )
    return render(
        request,
        "providers/participants.html",
        {"rows": rows, "today": today, "totals": totals},
    )
