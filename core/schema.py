"""Corrections to the OpenAPI schema drf-spectacular generates, so that it says what the API
really answers (checked by tests/core/test_api_schemathesis.py)."""

from __future__ import annotations

from typing import Any

# Times of day are local (Asia/Almaty) and written "HH:MM[:SS[.ffffff]]", without an offset.
# drf-spectacular calls them `format: time`, which JSON Schema reads as RFC 3339's full-time,
# offset included: no answer of ours would conform.
TIME_OF_DAY = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$"


def _times_of_day(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("format") == "time":
            del node["format"]
            node["pattern"] = TIME_OF_DAY
        for value in node.values():
            _times_of_day(value)
    elif isinstance(node, list):
        for value in node:
            _times_of_day(value)


def postprocess_times_of_day(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    _times_of_day(result)
    return result
