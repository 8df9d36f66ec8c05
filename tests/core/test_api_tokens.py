"""API tokens: issued by signing in, expiring after 30 idle minutes and 8 hours at most,
revoked by signing out (one device or all) and by officers in the admin."""

import datetime
import re

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.factories import admitted_provider, analyst, coordinator_of, head_of, inspector, officer

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough password 42"


@pytest.fixture
def coordinator():
    user = coordinator_of(admitted_provider())
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def sign_in(user, password=PASSWORD):
    return APIClient().post(
        "/api/auth/login/", {"username": user.username, "password": password}, format="json"
    )


def with_token(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_signing_in_gives_a_token_that_works_and_is_stored_only_as_a_digest(coordinator):
    response = sign_in(coordinator)

    assert response.status_code == 200, response.content
    token = response.json()["token"]
    expiry = datetime.datetime.fromisoformat(response.json()["expiry"])
    assert (
        datetime.timedelta(minutes=29) < expiry - timezone.now() <= datetime.timedelta(minutes=30)
    )
    assert with_token(token).get("/api/visits/").status_code == 200
    row = AuthToken.objects.get(user=coordinator)
    assert token not in (row.digest, row.token_key)
    entry = LogEntry.objects.filter(object_pk=str(coordinator.pk)).latest("timestamp")
    assert entry.additional_data["api_token"] == "issued"
    assert token[:8] not in str(entry.additional_data)


def test_a_wrong_password_gives_no_token_and_counts_towards_the_lockout(coordinator):
    for _attempt in range(4):
        refused = sign_in(coordinator, password="wrong")
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["code"] == "invalid_login"
    assert sign_in(coordinator, password="wrong").status_code == 429  # the fifth locks

    locked = sign_in(coordinator)  # the right password, after five failures

    assert locked.status_code == 429
    assert not AuthToken.objects.exists()


def test_a_token_expires_after_thirty_idle_minutes(coordinator):
    token = sign_in(coordinator).json()["token"]
    AuthToken.objects.update(expiry=timezone.now() - datetime.timedelta(seconds=1))

    assert with_token(token).get("/api/visits/").status_code == 401
    assert not AuthToken.objects.exists()  # an expired token is deleted when tried


def test_using_a_token_moves_its_expiry_on_but_never_past_eight_hours(coordinator):
    token = sign_in(coordinator).json()["token"]
    row = AuthToken.objects.get()
    # Issued seven hours and fifty minutes ago, last used twenty-five minutes ago.
    issued = timezone.now() - datetime.timedelta(hours=7, minutes=50)
    AuthToken.objects.update(created=issued, expiry=timezone.now() + datetime.timedelta(minutes=5))

    assert with_token(token).get("/api/visits/").status_code == 200

    row.refresh_from_db()
    assert row.expiry == issued + datetime.timedelta(hours=8)  # not now + 30 minutes


def test_each_use_moves_the_expiry_thirty_minutes_on(coordinator):
    token = sign_in(coordinator).json()["token"]
    AuthToken.objects.update(expiry=timezone.now() + datetime.timedelta(minutes=2))

    assert with_token(token).get("/api/visits/").status_code == 200

    left = AuthToken.objects.get().expiry - timezone.now()
    assert datetime.timedelta(minutes=29) < left <= datetime.timedelta(minutes=30)


def test_signing_out_revokes_that_token_only(coordinator):
    first = sign_in(coordinator).json()["token"]
    second = sign_in(coordinator).json()["token"]

    assert with_token(first).post("/api/auth/logout/").status_code == 204

    assert with_token(first).get("/api/visits/").status_code == 401
    assert with_token(second).get("/api/visits/").status_code == 200


def test_signing_out_everywhere_revokes_every_token_of_the_caller(coordinator):
    first = sign_in(coordinator).json()["token"]
    second = sign_in(coordinator).json()["token"]
    other = coordinator_of(admitted_provider())
    AuthToken.objects.create(user=other)

    assert with_token(first).post("/api/auth/logout-all/").status_code == 204

    assert with_token(second).get("/api/visits/").status_code == 401
    assert list(AuthToken.objects.values_list("user", flat=True)) == [other.pk]


def test_a_user_holds_at_most_ten_tokens(coordinator):
    for _device in range(10):
        assert sign_in(coordinator).status_code == 200

    refused = sign_in(coordinator)

    assert refused.status_code == 400
    assert refused.json()["errors"][0]["code"] == "token_limit"


def test_officers_list_and_revoke_tokens_in_the_admin_without_seeing_token_material(coordinator):
    token = sign_in(coordinator).json()["token"]
    row = AuthToken.objects.get()
    client = Client()
    client.force_login(officer())

    listing = client.get("/admin/knox/authtoken/")

    assert listing.status_code == 200
    page = listing.content.decode()
    assert coordinator.username in page
    for material in (token, row.token_key, row.digest):
        assert material not in page
    [handle] = re.findall(r'name="_selected_action" value="([^"]+)"', page)
    revoked = client.post(
        "/admin/knox/authtoken/", {"action": "revoke", "_selected_action": handle}
    )
    assert revoked.status_code == 302
    assert not AuthToken.objects.exists()
    assert with_token(token).get("/api/visits/").status_code == 401
    entry = LogEntry.objects.filter(object_pk=str(coordinator.pk)).latest("timestamp")
    assert entry.additional_data["api_token"] == "revoked"


@pytest.mark.parametrize("make_user", [inspector, analyst, "head", "coordinator"])
def test_no_one_but_an_officer_sees_or_revokes_tokens_in_the_admin(coordinator, make_user):
    sign_in(coordinator)
    row = AuthToken.objects.get()
    if make_user == "head":
        user = head_of(admitted_provider())
    elif make_user == "coordinator":
        user = coordinator
    else:
        user = make_user()
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(user)

    assert client.get("/admin/knox/authtoken/").status_code == 403
    revoke = client.post(
        "/admin/knox/authtoken/", {"action": "revoke", "_selected_action": [row.pk]}
    )
    assert revoke.status_code == 403
    assert client.post(f"/admin/knox/authtoken/{row.pk}/delete/", {"post": "yes"}).status_code in (
        403,
        404,
    )
    assert client.get("/admin/knox/authtoken/add/").status_code == 403
    assert AuthToken.objects.count() == 1


def test_no_one_creates_a_token_in_the_admin():
    client = Client()
    client.force_login(officer())

    assert client.get("/admin/knox/authtoken/add/").status_code == 403


def test_drf_s_old_tokens_are_gone():
    from django.conf import settings

    assert "rest_framework.authtoken" not in settings.INSTALLED_APPS
    auth = settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]
    assert "rest_framework.authentication.TokenAuthentication" not in auth


@pytest.mark.parametrize(
    ("language", "names"),
    [
        ("ru", ["Доступ к API", "Токены API", "выдан", "истекает"]),
        ("kk", ["API-ге қолжетімділік", "API токендері", "берілген", "мерзімі бітеді"]),
    ],
)
def test_the_token_list_is_named_in_the_officers_language(coordinator, language, names):
    sign_in(coordinator)
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(officer())

    page = client.get("/admin/knox/authtoken/").content.decode()

    for name in names:
        assert name.lower() in page.lower(), name
    for raw in ("Knox", "auth token", ">Created<", ">Expiry<"):
        assert raw not in page, raw
