"""Read-only API of providers and their admission status, scoped by the caller's role."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, viewsets

from core.roles import sees_personal_data
from providers import selectors
from providers.models import AdmissionApplication, Provider


class ApplicationSerializer(serializers.ModelSerializer):
    class Meta:
        model = AdmissionApplication
        fields = (
            "id",
            "status",
            "submitted_at",
            "inspection_result",
            "inspected_on",
            "decision_number",
            "decision_date",
        )


class ProviderSerializer(serializers.ModelSerializer):
    """Organisation data only: what any role that sees providers may read (analysts included)."""

    admission_status = serializers.SerializerMethodField()
    admission_status_label = serializers.SerializerMethodField()

    class Meta:
        model = Provider
        fields: tuple[str, ...] = (
            "id",
            "name",
            "legal_form",
            "bin",
            "sector",
            "license_number",
            "license_issued_on",
            "license_home_care",
            "admitted_on",
            "admission_decision_number",
            "suspended_on",
            "excluded_on",
            "admission_status",
            "admission_status_label",
        )

    def _status(self, obj: Provider) -> tuple[str, Any]:
        return selectors.admission_status(obj, on=timezone.localdate())

    @extend_schema_field(serializers.CharField())
    def get_admission_status(self, obj: Provider) -> str:
        return self._status(obj)[0]

    @extend_schema_field(serializers.CharField())
    def get_admission_status_label(self, obj: Provider) -> str:
        return str(self._status(obj)[1])


class ProviderDetailSerializer(ProviderSerializer):
    """Adds the head's name and contacts, and the application: not for analysts."""

    applications = ApplicationSerializer(many=True, read_only=True)

    class Meta(ProviderSerializer.Meta):
        fields = (
            *ProviderSerializer.Meta.fields,
            "address",
            "head_name",
            "phone",
            "email",
            "applications",
        )


@extend_schema(tags=["providers"])
class ProviderViewSet(viewsets.ReadOnlyModelViewSet):
    """Providers the caller may see. Analysts get organisation data without personal fields."""

    filterset_fields = ("sector", "license_home_care")
    search_fields = ("name", "bin")

    def get_queryset(self) -> Any:
        return (
            selectors.providers_for_user(user=self.request.user)
            .prefetch_related("applications")
            .order_by("name")
        )

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if sees_personal_data(self.request.user):
            return ProviderDetailSerializer
        return ProviderSerializer
