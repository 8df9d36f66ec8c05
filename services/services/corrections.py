"""The head's corrections of a visit, with the reason and the changes recorded."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.audit import acting_as, validated_save
from core.errors import fail
from providers.models import StaffMember
from services.models import (
    Visit,
    VisitCorrection,
    VisitStatus,
)
from services.services.access import _ensure_staff_of
from services.services.catalogue import _clean_services
from services.services.visits import _check, _locked, flag_overlaps

CORRECTABLE = ("start", "end", "setting", "services", "staff", "status", "missed_reason")


@transaction.atomic
def visit_correct(*, visit: Visit, reason: str, changes: dict[str, Any], acting_user: Any) -> Visit:
    """The head corrects a visit, confirmed or not; the reason and the changes are recorded."""
    visit = _locked(visit)
    _ensure_staff_of(acting_user, visit.provider_id, head_only=True)
    if not reason.strip():
        raise fail(_("Give the reason for the correction."), "reason_required", "reason")
    changes = dict(changes)
    if "services" in changes:
        changes["services"] = _clean_services(changes["services"])
    if "missed_reason" in changes:
        changes["missed_reason"] = (changes["missed_reason"] or "").strip()
    before: dict[str, Any] = {}
    for field, value in changes.items():
        if field not in CORRECTABLE:
            raise fail(_("This field cannot be corrected."), "not_correctable", field)
        old = getattr(visit, field)
        if old != value:
            before[field] = [_plain(old), _plain(value)]
            setattr(visit, field, value)
    if not before:
        raise fail(_("Nothing was changed."), "no_change")
    if visit.status in (VisitStatus.DONE, VisitStatus.PLANNED):
        visit.missed_reason = ""
    elif not visit.missed_reason:
        raise fail(
            _("A missed or cancelled visit needs its reason."), "reason_required", "missed_reason"
        )
    if visit.is_confirmed and visit.status != VisitStatus.DONE:
        raise fail(
            _("The representative confirmed that this visit took place."),
            "visit_confirmed",
            "status",
        )
    _check(visit, services_required="services" in changes)
    validated_save(visit, acting_user=acting_user)
    with acting_as(acting_user):
        VisitCorrection.objects.create(
            visit=visit, corrected_by=acting_user, reason=reason.strip(), changes=before
        )
    flag_overlaps(child_id=visit.child_id, day=visit.date)
    return visit


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.time):
        return f"{value:%H:%M}"
    if isinstance(value, StaffMember):
        return value.full_name
    return value
