"""Visits over the API (domain.md §5, Alg. §19–20): the coordinators' devices and the ministry's
system. Scoped by `visits_for_user`; every write goes through `services.services`."""

from __future__ import annotations

from typing import Any

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.audit import record_access, record_access_many
from core.choices import Setting
from core.roles import PROVIDER_ROLES, roles_of
from providers.models import StaffMember
from recipients.models import Child
from recipients.selectors import children_enrolled_with
from services import services
from services.models import ConfirmationMethod, Visit, VisitStatus
from services.selectors import visits_for_user

# --- serializers -------------------------------------------------------------------------------


class VisitSerializer(serializers.ModelSerializer):
    child_iin = serializers.CharField(source="child.iin", read_only=True)
    provider_bin = serializers.CharField(source="provider.bin", read_only=True)
    services = serializers.ListField(child=serializers.CharField(), read_only=True)
    kinds = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text=_("The kinds of service given, derived from the services."),
    )
    # Empty until the representative confirms: "" belongs to the answer's enum.
    confirmation_method = serializers.ChoiceField(
        choices=ConfirmationMethod.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Visit
        fields = (
            "visit_id",
            "child",
            "child_iin",
            "provider_bin",
            "setting",
            "date",
            "start",
            "end",
            "status",
            "missed_reason",
            "services",
            "kinds",
            "staff",
            "overlaps",
            "confirmation_method",
            "confirmed_at",
            "updated_at",
        )
        read_only_fields = fields


def _choices(serializer: serializers.Serializer, name: str) -> serializers.PrimaryKeyRelatedField:
    field = serializer.fields[name]
    assert isinstance(field, serializers.PrimaryKeyRelatedField)
    return field


class VisitCreateSerializer(serializers.Serializer):
    """A visit logged by the client; `visit_id` is the client's own key, so retries are safe."""

    visit_id = serializers.CharField(max_length=64)
    # The querysets are narrowed to the caller's provider in __init__: another provider's child
    # or staff member answers "does not exist", as an id that names no one does.
    child = serializers.PrimaryKeyRelatedField(queryset=Child.objects.none())
    setting = serializers.ChoiceField(choices=Setting.choices)
    date = serializers.DateField()
    start = serializers.TimeField()
    end = serializers.TimeField()
    status = serializers.ChoiceField(
        choices=[
            (VisitStatus.PLANNED.value, VisitStatus.PLANNED.label),
            (VisitStatus.DONE.value, VisitStatus.DONE.label),
        ],
        default=VisitStatus.DONE.value,
    )
    services = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    staff = serializers.PrimaryKeyRelatedField(
        queryset=StaffMember.objects.none(), required=False, allow_null=True, default=None
    )

    def __init__(self, *args: Any, provider_id: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "child").queryset = children_enrolled_with(provider_id)
        _choices(self, "staff").queryset = StaffMember.objects.filter(provider_id=provider_id)


class VisitStatusChangeSerializer(serializers.Serializer):
    """Done needs the real times (and the services given); missed and cancelled need a reason."""

    status = serializers.ChoiceField(
        choices=[
            (VisitStatus.DONE.value, VisitStatus.DONE.label),
            (VisitStatus.MISSED.value, VisitStatus.MISSED.label),
            (VisitStatus.CANCELLED.value, VisitStatus.CANCELLED.label),
        ]
    )
    start = serializers.TimeField(required=False)
    end = serializers.TimeField(required=False)
    services = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    staff = serializers.PrimaryKeyRelatedField(
        queryset=StaffMember.objects.none(), required=False, allow_null=True, default=None
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="")

    def __init__(self, *args: Any, provider_id: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "staff").queryset = StaffMember.objects.filter(provider_id=provider_id)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["status"] == VisitStatus.DONE:
            required = serializers.Field.default_error_messages["required"]
            missing = [field for field in ("start", "end") if field not in attrs]
            if missing:
                raise serializers.ValidationError(
                    {field: [required] for field in missing}, code="required"
                )
        return attrs


class VisitConfirmSerializer(serializers.Serializer):
    """One of three methods (Alg. §20); `scan` is a multipart file, `signature` a PNG data URL."""

    method = serializers.ChoiceField(
        choices=[
            (ConfirmationMethod.SIGNATURE.value, ConfirmationMethod.SIGNATURE.label),
            (ConfirmationMethod.PIN.value, ConfirmationMethod.PIN.label),
            (ConfirmationMethod.PAPER.value, ConfirmationMethod.PAPER.label),
        ]
    )
    signature = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=False,
        help_text=_("The drawn signature: data:image/png;base64,…"),
    )
    pin = serializers.CharField(required=False, allow_blank=True, default="")
    scan = serializers.FileField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("The scan of the signed journal page (PDF, PNG or JPEG)."),
    )


# --- filters -----------------------------------------------------------------------------------

