"""Health, API errors, sign-in safety, security headers, deploy checks, languages."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIRequestFactory

from core.api import exception_handler
from core.errors import fail
from tests.factories import (
    UserFactory,
    VisitFactory,
    admitted_provider,
    enrolled_child,
    head_of,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_health_reports_database_and_redis(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "not configured", "status": "ok"}


@pytest.mark.django_db
def test_health_reports_unreachable_redis_as_503(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["redis"] == "error"


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
@pytest.mark.django_db
def test_health_reports_real_redis(client, settings):
    settings.REDIS_URL = os.environ["REDIS_URL"]
    assert client.get("/health/").json()["redis"] == "ok"


def test_domain_errors_become_400_with_field_and_code():
    request = APIRequestFactory().get("/")
    response = exception_handler(
        fail("Say why", "reasons_required", "reasons"), {"request": request}
    )
    assert response.status_code == 400
    assert response.data == {
        "errors": [{"field": "reasons", "code": "reasons_required", "message": "Say why"}]
    }
    whole = exception_handler(ValidationError("Nope", code="state_body"), {"request": request})
    assert whole.data["errors"][0] == {"field": None, "code": "state_body", "message": "Nope"}


@pytest.mark.django_db
def test_repeated_failed_logins_lock_the_account(client, settings):
    UserFactory(username="victim")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "victim", "password": "wrong-password"})
    locked = client.post(
        reverse("login"), {"username": "victim", "password": "a-long-test-password"}
    )
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_login_with_the_right_password_works_and_pages_carry_security_headers(client):
    UserFactory(username="someone")
    response = client.post(
        reverse("login"), {"username": "someone", "password": "a-long-test-password"}
    )
    assert response.status_code == 302
    page = client.get(reverse("login"))
    csp = page["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page["X-Frame-Options"] == "DENY"
    assert page["X-Content-Type-Options"] == "nosniff"


def test_sessions_expire_after_inactivity(settings):
    assert settings.SESSION_COOKIE_AGE <= 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


@pytest.mark.django_db
def test_weak_passwords_are_refused():
    from django.contrib.auth.password_validation import validate_password

    with pytest.raises(ValidationError):
        validate_password("astana2026")
    validate_password("correct-horse-battery-staple-42")


def _production_env(**extra):
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DJANGO_SETTINGS_MODULE",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    env.update(DJANGO_SETTINGS_MODULE="pilot.settings.production", **extra)
    return env


def test_check_deploy_is_clean_under_production_settings():
    env = _production_env(SECRET_KEY=secrets.token_urlsafe(64), ALLOWED_HOSTS="pilot.astana.kz")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=_production_env(ALLOWED_HOSTS="pilot.astana.kz"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "sign_in"), [("ru", "Войти"), ("kk", "Кіру"), ("en", "Sign in")]
)
def test_language_switch_changes_the_interface(client, language, sign_in):
    response = client.post(
        reverse("set_language"), {"language": language, "next": "/accounts/login/"}
    )
    assert response.status_code == 302
    page = client.get("/accounts/login/")
    assert f'lang="{language}"' in page.content.decode()
    assert sign_in in page.content.decode()


def test_kazakh_dates_have_their_own_format():
    import datetime

    from django.utils import formats, translation

    with translation.override("kk"):
        assert formats.date_format(datetime.date(2026, 6, 5), "SHORT_DATE_FORMAT") == "05.06.2026"


@pytest.mark.django_db
def test_the_schema_and_the_docs_are_for_signed_in_users_only(client):
    # The schema names every field of a child's record (issue 13, item 3).
    assert client.get("/api/schema/").status_code in (401, 403)
    docs = client.get("/api/docs/")
    assert docs.status_code == 302
    assert docs["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_pages_and_answers_with_personal_data_are_never_stored(client):
    # Centres share tablets: no page with names or IINs may stay in a browser's cache
    # (issue 13, item 5). Every view is covered by the middleware; these carry the most.
    provider = admitted_provider()
    enrollment = enrolled_child(provider)
    VisitFactory(enrollment=enrollment)
    head = head_of(provider)
    client.force_login(head)
    paths = [
        reverse("recipients:children"),
        reverse("recipients:child", args=[enrollment.child_id]),
        reverse("services:day"),
        reverse("services:journal"),
        reverse("tariffs:invoices"),
        "/api/children/",
        "/api/visits/",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        directives = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"no-store", "private"} <= directives, path


@pytest.mark.django_db
def test_openapi_schema_and_docs_are_served(client):
    user = UserFactory()
    client.force_login(user)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/providers/" in schema.content
    assert client.get("/api/docs/").status_code == 200


def test_lockout_uses_the_address_our_proxy_saw(settings, rf):
    from core.net import client_ip

    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 10.1.2.3", REMOTE_ADDR="127.0.0.1")
    settings.TRUSTED_PROXIES = 0
    assert client_ip(request) == "127.0.0.1"
    settings.TRUSTED_PROXIES = 1
    assert client_ip(request) == "10.1.2.3"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "title"), [("ru", "Форма устарела"), ("kk", "Форманың мерзімі өтті")]
)
def test_a_form_refused_by_the_csrf_check_gets_the_portals_page(language, title):
    from django.test import Client

    from services.models import Visit
    from tests.factories import admitted_provider, coordinator_of

    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(coordinator_of(admitted_provider()))

    response = client.post("/visits/new/", {"status": "done"})

    assert response.status_code == 403
    page = response.content.decode()
    assert title in page and "DEBUG" not in page and "CSRF" not in page
    assert not Visit.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("month", ["abc", "2026-00", "2026-99", "99999-01"])
def test_a_month_that_does_not_exist_gets_the_portals_400_page(month):
    from django.test import Client

    from tests.factories import admitted_provider, coordinator_of

    client = Client(HTTP_ACCEPT_LANGUAGE="kk", raise_request_exception=False)
    client.force_login(coordinator_of(admitted_provider()))

    response = client.get("/journal/", {"month": month})

    assert response.status_code == 400
    assert "Сұрауды түсіну мүмкін болмады" in response.content.decode()
