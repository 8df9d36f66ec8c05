"""How report figures print: whole numbers grouped by thousands, "< 5" as it is, none as "—",
a figure withheld from publication as "×"."""

from __future__ import annotations

from typing import Any

from django import template

from reports.suppression import HIDDEN, SUPPRESSED

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
def tenge(value: Any) -> str:
    """An amount with its sign, "×" alone where it is hidden."""
    if value in (HIDDEN, SUPPRESSED):
        return str(value)
    return f"{cell(value)}\u00a0₸"


@register.filter
def percent(value: Any) -> str:
    if value in (HIDDEN, SUPPRESSED):  # hidden with the tenge or days it is a share of
        return str(value)
    return "—" if value is None else f"{value}\u00a0%"


@register.filter
def withheld(value: Any) -> str:
    """A figure the report does not publish (stored as none), such as a staffing norm that
    would tell a diagnosis: printed "×" as the cells hidden by suppression are."""
    return HIDDEN if value is None else cell(value)
