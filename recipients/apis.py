"""Children and enrolments, read-only, scoped: only the akimat and the child's provider see them."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from core.audit import record_access, record_access_many
from recipients import selectors
from recipients.models import Child, Enrollment, Ipar


class IparSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ipar
        fields = ("number", "issued_on", "valid_until", "home_services", "services")


class EnrollmentSerializer(serializers.ModelSerializer):
    child_iin = serializers.CharField(source="child.iin", read_only=True)
    provider_bin = serializers.CharField(source="provider.bin", read_only=True)
    consent_on = serializers.DateField(
        source="application.consent_on", read_only=True, default=None, allow_null=True
    )
    consent_withdrawn_on = serializers.DateField(
        source="application.consent_withdrawn_on",
        read_only=True,
        default=None,
        allow_null=True,
    )

    class Meta:
        model = Enrollment
        fields = (
            "id",
            "decision_number",
            "decision_date",
            "child",
            "child_iin",
            "provider",
            "provider_bin",
            "start_on",
            "end_on",
            "status",
            "end_reason",
            "consent_on",
            "consent_withdrawn_on",
        )


class ChildSerializer(serializers.ModelSerializer):
    ipars = IparSerializer(many=True, read_only=True)

    class Meta:
        model = Child
        fields = (
            "id",
            "iin",
            "last_name",
            "first_name",
            "middle_name",
            "birth_date",
            "sex",
            "district",
            "address",
            "disability_until",
            "diagnosis_group",
            "ipars",
        )


@extend_schema(tags=["children"])
class ChildViewSet(viewsets.ReadOnlyModelViewSet):
    """Children the caller may see; every opened record is written to the audit trail."""

    serializer_class = ChildSerializer
    filterset_fields = ("district",)
    search_fields = ("=iin", "last_name", "first_name")

    def get_queryset(self) -> Any:
        return (
            selectors.children_for_user(user=self.request.user)
            .prefetch_related(Prefetch("ipars", queryset=Ipar.objects.order_by("-issued_on")))
            .order_by("last_name", "first_name", "pk")
        )

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        """Every child on the page returned is a read of personal data: recorded in one insert."""
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        record_access_many(rows, user=request.user, what="api list")
        serializer = self.get_serializer(rows, many=True)
        if page is not None:
            return self.get_paginated_response(serializer.data)
        return Response(serializer.data)

    def retrieve(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().retrieve(request, *args, **kwargs)
        record_access(self.get_object(), user=request.user, what="api")
        return response


@extend_schema(tags=["children"])
class EnrollmentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = EnrollmentSerializer
    filterset_fields = ("status", "provider")
    search_fields = ("decision_number", "=child__iin")

    def get_queryset(self) -> Any:
        return selectors.enrollments_for_user(user=self.request.user).order_by("-start_on", "pk")
