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
