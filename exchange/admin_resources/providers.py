"""Import-export resource for the admin's buttons: the `providers` exchange file (exchange.md)."""

from __future__ import annotations

from typing import Any

from exchange.cells import cell_text
from exchange.resources import ExchangeResource, PreloadedInstanceLoader, exchange_field
from providers.models import Provider

FILE = "providers"


class ProviderResource(ExchangeResource):
    exchange_file = FILE

    bin = exchange_field(FILE, "bin")
    name = exchange_field(FILE, "name")
    legal_form = exchange_field(FILE, "legal_form")
    sector = exchange_field(FILE, "sector")
    license_number = exchange_field(FILE, "license_number")
    license_issued_on = exchange_field(FILE, "license_issued_on")
    license_home_care = exchange_field(FILE, "license_home_care")
    admitted_on = exchange_field(FILE, "admitted_on")
    excluded_on = exchange_field(FILE, "excluded_on")

    class Meta:
        model = Provider
        fields = (
            "bin",
            "name",
            "legal_form",
            "sector",
            "license_number",
            "license_issued_on",
            "license_home_care",
            "admitted_on",
            "excluded_on",
        )
        export_order = fields
        import_id_fields = ("bin",)
        instance_loader_class = PreloadedInstanceLoader
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def existing_instance(self, row: Any) -> Provider | None:
        assert self.file_check is not None
        return self.file_check.state.providers.get(cell_text(row.get("bin"), identifier=True))
