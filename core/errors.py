"""Domain errors are Django ValidationErrors with a code; PermissionDenied carries a code too."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError


class RoleRequired(PermissionDenied):
    """The acting user's role does not allow this action."""

    code = "role_required"


def fail(message: Any, code: str, field: str | None = None) -> ValidationError:
    """A ValidationError for one field (or the whole object), to be raised by a service."""
    if field:
        return ValidationError({field: ValidationError(message, code=code)})
    return ValidationError(message, code=code)
