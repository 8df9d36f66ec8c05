"""The coordinator's and head's pages: a day of visits, one visit, schedules (phone first).

Every POST calls one service; a refusal is shown on the form and nothing is saved. Each view
takes the provider from the signed-in user, so a centre's staff never reach another's records.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.audit import record_access
from core.forms import add_service_error
from core.roles import PROVIDER_ROLES, Role, has_role, roles_of
from providers.uploads import CONTENT_TYPES, extension_of
from recipients import selectors as recipient_selectors
from recipients.models import Enrollment, EnrollmentStatus, NeedsAssessment, ServiceKind
from services import ports, selectors, services
from services.forms import (
    ConfirmForm,
    CorrectForm,
    DoneForm,
    NewVisitForm,
    PinForm,
    ReasonForm,
    ScheduleForm,
    SlotFormSet,
)
from services.models import CatalogueService, Schedule, ScheduleStatus, Visit, VisitStatus
from services.rules import WEEKDAY_NAMES


def _provider_id(request: HttpRequest) -> int:
    """The signed-in provider staff member's provider; anyone else is refused."""
    provider_id = getattr(request.user, "provider_id", None)
    if not (roles_of(request.user) & PROVIDER_ROLES) or not provider_id:
        raise PermissionDenied
    return int(provider_id)


def _day(value: str | None) -> datetime.date:
    if value:
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    return timezone.localdate()


@login_required
def day(request: HttpRequest) -> HttpResponse:
    """The visits of one day (today by default), in time order, with what is still to do."""
    provider_id = _provider_id(request)
    shown = _day(request.GET.get("day"))
    visits = list(
        selectors.visits_for_user(user=request.user)
        .filter(date=shown)
        .select_related("staff")
        .order_by("start", "child__last_name", "pk")
    )
    weekday = services.schedule_weekday_of(shown)
    return render(
        request,
        "services/day.html",
        {
            "shown": shown,
            "today": timezone.localdate(),
            "previous": shown - datetime.timedelta(days=1),
            "next": shown + datetime.timedelta(days=1),
            "visits": visits,
            "no_visits_day": weekday is None,
            "to_confirm": sum(
                1 for visit in visits if visit.status == VisitStatus.DONE and not visit.is_confirmed
            ),
            "to_log": sum(1 for visit in visits if visit.status == VisitStatus.PLANNED),
            "provider_id": provider_id,
        },
    )


def _visit_for(request: HttpRequest, pk: int) -> Visit:
    _provider_id(request)
    return get_object_or_404(
        selectors.visits_for_user(user=request.user).select_related(
            "staff", "confirmation_recorded_by"
        ),
        pk=pk,
    )


def _service_names(codes: list[str]) -> list[str]:
    names = dict(ServiceKind.choices)
    catalogue = {
        service.code: service.name for service in CatalogueService.objects.filter(code__in=codes)
    }
    return [str(catalogue.get(code) or names.get(code) or code) for code in codes]


def _visit_page(request: HttpRequest, visit: Visit, **forms: Any) -> HttpResponse:
    if forms:  # shown again after a refusal: a read of the child's data too
        record_access(visit.child, user=request.user, what="visit")
    editable = not visit.is_confirmed and visit.status != VisitStatus.CANCELLED
    day_ = visit.date
    initial = {
        "start": visit.start,
        "end": visit.end,
        "staff": visit.staff_id,
        "services": visit.services,
    }
    context = {
        "visit": visit,
        "service_names": _service_names(visit.services),
        "editable": editable,
        "is_head": has_role(request.user, Role.PROVIDER_HEAD),
        "future": visit.date > timezone.localdate(),
        "done_form": forms.get("done_form")
        or DoneForm(initial=initial, provider_id=visit.provider_id, day=day_),
        "missed_form": forms.get("missed_form") or ReasonForm(prefix="missed"),
        "cancel_form": forms.get("cancel_form") or ReasonForm(prefix="cancel"),
        "confirm_form": forms.get("confirm_form") or ConfirmForm(),
        "open": forms.get("open", ""),
        "corrections": visit.corrections.select_related("corrected_by"),
        "billing": _billing(visit),
    }
    return render(request, "services/visit.html", context, status=400 if forms else 200)


