from django.contrib import admin

from tariffs.models import Tariff


@admin.register(Tariff)
class TariffAdmin(admin.ModelAdmin):
    list_display = ("setting", "amount_kzt", "valid_from", "valid_to", "act")
    list_filter = ("setting",)
    ordering = ("setting", "valid_from")
