"""Uploaded documents: PDF or an image, no larger than DOCUMENT_MAX_BYTES, checked by content."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

# Leading bytes of each accepted type. The extension alone proves nothing.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
}
ACCEPT_ATTRIBUTE = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def validate_document_file(value: File) -> None:
    size = getattr(value, "size", None) or 0
    if size > settings.DOCUMENT_MAX_BYTES:
        raise ValidationError(
            _("The file is too large (%(size)s); the limit is %(limit)s."),
            code="file_too_large",
            params={
                "size": filesizeformat(size),
                "limit": filesizeformat(settings.DOCUMENT_MAX_BYTES),
            },
        )
    if size == 0:
        raise ValidationError(_("The file is empty."), code="file_empty")
    extension = extension_of(value.name or "")
    if extension not in SIGNATURES:
        raise ValidationError(
            _("Upload a PDF or an image (PNG, JPEG)."), code="file_type_not_allowed"
        )
    position = value.tell() if hasattr(value, "tell") else 0
    value.seek(0)
    head = value.read(16)
    value.seek(position)
    if not any(head.startswith(signature) for signature in SIGNATURES[extension]):
        raise ValidationError(
            _("The file's content is not a %(kind)s document."),
            code="file_content_mismatch",
            params={"kind": extension.upper()},
        )
