import pytest
from django.core.exceptions import ValidationError

from core.validators import check_digit, identifier_problem, validate_bin, validate_iin

# BINs of the sample dataset (valid by construction).
VALID_BINS = ["100340517502", "060640763877", "141140246242", "061040078128"]


@pytest.mark.parametrize("value", VALID_BINS)
def test_valid_bin_passes(value):
    validate_bin(value)


def test_one_digit_off_is_refused_with_its_code():
    good = "100340517502"
    bad = good[:11] + str((int(good[11]) + 1) % 10)
    with pytest.raises(ValidationError) as error:
        validate_bin(bad)
    assert error.value.code == "bin_bad_check_digit"


@pytest.mark.parametrize("value", ["10034051750", "1003405175021", ""])
def test_wrong_length_is_refused(value):
    with pytest.raises(ValidationError) as error:
        validate_bin(value)
    assert error.value.code == "bin_wrong_length"


def test_letters_are_refused():
    with pytest.raises(ValidationError) as error:
        validate_bin("10034051750A")
    assert error.value.code == "bin_not_digits"


def test_second_weight_pass_decides_when_first_gives_ten():
    # Find eleven digits whose first weighted sum is 10 mod 11: the second weights decide.
    body = next(
        f"{n:011d}"
        for n in range(10**10, 10**10 + 10_000)
        if sum(int(d) * w for d, w in zip(f"{n:011d}", range(1, 12), strict=True)) % 11 == 10
        and sum(
            int(d) * w
            for d, w in zip(f"{n:011d}", (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2), strict=True)
        )
        % 11
        != 10
    )
    digit = check_digit(body)
    second = (
        sum(int(d) * w for d, w in zip(body, (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2), strict=True)) % 11
    )
    assert digit == second
    assert identifier_problem(body + str(digit)) is None
    validate_iin(body + str(digit))


def test_number_whose_both_passes_give_ten_is_never_issued():
    body = next(
        f"{n:011d}" for n in range(10**10, 10**10 + 200_000) if check_digit(f"{n:011d}") is None
    )
    for last in "0123456789":
        with pytest.raises(ValidationError) as error:
            validate_iin(body + last)
        assert error.value.code == "iin_never_issued"


@pytest.mark.parametrize("last", [d for d in "0123456789" if d != "0"])
def test_an_iin_with_its_check_digit_off_is_refused(last):
    good = "220615674240"  # a child of the sample dataset
    validate_iin(good)
    with pytest.raises(ValidationError) as error:
        validate_iin(good[:11] + last)
    assert error.value.code == "iin_bad_check_digit"


def test_a_typo_in_the_body_is_caught_by_the_check_digit():
    # A typo in the birth-date digits (16 instead of 15) no longer matches the check digit.
    with pytest.raises(ValidationError):
        validate_iin("220616674240")
