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
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin
from knox.models import AuthToken

from core import tokens
from core.audit import record_access
from core.models import User
from core.ports import Port
from core.roles import Role, has_role


def _exchange_resources(model: type[Any]) -> list[type[Any]]:
    """The import-export resources of `model`: its exchange file(s), read and checked by the
    rules of `import_dataset`."""
    raise NotImplementedError


# The exchange engine knows every app's files, so it sits above them; it provides their
# admins' import and export (exchange.apps.ExchangeConfig.ready).
exchange_resources = Port("the exchange resources of a model", _exchange_resources)


class ExchangeMixin(ImportExportMixin):
    """The admin's import and export of a model's exchange file (exchange.admin_resources)."""

    def get_resource_classes(self, request: HttpRequest) -> list[type[Any]]:
        return exchange_resources(self.model)


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


class ReadOnlyAdminMixin:
    """A record the admin shows and never writes: made by a service or a job (payments,
    registry imports, visits and their corrections, the dashboard's published figures)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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


# --- API tokens --------------------------------------------------------------------------------

# knox registers an admin that lists the digests and lets anyone with the model permissions
# create tokens; ours lists the tokens without any token material, to officers only, and
# revokes them through the service (audited). Tokens are issued only by signing in.
admin.site.unregister(AuthToken)


class IssuedFilter(admin.DateFieldListFilter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.title = _("issued")


class ExpiresFilter(admin.DateFieldListFilter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.title = _("expires")


@admin.register(AuthToken)
class AuthTokenAdmin(admin.ModelAdmin):
    # knox's fields have no translated names: the columns, filters and the record are shown
    # through displays named here.
    list_display = ("holder", "issued", "expires", "in_force")
    list_display_links = None
    list_filter = (("created", IssuedFilter), ("expiry", ExpiresFilter))
    list_select_related = ("user",)
    search_fields = ("user__username", "user__last_name")
    fields = ("holder", "issued", "expires")
    readonly_fields = ("holder", "issued", "expires")
    ordering = ("-created",)
    actions = ["revoke"]

    # The rows' primary key is the token's digest: the list's checkboxes carry a keyed hash of
    # it instead, turned back into the digest when an action is posted.
    @staticmethod
    def _handle(digest: str) -> str:
        return salted_hmac("core.AuthTokenAdmin", digest).hexdigest()[:32]

    def action_checkbox(self, obj: AuthToken) -> SafeString:
        label = _("Select the token of %(user)s issued %(created)s") % {
            "user": obj.user,
            "created": f"{timezone.localtime(obj.created):%d.%m.%Y %H:%M}",
        }
        checkbox = forms.CheckboxInput({"class": "action-select", "aria-label": label})
        return checkbox.render(helpers.ACTION_CHECKBOX_NAME, self._handle(obj.digest))

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method == "POST" and helpers.ACTION_CHECKBOX_NAME in request.POST:
            wanted = set(request.POST.getlist(helpers.ACTION_CHECKBOX_NAME))
            post = request.POST.copy()
            post.setlist(
                helpers.ACTION_CHECKBOX_NAME,
                [
                    digest
                    for digest in AuthToken.objects.values_list("digest", flat=True)
                    if self._handle(digest) in wanted
                ],
            )
            request.POST = post  # type: ignore[assignment]
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("user"), ordering="user__username")
    def holder(self, obj: AuthToken) -> Any:
        return obj.user

    @admin.display(description=_("issued"), ordering="created")
    def issued(self, obj: AuthToken) -> Any:
        return obj.created

    @admin.display(description=_("expires"), ordering="expiry")
    def expires(self, obj: AuthToken) -> Any:
        return obj.expiry

    @admin.display(boolean=True, description=_("in force"))
    def in_force(self, obj: AuthToken) -> bool:
        return obj.expiry is None or obj.expiry > timezone.now()

    def _officer(self, request: HttpRequest) -> bool:
        return request.user.is_active and has_role(request.user, Role.AKIMAT_OFFICER)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._officer(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._officer(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._officer(request)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # revoking goes through the service
        return actions

    def delete_model(self, request: HttpRequest, obj: AuthToken) -> None:
        tokens.token_revoke(token=obj, acting_user=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[AuthToken]) -> None:
        for token in queryset.select_related("user"):
            tokens.token_revoke(token=token, acting_user=request.user)

    @admin.action(description=_("Revoke the selected tokens"), permissions=["delete"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[AuthToken]) -> None:
        count = 0
        for token in queryset.select_related("user"):
            tokens.token_revoke(token=token, acting_user=request.user)
            count += 1
        self.message_user(
            request, _("%(count)d token(s) revoked.") % {"count": count}, messages.SUCCESS
        )
