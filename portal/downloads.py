"""One way to name a file the browser downloads: RFC 6266 Content-Disposition.

Chinese names (住户登记模板.xlsx, a mediation agreement, a notice's attachment)
need ``filename*=UTF-8''…`` (RFC 5987 percent-encoding); a bare
``filename="住户…"`` arrives garbled or cut in many browsers. Every response
that names a file goes through ``content_disposition`` or ``as_download``.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from django.http import HttpResponseBase
from django.utils.http import content_disposition_header

_NOT_PLAIN = re.compile(r'[^A-Za-z0-9._\- ]+')


def _ascii_fallback(filename: str) -> str:
    """A plain-ASCII name for clients that do not read ``filename*``."""
    stem, dot, ext = filename.rpartition(".")
    if not dot:
        stem, ext = filename, ""
    stem = _NOT_PLAIN.sub("", stem).strip(" .-") or "download"
    ext = _NOT_PLAIN.sub("", ext)
    return f"{stem}.{ext}" if ext else stem


def content_disposition(filename: str, *, inline: bool = False, fallback: str = "") -> str:
    """The Content-Disposition value for ``filename``.

    ASCII names as Django writes them (``attachment; filename="a.csv"``, quotes
    escaped); any other name as ``filename="<ASCII fallback>"; filename*=UTF-8''<%-encoded>``.
    """
    if filename.isascii():
        return content_disposition_header(not inline, filename)
    kind = "inline" if inline else "attachment"
    plain = (fallback or _ascii_fallback(filename)).replace("\\", "\\\\").replace('"', r"\"")
    return f"{kind}; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


def as_download(response: HttpResponseBase, filename: str, *, inline: bool = False,
                fallback: str = "") -> HttpResponseBase:
    """Set the response's Content-Disposition (see ``content_disposition``) and return it."""
    response["Content-Disposition"] = content_disposition(filename, inline=inline,
                                                          fallback=fallback)
    return response
