"""Import-export resource for the admin's buttons: the `tariffs` exchange file (exchange.md)."""

from __future__ import annotations

from typing import Any

from exchange.resources import ExchangeResource, PreloadedInstanceLoader, exchange_field
from tariffs.models import Tariff

FILE = "tariffs"


class TariffResource(ExchangeResource):
    exchange_file = FILE

    setting = exchange_field(FILE, "setting")
    amount_kzt = exchange_field(FILE, "amount_kzt")
    valid_from = exchange_field(FILE, "valid_from")
    valid_to = exchange_field(FILE, "valid_to")
    act = exchange_field(FILE, "act")

    class Meta:
        model = Tariff
        fields = ("setting", "amount_kzt", "valid_from", "valid_to", "act")
        export_order = fields
        import_id_fields = ("setting", "valid_from")
        instance_loader_class = PreloadedInstanceLoader
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def existing_instance(self, row: Any) -> Tariff | None:
        assert self.file_check is not None
        values = self.exchange_values(row)
        return next(
            (
                tariff
                for tariff in self.file_check.state.tariffs
                if (tariff.setting, tariff.valid_from) == (values["setting"], values["valid_from"])
            ),
            None,
        )
