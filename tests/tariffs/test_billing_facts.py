"""The facts the rules see are loaded from the database as the rules expect them."""

import datetime

import pytest

from recipients.models import Ipar
from tariffs.models import Tariff
from tariffs.services import visit_billing
from tests.factories import VisitFactory, admitted_provider, enrolled_child

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmed_visit():
    Tariff.objects.create(setting="home", amount_kzt=4997, valid_from=datetime.date(2026, 6, 5))
    enrollment = enrolled_child(admitted_provider())
    return VisitFactory(enrollment=enrollment, confirmation_method="pin")


def test_a_confirmed_visit_of_an_enrolled_child_is_paid_at_the_tariff_of_its_day(confirmed_visit):
    decision = visit_billing(confirmed_visit)
    assert (decision.reason, decision.tariff_kzt) == (None, 4997)


def test_an_ipar_without_home_services_does_not_make_a_visit_payable(confirmed_visit):
    Ipar.objects.filter(child=confirmed_visit.child).update(home_services=False)
    assert visit_billing(confirmed_visit).reason == "IPAR_INVALID"


def test_a_registry_stay_of_the_childs_iin_excludes_the_day(confirmed_visit):
    from monitoring.models import HealthStay, RegistryImport

    load = RegistryImport.objects.create(kind="health", source="registry_health.csv", rows=1)
    HealthStay.objects.create(
        iin=confirmed_visit.child.iin,
        kind="sanatorium",
        start_on=confirmed_visit.date,
        end_on=None,
        organisation="Санаторий",
        registry_import=load,
    )
    assert visit_billing(confirmed_visit).reason == "SANATORIUM"


def test_a_planned_visit_is_not_a_candidate(confirmed_visit):
    confirmed_visit.status = "planned"
    confirmed_visit.save(update_fields=["status"])
    assert visit_billing(confirmed_visit) is None
