"""Tenge as people read them: whole tenge grouped by thousands in the page's language
(`13 000` in Russian and Kazakh), never a float."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def tenge(value: Any) -> str:
    """`13000` → `13 000` (with a no-break space); none → an em dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, float):
        raise TypeError("money is whole tenge, never a float")
    return number_format(Decimal(value), decimal_pos=0, use_l10n=True, force_grouping=True)
