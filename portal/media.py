"""Every uploaded file goes through one access-checked view.

A case photo, a chat photo, a voice note or a mediation agreement belongs to
an object that not everyone may see. Its file name is random, but a name that
leaks (a forwarded link, a browser history, a log) must not be enough: so
``/media/<name>`` is answered here, never straight from the disk.

The view finds the object that owns the file, asks ``buildings.access.may``
the same question the page showing it asks, and then:

- in production (``MEDIA_ACCEL_REDIRECT = "/protected-media/"``, set by
  ``scripts/prod-up`` and the env file) answers with an empty response and
  ``X-Accel-Redirect``: nginx sends the bytes from an ``internal`` location,
  so no Daphne process streams a file;
- on the embedded default streams the file itself (ranges for audio, the
  headers nginx would add);
- with object storage (``MEDIA_STORAGE=s3``) redirects to a signed URL that
  lives a few minutes (``S3_URL_EXPIRE``, see ``MediaS3Storage``).

A name nobody owns, or one the person may not see, is a 404 either way: the
answer never tells whether such a file exists.

Apps say which of their file fields are private in a ``media.py`` module
(found like ``rules.py``)::

    from portal.media import private
    private(CasePhoto, ("image", "medium", "thumb"), permission="community.view_case",
            owner=lambda photo: photo.case, related=("case",))

Files under a *public* prefix (the admin's avatars) are served to anyone.
Wagtail's images and documents are registered by ``notices/media.py``: those
that belong to notices follow the notices' audience. Everything else under
MEDIA_ROOT is a 404.
"""

from __future__ import annotations

import mimetypes
import os
import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import Model, Q
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
    HttpResponseRedirect,
)
from django.urls import re_path
from django.utils.http import http_date
from django.utils.module_loading import autodiscover_modules
from django.views.decorators.http import require_safe
from django.views.static import was_modified_since

from .downloads import as_download

# What nginx adds to files it sends: nothing in them may run, even an HTML or
# SVG someone managed to upload.
SANDBOX_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; sandbox"
PRIVATE_CACHE = "private, max-age=3600"
PUBLIC_CACHE = "public, max-age=604800"

# Shown in the page (img/audio); everything else is downloaded, never rendered.
INLINE_TYPES = {
    "image/jpeg", "image/png", "image/webp", "image/gif", "image/heic", "application/pdf",
    "audio/webm", "audio/ogg", "audio/mp4", "audio/wav", "audio/mpeg",
}
# Our voice notes, whatever mimetypes thinks of .webm (video) or .m4a.
_AUDIO = {"webm": "audio/webm", "ogg": "audio/ogg", "m4a": "audio/mp4", "wav": "audio/wav",
          "mp3": "audio/mpeg"}


@dataclass(frozen=True)
class PrivateFiles:
    """The file fields of one model, and who may fetch them."""

    model: type[Model]
    fields: tuple[str, ...]
    prefixes: tuple[str, ...]
    check: Callable[[object, Model], bool]
    related: tuple[str, ...] = ()
    anonymous: bool = False
    """Ask ``check`` for visitors who are not signed in too (else they get a 404)."""
    public_if: Callable[[Model], bool] | None = None
    """Files of an owner for which this is true go to anyone, cached as public."""

    def owner_of(self, name: str) -> Model | None:
        query = Q()
        for field in self.fields:
            query |= Q(**{field: name})
        qs = self.model._default_manager.filter(query)
        if self.related:
            qs = qs.select_related(*self.related)
        return qs.first()


_private: list[PrivateFiles] = []
# Wagtail's images (originals and renditions) and the admin's avatars: public.
_public: list[str] = ["images/", "original_images/", "avatar_images/"]
_discovered = False


def _prefix_of(model: type[Model], field_name: str) -> str:
    """The folder every file of this field is written under (from its ``upload_to``)."""
    upload_to = model._meta.get_field(field_name).upload_to
    if callable(upload_to):
        sample = upload_to(model(), "x.bin")
    else:
        sample = str(upload_to).split("%", 1)[0]
    return sample.rsplit("/", 1)[0] + "/" if "/" in sample else ""


