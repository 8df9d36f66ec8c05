import datetime

import pytest
from django.urls import reverse

from tariffs.models import Tariff
from tests.factories import officer

pytestmark = pytest.mark.django_db


def test_an_overlapping_tariff_is_refused_in_the_admin(client):
    Tariff.objects.create(setting="home", amount_kzt=4997, valid_from=datetime.date(2026, 6, 5))
    client.force_login(officer())
    response = client.post(
        reverse("admin:tariffs_tariff_add"),
        {"setting": "home", "amount_kzt": "5200", "valid_from": "2026-09-01", "act": "test"},
    )
    assert response.status_code == 200
    assert "overlaps the tariff valid from 05.06.2026" in response.content.decode()
    assert Tariff.objects.count() == 1
    response = client.post(
        reverse("admin:tariffs_tariff_add"),
        {"setting": "centre", "amount_kzt": "13000", "valid_from": "2026-06-05", "act": "test"},
    )
    assert response.status_code == 302


def test_the_default_tariffs_are_seeded_once_and_never_changed():
    import io

    from django.core.management import call_command

    call_command("seed_tariffs", stdout=io.StringIO())
    amounts = {
        (
            t.setting,
            t.valid_from.isoformat(),
            t.valid_to.isoformat() if t.valid_to else None,
        ): t.amount_kzt
        for t in Tariff.objects.all()
    }
    assert amounts == {
        ("home", "2025-01-01", "2026-06-04"): 4346,
        ("centre", "2025-01-01", "2026-06-04"): 9918,
        ("home", "2026-06-05", None): 4997,
        ("centre", "2026-06-05", None): 13000,
    }
    Tariff.objects.filter(setting="home", valid_from="2026-06-05").update(act="изменён")
    call_command("seed_tariffs", stdout=io.StringIO())
    assert Tariff.objects.count() == 4
    assert Tariff.objects.get(setting="home", valid_from="2026-06-05").act == "изменён"
