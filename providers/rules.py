"""Pure admission rules: what a provider still lacks, and what staff the norms require.

No database access here: callers pass plain objects (model instances already loaded), so the
rules are easy to test and the same code serves pages, the admin, the API and the services.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from providers.models import (
    NEW_BUILDING_FIRE_DOCUMENTS,
    DocumentKind,
    NormBasis,
    ReviewStatus,
    RoomKind,
    Tenure,
)


class DocumentLike(Protocol):
    kind: str
    premises_id: int | None
    issued_on: datetime.date
    valid_until: datetime.date | None
    review_status: str


class PremisesLike(Protocol):
    pk: int
    address: str
    tenure: str
    lease_ends_on: datetime.date | None
    is_new_building: bool


class RoomLike(Protocol):
    kind: str
    equipped: bool


class NormLike(Protocol):
    position: str
    units: Decimal
    basis: str
    per_count: int | None
    by_need: bool


@dataclass(frozen=True)
class Gap:
    """One thing a provider still lacks, worded for the provider head."""

    code: str
    message: str
    premises_id: int | None = None


def _mid_sentence(label: str, *, first: bool = False) -> str:
    """A document's name inside a sentence starts lower-case, unless it opens it or is an acronym."""
    if first or len(label) < 2 or label[1].isupper():
        return label
    return label[0].lower() + label[1:]


def _usable(document: DocumentLike, on: datetime.date, *, require_accepted: bool) -> bool:
    if document.review_status == ReviewStatus.REJECTED:
        return False
    if require_accepted and document.review_status != ReviewStatus.ACCEPTED:
        return False
    return document.issued_on <= on and (document.valid_until is None or on <= document.valid_until)


def _requirement_gap(
    documents: Sequence[DocumentLike],
    alternatives: Sequence[Sequence[str]],
    on: datetime.date,
    *,
    require_accepted: bool,
    code: str,
    where: str,
    premises_id: int | None,
) -> Gap | None:
    """A requirement is met by any one of `alternatives`; an alternative needs all its kinds."""
    for kinds in alternatives:
        if all(
            any(
                d.kind == kind and _usable(d, on, require_accepted=require_accepted)
                for d in documents
            )
            for kind in kinds
        ):
            return None
    wanted = str(_(" or ")).join(
        _mid_sentence(
            str(DocumentKind(kinds[0]).label)
            if len(kinds) == 1
            else str(
                _("all of: %(kinds)s")
                % {"kinds": ", ".join(_mid_sentence(str(DocumentKind(k).label)) for k in kinds)}
            ),
            first=index == 0,
        )
        for index, kinds in enumerate(alternatives)
    )
    present = [d for d in documents if any(d.kind in kinds for kinds in alternatives)]
    if require_accepted and any(
        d.review_status == ReviewStatus.PENDING and _usable(d, on, require_accepted=False)
        for d in present
    ):
        state: Promise = _("not yet accepted by the akimat")
    elif any(d.valid_until is not None and d.valid_until < on for d in present):
        state = _("out of date")
    elif any(d.review_status == ReviewStatus.REJECTED for d in present):
        state = _("rejected, upload a corrected one")
    else:
        state = _("missing")
    message = _("%(where)s: %(wanted)s — %(state)s.") % {
        "where": where,
        "wanted": wanted,
        "state": state,
    }
    return Gap(code=code, message=str(message), premises_id=premises_id)


