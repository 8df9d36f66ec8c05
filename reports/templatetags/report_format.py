"""How report figures print: whole numbers grouped by thousands, "< 5" as it is, none as "—"."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def cell(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}".replace(",", "\u00a0")
    return str(value)


@register.filter
def percent(value: Any) -> str:
    return "—" if value is None else f"{value}\u00a0%"
