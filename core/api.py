"""One DRF exception handler: domain errors become 400s with field, code and message."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, ParseError
from rest_framework.exceptions import PermissionDenied as DRFPermissionDenied
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def validation_error_items(error: DjangoValidationError) -> list[dict[str, Any]]:
    """Flatten a Django ValidationError into [{field, code, message}] (field None = whole object)."""
    items: list[dict[str, Any]] = []
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for item in errors:
                for message in item.messages:
                    items.append(
                        {
                            "field": None if field == "__all__" else field,
                            "code": item.code or "invalid",
                            "message": message,
                        }
                    )
    else:
        for item in error.error_list:
            for message in item.messages:
                items.append({"field": None, "code": item.code or "invalid", "message": message})
    return items


def _drf_items(detail: Any, field: str | None = None) -> list[dict[str, Any]]:
    if isinstance(detail, dict):
        items = []
        for key, value in detail.items():
            items.extend(_drf_items(value, None if key == "non_field_errors" else key))
        return items
    if isinstance(detail, list):
        items = []
        for value in detail:
            items.extend(_drf_items(value, field))
        return items
    return [{"field": field, "code": getattr(detail, "code", "invalid"), "message": str(detail)}]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        return Response({"errors": validation_error_items(exc)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, PermissionDenied):
        code = getattr(exc, "code", "permission_denied")
        message = str(exc) or str(DRFPermissionDenied.default_detail)
        return Response(
            {"errors": [{"field": None, "code": code, "message": message}]},
            status=status.HTTP_403_FORBIDDEN,
        )
    if isinstance(exc, ParseError):
        # DRF's "JSON parse error - Expecting property name…" is the parser's English, untranslated.
        exc = ParseError(_("The request body could not be read: check that it is valid JSON."))
    if isinstance(exc, Http404):
        # "No Visit matches the given query." names a model, in English: answered as DRF's own
        # "Not found.", in the caller's language, whatever the record or the reason.
        exc = NotFound()
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, APIException):
        response.data = {"errors": _drf_items(exc.detail)}
    return response
