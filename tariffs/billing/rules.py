"""The thirteen billing rules (domain.md §6), in order, as pure functions of the facts.

No database access here: `tariffs.billing.facts` loads what a month needs in a fixed number of
queries, and these functions decide. Every rule looks at the day of the visit only; nothing is
decided from today's state of a record.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from providers.participation import participant_on
from recipients.rules import eighteenth_birthday

# The reason codes, in the order the rules are checked (the first failed rule is the reason).
NOT_CONFIRMED = "NOT_CONFIRMED"
PROVIDER_NOT_ADMITTED = "PROVIDER_NOT_ADMITTED"
NOT_ENROLLED = "NOT_ENROLLED"
NO_CONSENT = "NO_CONSENT"
AGE_LIMIT = "AGE_LIMIT"
IPAR_INVALID = "IPAR_INVALID"
DECEASED = "DECEASED"
NOT_RESIDENT = "NOT_RESIDENT"
HOSPITAL = "HOSPITAL"
SANATORIUM = "SANATORIUM"
EDUCATION_CORRECTION = "EDUCATION_CORRECTION"
NO_TARIFF = "NO_TARIFF"
DUPLICATE = "DUPLICATE"
# Not one of the thirteen: an officer confirmed a reconciliation finding about the visit.
REJECTED_ON_REVIEW = "REJECTED_ON_REVIEW"
# Not one of the thirteen either: a "done" visit dated after the day of billing cannot have
# been given yet (only a running month's draft can hold one; docs/decisions.md).
FUTURE_DATE = "FUTURE_DATE"

REASONS = (
    NOT_CONFIRMED,
    PROVIDER_NOT_ADMITTED,
    NOT_ENROLLED,
    NO_CONSENT,
    AGE_LIMIT,
    IPAR_INVALID,
    DECEASED,
    NOT_RESIDENT,
    HOSPITAL,
    SANATORIUM,
    EDUCATION_CORRECTION,
    NO_TARIFF,
    DUPLICATE,
)
# Every reason an exclusion may carry.
ALL_REASONS = (FUTURE_DATE, *REASONS, REJECTED_ON_REVIEW)

EXPLANATIONS = {
    NOT_CONFIRMED: _("The legal representative has not confirmed the visit."),
    PROVIDER_NOT_ADMITTED: _("On that day the provider was not a participant of the pilot."),
    NOT_ENROLLED: _("On that day the child was not enrolled with this provider."),
    NO_CONSENT: _("On that day no consent of the legal representative covered the enrolment."),
    AGE_LIMIT: _("On that day the child was 18 or older."),
    IPAR_INVALID: _("On that day the child had no valid ИПАР recommending home services."),
    DECEASED: _("The persons registry records the child's death on or before that day."),
    NOT_RESIDENT: _("The persons registry shows no registration in Astana on that day."),
    HOSPITAL: _("The health registry shows an inpatient hospital stay on that day."),
    SANATORIUM: _("The health registry shows a sanatorium stay on that day."),
    EDUCATION_CORRECTION: _(
        "The education registry shows КППК or ПМПК correctional services on that day."
    ),
    NO_TARIFF: _("No tariff for this setting was valid on that day."),
    DUPLICATE: _(
        "Another visit of the same child, setting and day is billed (one service day each)."
    ),
    REJECTED_ON_REVIEW: _("An akimat officer confirmed a reconciliation finding about the visit."),
    FUTURE_DATE: _("The visit is dated after the day of billing: it cannot have been given yet."),
}


@dataclass(frozen=True)
class Period:
    """A period of days, both ends included; no end: still going on."""

    start: datetime.date
    end: datetime.date | None = None

    def covers(self, day: datetime.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


def any_covers(periods: Iterable[Period], day: datetime.date) -> bool:
    return any(period.covers(day) for period in periods)


@dataclass(frozen=True)
class ProviderFacts:
    eligible: bool  # non-state, with a licence covering home care
    admitted_on: datetime.date | None
    excluded_on: datetime.date | None

    def participant_on(self, day: datetime.date) -> bool:
        return participant_on(
            day, eligible=self.eligible, admitted_on=self.admitted_on, excluded_on=self.excluded_on
        )


@dataclass(frozen=True)
class EnrollmentFacts:
    period: Period
    consent_on: datetime.date | None
    consent_withdrawn_on: datetime.date | None

    def consent_covers(self, day: datetime.date) -> bool:
        return (
            self.consent_on is not None
            and self.consent_on <= day
            and (self.consent_withdrawn_on is None or day < self.consent_withdrawn_on)
        )


@dataclass(frozen=True)
class PersonFacts:
    astana: Period
    death_date: datetime.date | None


@dataclass(frozen=True)
class TariffFacts:
    period: Period
    amount_kzt: int


@dataclass
class ChildFacts:
    birth_date: datetime.date
    home_ipars: list[Period] = field(default_factory=list)
    persons: list[PersonFacts] = field(default_factory=list)
    hospital: list[Period] = field(default_factory=list)
    sanatorium: list[Period] = field(default_factory=list)
    education: list[Period] = field(default_factory=list)
    iin: str = ""  # for the invoice's files, not used by the rules


@dataclass
class Facts:
    """What the rules need for a set of candidate visits, loaded once."""

    providers: dict[int, ProviderFacts]
    children: dict[int, ChildFacts]
    enrollments: dict[tuple[int, int], list[EnrollmentFacts]]  # (child, provider)
    tariffs: dict[str, list[TariffFacts]]  # setting
    # visits (by key) excluded by a confirmed reconciliation finding
    rejected: frozenset[int] = frozenset()
    # the day of billing: a visit dated after it is not billed (FUTURE_DATE); None: no such day
    today: datetime.date | None = None

    def tariff_on(self, setting: str, day: datetime.date) -> int | None:
        return tariff_on(self.tariffs, setting, day)


def tariff_on(
    tariffs: dict[str, list[TariffFacts]], setting: str, day: datetime.date
) -> int | None:
    """The tariff of the day for the setting (rule 12: none valid gives None)."""
    for tariff in tariffs.get(setting, ()):
        if tariff.period.covers(day):
            return tariff.amount_kzt
    return None


@dataclass(frozen=True)
class Candidate:
    """A done visit of the billing month."""

    visit_id: str
    child_id: int
    provider_id: int
    setting: str
    date: datetime.date
    start: datetime.time
    confirmed: bool
    pk: int = 0  # the visit's row, for storing the decision (not used by the rules)


def exclusion_reason(visit: Candidate, facts: Facts) -> str | None:
    """Rules 1–12: the first rule the visit fails, or None when it may be billed.

    Before them, a visit dated after the day of billing: it cannot have been done, so no rule
    of the day is asked about it (only a running month has such days)."""
    day = visit.date
    if facts.today is not None and day > facts.today:
        return FUTURE_DATE
    if not visit.confirmed:
        return NOT_CONFIRMED
    provider = facts.providers.get(visit.provider_id)
    if provider is None or not provider.participant_on(day):
        return PROVIDER_NOT_ADMITTED
    covering = [
        enrollment
        for enrollment in facts.enrollments.get((visit.child_id, visit.provider_id), ())
        if enrollment.period.covers(day)
    ]
    if not covering:
        return NOT_ENROLLED
    if not any(enrollment.consent_covers(day) for enrollment in covering):
        return NO_CONSENT
    child = facts.children[visit.child_id]
    if day >= eighteenth_birthday(child.birth_date):
        return AGE_LIMIT
    if not any_covers(child.home_ipars, day):
        return IPAR_INVALID
    if any(person.death_date is not None and person.death_date <= day for person in child.persons):
        return DECEASED
    if child.persons and not any(person.astana.covers(day) for person in child.persons):
        return NOT_RESIDENT
    if any_covers(child.hospital, day):
        return HOSPITAL
    if any_covers(child.sanatorium, day):
        return SANATORIUM
    if any_covers(child.education, day):
        return EDUCATION_CORRECTION
    if facts.tariff_on(visit.setting, day) is None:
        return NO_TARIFF
    return None


@dataclass(frozen=True)
class Decision:
    visit: Candidate
    reason: str | None  # None: billed
    tariff_kzt: int | None = None


def decide(candidates: Sequence[Candidate], facts: Facts) -> list[Decision]:
    """Every candidate billed once or excluded once, with exactly one reason (rules 1–13, and
    REJECTED_ON_REVIEW for a visit a confirmed finding names that passed rules 1–12).

    Rule 13: of the visits that passed rules 1–12 with the same child, setting and date, the
    first — earlier start, then the smaller visit id in plain string order — is billed; the
    others are duplicates.
    """
    decisions: list[Decision] = []
    passed: dict[tuple[int, str, datetime.date], list[Candidate]] = {}
    for visit in candidates:
        reason = exclusion_reason(visit, facts)
        if reason is None and visit.pk in facts.rejected:
            # After rules 1–12 (their reasons come first) and out of rule 13's comparison, so
            # that a rejected visit never makes another one a duplicate.
            reason = REJECTED_ON_REVIEW
        if reason is None:
            passed.setdefault((visit.child_id, visit.setting, visit.date), []).append(visit)
        else:
            decisions.append(Decision(visit, reason))
    for (_child, setting, day), visits in passed.items():
        first, *others = sorted(visits, key=lambda visit: (visit.start, visit.visit_id))
        decisions.append(Decision(first, None, facts.tariff_on(setting, day)))
        decisions.extend(Decision(other, DUPLICATE) for other in others)
    return decisions
