"""The representative's confirmation of a visit: PIN or signature (Alg. §20)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from auditlog.models import LogEntry
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.audit import acting_as, validated_save
from core.errors import RoleRequired, fail
from core.roles import Role, has_role
from providers.uploads import reencoded_png
from recipients.models import Enrollment
from services.models import (
    ConfirmationMethod,
    Visit,
    VisitStatus,
)
from services.services.access import _ensure_staff_of
from services.services.visits import _locked

PIN_ATTEMPTS = 5
SIGNATURE_MAX_BYTES = 300 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def signature_png(data_url: str) -> bytes:
    """The PNG bytes of a signature drawn on the canvas (a data: URL), checked by content."""
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix):
        raise fail(_("Draw the signature first."), "signature_missing", "signature")
    try:
        content = base64.b64decode(data_url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        raise fail(
            _("The signature could not be read."), "signature_invalid", "signature"
        ) from None
    if not content.startswith(PNG_MAGIC):
        raise fail(_("The signature could not be read."), "signature_invalid", "signature")
    if len(content) > SIGNATURE_MAX_BYTES:
        raise fail(_("The signature image is too large."), "signature_too_large", "signature")
    # Decoded whole and written again: only the drawn pixels are stored, never bytes of the
    # upload (a PNG header followed by HTML, text chunks, a profile, trailing data).
    try:
        return reencoded_png(content)
    except ValidationError:
        raise fail(
            _("The signature could not be read."), "signature_invalid", "signature"
        ) from None


def _active_enrollment(visit: Visit) -> Enrollment | None:
    return (
        Enrollment.objects.select_for_update()
        .in_force(visit.date)
        .filter(child_id=visit.child_id, provider_id=visit.provider_id)
        .order_by("-start_on")
        .first()
    )


def _pin_accepted(visit: Visit, pin: str) -> bool:
    """Check the representative's PIN; five wrong entries in a row lock it until it is reset.

    Returns False for a wrong PIN after counting the failure (the count must survive the
    refusal, so the caller raises only after this transaction's savepoint is committed).
    """
    enrollment = _active_enrollment(visit)
    if enrollment is None or not enrollment.confirmation_pin:
        raise fail(
            _("The representative has not chosen a PIN for this enrolment."), "no_pin", "pin"
        )
    if enrollment.pin_failures >= PIN_ATTEMPTS:
        raise fail(
            _(
                "The PIN is locked after %(count)d wrong entries; set a new one with the representative."
            )
            % {"count": PIN_ATTEMPTS},
            "pin_locked",
            "pin",
        )
    if check_password(pin, enrollment.confirmation_pin):
        if enrollment.pin_failures:
            Enrollment.objects.filter(pk=enrollment.pk).update(pin_failures=0)
        return True
    Enrollment.objects.filter(pk=enrollment.pk).update(pin_failures=enrollment.pin_failures + 1)
    return False


def visit_confirm(
    *,
    visit: Visit,
    method: str,
    signature: str = "",
    pin: str = "",
    scan: UploadedFile | None = None,
    acting_user: Any,
) -> Visit:
    """Record the legal representative's confirmation of a done visit, by one of three methods.

    A signature drawn on the device and a paper-journal scan are stored as files; a PIN is
    checked against the hash chosen at enrolment. Confirming an already confirmed visit again
    changes nothing (a repeated submit).
    """
    wrong_pin = False
    with transaction.atomic():
        visit = _locked(visit)
        _ensure_staff_of(acting_user, visit.provider_id)
        if visit.is_confirmed:
            return visit
        if visit.status != VisitStatus.DONE:
            raise fail(
                _("Only a visit that took place can be confirmed."), "visit_not_done", "status"
            )
        if method == ConfirmationMethod.SIGNATURE:
            content = signature_png(signature)
            # stored under a random name (the field's upload_to)
            visit.signature.save("signature.png", ContentFile(content), save=False)
        elif method == ConfirmationMethod.PIN:
            if not pin.strip():
                raise fail(_("Enter the PIN."), "pin_missing", "pin")
            wrong_pin = not _pin_accepted(visit, pin.strip())
        elif method == ConfirmationMethod.PAPER:
            if scan is None:
                raise fail(_("Attach the scan of the signed journal."), "scan_missing", "scan")
            visit.paper_scan = scan
        else:
            raise fail(_("Choose how the representative confirms."), "invalid_method", "method")
        if not wrong_pin:
            visit.confirmation_method = method
            visit.confirmed_at = timezone.now()
            visit.confirmation_recorded_by = acting_user
            try:
                validated_save(visit, acting_user=acting_user)
            except ValidationError as error:
                # The model's field is `paper_scan`; this service, its forms and the API say
                # `scan`: a refused file is named as the caller named it.
                if hasattr(error, "error_dict") and "paper_scan" in error.error_dict:
                    error.error_dict["scan"] = error.error_dict.pop("paper_scan")
                raise
    if wrong_pin:
        raise fail(_("The PIN is wrong."), "wrong_pin", "pin")
    return visit


@transaction.atomic
def enrollment_set_pin(*, enrollment: Enrollment, pin: str, acting_user: Any) -> Enrollment:
    """Store the PIN the representative chose (hashed, never shown again); unlocks a locked PIN."""
    _ensure_staff_of(acting_user, enrollment.provider_id)
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if enrollment.confirmation_pin and not has_role(
        acting_user, Role.PROVIDER_HEAD, Role.AKIMAT_OFFICER
    ):
        # Otherwise the person whose confirmations the PIN checks could lift its lock-out.
        raise RoleRequired(_("Only the head changes a PIN that is already set."))
    pin = pin.strip()
    if not (pin.isdigit() and 4 <= len(pin) <= 8):
        raise fail(_("A PIN is 4 to 8 digits."), "invalid_pin", "pin")
    enrollment.confirmation_pin = make_password(pin)
    enrollment.pin_failures = 0
    with acting_as(acting_user):
        enrollment.save(update_fields=["confirmation_pin", "pin_failures", "updated_at"])

        LogEntry.objects.log_create(
            enrollment,
            force_log=True,
            action=LogEntry.Action.UPDATE,
            changes={"confirmation_pin": ["***", "*** (new)"]},
            actor=acting_user,
        )
    return enrollment
