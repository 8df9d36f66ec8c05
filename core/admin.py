from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from core.audit import record_access
from core.models import User

admin.site.site_header = _("Astana pilot portal — akimat")
admin.site.site_title = _("Astana pilot portal")
admin.site.index_title = _("Administration of the pilot")
# The left menu takes a third of a 1366-pixel screen from the lists officers work in.
admin.site.enable_nav_sidebar = False


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (_("Organisation"), {"fields": ("provider",)}),
    )
    add_fieldsets = (
        *(UserAdmin.add_fieldsets or ()),
        (_("Role and organisation"), {"fields": ("groups", "provider")}),
    )
    list_display = ("username", "get_full_name", "provider", "is_active", "last_login")
    list_filter = ("groups", "is_active", "is_staff", "provider")
    list_select_related = ("provider",)
    autocomplete_fields = ("provider",)


class AccessLoggedAdminMixin:
    """Records every opening of a record's change page in the audit trail."""

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
        if request.method == "GET" and response.status_code == 200:
            obj = self.get_object(request, object_id)  # type: ignore[attr-defined]
            if obj is not None:
                record_access(obj, user=request.user, what="admin")
        return response


def service_action(
    *,
    name: str,
    description: Any,
    form_class: type[forms.Form] | None,
    call: Callable[[Any, dict[str, Any], Any], Any],
    permission: str = "change",
    precheck: Callable[[Any], Any] | None = None,
    warn: Callable[[Any], Any] | None = None,
) -> Callable[..., HttpResponse | None]:
    """An admin action that calls a service once per selected object.

    With a form, the action first shows an intermediate page (decision number, reasons, …).
    `precheck` names, before that page, the objects the action cannot apply to (a cheap status
    check; the service still decides). `warn` gives, for the intermediate page and from the
    whole selection, what the user should know before confirming (a list of messages; it does
    not stop the action). A refusal by the service is reported for that object and changes
    nothing for it.
    """

    def action(
        modeladmin: admin.ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Any]
    ) -> HttpResponse | None:
        if precheck is not None:
            problems = [(obj, problem) for obj in queryset if (problem := precheck(obj))]
            if problems:
                for obj, problem in problems:
                    modeladmin.message_user(request, f"{obj}: {problem}", messages.ERROR)
                return None
        form = None
        if form_class is not None:
            form = form_class(request.POST) if "apply" in request.POST else form_class()
            if not form.is_bound or not form.is_valid():
                context = {
                    **modeladmin.admin_site.each_context(request),
                    "title": description,
                    "form": form,
                    "objects": queryset,
                    "warnings": warn(queryset) if warn is not None else [],
                    "action_name": request.POST.get("action"),
                    "opts": modeladmin.model._meta,
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                }
                return TemplateResponse(request, "admin/service_action.html", context)
        data = form.cleaned_data if form is not None else {}
        done = 0
        for obj in queryset:
            try:
                call(obj, data, request.user)
            except (ValidationError, PermissionDenied) as error:
                text = " ".join(getattr(error, "messages", [str(error)]))
                modeladmin.message_user(request, f"{obj}: {text}", messages.ERROR)
            else:
                done += 1
        if done:
            modeladmin.message_user(
                request, _("Done for %(count)d record(s).") % {"count": done}, messages.SUCCESS
            )
        return None

    action.short_description = description  # type: ignore[attr-defined]
    action.allowed_permissions = (permission,)  # type: ignore[attr-defined]
    action.__name__ = name
    return action
