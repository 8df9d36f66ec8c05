"""`make run` loads the demo: every printed login works and lands on its role's page."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from core.demo import DEMO_PASSWORD, USERS
from providers.models import AdmissionApplication, Provider

pytestmark = pytest.mark.django_db


def sign_in(client, username):
    response = client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302


@pytest.fixture
def demo():
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_demo_has_the_nine_organisations_in_their_states(demo):
    assert Provider.objects.count() == 11  # the nine of the seeds and two invented applicants
    admitted = Provider.objects.filter(admitted_on="2026-06-05")
    assert admitted.count() == 5
    assert Provider.objects.get(bin="140540734341").admitted_on.isoformat() == "2026-08-10"
    assert Provider.objects.get(bin="180340379594").excluded_on.isoformat() == "2026-09-09"
    assert set(Provider.objects.filter(sector="state").values_list("legal_form", flat=True)) == {
        "КГУ"
    }
    statuses = set(AdmissionApplication.objects.values_list("status", flat=True))
    assert {"approved", "draft", "inspection_requested"} <= statuses


def test_demo_is_idempotent(demo):
    counts = (Provider.objects.count(), AdmissionApplication.objects.count())
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert (Provider.objects.count(), AdmissionApplication.objects.count()) == counts


@pytest.mark.parametrize(
    ("username", "lands_on"),
    [
        ("admin", "/admin/"),
        *[
            (
                username,
                {
                    "akimat_officer": "/admin/",
                    "inspector": "/admin/",
                    "provider_head": "/provider/",
                    "coordinator": "/provider/",
                    "analyst": "/participants/",
                }[role],
            )
            for username, role, *_ in USERS
        ],
    ],
)
def test_every_demo_login_works(client, demo, username, lands_on):
    response = client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    home = client.get("/", follow=True)
    assert home.status_code == 200
    assert home.redirect_chain[-1][0] == lands_on


def test_officer_admin_pages_render_for_demo_data(client, demo):
    sign_in(client, "officer")
    for name in (
        "admin:providers_provider_changelist",
        "admin:providers_admissionapplication_changelist",
        "admin:providers_qualificationdocument_changelist",
        "admin:providers_staffmember_changelist",
    ):
        assert client.get(reverse(name)).status_code == 200
    provider = Provider.objects.get(bin="100340517502")
    page = client.get(reverse("admin:providers_provider_change", args=[provider.pk]))
    assert page.status_code == 200
    assert "Nothing: every document is accepted" in page.content.decode()


def test_draft_applicant_sees_what_is_missing(client, demo):
    sign_in(client, "head.zhana")
    page = client.get(reverse("providers:my_provider")).content.decode()
    assert 'data-testid="gaps"' in page
    assert "Fire-safety inspection" in page


def test_demo_children_at_every_stage_and_visible_to_their_centre(client, demo):
    import datetime

    from recipients.models import Child, EnrollmentWarning, PossibleDuplicate
    from recipients.selectors import stage_of

    day = datetime.date(2026, 11, 22)
    children = Child.objects.prefetch_related("enrollments", "assessments", "applications")
    stages = {stage_of(child, day=day) for child in children}
    assert {"applied", "assessed", "enrolled", "ended"} <= stages
    assert children.count() >= 300
    assert PossibleDuplicate.objects.exists()
    assert EnrollmentWarning.objects.exists()

    sign_in(client, "coord.solnechny")
    listing = client.get(reverse("recipients:children"))
    shown = listing.context["page"].object_list
    assert len(shown) > 10
    card = client.get(reverse("recipients:child", args=[shown[0].pk]))
    assert card.status_code == 200