def _billing(visit: Visit) -> dict[str, Any] | None:
    """Whether a done visit is paid, by the same rules as the month's bill (domain.md §6)."""
    if visit.status != VisitStatus.DONE:
        return None
    return ports.visit_billing(visit)


@login_required
def visit(request: HttpRequest, pk: int) -> HttpResponse:
    """One visit, opened in one tap from the day: log it, mark it missed, confirm it."""
    found = _visit_for(request, pk)
    record_access(found.child, user=request.user, what="visit")
    return _visit_page(request, found)


def _after(request: HttpRequest, visit: Visit, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect(reverse("services:visit", args=[visit.pk]))


@login_required
@require_POST
def visit_done(request: HttpRequest, pk: int) -> HttpResponse:
    found = _visit_for(request, pk)
    form = DoneForm(request.POST, provider_id=found.provider_id, day=found.date)
    if form.is_valid():
        try:
            services.visit_mark_done(visit=found, acting_user=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            return _after(request, found, _("The visit is marked done."))
    return _visit_page(request, found, done_form=form, open="done")


def _with_reason(
    request: HttpRequest, pk: int, *, prefix: str, call: Any, success: str
) -> HttpResponse:
    """Mark a visit missed or cancelled: both need a reason, and both keep it."""
    found = _visit_for(request, pk)
    form = ReasonForm(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            call(visit=found, reason=form.cleaned_data["reason"], acting_user=request.user)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            return _after(request, found, success)
    return _visit_page(request, found, **{f"{prefix}_form": form, "open": prefix})


@login_required
@require_POST
def visit_missed(request: HttpRequest, pk: int) -> HttpResponse:
    return _with_reason(
        request,
        pk,
        prefix="missed",
        call=services.visit_mark_missed,
        success=_("The visit is marked missed."),
    )


@login_required
@require_POST
def visit_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _with_reason(
        request,
        pk,
        prefix="cancel",
        call=services.visit_cancel,
        success=_("The visit is cancelled."),
    )


@login_required
@require_POST
def visit_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    found = _visit_for(request, pk)
    form = ConfirmForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.visit_confirm(
                visit=found,
                method=data["method"],
                signature=data.get("signature") or "",
                pin=data.get("pin") or "",
                scan=data.get("scan"),
                acting_user=request.user,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            return _after(request, found, _("The representative's confirmation is recorded."))
    return _visit_page(request, found, confirm_form=form, open="confirm")


@login_required
def visit_new(request: HttpRequest) -> HttpResponse:
    """An unplanned visit; a repeated submit (flaky network) finds the visit it already made."""
    provider_id = _provider_id(request)
    shown = _day(request.POST.get("date") or request.GET.get("day"))
    form = NewVisitForm(request.POST or None, provider_id=provider_id, day=shown)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created, is_new = services.visit_create(
                provider_id=provider_id,
                child=data["child"],
                setting=data["setting"],
                date=data["date"],
                start=data["start"],
                end=data["end"],
                status=data["status"],
                services=data["services"],
                staff=data["staff"],
                visit_id=data["client_id"],
                acting_user=request.user,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            return _after(
                request,
                created,
                _("The visit is added.") if is_new else _("This visit was already added."),
            )
    return render(
        request,
        "services/visit_new.html",
        {"form": form, "shown": shown},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def visit_correct(request: HttpRequest, pk: int) -> HttpResponse:
    """The head corrects a visit, confirmed or not; the reason goes to the audit trail."""
    found = _visit_for(request, pk)
    if not has_role(request.user, Role.PROVIDER_HEAD):
        raise PermissionDenied
    initial = {
        "setting": found.setting,
        "status": found.status,
        "start": found.start,
        "end": found.end,
        "staff": found.staff_id,
        "services": found.services,
        "missed_reason": found.missed_reason,
    }
    record_access(found.child, user=request.user, what="visit correction")
    form = CorrectForm(
        request.POST or None, initial=initial, provider_id=found.provider_id, day=found.date
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason")
        try:
            services.visit_correct(
                visit=found, reason=reason, changes=data, acting_user=request.user
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            return _after(request, found, _("The correction is recorded."))
    return render(request, "services/visit_correct.html", {"form": form, "visit": found})


def _stream(request: HttpRequest, visit: Visit, field: str) -> FileResponse:
    stored = getattr(visit, field)
    if not stored:
        raise Http404
    record_access(visit, user=request.user, what=field)
    extension = extension_of(stored.name)
    # A neutral name of facts that are no one's personal data: files stored before names
    # were random kept the uploaded name ("Иванов_Данияр_<IIN>_журнал.pdf").
    kind = "signature" if field == "signature" else "journal"
    name = f"{kind}-{visit.provider.bin}-{visit.date:%Y-%m}-visit{visit.pk}.{extension or 'bin'}"
    response = FileResponse(
        stored.open("rb"),
        content_type=CONTENT_TYPES.get(extension, "application/octet-stream"),
        as_attachment=False,
        filename=name,
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def visit_signature(request: HttpRequest, pk: int) -> FileResponse:
    return _stream(request, _visit_for_file(request, pk), "signature")


@login_required
def visit_scan(request: HttpRequest, pk: int) -> FileResponse:
    return _stream(request, _visit_for_file(request, pk), "paper_scan")


def _visit_for_file(request: HttpRequest, pk: int) -> Visit:
    """The akimat (from the admin) and the provider's own staff may open the stored proof."""
    return get_object_or_404(selectors.visits_for_user(user=request.user), pk=pk)


# --- schedules ---------------------------------------------------------------------------------


def _enrollment_of(request: HttpRequest, child_pk: int) -> Enrollment:
    provider_id = _provider_id(request)
    child = get_object_or_404(recipient_selectors.children_for_user(user=request.user), pk=child_pk)
    enrollment = (
        Enrollment.objects.filter(
            child=child, provider_id=provider_id, status=EnrollmentStatus.APPROVED
        )
        .select_related("child", "provider")
        .order_by("-start_on")
        .first()
    )
    if enrollment is None:
        raise Http404
    return enrollment


@login_required
def schedules(request: HttpRequest, pk: int) -> HttpResponse:
    """A child's schedule versions, the one in force, and the assessment's recommendation."""
    enrollment = _enrollment_of(request, pk)
    record_access(enrollment.child, user=request.user, what="schedule")
    versions = list(
        enrollment.schedules.select_related("approved_by", "created_by")
        .prefetch_related("slots__staff")
        .annotate(
            home=Count("slots", filter=Q(slots__setting="home")),
            centre=Count("slots", filter=Q(slots__setting="centre")),
        )
    )
    for version in versions:
        version.problems = (  # type: ignore[attr-defined]
            services.schedule_problems(version) if version.status == ScheduleStatus.DRAFT else []
        )
    today = timezone.localdate()
    in_force = next(
        (
            version
            for version in sorted(versions, key=lambda v: v.valid_from, reverse=True)
            if version.status == ScheduleStatus.APPROVED and version.valid_from <= today
        ),
        None,
    )
    return render(
        request,
        "services/schedules.html",
        {
            "enrollment": enrollment,
            "child": enrollment.child,
            "versions": versions,
            "in_force": in_force,
            "assessment": _assessment(enrollment),
            "weekday_names": WEEKDAY_NAMES,
            "is_head": has_role(request.user, Role.PROVIDER_HEAD),
        },
    )


def _assessment(enrollment: Enrollment) -> NeedsAssessment | None:
    return (
        NeedsAssessment.objects.filter(child_id=enrollment.child_id)
        .order_by("-assessed_on", "-pk")
        .first()
    )


def _slots(formset: Any) -> list[dict[str, Any]]:
    return [
        {key: value for key, value in form.cleaned_data.items() if key != "DELETE"}
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


def _schedule_page(
    request: HttpRequest,
    *,
    enrollment: Enrollment,
    schedule: Schedule | None,
    initial: dict[str, Any],
    initial_slots: list[dict[str, Any]],
) -> HttpResponse:
    record_access(enrollment.child, user=request.user, what="schedule")
    form = ScheduleForm(request.POST or None, initial=initial)
    formset = SlotFormSet(
        request.POST or None,
        initial=initial_slots,
        prefix="slots",
        form_kwargs={"provider_id": enrollment.provider_id},
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        try:
            if schedule is None:
                schedule = services.schedule_create(
                    enrollment=enrollment,
                    valid_from=data["valid_from"],
                    centre_reason=data["centre_reason"],
                    slots=_slots(formset),
                    acting_user=request.user,
                )
            else:
                services.schedule_update(
                    schedule=schedule,
                    valid_from=data["valid_from"],
                    centre_reason=data["centre_reason"],
                    slots=_slots(formset),
                    acting_user=request.user,
                )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The schedule is saved as a draft."))
            return redirect(reverse("services:schedules", args=[enrollment.child_id]))
    return render(
        request,
        "services/schedule_edit.html",
        {
            "form": form,
            "formset": formset,
            "enrollment": enrollment,
            "child": enrollment.child,
            "schedule": schedule,
            "assessment": _assessment(enrollment),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def schedule_new(request: HttpRequest, pk: int) -> HttpResponse:
    """A new draft version, prefilled from the latest version."""
    enrollment = _enrollment_of(request, pk)
    latest = enrollment.schedules.prefetch_related("slots").order_by("-version").first()
    slots = (
        [
            {
                "weekday": slot.weekday,
                "setting": slot.setting,
                "start": slot.start,
                "duration_minutes": slot.duration_minutes,
                "staff": slot.staff_id,
            }
            for slot in latest.slots.all()
        ]
        if latest
        else []
    )
    valid_from = max(enrollment.start_on, timezone.localdate() + datetime.timedelta(days=1))
    return _schedule_page(
        request,
        enrollment=enrollment,
        schedule=None,
        initial={"valid_from": valid_from, "centre_reason": latest.centre_reason if latest else ""},
        initial_slots=slots,
    )


def _schedule_for(request: HttpRequest, pk: int) -> Schedule:
    provider_id = _provider_id(request)
    return get_object_or_404(
        Schedule.objects.select_related("enrollment__child", "enrollment__provider"),
        pk=pk,
        enrollment__provider_id=provider_id,
    )


@login_required
def schedule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = _schedule_for(request, pk)
    if schedule.status != ScheduleStatus.DRAFT:
        messages.error(request, _("An approved schedule cannot be changed; prepare a new version."))
        return redirect(reverse("services:schedules", args=[schedule.enrollment.child_id]))
    return _schedule_page(
        request,
        enrollment=schedule.enrollment,
        schedule=schedule,
        initial={"valid_from": schedule.valid_from, "centre_reason": schedule.centre_reason},
        initial_slots=[
            {
                "weekday": slot.weekday,
                "setting": slot.setting,
                "start": slot.start,
                "duration_minutes": slot.duration_minutes,
                "staff": slot.staff_id,
            }
            for slot in schedule.slots.all()
        ],
    )


@login_required
@require_POST
def schedule_approve(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = _schedule_for(request, pk)
    try:
        services.schedule_approve(schedule=schedule, acting_user=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("Version %(version)d is approved and applies from %(day)s.")
            % {"version": schedule.version, "day": f"{schedule.valid_from:%d.%m.%Y}"},
        )
    return redirect(reverse("services:schedules", args=[schedule.enrollment.child_id]))


@login_required
def set_pin(request: HttpRequest, pk: int) -> HttpResponse:
    """The representative types the PIN they chose on the coordinator's device (at enrolment)."""
    provider_id = _provider_id(request)
    enrollment = get_object_or_404(
        Enrollment.objects.select_related("child"),
        pk=pk,
        provider_id=provider_id,
        status=EnrollmentStatus.APPROVED,
    )
    record_access(enrollment.child, user=request.user, what="PIN")
    form = PinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.enrollment_set_pin(
                enrollment=enrollment, pin=form.cleaned_data["pin"], acting_user=request.user
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The representative's PIN is set."))
            return redirect(reverse("recipients:child", args=[enrollment.child_id]))
    return render(request, "services/set_pin.html", {"form": form, "enrollment": enrollment})
