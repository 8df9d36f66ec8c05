from __future__ import annotations

import logging

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.roles import Role, primary_role

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Database and (when configured) Redis status, for load balancers and operators."""
    report: dict[str, str] = {}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        report["database"] = "ok"
    except Exception:  # a health check reports every failure instead of raising it
        logger.exception("health: database unavailable")
        report["database"] = "error"
        healthy = False
    if settings.REDIS_URL:
        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
            report["redis"] = "ok"
        except Exception:
            logger.exception("health: redis unavailable")
            report["redis"] = "error"
            healthy = False
    else:
        report["redis"] = "not configured"
    report["status"] = "ok" if healthy else "error"
    return JsonResponse(report, status=200 if healthy else 503)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to where its work is."""
    role = primary_role(request.user)
    if role in (Role.AKIMAT_OFFICER, Role.INSPECTOR):
        return redirect("admin:index")
    if role == Role.COORDINATOR:
        return redirect("services:day")
    if role == Role.PROVIDER_HEAD:
        return redirect("providers:my_provider")
    if role == Role.ANALYST:
        return redirect("reports:list")
    return render(request, "core/no_role.html", status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form refused by the CSRF check, said in the user's language without Django's talk of
    debug mode: the page was open too long, or the session changed. Nothing was saved."""
    logger.warning("CSRF failure on %s: %s", request.path, reason)
    return render(request, "403_csrf.html", status=403)
