"""Flood limits: how often one person may do one thing.

Each action has one or more fixed windows (``limit`` attempts per ``window``
seconds), counted in the cache under a key that names the window's period, so
a new period starts from zero without anybody resetting anything. The count is
taken with ``cache.add`` (create at 0 if missing) and ``cache.incr``, both
single atomic steps in LocMemCache (a lock) and Redis (SET NX, INCR): however
many requests or sockets of one person arrive at once, exactly ``limit`` of
them get through. (Django's ``cache.aincr`` is a get followed by a set, not
atomic; the async entry point here calls the synchronous ``incr`` instead.)

A limit protects the service; it is never worth an error page. When the cache
cannot be reached the attempt is allowed and the failure logged.

The defaults below can be changed per action in
``settings.JIAYUAN["LIMITS"]``, e.g. ``{"case_report": [(5, 60), (20, 3600)]}``.
"""

from __future__ import annotations

import logging
import math
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .forms_json import wants_json

log = logging.getLogger("jiayuan.limits")

MINUTE, HOUR, DAY = 60, 3600, 86400

# (how many, per how many seconds); every window of an action must allow it.
DEFAULTS: dict[str, list[tuple[int, int]]] = {
    # live chat messages, per person, across all their sockets
    "chat_send": [(12, 10)],
    # photos and voice notes in the chat, per person
    "chat_photo": [(10, MINUTE), (60, HOUR)],
    "chat_voice": [(10, MINUTE), (60, HOUR)],
    # case reports, per person who files them; staff filing for walk-ins and
    # callers (on behalf) may file more
    "case_report": [(5, MINUTE), (20, HOUR), (50, DAY)],
    "case_report_behalf": [(10, MINUTE), (120, HOUR), (500, DAY)],
    # "一键提醒" of a notice: per notice (every unread household is told, some by SMS)
    # and per author across their notices
    "notice_remind": [(3, HOUR), (6, DAY)],
    "notice_remind_author": [(10, HOUR)],
}


def _now() -> float:
    return time.time()


def windows(action: str) -> list[tuple[int, int]]:
    configured = getattr(settings, "JIAYUAN", {}).get("LIMITS", {})
    return [(int(n), int(w)) for n, w in configured.get(action, DEFAULTS[action])]


def _count(key: str, window: int) -> int:
    """Add one to ``key`` and return the new count (atomic; may raise if the cache is down)."""
    for _attempt in range(2):
        cache.add(key, 0, window * 2)
        try:
            return cache.incr(key)
        except ValueError:  # evicted or expired between add and incr: start it again
            continue
    return 1


def hit(key: str, *, limit: int, window: int) -> bool:
    """Count one attempt at ``key``; True if it is within ``limit`` for this window."""
    period = int(_now() // window)
    try:
        return _count(f"jy:limit:{key}:{window}:{period}", window) <= limit
    except Exception:  # the cache (Redis) failed: let the attempt through
        log.warning("rate-limit cache failed for %s; allowing", key, exc_info=True)
        return True


def check(action: str, *who) -> int:
    """Count one attempt at ``action`` by ``who`` (ids) against each of its windows.

    Returns 0 if it is allowed, else the seconds until the window that refused
    it ends (for ``Retry-After``). The shortest window is counted first; a
    refused attempt is not counted in the longer ones.
    """
    key = ":".join([action, *(str(part) for part in who)])
    for limit, window in sorted(windows(action), key=lambda lw: lw[1]):
        if not hit(key, limit=limit, window=window):
            return max(1, math.ceil(window - _now() % window))
    return 0


async def acheck(action: str, *who) -> int:
    """``check`` for consumers (the cache's own async ``aincr`` is not atomic)."""
    return await sync_to_async(check, thread_sensitive=False)(action, *who)


def wait_text(seconds: int) -> str:
    if seconds < MINUTE:
        return _("请 %(n)s 秒后再试。") % {"n": seconds}
    if seconds < 2 * HOUR:
        return _("请 %(n)s 分钟后再试。") % {"n": math.ceil(seconds / MINUTE)}
    return _("请 %(n)s 小时后再试。") % {"n": math.ceil(seconds / HOUR)}


def too_many(request: HttpRequest, seconds: int, message: str, *, json: bool | None = None
             ) -> HttpResponse:
    """429 with ``Retry-After``: JSON for scripts (forms.js, the chat), else the 429 page."""

    text = f"{message}{wait_text(seconds)}"
    if json or (json is None and wants_json(request)):
        response = JsonResponse({"ok": False, "message": text, "retry_after": seconds},
                                status=429)
    else:
        response = render(request, "429.html", {"message": text}, status=429)
    response["Retry-After"] = str(seconds)
    return response