# Each ordering ends with the primary key, so pages never repeat or skip a visit.
ORDERINGS: dict[str, tuple[str, ...]] = {
    "updated_at": ("updated_at", "pk"),
    "date": ("date", "start", "pk"),
    "-date": ("-date", "-start", "-pk"),
}
ORDERING_LABELS = {
    "updated_at": _("Last changed first to last (the default; for incremental sync)"),
    "date": _("By date and start, oldest first"),
    "-date": _("By date and start, newest first"),
}


class VisitFilter(django_filters.FilterSet):
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte")
    child = django_filters.NumberFilter(field_name="child")
    child_iin = django_filters.CharFilter(field_name="child__iin")
    setting = django_filters.ChoiceFilter(choices=Setting.choices)
    status = django_filters.ChoiceFilter(choices=VisitStatus.choices)
    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text=_("Visits changed at or after this moment (ISO 8601): incremental sync."),
    )
    ordering = django_filters.ChoiceFilter(
        choices=list(ORDERING_LABELS.items()),
        method="order",
    )

    class Meta:
        model = Visit
        fields = (
            "date_from",
            "date_to",
            "child",
            "child_iin",
            "setting",
            "status",
            "updated_since",
            "ordering",
        )

    def order(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.order_by(*ORDERINGS[value])


# --- the viewset -------------------------------------------------------------------------------


class ProviderStaffWrites(BasePermission):
    """Reads are scoped by the selector; writes only by a provider's own staff (not the akimat:
    the API logs visits for the caller's provider)."""

    message = _("Only a provider's staff log and confirm visits.")
    code = "role_required"

    def has_permission(self, request: Any, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return bool(roles_of(request.user) & PROVIDER_ROLES) and bool(
            getattr(request.user, "provider_id", None)
        )


@extend_schema(tags=["visits"])
@extend_schema_view(
    list=extend_schema(summary="Visits the caller may see"),
    retrieve=extend_schema(summary="One visit, by the client's visit id"),
)
class VisitViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Visits of the caller's provider; the akimat reads every visit and writes none.

    A visit shows the child's IIN, so every visit read is recorded in the audit trail."""

    serializer_class = VisitSerializer
    filterset_class = VisitFilter
    permission_classes = [IsAuthenticated, ProviderStaffWrites]
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    lookup_field = "visit_id"
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> Any:
        return visits_for_user(user=self.request.user).order_by("updated_at", "pk")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        children = {visit.child_id: visit.child for visit in rows}
        record_access_many(children.values(), user=request.user, what="api visits")
        serializer = self.get_serializer(rows, many=True)
        if page is not None:
            return self.get_paginated_response(serializer.data)
        return Response(serializer.data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        visit = self.get_object()
        record_access(visit.child, user=request.user, what="api visit")
        return Response(self.get_serializer(visit).data)

    @extend_schema(
        summary="Log a visit (a repeated visit_id returns the visit already logged)",
        request=VisitCreateSerializer,
        responses={
            201: VisitSerializer,
            200: OpenApiResponse(VisitSerializer, description="The visit_id was already logged."),
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # ProviderStaffWrites has let only a provider's staff this far.
        provider_id: int = getattr(request.user, "provider_id", None) or 0
        serializer = VisitCreateSerializer(data=request.data, provider_id=provider_id)
        serializer.is_valid(raise_exception=True)
        visit, created = services.visit_create(
            provider_id=provider_id,
            acting_user=request.user,
            **serializer.validated_data,
        )
        return Response(
            VisitSerializer(visit).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        summary="Mark a visit done, missed or cancelled",
        request=VisitStatusChangeSerializer,
        responses={200: VisitSerializer},
    )
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request: Request, visit_id: str | None = None, **kwargs: Any) -> Response:
        visit = self.get_object()
        serializer = VisitStatusChangeSerializer(data=request.data, provider_id=visit.provider_id)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["status"] == VisitStatus.DONE:
            visit = services.visit_mark_done(
                visit=visit,
                start=data["start"],
                end=data["end"],
                services=data["services"],
                staff=data["staff"],
                acting_user=request.user,
            )
        elif data["status"] == VisitStatus.MISSED:
            visit = services.visit_mark_missed(
                visit=visit, reason=data["reason"], acting_user=request.user
            )
        else:
            visit = services.visit_cancel(
                visit=visit, reason=data["reason"], acting_user=request.user
            )
        return Response(VisitSerializer(visit).data)

    @extend_schema(
        summary="Record the legal representative's confirmation (Alg. §20)",
        request={
            "application/json": VisitConfirmSerializer,
            "multipart/form-data": VisitConfirmSerializer,
        },
        responses={200: VisitSerializer},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, visit_id: str | None = None, **kwargs: Any) -> Response:
        visit = self.get_object()
        serializer = VisitConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        visit = services.visit_confirm(
            visit=visit,
            method=data["method"],
            signature=data["signature"],
            pin=data["pin"],
            scan=data["scan"],
            acting_user=request.user,
        )
        return Response(VisitSerializer(visit).data)
