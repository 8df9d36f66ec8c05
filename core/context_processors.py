from typing import Any

from django.http import HttpRequest

from core.roles import Role, primary_role


def portal(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    role = primary_role(user)
    return {
        "portal_role": role,
        "portal_role_label": Role(role).label if role else "",
        "is_provider_staff": role in (Role.PROVIDER_HEAD, Role.COORDINATOR),
    }
