"""Pure rules about children and enrolments: no database access, easy to test alone."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from django.utils.translation import gettext_lazy as _

from core.periods import same_day_next_month
from core.validators import identifier_problem


def eighteenth_birthday(birth_date: datetime.date) -> datetime.date:
    """Born on 29 February: the birthday counts as 1 March in a non-leap year (domain.md §6)."""
    try:
        return birth_date.replace(year=birth_date.year + 18)
    except ValueError:
        return datetime.date(birth_date.year + 18, 3, 1)


def is_minor_on(birth_date: datetime.date, day: datetime.date) -> bool:
    return day < eighteenth_birthday(birth_date)


def birth_date_from_iin(iin: str) -> datetime.date | None:
    """The birth date written in an IIN's digits 1–7, or None if they do not form a date."""
    if identifier_problem(iin) is not None:
        return None
    century = {"1": 1800, "2": 1800, "3": 1900, "4": 1900, "5": 2000, "6": 2000}.get(iin[6])
    if century is None:
        return None
    try:
        return datetime.date(century + int(iin[0:2]), int(iin[2:4]), int(iin[4:6]))
    except ValueError:
        return None


def iin_birth_date_warning(iin: str, birth_date: datetime.date) -> str | None:
    """A warning (never a refusal) when the IIN's digits disagree with the recorded birth date.

    Since 2013 the digits are not guaranteed to match the person (domain.md §4).
    """
    encoded = birth_date_from_iin(iin)
    if encoded == birth_date:
        return None
    if encoded is None:
        return str(_("The IIN's first digits do not encode a birth date."))
    return str(
        _("The IIN encodes the birth date %(encoded)s, the record says %(recorded)s.")
        % {"encoded": encoded.strftime("%d.%m.%Y"), "recorded": birth_date.strftime("%d.%m.%Y")}
    )


_NOT_LETTERS = re.compile(r"[^\w]+")


def name_key(last_name: str, first_name: str, middle_name: str = "") -> str:
    """Names compared for duplicates: case, ё/е, spaces and punctuation ignored."""
    joined = " ".join((last_name, first_name, middle_name)).casefold().replace("ё", "е")
    return _NOT_LETTERS.sub(" ", joined).strip()


class IparLike(Protocol):
    issued_on: datetime.date
    valid_until: datetime.date
    home_services: bool


class ApplicationLike(Protocol):
    consent_on: datetime.date | None
    consent_withdrawn_on: datetime.date | None


def valid_ipar_on(ipars: Iterable[Any], day: datetime.date) -> Any | None:
    """The ИПАР recommending home services that is valid on `day` (the latest issued wins)."""
    valid = [
        ipar for ipar in ipars if ipar.home_services and ipar.issued_on <= day <= ipar.valid_until
    ]
    return max(valid, key=lambda ipar: ipar.issued_on) if valid else None


@dataclass(frozen=True)
class Missing:
    code: str
    message: str


def enrollment_conditions(
    *,
    start_on: datetime.date,
    birth_date: datetime.date,
    application: ApplicationLike | None,
    ipars: Iterable[IparLike],
    has_assessment: bool,
    provider_is_participant: bool,
    application_of_this_child: bool = True,
) -> list[Missing]:
    """Every condition of Alg. §15–16 that fails on the enrolment's start date."""
    missing = []
    if application is not None and not application_of_this_child:
        missing.append(
            Missing(
                "wrong_application",
                str(_("The application and consent belong to another child.")),
            )
        )
    elif application is None:
        missing.append(
            Missing(
                "no_application", str(_("There is no application of the legal representative."))
            )
        )
    elif not (
        application.consent_on is not None
        and application.consent_on <= start_on
        and (
            application.consent_withdrawn_on is None or start_on < application.consent_withdrawn_on
        )
    ):
        missing.append(
            Missing(
                "no_consent",
                str(_("The legal representative's consent does not cover the start date.")),
            )
        )
    if valid_ipar_on(ipars, start_on) is None:
        missing.append(
            Missing(
                "ipar_invalid",
                str(_("No ИПАР recommending home-based services is valid on the start date.")),
            )
        )
    if not has_assessment:
        missing.append(Missing("no_assessment", str(_("There is no needs assessment."))))
    if not is_minor_on(birth_date, start_on):
        missing.append(Missing("age_limit", str(_("The child is 18 or older on the start date."))))
    if not provider_is_participant:
        missing.append(
            Missing(
                "provider_not_participant",
                str(
                    _(
                        "The provider is not a pilot participant on the start date, "
                        "or its participation is suspended."
                    )
                ),
            )
        )
    return missing


def home_ipar_coverage_end(ipars: Iterable[Any], day: datetime.date) -> datetime.date | None:
    """The last day of unbroken home-services ИПАР coverage from `day` on (None: not covered).

    A new ИПАР that starts no later than the day after the previous one ends continues the
    coverage, so a renewal already entered is not reported as ending.
    """
    home = sorted((ipar for ipar in ipars if ipar.home_services), key=lambda ipar: ipar.issued_on)
    current = valid_ipar_on(home, day)
    if current is None:
        return None
    end = max(ipar.valid_until for ipar in home if ipar.issued_on <= day <= ipar.valid_until)
    extended = True
    while extended:
        extended = False
        for ipar in home:
            if ipar.issued_on <= end + datetime.timedelta(days=1) and ipar.valid_until > end:
                end = ipar.valid_until
                extended = True
    return end


def form_031_problem(
    form_031_on: datetime.date | None, mse_on: datetime.date | None
) -> tuple[str, str] | None:
    """Form 031/у is valid at most one month from signing (Alg. §9.1): the МСЭ must fall in it."""
    if form_031_on is None or mse_on is None:
        return None
    if form_031_on > mse_on:
        return "form_031_after_mse", str(_("Form 031/у is dated after the МСЭ."))
    month_later = same_day_next_month(form_031_on)
    if mse_on > month_later:
        return (
            "form_031_expired",
            str(
                _("Form 031/у of %(signed)s was valid until %(until)s, before the МСЭ.")
                % {
                    "signed": form_031_on.strftime("%d.%m.%Y"),
                    "until": month_later.strftime("%d.%m.%Y"),
                }
            ),
        )
    return None
