"""Photos and voice notes that people upload: checked, cleaned, stored.

Shared by the cases (community/) and the live chat (community.liaison). The
phone shrinks photos before sending (``static/portal/forms.js``), but the
server trusts nothing that arrives. Photos are in ``portal.uploads.photos``,
voice notes in ``portal.uploads.voice``, agreements (a PDF or a photo) in
``portal.uploads.documents``; both refuse a file by raising
``UploadRejected`` (``portal.uploads.base``), whose ``str(exc)`` is a plain
message for the person. Everything is re-exported here.

The contract with the browser (forms.js)
-----------------------------------------
A form marked ``<form data-jy-form>`` is sent by forms.js with ``fetch``, as
``multipart/form-data`` with the header ``Accept: application/json`` and
``X-CSRFToken``; photos come as ``photos`` (several files, already shrunk),
a recording as ``voice``, and a hidden ``client_key`` (a UUID made once per
filled-in form on the phone) so a double tap, a retry or a submission queued
offline and sent later carries the same key. The view answers, through
``portal.forms_json.json_or_redirect``:

* success: ``200 {"ok": true, "url": "/where/to/go/"}`` (the no-JS path gets
  a 303 redirect to the same url);
* refused: ``400 {"ok": false, "errors": {"field": ["message", ...]},
  "message": "..."}`` (the no-JS path gets the form page again, status 400).

Storing a submission once per ``client_key`` is the job of the app's service
(a unique constraint on (author, client_key) and returning the existing row
on a repeat), not of this module. Without JavaScript the same form posts
normally, with the phone's original photos, and the server shrinks them.

Typical use: the view's form checks and cleans every file before anything
is written, and the service stores them (as ``community.views.new`` and
``community.services.case_submit`` do)::

    # forms.py: PhotosField / VoiceField clean() return CleanPhoto / CleanVoice;
    # an UploadRejected becomes the field's error (400, nothing written)
    photos = PhotosField(label=_("照片"))

    # views.py: validate, call the service, answer
    if form.is_valid():
        case = case_submit(..., photos=form.cleaned_data["photos"],
                           client_key=client_key_from(request))

    # services.py: one transaction; each cleaned photo saved with the row it belongs to
    with transaction.atomic():
        case = Case.objects.create(...)
        for clean in photos:
            photo = CasePhoto(case=case)
            photo.set_clean(clean)
            photo.save()

A service that is given raw files instead calls ``clean_photo`` /
``clean_voice`` itself, before its transaction.
"""

from .base import UploadRejected
from .documents import MAX_DOCUMENT_BYTES, clean_document
from .photos import (
    JPEG_QUALITY,
    LARGE,
    MAX_PHOTO_BYTES,
    MAX_PHOTOS,
    MAX_PIXELS,
    MEDIUM,
    PHOTO_FORMATS,
    THUMB,
    BasePhoto,
    CleanPhoto,
    MultipleFileInput,
    PhotosField,
    clean_photo,
    medium_upload_to,
    photo_upload_to,
    thumb_upload_to,
)
from .voice import (
    MAX_VOICE_BYTES,
    MAX_VOICE_SECONDS,
    MIN_VOICE_SECONDS,
    CleanVoice,
    VoiceField,
    clean_voice,
)

__all__ = [
    "JPEG_QUALITY", "LARGE", "MAX_PHOTO_BYTES", "MAX_PHOTOS", "MAX_PIXELS", "MAX_VOICE_BYTES",
    "MAX_VOICE_SECONDS", "MEDIUM", "MIN_VOICE_SECONDS", "PHOTO_FORMATS", "THUMB", "BasePhoto",
    "CleanPhoto", "CleanVoice", "MAX_DOCUMENT_BYTES", "clean_document", "MultipleFileInput", "PhotosField", "UploadRejected",
    "VoiceField", "clean_photo", "clean_voice", "medium_upload_to", "photo_upload_to",
    "thumb_upload_to",
]
