"""Read-only API of the reports for analysts and officers: the list, each version's metadata
(period, who generated it and when, checksums) and its files. No personal data is served."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request

from reports.models import Report, ReportVersion, VersionStatus
from reports.views import _version_response, reads_reports

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReadsReports(permissions.BasePermission):
    message = _("Reports are read by analysts and akimat officers only.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return reads_reports(request.user)


class VersionSerializer(serializers.ModelSerializer):
    generated_by = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()
    xlsx_url = serializers.SerializerMethodField()

    class Meta:
        model = ReportVersion
        fields = [
            "id",
            "report",
            "number",
            "language",
            "translation_of",
            "status",
            "percent",
            "data_until",
            "generated_by",
            "created_at",
            "finished_at",
            "pdf_sha256",
            "xlsx_sha256",
            "pdf_url",
            "xlsx_url",
        ]

    def get_generated_by(self, obj: ReportVersion) -> str:
        # The officer's name is an official's, not a child's; the scheduler has none.
        user = obj.requested_by
        return (user.get_full_name() or user.username) if user else "scheduler"

    def _url(self, obj: ReportVersion, kind: str) -> str | None:
        if obj.status != VersionStatus.DONE:
            return None
        request = self.context.get("request")
        path = reverse(f"report-version-{kind}", args=[obj.pk])
        return request.build_absolute_uri(path) if request else path

    def get_pdf_url(self, obj: ReportVersion) -> str | None:
        return self._url(obj, "pdf")

    def get_xlsx_url(self, obj: ReportVersion) -> str | None:
        return self._url(obj, "xlsx")


class ReportSerializer(serializers.ModelSerializer):
    versions = VersionSerializer(many=True, read_only=True)

    class Meta:
        model = Report
        fields = [
            "id",
            "kind",
            "year",
            "half",
            "period_start",
            "period_end",
            "status",
            "final_due",
            "delivery_due",
            "publication_due",
            "final_version",
            "delivered_on",
            "published_on",
            "publication_url",
            "versions",
        ]


class ReportViewSet(viewsets.ReadOnlyModelViewSet):
    """Monitoring reports (R261 ch. 3) and the pilot's analytical report (Alg. §28)."""

    serializer_class = ReportSerializer
    permission_classes = [permissions.IsAuthenticated, ReadsReports]
    filterset_fields = ["kind", "year", "half", "status"]
    search_fields: list[str] = []

    def get_queryset(self) -> QuerySet[Report]:
        return Report.objects.prefetch_related("versions__requested_by").order_by(
            "-period_end", "kind"
        )


class ReportVersionViewSet(viewsets.ReadOnlyModelViewSet):
    """Report versions; `pdf/` and `xlsx/` download a ready version's files."""

    serializer_class = VersionSerializer
    permission_classes = [permissions.IsAuthenticated, ReadsReports]
    filterset_fields = ["report", "status", "language"]
    search_fields: list[str] = []

    def get_queryset(self) -> QuerySet[ReportVersion]:
        return ReportVersion.objects.select_related("report", "requested_by").order_by(
            "-created_at"
        )

    def _file(self, kind: str) -> FileResponse:
        version = self.get_object()
        if version.status != VersionStatus.DONE:
            raise NotFound("The version is not ready.")
        return _version_response(version, kind)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="pdf", url_name="pdf")
    def pdf(self, request: Request, pk: str | None = None, **kwargs: Any) -> FileResponse:
        return self._file("pdf")

    @extend_schema(responses={(200, XLSX): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="xlsx", url_name="xlsx")
    def xlsx(self, request: Request, pk: str | None = None, **kwargs: Any) -> FileResponse:
        return self._file("xlsx")
