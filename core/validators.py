"""Kazakhstan identifiers: IIN (people) and BIN (organisations) share one check-digit rule (domain.md §4)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

FIRST_WEIGHTS = tuple(range(1, 12))
SECOND_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)

MESSAGES: dict[str, Any] = {
    "wrong_length": _("%(label)s must have exactly 12 digits."),
    "not_digits": _("%(label)s must contain digits only."),
    "never_issued": _("%(label)s cannot exist: its check digit comes out as 10 twice."),
    "bad_check_digit": _("%(label)s has a wrong check digit."),
}


def check_digit(first_eleven: str) -> int | None:
    """The 12th digit for the first eleven, or None when no valid number starts with them."""
    digits = [int(c) for c in first_eleven]
    value = sum(d * w for d, w in zip(digits, FIRST_WEIGHTS, strict=True)) % 11
    if value == 10:
        value = sum(d * w for d, w in zip(digits, SECOND_WEIGHTS, strict=True)) % 11
        if value == 10:
            return None
    return value


def identifier_problem(value: str) -> str | None:
    """The problem code if `value` is not a valid 12-digit IIN/BIN, else None."""
    if len(value) != 12:
        return "wrong_length"
    if not value.isascii() or not value.isdigit():
        return "not_digits"
    expected = check_digit(value[:11])
    if expected is None:
        return "never_issued"
    if expected != int(value[11]):
        return "bad_check_digit"
    return None


def _validate(value: str, prefix: str, label: Promise) -> None:
    problem = identifier_problem(value)
    if problem:
        raise ValidationError(
            MESSAGES[problem], code=f"{prefix}_{problem}", params={"label": label}
        )


def validate_bin(value: str) -> None:
    _validate(value, "bin", _("BIN"))


def validate_iin(value: str) -> None:
    _validate(value, "iin", _("IIN"))