def private(model: type[Model], fields: Iterable[str], *, permission: str | None = None,
            owner: Callable[[Model], object] | None = None,
            check: Callable[[object, Model], bool] | None = None,
            related: Iterable[str] = (), prefixes: Iterable[str] = (),
            anonymous: bool = False,
            public_if: Callable[[Model], bool] | None = None) -> None:
    """Register private file fields.

    Either ``permission`` (asked with ``may(user, permission, owner(obj))``; owner
    defaults to the object itself) or ``check(user, obj) -> bool`` for more.
    ``prefixes`` default to the folders of the fields' ``upload_to``.
    ``anonymous=True`` asks ``check`` for visitors who are not signed in as well
    (a notice for the whole community is public); otherwise they never get the file.
    ``public_if(obj)`` marks the files of some owners as public (anyone, cached by
    anyone), e.g. a Wagtail image that no private page uses.
    """
    from buildings.access import may  # noqa: PLC0415 (layering: the register stands on portal; read at call time)

    fields = tuple(fields)
    if check is None:
        if permission is None:
            raise ValueError("private() needs a permission or a check")
        get_owner = owner or (lambda obj: obj)

        def check(user, obj, _perm=permission, _owner=get_owner) -> bool:
            return may(user, _perm, _owner(obj))

    folders = tuple(prefixes) or tuple(sorted({_prefix_of(model, f) for f in fields}))
    if "" in folders:
        raise ValueError(f"{model.__name__}: a private field needs a folder of its own")
    entry = PrivateFiles(model=model, fields=fields, prefixes=folders, check=check,
                         related=tuple(related), anonymous=anonymous, public_if=public_if)
    _private[:] = [e for e in _private if not (e.model is model and e.fields == fields)]
    _private.append(entry)


def public(prefix: str) -> None:
    """Serve every file under ``prefix`` (a folder in MEDIA_ROOT, ending in "/") to anyone."""
    if prefix not in _public:
        _public.append(prefix)


def _discover() -> None:
    global _discovered
    if not _discovered:
        autodiscover_modules("media")
        _discovered = True


def registry() -> tuple[list[PrivateFiles], list[str]]:
    _discover()
    return list(_private), list(_public)


@dataclass(frozen=True)
class Resolved:
    name: str
    public: bool
    owner: Model | None = None
    entry: PrivateFiles | None = None
    file_storage: object | None = None

    @property
    def storage(self):
        if self.file_storage is not None:
            return self.file_storage
        if self.entry is not None:
            return self.entry.model._meta.get_field(self.entry.fields[0]).storage
        return default_storage


_BAD = re.compile(r"[\x00-\x1f\\]")


def clean_name(path: str) -> str | None:
    """The storage name for a URL path, or None if it tries to leave MEDIA_ROOT."""
    if not path or _BAD.search(path) or path.startswith("/"):
        return None
    name = posixpath.normpath(path)
    if name != path or name.startswith("..") or "/../" in f"/{name}/" or name == ".":
        return None
    return name


def resolve(path: str) -> Resolved | None:
    """Who owns the file at ``path`` (relative to MEDIA_ROOT); None if nobody known does."""
    name = clean_name(path)
    if name is None:
        return None
    private_entries, public_prefixes = registry()
    # A private folder wins over a public one that contains it.
    matches = [e for e in private_entries if name.startswith(e.prefixes)]
    for entry in matches:
        obj = entry.owner_of(name)
        if obj is not None:
            public = entry.public_if is not None and bool(entry.public_if(obj))
            return Resolved(name=name, public=public, owner=obj, entry=entry)
    if not matches and name.startswith(tuple(public_prefixes)):
        return Resolved(name=name, public=True)
    return None


def may_fetch(user, resolved: Resolved) -> bool:
    if resolved.public:
        return True
    if not resolved.entry.anonymous and (
            user is None or not getattr(user, "is_authenticated", False)):
        return False
    return bool(resolved.entry.check(user, resolved.owner))


def content_type_of(name: str) -> tuple[str, bool]:
    """(Content-Type, whether it may be shown inline) for a stored file name."""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    ctype = _AUDIO.get(ext) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return (ctype, True) if ctype in INLINE_TYPES else ("application/octet-stream", False)


