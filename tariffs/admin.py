from django.contrib import admin
from import_export.admin import ImportExportMixin

from tariffs.models import Tariff
from tariffs.resources import TariffResource


@admin.register(Tariff)
class TariffAdmin(ImportExportMixin, admin.ModelAdmin):
    resource_classes = [TariffResource]
    list_display = ("setting", "amount_kzt", "valid_from", "valid_to", "act")
    list_filter = ("setting",)
    ordering = ("setting", "valid_from")
