"""The thirteen billing rules of domain.md §6, each at its boundaries, and properties of `decide`.

Pure unit tests: no database. Every test builds `Facts` directly with `world()`, a child that
passes all thirteen rules on every day of 2026 unless a test changes one fact.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter, defaultdict
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tariffs.billing import rules
from tariffs.billing.rules import (
    Candidate,
    ChildFacts,
    EnrollmentFacts,
    Facts,
    Period,
    PersonFacts,
    ProviderFacts,
    TariffFacts,
    decide,
    exclusion_reason,
)

D = datetime.date


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


CHILD = 1
PROVIDER = 10
OTHER_PROVIDER = 20
HOME, CENTRE = "home", "centre"
HOME_KZT, CENTRE_KZT = 4997, 13000
DAY = D(2026, 7, 15)  # the visit day when a test does not say otherwise
ADMITTED_ON = D(2026, 1, 5)
ENROLLED_ON = D(2026, 1, 10)
CONSENT_ON = D(2026, 1, 5)
BORN = D(2015, 3, 10)  # registered in Astana since birth


# --- builders -------------------------------------------------------------------------------


def admitted(
    *, eligible: bool = True, on: datetime.date | None = ADMITTED_ON, excluded_on=None
) -> ProviderFacts:
    return ProviderFacts(eligible=eligible, admitted_on=on, excluded_on=excluded_on)


def enrolment(
    start: datetime.date = ENROLLED_ON,
    end: datetime.date | None = None,
    *,
    consent_on: datetime.date | None = CONSENT_ON,
    withdrawn_on: datetime.date | None = None,
) -> EnrollmentFacts:
    return EnrollmentFacts(Period(start, end), consent_on, withdrawn_on)


def resident(
    start: datetime.date = BORN,
    until: datetime.date | None = None,
    death: datetime.date | None = None,
) -> PersonFacts:
    return PersonFacts(Period(start, until), death)


def world(
    *,
    providers: dict[int, ProviderFacts] | None = None,
    enrollments: dict[tuple[int, int], list[EnrollmentFacts]] | None = None,
    tariffs: dict[str, list[TariffFacts]] | None = None,
    **child: object,
) -> Facts:
    """Facts in which a visit of CHILD with PROVIDER on any day of 2026 is billed.

    Keyword arguments of ChildFacts (birth_date, home_ipars, persons, hospital, sanatorium,
    education) replace the child's defaults.
    """
    child_facts: dict[str, object] = {
        "birth_date": BORN,
        "home_ipars": [Period(D(2026, 1, 1), D(2026, 12, 31))],
        "persons": [resident()],
    }
    child_facts.update(child)
    return Facts(
        providers={PROVIDER: admitted()} if providers is None else providers,
        children={CHILD: ChildFacts(**child_facts)},  # type: ignore[arg-type]
        enrollments={(CHILD, PROVIDER): [enrolment()]} if enrollments is None else enrollments,
        tariffs=(
            {
                HOME: [TariffFacts(Period(D(2026, 1, 1)), HOME_KZT)],
                CENTRE: [TariffFacts(Period(D(2026, 1, 1)), CENTRE_KZT)],
            }
            if tariffs is None
            else tariffs
        ),
    )


def visit(
    visit_id: str = "V-1",
    *,
    day: datetime.date = DAY,
    start: datetime.time = datetime.time(10, 0),
    child: int = CHILD,
    provider: int = PROVIDER,
    setting: str = HOME,
    confirmed: bool = True,
) -> Candidate:
    return Candidate(visit_id, child, provider, setting, day, start, confirmed)


def reason_on(day: datetime.date, facts: Facts, **visit_fields) -> str | None:
    """The reason `decide` gives a single visit on `day` (None: billed)."""
    [decision] = decide([visit(day=day, **visit_fields)], facts)
    assert (decision.tariff_kzt is None) == (decision.reason is not None)
    return decision.reason


def outcome(candidates: list[Candidate], facts: Facts) -> dict[str, tuple[str | None, int | None]]:
    decisions = decide(candidates, facts)
    assert len(decisions) == len(candidates)
    return {d.visit.visit_id: (d.reason, d.tariff_kzt) for d in decisions}


BILLED = None


def test_the_default_world_bills_a_home_visit_at_the_home_tariff():
    # given a child passing every rule; when a confirmed home visit is decided
    [decision] = decide([visit()], world())
    # then it is billed at the home tariff
    assert decision.reason is None
    assert decision.tariff_kzt == HOME_KZT


# --- rule 1: NOT_CONFIRMED ------------------------------------------------------------------


@pytest.mark.parametrize(("confirmed", "expected"), [(False, rules.NOT_CONFIRMED), (True, BILLED)])
def test_rule_1_a_visit_the_representative_did_not_confirm_is_not_billed(confirmed, expected):
    # given the default world; when the visit is (not) confirmed; then
    assert reason_on(DAY, world(), confirmed=confirmed) == expected


# --- rule 2: PROVIDER_NOT_ADMITTED ----------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "day", "expected"),
    [
        pytest.param(admitted(eligible=False), DAY, rules.PROVIDER_NOT_ADMITTED, id="state-or-no-home-licence"),
        pytest.param(admitted(on=None), DAY, rules.PROVIDER_NOT_ADMITTED, id="never-admitted"),
        pytest.param(admitted(on=DAY), DAY - days(1), rules.PROVIDER_NOT_ADMITTED, id="day-before-admission"),
        pytest.param(admitted(on=DAY), DAY, BILLED, id="admission-day"),
        pytest.param(admitted(excluded_on=DAY), DAY, rules.PROVIDER_NOT_ADMITTED, id="exclusion-day"),
        pytest.param(admitted(excluded_on=DAY), DAY - days(1), BILLED, id="day-before-exclusion"),
        pytest.param(admitted(excluded_on=DAY), DAY + days(1), rules.PROVIDER_NOT_ADMITTED, id="after-exclusion"),
    ],
)  # fmt: skip
def test_rule_2_the_provider_must_be_a_participant_on_the_day(provider, day, expected):
    # given a provider admitted (or not) and maybe excluded; when its visit on `day` is decided
    facts = world(providers={PROVIDER: provider})
    # then it is billed only while the provider is a participant
    assert reason_on(day, facts) == expected


def test_rule_2_a_provider_the_facts_do_not_know_is_not_admitted():
    assert reason_on(DAY, world(providers={})) == rules.PROVIDER_NOT_ADMITTED


# --- rule 3: NOT_ENROLLED -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("enrollments", "expected"),
    [
        pytest.param({(CHILD, PROVIDER): [enrolment(DAY)]}, BILLED, id="start-day-included"),
        pytest.param({(CHILD, PROVIDER): [enrolment(DAY + days(1))]}, rules.NOT_ENROLLED, id="day-before-start"),
        pytest.param({(CHILD, PROVIDER): [enrolment(D(2026, 1, 10), DAY)]}, BILLED, id="end-day-included"),
        pytest.param({(CHILD, PROVIDER): [enrolment(D(2026, 1, 10), DAY - days(1))]}, rules.NOT_ENROLLED, id="day-after-end"),
        pytest.param({(CHILD, PROVIDER): [enrolment(D(2020, 1, 1), None)]}, BILLED, id="open-ended"),
        pytest.param({(CHILD, OTHER_PROVIDER): [enrolment()]}, rules.NOT_ENROLLED, id="only-with-another-provider"),
        pytest.param({}, rules.NOT_ENROLLED, id="no-enrolment"),
    ],
)  # fmt: skip
def test_rule_3_the_child_must_be_enrolled_with_this_provider_on_the_day(enrollments, expected):
    # given these enrolments; when the visit with PROVIDER on DAY is decided; then
    assert reason_on(DAY, world(enrollments=enrollments)) == expected


# --- rule 4: NO_CONSENT ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("enrollment", "expected"),
    [
        pytest.param(enrolment(consent_on=DAY), BILLED, id="consent-given-on-the-day"),
        pytest.param(enrolment(consent_on=DAY + days(1)), rules.NO_CONSENT, id="consent-given-the-day-after"),
        pytest.param(enrolment(withdrawn_on=DAY), rules.NO_CONSENT, id="withdrawn-on-the-day"),
        pytest.param(enrolment(withdrawn_on=DAY + days(1)), BILLED, id="day-before-withdrawal"),
        pytest.param(enrolment(withdrawn_on=DAY - days(1)), rules.NO_CONSENT, id="after-withdrawal"),
        pytest.param(enrolment(consent_on=None), rules.NO_CONSENT, id="no-consent"),
    ],
)  # fmt: skip
def test_rule_4_a_consent_must_cover_the_day(enrollment, expected):
    # given one enrolment with this consent; when the visit on DAY is decided; then
    assert reason_on(DAY, world(enrollments={(CHILD, PROVIDER): [enrollment]})) == expected


@pytest.mark.parametrize("consented_first", [True, False])
def test_rule_4_one_of_two_covering_enrolments_with_consent_is_enough(consented_first):
    # given two enrolments with the provider covering DAY, only one of them with consent
    with_consent = enrolment(D(2026, 6, 1))
    without = enrolment(D(2026, 7, 1), consent_on=None)
    pair = [with_consent, without] if consented_first else [without, with_consent]
    # when the visit is decided; then it is billed
    assert reason_on(DAY, world(enrollments={(CHILD, PROVIDER): pair})) is BILLED


def test_rule_4_consent_of_an_enrolment_that_does_not_cover_the_day_does_not_count():
    # given a consented enrolment that ended, then a new one without consent covering DAY,
    # and a consented enrolment with another provider
    facts = world(
        enrollments={
            (CHILD, PROVIDER): [
                enrolment(D(2026, 1, 10), D(2026, 6, 30)),
                enrolment(D(2026, 7, 1), consent_on=None),
            ],
            (CHILD, OTHER_PROVIDER): [enrolment()],
        }
    )
    # when the visit with PROVIDER is decided; then no consent covers it
    assert reason_on(DAY, facts) == rules.NO_CONSENT


# --- rule 5: AGE_LIMIT ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth_date", "day", "expected"),
    [
        pytest.param(D(2008, 7, 15), D(2026, 7, 14), BILLED, id="day-before-18th-birthday"),
        pytest.param(D(2008, 7, 15), D(2026, 7, 15), rules.AGE_LIMIT, id="18th-birthday"),
        pytest.param(D(2008, 7, 15), D(2026, 7, 16), rules.AGE_LIMIT, id="after-18th-birthday"),
        pytest.param(D(2008, 2, 29), D(2026, 2, 28), BILLED, id="leap-born-28-feb-non-leap-year"),
        pytest.param(D(2008, 2, 29), D(2026, 3, 1), rules.AGE_LIMIT, id="leap-born-1-mar-non-leap-year"),
    ],
)  # fmt: skip
def test_rule_5_the_child_must_be_under_18_on_the_day(birth_date, day, expected):
    # given a child born on birth_date; when a visit on `day` is decided; then
    assert reason_on(day, world(birth_date=birth_date)) == expected


# --- rule 6: IPAR_INVALID -------------------------------------------------------------------

GAP = [Period(D(2026, 1, 1), D(2026, 7, 10)), Period(D(2026, 7, 20), D(2026, 12, 31))]


@pytest.mark.parametrize(
    ("home_ipars", "day", "expected"),
    [
        pytest.param([Period(DAY, D(2027, 7, 14))], DAY, BILLED, id="issue-day-included"),
        pytest.param([Period(DAY, D(2027, 7, 14))], DAY - days(1), rules.IPAR_INVALID, id="day-before-issue"),
        pytest.param([Period(D(2025, 7, 15), DAY)], DAY, BILLED, id="validity-end-included"),
        pytest.param([Period(D(2025, 7, 15), DAY)], DAY + days(1), rules.IPAR_INVALID, id="day-after-validity-end"),
        pytest.param(GAP, D(2026, 7, 10), BILLED, id="gap-last-day-of-first"),
        pytest.param(GAP, D(2026, 7, 15), rules.IPAR_INVALID, id="gap-between-two"),
        pytest.param(GAP, D(2026, 7, 20), BILLED, id="gap-first-day-of-second"),
        # An ИПАР that does not recommend home services never reaches the facts
        # (tariffs.billing.facts.load keeps home_services=True only): the child has none.
        pytest.param([], DAY, rules.IPAR_INVALID, id="no-ipar-with-home-services"),
    ],
)  # fmt: skip
def test_rule_6_a_home_services_ipar_must_be_valid_on_the_day(home_ipars, day, expected):
    # given the child's ИПАР recommending home services; when a visit on `day` is decided; then
    assert reason_on(day, world(home_ipars=home_ipars)) == expected


# --- rule 7: DECEASED -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persons", "expected"),
    [
        pytest.param([resident(death=DAY)], rules.DECEASED, id="death-on-the-day"),
        pytest.param([resident(death=DAY - days(1))], rules.DECEASED, id="death-before-the-day"),
        pytest.param([resident(death=DAY + days(1))], BILLED, id="day-before-death"),
        pytest.param(
            [resident(D(2010, 1, 1), D(2020, 1, 1), death=DAY), resident(D(2020, 1, 2))],
            rules.DECEASED,
            id="death-on-another-record",
        ),
    ],
)  # fmt: skip
def test_rule_7_no_payment_on_or_after_the_recorded_death(persons, expected):
    # given the persons registry's records of the child; when the visit on DAY is decided; then
    assert reason_on(DAY, world(persons=persons)) == expected


# --- rule 8: NOT_RESIDENT -------------------------------------------------------------------

TWO_RECORDS = [resident(D(2015, 1, 1), D(2026, 7, 10)), resident(D(2026, 7, 20))]


@pytest.mark.parametrize(
    ("persons", "day", "expected"),
    [
        pytest.param([], DAY, BILLED, id="no-record-rule-not-applied"),
        pytest.param([resident(D(2015, 1, 1), DAY - days(1))], DAY, rules.NOT_RESIDENT, id="left-the-day-before"),
        pytest.param([resident(D(2015, 1, 1), DAY)], DAY, BILLED, id="until-day-included"),
        pytest.param([resident(DAY)], DAY, BILLED, id="from-day-included"),
        pytest.param([resident(DAY + days(1))], DAY, rules.NOT_RESIDENT, id="registered-the-day-after"),
        pytest.param([resident(D(2015, 1, 1), None)], D(2026, 12, 31), BILLED, id="open-ended-until"),
        pytest.param(TWO_RECORDS, D(2026, 7, 10), BILLED, id="two-records-end-of-first"),
        pytest.param(TWO_RECORDS, D(2026, 7, 15), rules.NOT_RESIDENT, id="two-records-gap"),
        pytest.param(TWO_RECORDS, D(2026, 7, 20), BILLED, id="two-records-start-of-second"),
    ],
)  # fmt: skip
def test_rule_8_the_child_must_be_registered_in_astana_on_the_day(persons, day, expected):
    # given the persons registry's records of the child; when a visit on `day` is decided; then
    assert reason_on(day, world(persons=persons)) == expected


# --- rules 9, 10, 11: HOSPITAL, SANATORIUM, EDUCATION_CORRECTION ----------------------------

REGISTRY_PERIODS = [
    pytest.param("hospital", rules.HOSPITAL, id="hospital"),
    pytest.param("sanatorium", rules.SANATORIUM, id="sanatorium"),
    pytest.param("education", rules.EDUCATION_CORRECTION, id="kppk-pmpk"),
]


@pytest.mark.parametrize(("registry", "reason"), REGISTRY_PERIODS)
@pytest.mark.parametrize(
    ("day", "excluded"),
    [
        pytest.param(D(2026, 7, 9), False, id="day-before-first"),
        pytest.param(D(2026, 7, 10), True, id="first-day"),
        pytest.param(D(2026, 7, 14), True, id="last-day"),
        pytest.param(D(2026, 7, 15), False, id="day-after-last"),
    ],
)
def test_rules_9_to_11_no_payment_during_a_stay_both_ends_included(registry, reason, day, excluded):
    # given a stay (or КППК/ПМПК correctional period) from 10 to 14 July
    facts = world(**{registry: [Period(D(2026, 7, 10), D(2026, 7, 14))]})
    # when a visit on `day` is decided; then
    assert reason_on(day, facts) == (reason if excluded else BILLED)


@pytest.mark.parametrize(("registry", "reason"), REGISTRY_PERIODS)
def test_rules_9_to_11_an_open_ended_stay_goes_on(registry, reason):
    # given a stay with no end that started on 1 July
    facts = world(**{registry: [Period(D(2026, 7, 1))]})
    # when visits on 30 June, 1 July and 31 December are decided; then
    assert reason_on(D(2026, 6, 30), facts) is BILLED
    assert reason_on(D(2026, 7, 1), facts) == reason
    assert reason_on(D(2026, 12, 31), facts) == reason


def test_rules_9_to_11_a_stay_of_another_child_does_not_matter():
    # given another child in hospital on DAY
    facts = world()
    facts.children[2] = ChildFacts(D(2015, 1, 1), hospital=[Period(D(2026, 7, 1))])
    # when this child's visit is decided; then it is billed
    assert reason_on(DAY, facts) is BILLED


# --- rule 12: NO_TARIFF, and the tariff of the day ------------------------------------------


@pytest.mark.parametrize(
    ("tariffs", "setting", "expected"),
    [
        pytest.param({HOME: [TariffFacts(Period(D(2026, 1, 1)), HOME_KZT)]}, CENTRE, rules.NO_TARIFF, id="none-for-the-setting"),
        pytest.param({HOME: [TariffFacts(Period(DAY), HOME_KZT)]}, HOME, BILLED, id="valid-from-the-day"),
        pytest.param({HOME: [TariffFacts(Period(DAY + days(1)), HOME_KZT)]}, HOME, rules.NO_TARIFF, id="valid-from-the-day-after"),
        pytest.param({HOME: [TariffFacts(Period(D(2026, 1, 1), DAY), HOME_KZT)]}, HOME, BILLED, id="valid-to-the-day"),
        pytest.param({HOME: [TariffFacts(Period(D(2026, 1, 1), DAY - days(1)), HOME_KZT)]}, HOME, rules.NO_TARIFF, id="ended-the-day-before"),
        pytest.param({}, HOME, rules.NO_TARIFF, id="no-tariffs"),
    ],
)  # fmt: skip
def test_rule_12_a_tariff_for_the_setting_must_be_valid_on_the_day(tariffs, setting, expected):
    # given these tariffs; when a visit in `setting` on DAY is decided; then
    assert reason_on(DAY, world(tariffs=tariffs), setting=setting) == expected


def test_rule_12_a_tariff_change_inside_the_month_prices_each_visit_at_its_days_tariff():
    # given the home tariff 4 346 ₸ until 14 July and 4 997 ₸ from 15 July
    facts = world(
        tariffs={
            HOME: [
                TariffFacts(Period(D(2026, 1, 1), D(2026, 7, 14)), 4346),
                TariffFacts(Period(D(2026, 7, 15)), 4997),
            ]
        }
    )
    # when visits on 1, 14, 15 and 31 July are decided
    result = outcome(
        [
            visit("V-1", day=D(2026, 7, 1)),
            visit("V-2", day=D(2026, 7, 14)),
            visit("V-3", day=D(2026, 7, 15)),
            visit("V-4", day=D(2026, 7, 31)),
        ],
        facts,
    )
    # then each is billed at the tariff valid on its day, and the invoice has two lines
    assert result == {
        "V-1": (None, 4346),
        "V-2": (None, 4346),
        "V-3": (None, 4997),
        "V-4": (None, 4997),
    }
    lines = invoice_lines(
        decide([visit(f"V-{n}", day=D(2026, 7, n)) for n in (1, 14, 15, 31)], facts)
    )
    assert lines == {(PROVIDER, CHILD, HOME, 4346): 2, (PROVIDER, CHILD, HOME, 4997): 2}


# --- rule 13: DUPLICATE ---------------------------------------------------------------------


def test_rule_13_of_two_visits_of_the_same_child_setting_and_day_the_earlier_start_is_billed():
    # given two home visits on DAY, the second-numbered starting earlier
    candidates = [
        visit("V-1", start=datetime.time(11, 0)),
        visit("V-2", start=datetime.time(9, 0)),
    ]
    # when decided; then the earlier one is billed, the other is a duplicate
    assert outcome(candidates, world()) == {
        "V-1": (rules.DUPLICATE, None),
        "V-2": (None, HOME_KZT),
    }


def test_rule_13_same_start_the_smaller_visit_id_in_plain_string_order_is_billed():
    # given two visits at the same time with ids "V-9" and "V-10" ("V-10" < "V-9" as strings)
    candidates = [visit("V-9"), visit("V-10")]
    # when decided; then "V-10" is billed
    assert outcome(candidates, world()) == {
        "V-9": (rules.DUPLICATE, None),
        "V-10": (None, HOME_KZT),
    }


def test_rule_13_three_visits_one_billed_two_duplicates():
    candidates = [
        visit("V-3", start=datetime.time(9, 0)),
        visit("V-1", start=datetime.time(9, 30)),
        visit("V-2", start=datetime.time(9, 0)),
    ]
    assert outcome(candidates, world()) == {
        "V-1": (rules.DUPLICATE, None),
        "V-2": (None, HOME_KZT),
        "V-3": (rules.DUPLICATE, None),
    }


def test_rule_13_home_and_centre_on_the_same_day_are_two_service_days():
    # given a home and a centre visit of the child on DAY
    candidates = [visit("V-1", setting=HOME), visit("V-2", setting=CENTRE)]
    # when decided; then both are billed, each at its setting's tariff
    assert outcome(candidates, world()) == {"V-1": (None, HOME_KZT), "V-2": (None, CENTRE_KZT)}


def test_rule_13_visits_on_different_days_or_of_different_children_are_not_duplicates():
    facts = world()
    facts.children[2] = replace(facts.children[CHILD])
    facts.enrollments[(2, PROVIDER)] = [enrolment()]
    candidates = [
        visit("V-1"),
        visit("V-2", day=DAY + days(1)),
        visit("V-3", child=2),
    ]
    assert {reason for reason, _ in outcome(candidates, facts).values()} == {None}


def test_rule_13_a_duplicate_of_a_visit_that_failed_an_earlier_rule_is_judged_alone():
    # given an earlier, unconfirmed visit and a later confirmed one, same child, setting and day
    candidates = [
        visit("V-1", start=datetime.time(9, 0), confirmed=False),
        visit("V-2", start=datetime.time(11, 0)),
    ]
    # when decided; then the unconfirmed one is NOT_CONFIRMED and the other is billed
    assert outcome(candidates, world()) == {
        "V-1": (rules.NOT_CONFIRMED, None),
        "V-2": (None, HOME_KZT),
    }


def test_rule_13_the_earlier_visit_failing_rule_2_at_another_provider_does_not_make_a_duplicate():
    # given an earlier visit at a provider excluded before DAY, and a later one at PROVIDER
    facts = world(
        providers={PROVIDER: admitted(), OTHER_PROVIDER: admitted(excluded_on=DAY)},
        enrollments={(CHILD, PROVIDER): [enrolment()], (CHILD, OTHER_PROVIDER): [enrolment()]},
    )
    candidates = [
        visit("V-1", provider=OTHER_PROVIDER, start=datetime.time(9, 0)),
        visit("V-2", provider=PROVIDER, start=datetime.time(11, 0)),
    ]
    # when decided; then
    assert outcome(candidates, facts) == {
        "V-1": (rules.PROVIDER_NOT_ADMITTED, None),
        "V-2": (None, HOME_KZT),
    }


@pytest.mark.parametrize("other_first", [True, False])
def test_rule_13_duplicates_across_two_providers(other_first):
    # given the child enrolled (with consent) with two admitted providers, and one home visit
    # by each on DAY, the other provider's visit starting earlier
    facts = world(
        providers={PROVIDER: admitted(), OTHER_PROVIDER: admitted()},
        enrollments={(CHILD, PROVIDER): [enrolment()], (CHILD, OTHER_PROVIDER): [enrolment()]},
    )
    ours = visit("V-1", provider=PROVIDER, start=datetime.time(12, 0))
    theirs = visit("V-2", provider=OTHER_PROVIDER, start=datetime.time(8, 30))
    candidates = [theirs, ours] if other_first else [ours, theirs]
    # when decided; then one service day is billed, to the provider whose visit came first
    assert outcome(candidates, facts) == {
        "V-1": (rules.DUPLICATE, None),
        "V-2": (None, HOME_KZT),
    }
    assert invoice_lines(decide(candidates, facts)) == {(OTHER_PROVIDER, CHILD, HOME, HOME_KZT): 1}


# --- order of the rules ---------------------------------------------------------------------


def test_an_unconfirmed_visit_in_hospital_is_not_confirmed():
    # given the child in hospital on DAY; when an unconfirmed visit is decided; then
    facts = world(hospital=[Period(D(2026, 7, 1), D(2026, 7, 31))])
    assert reason_on(DAY, facts, confirmed=False) == rules.NOT_CONFIRMED


def test_the_first_failed_rule_is_the_reason_in_the_order_of_the_spec():
    """Start from a visit failing all thirteen rules; repair them one at a time, in order."""
    # given a visit failing every rule at once
    target = visit("V-2", start=datetime.time(11, 0), confirmed=False)
    earlier = visit("V-1", start=datetime.time(9, 0))  # makes V-2 a duplicate once all pass
    facts = world(
        providers={PROVIDER: admitted(eligible=False)},
        enrollments={},
        tariffs={CENTRE: [TariffFacts(Period(D(2026, 1, 1)), CENTRE_KZT)]},
        birth_date=D(2008, 1, 1),
        home_ipars=[],
        persons=[resident(D(2015, 1, 1), D(2026, 1, 1), death=D(2026, 7, 1))],
        hospital=[Period(D(2026, 7, 1))],
        sanatorium=[Period(D(2026, 7, 1))],
        education=[Period(D(2026, 7, 1))],
    )
    child = facts.children[CHILD]

    def confirm():
        nonlocal target
        target = replace(target, confirmed=True)

    repairs = [
        (rules.NOT_CONFIRMED, confirm),
        (rules.PROVIDER_NOT_ADMITTED, lambda: facts.providers.update({PROVIDER: admitted()})),
        (
            rules.NOT_ENROLLED,
            lambda: facts.enrollments.update({(CHILD, PROVIDER): [enrolment(consent_on=None)]}),
        ),
        (rules.NO_CONSENT, lambda: facts.enrollments.update({(CHILD, PROVIDER): [enrolment()]})),
        (rules.AGE_LIMIT, lambda: setattr(child, "birth_date", D(2015, 3, 10))),
        (rules.IPAR_INVALID, lambda: child.home_ipars.append(Period(D(2026, 1, 1)))),
        (
            rules.DECEASED,
            lambda: setattr(child, "persons", [resident(D(2015, 1, 1), D(2026, 1, 1))]),
        ),
        (rules.NOT_RESIDENT, lambda: child.persons.append(resident(D(2026, 1, 2)))),
        (rules.HOSPITAL, child.hospital.clear),
        (rules.SANATORIUM, child.sanatorium.clear),
        (rules.EDUCATION_CORRECTION, child.education.clear),
        (
            rules.NO_TARIFF,
            lambda: facts.tariffs.update({HOME: [TariffFacts(Period(D(2026, 1, 1)), HOME_KZT)]}),
        ),
    ]
    assert [reason for reason, _ in repairs] + [rules.DUPLICATE] == list(rules.REASONS)
    for expected, repair in repairs:
        # when the visit is decided; then the first rule it still fails is its reason
        assert exclusion_reason(target, facts) == expected
        assert outcome([earlier, target], facts)["V-2"] == (expected, None)
        repair()
    assert exclusion_reason(target, facts) is None
    assert outcome([earlier, target], facts)["V-2"] == (rules.DUPLICATE, None)
    assert outcome([target], facts)["V-2"] == (None, HOME_KZT)


# --- properties -----------------------------------------------------------------------------


def invoice_lines(decisions: list[rules.Decision]) -> dict[tuple[int, int, str, int], int]:
    """Units per invoice line: billed visits grouped by provider, child, setting and tariff."""
    units: Counter[tuple[int, int, str, int]] = Counter()
    for decision in decisions:
        if decision.reason is None:
            assert decision.tariff_kzt is not None
            v = decision.visit
            units[(v.provider_id, v.child_id, v.setting, decision.tariff_kzt)] += 1
    return dict(units)


def eighteen_on(birth_date: datetime.date, day: datetime.date) -> bool:
    """Written independently of the code: whole years by (month, day), so a 29 February
    birthday is reached on 1 March in a non-leap year (domain.md §6 rule 5)."""
    years = day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))
    return years >= 18


def spec_reason(v: Candidate, facts: Facts) -> str | None:
    """Rules 1–12 transcribed from the table of domain.md §6, as an oracle for the code."""

    def covers(period: Period, day: datetime.date) -> bool:
        return period.start <= day and (period.end is None or day <= period.end)

    day = v.date
    provider = facts.providers.get(v.provider_id)
    found = [
        e for e in facts.enrollments.get((v.child_id, v.provider_id), []) if covers(e.period, day)
    ]
    child = facts.children[v.child_id]
    checks = [
        (rules.NOT_CONFIRMED, not v.confirmed),
        (
            rules.PROVIDER_NOT_ADMITTED,
            provider is None
            or not provider.eligible
            or provider.admitted_on is None
            or day < provider.admitted_on
            or (provider.excluded_on is not None and day >= provider.excluded_on),
        ),
        (rules.NOT_ENROLLED, not found),
        (
            rules.NO_CONSENT,
            not any(
                e.consent_on is not None
                and e.consent_on <= day
                and (e.consent_withdrawn_on is None or day < e.consent_withdrawn_on)
                for e in found
            ),
        ),
        (rules.AGE_LIMIT, eighteen_on(child.birth_date, day)),
        (rules.IPAR_INVALID, not any(covers(p, day) for p in child.home_ipars)),
        (rules.DECEASED, any(p.death_date and p.death_date <= day for p in child.persons)),
        (
            rules.NOT_RESIDENT,
            bool(child.persons) and not any(covers(p.astana, day) for p in child.persons),
        ),
        (rules.HOSPITAL, any(covers(p, day) for p in child.hospital)),
        (rules.SANATORIUM, any(covers(p, day) for p in child.sanatorium)),
        (rules.EDUCATION_CORRECTION, any(covers(p, day) for p in child.education)),
        (
            rules.NO_TARIFF,
            not any(covers(t.period, day) for t in facts.tariffs.get(v.setting, [])),
        ),
    ]
    return next((reason for reason, failed in checks if failed), None)


MONTH_START = D(2026, 7, 1)
CHILDREN = (1, 2, 3)
PROVIDERS = (10, 20, 30)
SETTINGS = (HOME, CENTRE)
STARTS = tuple(datetime.time(h, m) for h in (9, 10, 11) for m in (0, 30))

# Visits and the facts' boundaries often fall on the same few days, so that the random cases
# often test a rule on the first or last day of a period.
month_days = st.sampled_from([D(2026, 7, n) for n in (1, 2, 15, 16, 31)]) | st.integers(0, 30).map(
    lambda n: MONTH_START + days(n)
)
near_dates = month_days | st.dates(D(2026, 5, 1), D(2026, 9, 30))
before_the_month = st.dates(D(2026, 1, 1), D(2026, 7, 3))


@st.composite
def periods(draw, starts=near_dates, longest: int = 60) -> Period:
    """A period starting on one of `starts`, ending up to `longest` days later or open-ended."""
    start = draw(starts)
    length = draw(st.none() | st.integers(0, longest))
    return Period(start, None if length is None else start + days(length))


# A period that usually covers most of the billing month.
long_periods = st.builds(
    Period, before_the_month, st.none() | month_days | st.dates(D(2026, 7, 20), D(2027, 12, 31))
)


def one_in(n: int, rare, common):
    """`rare` about one time in n, otherwise `common` (which is what shrinking goes to)."""
    return st.integers(1, n).flatmap(lambda k: rare if k == n else common)


# Facts in which most visits pass most rules, each rule failing now and then, so that billed
# visits and duplicates are common among the random cases.
provider_facts = st.builds(
    ProviderFacts,
    eligible=one_in(12, st.just(False), st.just(True)),
    admitted_on=one_in(12, st.none() | near_dates, before_the_month),
    excluded_on=one_in(8, month_days, st.none()),
)
enrollment_facts = st.builds(
    EnrollmentFacts,
    period=one_in(8, periods(near_dates), long_periods),
    consent_on=one_in(10, st.none() | near_dates, before_the_month),
    consent_withdrawn_on=one_in(10, near_dates, st.none()),
)
child_facts = st.builds(
    ChildFacts,
    birth_date=one_in(
        8,
        st.sampled_from([D(2008, 2, 29), D(2008, 7, 1), D(2008, 7, 16), D(2008, 7, 31)]),
        st.dates(D(2008, 8, 1), D(2020, 12, 31)),
    ),
    home_ipars=one_in(
        10,
        st.lists(periods(near_dates), max_size=2),
        st.lists(long_periods, min_size=1, max_size=2),
    ),
    persons=one_in(
        3,
        st.just([]),
        st.lists(
            st.builds(
                PersonFacts,
                astana=one_in(
                    8,
                    periods(near_dates),
                    st.builds(
                        Period,
                        st.dates(D(2010, 1, 1), D(2026, 7, 1)),
                        st.none() | st.dates(D(2026, 8, 1), D(2030, 1, 1)),
                    ),
                ),
                death_date=one_in(15, near_dates, st.none()),
            ),
            min_size=1,
            max_size=2,
        ),
    ),
    hospital=one_in(6, st.lists(periods(month_days, 10), max_size=2), st.just([])),
    sanatorium=one_in(8, st.lists(periods(month_days, 10), max_size=2), st.just([])),
    education=one_in(8, st.lists(periods(near_dates), max_size=2), st.just([])),
)
tariff_lists = one_in(
    10,
    st.lists(
        st.builds(TariffFacts, period=periods(near_dates), amount_kzt=st.integers(1, 50_000)),
        max_size=2,
    ),
    # Usually a tariff change inside the month: until day n, then from day n + 1.
    st.tuples(month_days, st.sampled_from([4346, 9918]), st.sampled_from([4997, 13000])).map(
        lambda change: [
            TariffFacts(Period(D(2026, 1, 1), change[0]), change[1]),
            TariffFacts(Period(change[0] + days(1)), change[2]),
        ]
    ),
)
facts_strategy = st.builds(
    Facts,
    providers=one_in(
        10,
        st.dictionaries(st.sampled_from(PROVIDERS), provider_facts),
        st.fixed_dictionaries(dict.fromkeys(PROVIDERS, provider_facts)),
    ),
    children=st.fixed_dictionaries(dict.fromkeys(CHILDREN, child_facts)),
    enrollments=st.fixed_dictionaries(
        {
            (child, provider): one_in(
                8, st.just([]), st.lists(enrollment_facts, min_size=1, max_size=2)
            )
            for child in CHILDREN
            for provider in PROVIDERS
        }
    ),
    tariffs=st.fixed_dictionaries(dict.fromkeys(SETTINGS, tariff_lists)),
)


@st.composite
def candidate_lists(draw) -> list[Candidate]:
    """Up to 30 done visits of July 2026 with distinct ids; about half of them share the child,
    setting and day of an earlier one (another provider maybe), so that rule 13 has work."""
    ids = draw(st.lists(st.integers(1, 999), unique=True, min_size=1, max_size=30))
    candidates: list[Candidate] = []
    for n in ids:
        if candidates and draw(st.booleans()):
            child, setting, day = draw(
                st.sampled_from([(c.child_id, c.setting, c.date) for c in candidates])
            )
        else:
            child = draw(st.sampled_from(CHILDREN))
            setting = draw(st.sampled_from(SETTINGS))
            day = draw(month_days)
        candidates.append(
            Candidate(
                visit_id=f"V-{n}",
                child_id=child,
                provider_id=draw(st.sampled_from(PROVIDERS)),
                setting=setting,
                date=day,
                start=draw(st.sampled_from(STARTS)),
                confirmed=draw(one_in(8, st.just(False), st.just(True))),
            )
        )
    return candidates


PROPERTY = settings(max_examples=200, deadline=None)


@PROPERTY
@given(candidates=candidate_lists(), facts=facts_strategy)
def test_every_candidate_is_billed_once_or_excluded_once_with_one_reason(candidates, facts):
    # when a month's candidates are decided
    decisions = decide(candidates, facts)
    # then each candidate has exactly one decision
    assert Counter(d.visit for d in decisions) == Counter(candidates)
    for decision in decisions:
        if decision.reason is None:  # billed, at the tariff of its day
            assert decision.tariff_kzt is not None
            assert decision.tariff_kzt == facts.tariff_on(
                decision.visit.setting, decision.visit.date
            )
        else:  # excluded with one of the thirteen reasons, and no price
            assert decision.reason in rules.REASONS
            assert decision.tariff_kzt is None


@PROPERTY
@given(candidates=candidate_lists(), facts=facts_strategy)
def test_decisions_follow_the_rule_table_and_one_service_day_is_billed_once(candidates, facts):
    # when a month's candidates are decided
    decisions = decide(candidates, facts)
    # then rules 1–12 give what the spec's table gives
    passed: dict[tuple[int, str, datetime.date], list[Candidate]] = defaultdict(list)
    for decision in decisions:
        expected = spec_reason(decision.visit, facts)
        if expected is None:
            assert decision.reason in (None, rules.DUPLICATE)
            v = decision.visit
            passed[(v.child_id, v.setting, v.date)].append(v)
        else:
            assert decision.reason == expected
    # and of the visits passing them, one per child, setting and day is billed: the first
    billed = [d.visit for d in decisions if d.reason is None]
    assert len(billed) == len({(v.child_id, v.setting, v.date) for v in billed})
    assert set(billed) == {
        min(visits, key=lambda v: (v.start, v.visit_id)) for visits in passed.values()
    }


@PROPERTY
@given(candidates=candidate_lists(), facts=facts_strategy)
def test_grouping_billed_visits_into_invoice_lines_keeps_the_total(candidates, facts):
    # when a month's candidates are decided and grouped into invoice lines
    decisions = decide(candidates, facts)
    lines = invoice_lines(decisions)
    # then the lines' units × tariff add up to the sum of the billed visits' tariffs
    total = sum(d.tariff_kzt for d in decisions if d.reason is None)
    assert sum(units * tariff for (_p, _c, _s, tariff), units in lines.items()) == total
    assert sum(lines.values()) == sum(d.reason is None for d in decisions)
    # and so does each provider's invoice
    for provider in {p for p, _c, _s, _t in lines}:
        assert sum(
            units * tariff for (p, _c, _s, tariff), units in lines.items() if p == provider
        ) == sum(
            d.tariff_kzt for d in decisions if d.reason is None and d.visit.provider_id == provider
        )


@PROPERTY
@given(candidates=candidate_lists(), facts=facts_strategy, seed=st.randoms(use_true_random=False))
def test_the_order_of_the_candidates_does_not_matter(candidates, facts, seed: random.Random):
    # given the same candidates in another order
    shuffled = list(candidates)
    seed.shuffle(shuffled)
    # when both are decided; then every visit gets the same decision

    def decided(visits):
        return {(d.visit.visit_id, d.reason, d.tariff_kzt) for d in decide(visits, facts)}

    assert decided(shuffled) == decided(candidates)
