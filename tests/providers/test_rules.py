import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from providers import rules
from providers.models import DocumentKind, NormBasis, ReviewStatus, RoomKind, Tenure

DAY = datetime.date(2026, 6, 5)


def norm(basis, units="1", per=None, by_need=False, position="speech_therapist"):
    return SimpleNamespace(
        position=position, units=Decimal(units), basis=basis, per_count=per, by_need=by_need
    )


@pytest.mark.parametrize(
    ("recipients", "expected"), [(0, 0), (1, 1), (80, 1), (81, 2), (130, 2), (161, 3)]
)
def test_per_recipients_rounds_up_to_whole_blocks(recipients, expected):
    required = rules.required_units(
        norm(NormBasis.PER_RECIPIENTS, per=80),
        recipients=recipients,
        care_recipients=0,
        branches=0,
        vehicles=0,
    )
    assert required == Decimal(expected)


def test_half_unit_per_forty_recipients():
    required = rules.required_units(
        norm(NormBasis.PER_RECIPIENTS, units="0.5", per=40),
        recipients=130,
        care_recipients=0,
        branches=0,
        vehicles=0,
    )
    assert required == Decimal("2.0")


def test_director_per_branch_and_driver_per_vehicle():
    kwargs = {"recipients": 10, "care_recipients": 0}
    assert rules.required_units(
        norm(NormBasis.PER_BRANCH), branches=0, vehicles=0, **kwargs
    ) == Decimal(1)
    assert rules.required_units(
        norm(NormBasis.PER_BRANCH), branches=3, vehicles=0, **kwargs
    ) == Decimal(3)
    assert rules.required_units(
        norm(NormBasis.PER_VEHICLE), branches=0, vehicles=2, **kwargs
    ) == Decimal(2)


def test_shortfall_and_by_need_positions():
    lines = rules.staffing_table(
        norms=[
            norm(NormBasis.PER_RECIPIENTS, per=80),
            norm(NormBasis.PER_ORGANISATION, position="doctor", by_need=True),
        ],
        actual_fte={"speech_therapist": Decimal("1.5")},
        recipients=130,
        care_recipients=0,
        branches=0,
        vehicles=0,
    )
    speech, doctor = lines
    assert speech.required == 2 and speech.shortfall == Decimal("0.5")
    assert doctor.shortfall == 0


def doc(kind, premises_id=None, issued=datetime.date(2026, 1, 1), until=None, status="accepted"):
    return SimpleNamespace(
        kind=kind,
        premises_id=premises_id,
        issued_on=issued,
        valid_until=until,
        review_status=status,
    )


def place(pk=1, tenure=Tenure.OWNED, lease_end=None, new=False):
    return SimpleNamespace(
        pk=pk, address="ул. Туран, 1", tenure=tenure, lease_ends_on=lease_end, is_new_building=new
    )


def complete_documents(premises_id=1):
    return [
        doc(DocumentKind.STAFFING_TABLE),
        doc(DocumentKind.OWNERSHIP_RECORD, premises_id),
        doc(DocumentKind.SANITARY_NOTIFICATION, premises_id),
        doc(DocumentKind.FIRE_INSPECTION_ACT, premises_id),
    ]


def test_complete_set_has_no_gaps_and_notification_replaces_conclusion():
    assert rules.document_gaps(documents=complete_documents(), premises=[place()], on=DAY) == []


def test_missing_fire_document_is_named():
    documents = [d for d in complete_documents() if d.kind != DocumentKind.FIRE_INSPECTION_ACT]
    gaps = rules.document_gaps(documents=documents, premises=[place()], on=DAY)
    assert [gap.code for gap in gaps] == ["fire_safety"]
    assert "missing" in gaps[0].message


def test_new_building_needs_all_six_commissioning_documents():
    documents = [d for d in complete_documents() if d.kind != DocumentKind.FIRE_INSPECTION_ACT]
    six = [
        DocumentKind.COMMISSIONING_ACT,
        DocumentKind.FIRE_SAFETY_ORDER,
        DocumentKind.FIRE_SAFETY_INSTRUCTIONS,
        DocumentKind.EVACUATION_PLAN,
        DocumentKind.EXTINGUISHERS_LIST,
        DocumentKind.FIRE_AUTOMATION_ACT,
    ]
    five = [doc(kind, 1) for kind in six[:5]]
    assert [
        g.code
        for g in rules.document_gaps(documents=documents + five, premises=[place(new=True)], on=DAY)
    ] == ["fire_safety"]
    all_six = [doc(kind, 1) for kind in six]
    assert (
        rules.document_gaps(documents=documents + all_six, premises=[place(new=True)], on=DAY) == []
    )


def test_expired_document_and_expired_lease_are_gaps():
    documents = complete_documents()
    documents[3] = doc(DocumentKind.FIRE_INSPECTION_ACT, 1, until=datetime.date(2026, 6, 4))
    documents[1] = doc(DocumentKind.LEASE, 1, until=datetime.date(2026, 5, 31))
    gaps = rules.document_gaps(
        documents=documents,
        premises=[place(tenure=Tenure.LEASED, lease_end=datetime.date(2026, 5, 31))],
        on=DAY,
    )
    assert {gap.code for gap in gaps} == {"lease_expired", "premises_right", "fire_safety"}
    assert any("out of date" in gap.message for gap in gaps)


def test_rejected_and_pending_documents():
    documents = complete_documents()
    documents[2] = doc(DocumentKind.SANITARY_NOTIFICATION, 1, status=ReviewStatus.REJECTED)
    assert [
        g.code for g in rules.document_gaps(documents=documents, premises=[place()], on=DAY)
    ] == ["sanitary"]
    pending = [
        doc(d.kind, d.premises_id, status=ReviewStatus.PENDING) for d in complete_documents()
    ]
    assert rules.document_gaps(documents=pending, premises=[place()], on=DAY) == []
    gaps = rules.document_gaps(documents=pending, premises=[place()], on=DAY, require_accepted=True)
    assert len(gaps) == 4
    assert all("not yet accepted" in gap.message for gap in gaps)


def test_no_premises_is_a_gap():
    gaps = rules.document_gaps(documents=[doc(DocumentKind.STAFFING_TABLE)], premises=[], on=DAY)
    assert [gap.code for gap in gaps] == ["no_premises"]


def test_room_gaps_list_every_unequipped_room():
    rooms = [SimpleNamespace(kind=kind.value, equipped=True) for kind in RoomKind][:6]
    gaps = rules.room_gaps(rooms)
    assert len(gaps) == 2