def document_gaps(
    *,
    documents: Iterable[DocumentLike],
    premises: Iterable[PremisesLike],
    on: datetime.date,
    require_accepted: bool = False,
) -> list[Gap]:
    """Every qualification document still missing or out of date on `on` (Alg. §6)."""
    documents = list(documents)
    premises = list(premises)
    gaps: list[Gap] = []
    provider_level = [d for d in documents if d.premises_id is None]
    gap = _requirement_gap(
        provider_level,
        [[DocumentKind.STAFFING_TABLE]],
        on,
        require_accepted=require_accepted,
        code="staffing_table",
        where=str(_("Organisation")),
        premises_id=None,
    )
    if gap:
        gaps.append(gap)
    if not premises:
        gaps.append(Gap(code="no_premises", message=str(_("No premises are registered yet."))))
    for place in premises:
        own = [d for d in documents if d.premises_id == place.pk]
        where = str(_("Premises at %(address)s") % {"address": place.address})
        if place.tenure == Tenure.LEASED:
            right: list[list[str]] = [[DocumentKind.LEASE]]
            if place.lease_ends_on is not None and place.lease_ends_on < on:
                gaps.append(
                    Gap(
                        code="lease_expired",
                        message=str(
                            _("%(where)s: the lease ended on %(day)s.")
                            % {"where": where, "day": place.lease_ends_on.isoformat()}
                        ),
                        premises_id=place.pk,
                    )
                )
        else:
            right = [[DocumentKind.OWNERSHIP_RECORD]]
        fire: list[list[str]] = [[DocumentKind.FIRE_INSPECTION_ACT]]
        if place.is_new_building:
            fire.append(list(NEW_BUILDING_FIRE_DOCUMENTS))
        for code, alternatives in (
            ("premises_right", right),
            (
                "sanitary",
                [[DocumentKind.SANITARY_CONCLUSION], [DocumentKind.SANITARY_NOTIFICATION]],
            ),
            ("fire_safety", fire),
        ):
            gap = _requirement_gap(
                own,
                alternatives,
                on,
                require_accepted=require_accepted,
                code=code,
                where=where,
                premises_id=place.pk,
            )
            if gap:
                gaps.append(gap)
    return gaps


def room_gaps(rooms: Iterable[RoomLike]) -> list[Gap]:
    """Every one of the eight rooms of Alg. §6.3 that is not marked equipped."""
    equipped = {room.kind for room in rooms if room.equipped}
    return [
        Gap(
            code="room_not_equipped",
            message=str(_("%(room)s is not equipped.") % {"room": kind.label}),
        )
        for kind in RoomKind
        if kind.value not in equipped
    ]


@dataclass(frozen=True)
class StaffingLine:
    position: str
    required: Decimal
    actual: Decimal

    @property
    def shortfall(self) -> Decimal:
        return max(Decimal(0), self.required - self.actual)


def required_units(
    norm: NormLike,
    *,
    recipients: int,
    care_recipients: int,
    branches: int,
    vehicles: int,
) -> Decimal:
    """Units App. 1 requires for one position.

    "Per N recipients" is rounded up to whole blocks of N: 130 children need two speech
    therapists, 1 child needs one, 0 children need none (docs/decisions.md, staffing norms).
    """
    if norm.basis == NormBasis.PER_ORGANISATION:
        return norm.units
    if norm.basis == NormBasis.PER_BRANCH:
        return norm.units * max(1, branches)
    if norm.basis == NormBasis.PER_VEHICLE:
        return norm.units * vehicles
    count = recipients if norm.basis == NormBasis.PER_RECIPIENTS else care_recipients
    per = norm.per_count or 1
    return norm.units * math.ceil(count / per)


def staffing_table(
    *,
    norms: Iterable[NormLike],
    actual_fte: dict[str, Decimal],
    recipients: int,
    care_recipients: int,
    branches: int,
    vehicles: int,
) -> list[StaffingLine]:
    """Required and actual units for every norm; positions 'by need' never show a shortfall."""
    lines = []
    for norm in norms:
        required = required_units(
            norm,
            recipients=recipients,
            care_recipients=care_recipients,
            branches=branches,
            vehicles=vehicles,
        )
        actual = actual_fte.get(norm.position, Decimal(0))
        if norm.by_need:
            required = min(required, actual)
        lines.append(StaffingLine(position=norm.position, required=required, actual=actual))
    return lines
