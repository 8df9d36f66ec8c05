"""Uploaded files: PDF or an image, no larger than DOCUMENT_MAX_BYTES, parsed to be sure.

Every upload point (qualification and staff documents, journal scans by page and API, drawn
signatures) goes through here. Leading bytes prove nothing (`%PDF-1.4` followed by HTML is not
a PDF), so the whole file is parsed with a real parser: a PDF must open with pypdf and have a
page, an image must decode completely with Pillow; and a whole PDF or image followed by
something else (HTML after `%%EOF`) is refused too, as the parsers stop at the end. Files are stored under random names
(`RandomName`): the uploaded name may hold a person's name and IIN.
"""

from __future__ import annotations

import io
import uuid
import warnings
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db.models.fields.files import FieldFile
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from PIL import Image
from pypdf import PdfReader

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
    if isinstance(value, FieldFile) and getattr(value, "_committed", False):
        # Already stored, so checked when it was uploaded; a later save of its row (a
        # correction, a review) must neither re-read it nor fail on a file kept from before.
        return
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
    content = _content(value)
    if extension == "pdf":
        pdf_check(content)
    else:
        image_check(content, extension)
    trailing_check(content, extension)


# Pillow's names of the formats behind each extension.
IMAGE_FORMATS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG"}
# An image larger than this is refused before it is decoded (a small file may decode into an
# enormous picture); an A4 page scanned at 600 dpi is 35 million pixels.
MAX_IMAGE_PIXELS = 50_000_000


def _content(value: File) -> bytes:
    position = value.tell() if hasattr(value, "tell") else 0
    value.seek(0)
    content = value.read()
    value.seek(position)
    return content


def _unreadable(kind: str) -> ValidationError:
    return ValidationError(
        _("The file cannot be read as a %(kind)s: it is damaged or is not a %(kind)s."),
        code="file_unreadable",
        params={"kind": kind},
    )


def pdf_check(content: bytes) -> None:
    """A PDF that pypdf opens, not protected by a password, with at least one page."""
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        encrypted = reader.is_encrypted
        pages = 0 if encrypted else len(reader.pages)
        if pages:
            reader.pages[0].mediabox  # noqa: B018 - the first page's dictionary parses
    except Exception:  # whatever the parser trips on, the file is not a PDF
        raise _unreadable("PDF") from None
    if encrypted:
        # A reviewer must be able to open and print the document; pypdf here cannot even
        # decrypt AES without an extra library, so protected files are refused as a rule.
        raise ValidationError(
            _(
                "The PDF is protected by a password; save it without protection and upload it again."
            ),
            code="file_encrypted",
        )
    if not pages:
        raise ValidationError(_("The PDF has no pages."), code="file_no_pages")


# Where each format's file ends; what may follow it (line ends, padding).
_PNG_END = b"IEND\xaeB`\x82"
# PDF's white-space characters (NUL, tab, line feed, form feed, carriage return, space) and
# the DOS end-of-file mark some writers add.
_PADDING = b"\r\n\t\x0c \x00\x1a"
# Markup a browser would run, looked for after a JPEG's last end-of-image marker: cameras may
# append data there (a "motion photo" appends its video), so only markup is refused.
_MARKUP = (b"<html", b"<script", b"<svg", b"<!doctype", b"<?xml", b"<iframe", b"<body")


def trailing_check(content: bytes, extension: str) -> None:
    """Nothing after the file's end: a whole PDF or PNG followed by HTML parses as the PDF or
    PNG, so the parsers alone do not see it. A PDF ends at its last `%%EOF` (an incremental
    update, as a digital signature makes, ends with another), a PNG at its IEND chunk."""
    if extension == "pdf":
        end = content.rfind(b"%%EOF")
        tail = content[end + 5 :] if end >= 0 else content
        foreign = bool(tail.strip(_PADDING))
    elif extension == "png":
        end = content.rfind(_PNG_END)
        foreign = end < 0 or bool(content[end + len(_PNG_END) :].strip(_PADDING))
    else:
        tail = content[content.rfind(b"\xff\xd9") + 2 :].lower()
        foreign = any(tag in tail for tag in _MARKUP)
    if foreign:
        kind = "PDF" if extension == "pdf" else extension.upper().replace("JPG", "JPEG")
        if extension == "pdf":
            message = _(
                "The file holds something more after the end of the PDF; save the document "
                "again as a PDF (for example, print it to a PDF) and upload it again."
            )
        else:
            message = _(
                "The file holds something more after the end of the %(kind)s picture; save the "
                "picture again (for example, open it and save it as a new %(kind)s, or take a "
                "new photo) and upload it again."
            )
        raise ValidationError(message, code="file_trailing_data", params={"kind": kind})


def decoded_image(
    content: bytes, extension: str, *, max_pixels: int = MAX_IMAGE_PIXELS
) -> Image.Image:
    """The image fully decoded by Pillow, in the format its extension names, or a refusal."""
    expected = IMAGE_FORMATS[extension]
    kind = "PNG" if expected == "PNG" else "JPEG"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content), formats=[expected]) as probe:
                if probe.width * probe.height > max_pixels:
                    raise Image.DecompressionBombError(f"{probe.width}x{probe.height}")
                probe.verify()  # the structure and checksums
            image = Image.open(io.BytesIO(content), formats=[expected])
            image.load()  # every pixel decoded: a truncated or foreign body fails here
    except Exception:  # whatever Pillow trips on, the file is not that image
        raise _unreadable(kind) from None
    return image


def image_check(content: bytes, extension: str) -> None:
    decoded_image(content, extension).close()


# A drawn signature is a canvas a few hundred pixels wide.
MAX_SIGNATURE_PIXELS = 4_000_000


def reencoded_png(content: bytes) -> bytes:
    """A PNG's pixels written again as a new PNG: nothing of the upload but the picture
    (no text chunks, profile or trailing bytes) is stored."""
    image = decoded_image(content, "png", max_pixels=MAX_SIGNATURE_PIXELS)
    if image.mode not in ("1", "L", "LA", "RGB", "RGBA"):
        image = image.convert("RGBA")
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    out = io.BytesIO()
    clean.save(out, format="PNG", optimize=True)
    return out.getvalue()


@deconstructible
class RandomName:
    """`upload_to` giving a stored file a random name in `folder` (strftime codes allowed)."""

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def __call__(self, instance: Any, filename: str) -> str:
        return random_name(timezone.now().strftime(self.folder), filename)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RandomName) and other.folder == self.folder

    def __hash__(self) -> int:
        return hash(self.folder)


def random_name(folder: str, filename: str) -> str:
    """`folder/<32 hex digits>.<extension>`: the original name is never part of it."""
    extension = extension_of(filename)
    suffix = extension if extension.isalnum() and len(extension) <= 5 else "bin"
    return f"{folder}/{uuid.uuid4().hex}.{suffix}"
