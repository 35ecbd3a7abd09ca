"""Documents people upload (a mediation agreement): a plain PDF or a photo."""

from __future__ import annotations

import re
import uuid

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from .base import UploadRejected, _read_upload
from .photos import clean_photo

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024

_PDF_HEADER = re.compile(rb"%PDF-[12]\.\d")
_PDF_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_PDF_XREF_AT = re.compile(rb"\s*(?:xref\b|\d+\s+\d+\s+obj\b)")
# A signed agreement needs none of these; a file with them is not one we keep.
_PDF_ACTIVE = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA)\b")


def _not_a_document() -> UploadRejected:
    return UploadRejected(_("只能上传PDF文件或照片（JPG、PNG等）。"), code="not_document")


def _pdf_is_plain(data: bytes) -> bool:
    """A minimal parse: the header, at least one object, the last ``startxref``
    pointing at a cross-reference table or stream, ``%%EOF`` at the end, and no
    scripts, launch actions or embedded files."""
    if not _PDF_HEADER.match(data) or b"endobj" not in data:
        return False
    match = _PDF_STARTXREF.search(data[-2048:])
    if match is None:
        return False
    offset = int(match.group(1))
    if not 0 < offset < len(data) or not _PDF_XREF_AT.match(data, offset):
        return False
    return _PDF_ACTIVE.search(data) is None


def clean_document(uploaded_file) -> ContentFile:
    """A PDF or a photo, checked by its content (never by its name or claimed type).

    A PDF is kept as it is once ``_pdf_is_plain``; anything else must be a photo,
    which goes through ``clean_photo`` (re-encoded, no EXIF) and is kept as its
    large JPEG. Returns a ContentFile with a random name; raises ``UploadRejected``
    for everything else, before anything is stored.
    """
    data = _read_upload(uploaded_file, MAX_DOCUMENT_BYTES)
    if data.startswith(b"%PDF-"):
        if not _pdf_is_plain(data):
            raise _not_a_document()
        out = ContentFile(data, name=f"{uuid.uuid4().hex}.pdf")
        out.content_type = "application/pdf"
        return out
    try:
        photo = clean_photo(ContentFile(data, name="upload"))
    except UploadRejected as exc:
        if exc.code == "not_image":
            raise _not_a_document() from None
        raise
    out = photo.image
    out.name = f"{uuid.uuid4().hex}.jpg"
    out.content_type = "image/jpeg"
    return out
