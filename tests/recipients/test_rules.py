import datetime
from types import SimpleNamespace

import pytest

from core.validators import validate_iin
from recipients import rules

D = datetime.date


@pytest.mark.parametrize(
    ("birth", "eighteenth"),
    [
        (D(2008, 7, 15), D(2026, 7, 15)),
        (D(2008, 2, 29), D(2026, 3, 1)),  # 2026 is not a leap year
        (D(2012, 2, 29), D(2030, 3, 1)),
        (D(2010, 2, 28), D(2028, 2, 28)),
    ],
)
def test_eighteenth_birthday(birth, eighteenth):
    assert rules.eighteenth_birthday(birth) == eighteenth
    assert rules.is_minor_on(birth, eighteenth - datetime.timedelta(days=1))
    assert not rules.is_minor_on(birth, eighteenth)


def test_born_on_29_february_in_a_leap_eighteenth_year():
    assert rules.eighteenth_birthday(D(2004, 2, 29)) == D(2022, 3, 1)
    assert rules.eighteenth_birthday(D(2000, 2, 29)) == D(2018, 3, 1)
    assert rules.eighteenth_birthday(D(1996, 2, 29)) == D(2014, 3, 1)


def test_sample_iins_are_valid_and_encode_their_birth_dates():
    # From the sample dataset: child born 2022-06-15, female.
    validate_iin("220615674240")
    assert rules.birth_date_from_iin("220615674240") == D(2022, 6, 15)
    assert rules.iin_birth_date_warning("220615674240", D(2022, 6, 15)) is None


def test_iin_birth_date_mismatch_is_a_warning_text():
    warning = rules.iin_birth_date_warning("220615674240", D(2022, 6, 16))
    assert warning is not None and "15.06.2022" in warning and "16.06.2022" in warning


def test_name_key_ignores_case_yo_and_punctuation():
    assert rules.name_key("Сёмина", "Анна-Мария", "") == rules.name_key("СЕМИНА ", "анна мария")


def ipar(issued, until, home=True):
    return SimpleNamespace(issued_on=issued, valid_until=until, home_services=home)


def test_valid_ipar_needs_home_services_and_the_day_inside():
    ipars = [ipar(D(2026, 1, 1), D(2026, 6, 30), home=False), ipar(D(2026, 3, 1), D(2026, 7, 10))]
    assert rules.valid_ipar_on(ipars, D(2026, 7, 10)) is ipars[1]
    assert rules.valid_ipar_on(ipars, D(2026, 7, 11)) is None
    assert rules.valid_ipar_on(ipars, D(2026, 2, 1)) is None


def test_coverage_end_follows_a_renewal_without_a_gap():
    first = ipar(D(2025, 8, 1), D(2026, 7, 31))
    renewal = ipar(D(2026, 8, 1), D(2027, 7, 31))
    assert rules.home_ipar_coverage_end([first, renewal], D(2026, 7, 20)) == D(2027, 7, 31)
    gap = ipar(D(2026, 8, 5), D(2027, 7, 31))
    assert rules.home_ipar_coverage_end([first, gap], D(2026, 7, 20)) == D(2026, 7, 31)


START = D(2026, 7, 1)


def conditions(**overrides):
    arguments = {
        "start_on": START,
        "birth_date": D(2015, 1, 1),
        "application": SimpleNamespace(consent_on=D(2026, 6, 20), consent_withdrawn_on=None),
        "ipars": [ipar(D(2026, 1, 1), D(2027, 1, 1))],
        "has_assessment": True,
        "provider_is_participant": True,
    } | overrides
    return [item.code for item in rules.enrollment_conditions(**arguments)]


def test_all_conditions_met():
    assert conditions() == []


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"application": None}, "no_application"),
        (
            {"application": SimpleNamespace(consent_on=None, consent_withdrawn_on=None)},
            "no_consent",
        ),
        (
            {"application": SimpleNamespace(consent_on=D(2026, 7, 2), consent_withdrawn_on=None)},
            "no_consent",
        ),
        (
            {"application": SimpleNamespace(consent_on=D(2026, 6, 1), consent_withdrawn_on=START)},
            "no_consent",
        ),
        ({"ipars": [ipar(D(2026, 1, 1), D(2026, 6, 30))]}, "ipar_invalid"),
        ({"ipars": [ipar(D(2026, 1, 1), D(2027, 1, 1), home=False)]}, "ipar_invalid"),
        ({"has_assessment": False}, "no_assessment"),
        ({"birth_date": D(2008, 7, 1)}, "age_limit"),
        ({"provider_is_participant": False}, "provider_not_participant"),
    ],
)
def test_each_condition_refuses_on_its_own(overrides, code):
    assert conditions(**overrides) == [code]


def test_every_missing_condition_is_named_at_once():
    assert set(conditions(application=None, ipars=[], has_assessment=False)) == {
        "no_application",
        "ipar_invalid",
        "no_assessment",
    }


@pytest.mark.parametrize(
    ("signed", "mse", "code"),
    [
        (D(2026, 1, 10), D(2026, 2, 10), None),
        (D(2026, 1, 10), D(2026, 2, 11), "form_031_expired"),
        (D(2026, 1, 31), D(2026, 2, 28), None),
        (D(2026, 1, 31), D(2026, 3, 1), "form_031_expired"),
        (D(2026, 3, 5), D(2026, 3, 4), "form_031_after_mse"),
        (None, D(2026, 3, 4), None),
    ],
)
def test_form_031_is_valid_one_month_before_the_mse(signed, mse, code):
    problem = rules.form_031_problem(signed, mse)
    assert (problem[0] if problem else None) == code
