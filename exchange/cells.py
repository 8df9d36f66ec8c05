"""One cell of an exchange file: from what a CSV or a spreadsheet holds to a Python value and back.

Every parser reads the *text* of a cell (see `cell_text`) and either returns the value or
raises `CellError` with a code and a translated message. The same parser renders a value back
to text, so the import, the admin's import-export buttons and the exports agree on the format.
"""

from __future__ import annotations

import datetime
import functools
import re
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from core.validators import MESSAGES, identifier_problem

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"\d{1,2}:\d{2}")
_WHOLE_NUMBER = re.compile(r"\d+")


class CellError(Exception):
    """A cell that cannot be read; `code` is stable, `message` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def cell_text(value: Any, *, identifier: bool = False) -> str:
    """The text a cell stands for: a CSV cell as is, a spreadsheet value as the format writes it.

    Spreadsheets hand back dates, times and numbers. A date becomes `YYYY-MM-DD`, a time
    `HH:MM`, a whole number written as 12.0 becomes "12", and an IIN or BIN that came as a
    number gets back the leading zeros the spreadsheet dropped (`identifier=True`).
    """
    if type(value) is str:  # a CSV cell: by far the most common, so tested first
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    if (isinstance(value, float) and value.is_integer()) or (
        isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value()
    ):
        value = int(value)
    if isinstance(value, int):
        text = str(value)
        if identifier and value >= 0 and len(text) < 12:
            return text.zfill(12)
        return text
    return str(value).strip()


class Parser:
    """Reads a non-empty cell text into a value; renders a value back to the cell text."""

    #: A spreadsheet number in this column is an IIN/BIN whose leading zeros must come back.
    identifier = False

    def parse(self, text: str) -> Any:
        return text

    def render(self, value: Any) -> str:
        return "" if value is None else str(value)

    def empty(self) -> Any:
        """The value of an empty cell."""
        return None


class Text(Parser):
    def __init__(self, max_length: int | None = None) -> None:
        self.max_length = max_length

    def parse(self, text: str) -> str:
        if self.max_length is not None and len(text) > self.max_length:
            raise CellError(
                "too_long",
                _("is %(length)d characters long; at most %(max)d are allowed")
                % {"length": len(text), "max": self.max_length},
            )
        return text

    def empty(self) -> str:
        return ""


@functools.lru_cache(maxsize=4096)
def _iso_date(text: str) -> datetime.date | None:
    """A file repeats a few hundred dates over and over: each is read once."""
    if _ISO_DATE.fullmatch(text):
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            pass
    return None


@functools.lru_cache(maxsize=4096)
def _time_of_day(text: str) -> datetime.time | None:
    if _TIME.fullmatch(text):
        hours, minutes = (int(part) for part in text.split(":"))
        if hours < 24 and minutes < 60:
            return datetime.time(hours, minutes)
    return None


class Date(Parser):
    def parse(self, text: str) -> datetime.date:
        value = _iso_date(text)
        if value is not None:
            return value
        raise CellError(
            "invalid_date",
            _("'%(value)s' is not a valid date (expected YYYY-MM-DD)") % {"value": text},
        )

    def render(self, value: Any) -> str:
        return value.isoformat() if value is not None else ""


class Time(Parser):
    """A time of day written HH:MM (24 h)."""

    def parse(self, text: str) -> datetime.time:
        value = _time_of_day(text)
        if value is not None:
            return value
        raise CellError(
            "invalid_time",
            _("'%(value)s' is not a valid time (expected HH:MM, 24 h)") % {"value": text},
        )

    def render(self, value: Any) -> str:
        return value.strftime("%H:%M") if value is not None else ""


class YesNo(Parser):
    def parse(self, text: str) -> bool:
        answer = text.lower()
        if answer == "yes":
            return True
        if answer == "no":
            return False
        raise CellError("invalid_boolean", _("'%(value)s' is not yes or no") % {"value": text})

    def render(self, value: Any) -> str:
        if value is None:
            return ""
        return "yes" if value else "no"


# The children and providers of a file recur on many rows: each number is checked once.
_identifier_problem = functools.lru_cache(maxsize=65536)(identifier_problem)


class Identifier(Parser):
    """A 12-digit IIN or BIN with the check digit of domain.md §4 (codes of core.validators)."""

    identifier = True

    def __init__(self, kind: str) -> None:
        self.kind = kind  # "iin" or "bin": the prefix of the error code

    def parse(self, text: str) -> str:
        problem = _identifier_problem(text)
        if problem is not None:
            label = _("IIN") if self.kind == "iin" else _("BIN")
            raise CellError(f"{self.kind}_{problem}", str(MESSAGES[problem] % {"label": label}))
        return text


class Choice(Parser):
    """One of the codes of a `TextChoices`; `what` names the code in messages ("district")."""

    def __init__(self, choices: type[models.TextChoices], what: str | Promise) -> None:
        self.values = [str(value) for value in choices.values]
        self.known = frozenset(self.values)
        self.what = what

    def parse(self, text: str) -> str:
        if text not in self.known:
            raise CellError("unknown_code", self.unknown(text))
        return text

    def unknown(self, text: str) -> str:
        return _("unknown %(what)s '%(value)s' (expected one of %(expected)s)") % {
            "what": self.what,
            "value": text,
            "expected": ", ".join(self.values),
        }


class ChoiceList(Parser):
    """`;`-separated codes, each known; kept in the file's order, a repeated one once."""

    def __init__(self, choices: type[models.TextChoices], what: str | Promise) -> None:
        self.choice = Choice(choices, what)

    def parse(self, text: str) -> list[str]:
        codes: list[str] = []
        for part in text.split(";"):
            code = self.choice.parse(part.strip()) if part.strip() else ""
            if code and code not in codes:
                codes.append(code)
        return codes

    def render(self, value: Any) -> str:
        return ";".join(value or [])

    def empty(self) -> list[str]:
        return []


class PositiveWholeNumber(Parser):
    def parse(self, text: str) -> int:
        if not _WHOLE_NUMBER.fullmatch(text) or int(text) <= 0:
            raise CellError(
                "not_positive_whole_number",
                _("'%(value)s' is not a positive whole number") % {"value": text},
            )
        return int(text)
