from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from services import selectors
from services.models import Visit


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    """The visits journal as the akimat sees it; coordinators log visits on their own pages."""

    list_display = (
        "visit_id",
        "date",
        "start",
        "end",
        "child",
        "provider",
        "setting",
        "status",
        "confirmation_method",
    )
    list_filter = ("status", "setting", "confirmation_method", "provider")
    search_fields = ("=visit_id", "=child__iin", "child__last_name")
    list_select_related = ("child", "provider")
    date_hierarchy = "date"
    autocomplete_fields = ("child",)
    readonly_fields = ("created_at", "updated_at", "confirmed_at", "confirmation_recorded_by")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Visit]:
        return selectors.visits_for_user(user=request.user)