def _headers(response: HttpResponse, *, name: str, public: bool, inline: bool) -> HttpResponse:
    response["Cache-Control"] = PUBLIC_CACHE if public else PRIVATE_CACHE
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_CSP
    if not inline:
        as_download(response, posixpath.basename(name))
    if not public:
        # Whether a file exists and who may see it depends on the signed-in person.
        response["Vary"] = "Cookie"
    return response


_RANGE = re.compile(r"^bytes=([0-9]{0,15})-([0-9]{0,15})$")  # ASCII: \d takes any script


def _stream(request: HttpRequest, path: str, ctype: str) -> HttpResponse:
    """The file from the local disk, with If-Modified-Since and one byte range
    (Safari plays audio only from a server that answers ranges)."""
    try:
        stat = os.stat(path)
    except OSError:
        raise Http404 from None
    if not was_modified_since(request.META.get("HTTP_IF_MODIFIED_SINCE"), stat.st_mtime):
        return HttpResponseNotModified()
    size = stat.st_size
    match = _RANGE.match(request.META.get("HTTP_RANGE", "").strip())
    if match and (match.group(1) or match.group(2)):
        first, last = match.groups()
        if first:
            start, end = int(first), min(int(last), size - 1) if last else size - 1
        else:  # the last N bytes
            start, end = max(0, size - int(last)), size - 1
        if start > end or start >= size:
            response = HttpResponse(status=416, content_type=ctype)
            response["Content-Range"] = f"bytes */{size}"
            return response
        with open(path, "rb") as fh:
            fh.seek(start)
            response = HttpResponse(fh.read(end - start + 1), status=206, content_type=ctype)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    else:
        response = FileResponse(open(path, "rb"), content_type=ctype)  # noqa: SIM115
        response["Content-Length"] = str(size)
    response["Accept-Ranges"] = "bytes"
    response["Last-Modified"] = http_date(stat.st_mtime)
    return response


def _local_path(storage, name: str) -> str | None:
    try:
        return storage.path(name)
    except NotImplementedError:  # object storage
        return None


def send(request: HttpRequest, resolved: Resolved) -> HttpResponse:
    """The response that delivers an already checked file."""
    ctype, inline = content_type_of(resolved.name)
    storage = resolved.storage
    path = _local_path(storage, resolved.name)
    if path is None:
        signed = getattr(storage, "signed_url", None)
        target = signed(resolved.name) if signed else storage.url(resolved.name)
        if not target or target == request.path:
            raise Http404
        response = HttpResponseRedirect(target)
        response["Cache-Control"] = "private, no-store"
        return response
    accel = getattr(settings, "MEDIA_ACCEL_REDIRECT", "")
    if accel:
        # nginx sends the file from its internal location; it keeps our
        # Content-Type, Cache-Control and Content-Disposition.
        response = HttpResponse(content_type=ctype)
        response["X-Accel-Redirect"] = accel.rstrip("/") + "/" + quote(resolved.name)
    else:
        response = _stream(request, path, ctype)
    return _headers(response, name=resolved.name, public=resolved.public, inline=inline)


def send_field(request: HttpRequest, field) -> HttpResponse:
    """Send a FieldFile the caller has already checked (e.g. a view with its own URL
    per object, like the chat's photo and voice views): X-Accel-Redirect behind
    nginx, a signed redirect on S3, streamed (with ranges) on the embedded default."""
    if not field:
        raise Http404
    return send(request, Resolved(name=field.name, public=False, file_storage=field.storage))


@require_safe
def serve(request: HttpRequest, path: str) -> HttpResponse:
    """``/media/<path>``: the file, if its owner is visible to this person; else 404."""
    resolved = resolve(path)
    if resolved is None or not may_fetch(request.user, resolved):
        raise Http404
    return send(request, resolved)


def urlpatterns() -> list:
    """The route for MEDIA_URL (when it is a path on this site)."""
    prefix = settings.MEDIA_URL
    if not prefix.startswith("/") or prefix.startswith("//"):
        return []
    pattern = "^" + re.escape(prefix.lstrip("/")) + "(?P<path>.+)$"
    return [re_path(pattern, serve, name="media")]
