"""Reads the shell needs."""

from __future__ import annotations

from django.template import Context, engines
from django.template.loader import get_template
from django.utils.safestring import mark_safe
from wagtail import hooks

from .models import Notification


def unread_notification_count(user) -> int:
    cached = getattr(user, "_jy_unread", None)
    if cached is None:
        cached = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        user._jy_unread = cached
    return cached


def notifications_for(user, *, limit: int = 50):
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")[:limit]


def page_sections(hook_name: str, request) -> list[str]:
    """Render what each app contributes to a shared page (首页, 我的).

    Each app registers a function under ``hook_name`` in its wagtail_hooks.py.
    It takes the request and returns ``None`` (nothing to show this person) or
    a dict with ``template``, ``order`` and ``context``.
    """
    sections = []
    for fn in hooks.get_hooks(hook_name):
        section = fn(request)
        if section:
            sections.append(section)
    sections.sort(key=lambda s: s.get("order", 100))
    if not sections:
        return []
    # The context processors run once for all the sections, not once per
    # section as render_to_string(request=...) would.
    shared = {}
    for processor in engines["django"].engine.template_context_processors:
        shared.update(processor(request))
    out = []
    for s in sections:
        context = Context({**shared, **s.get("context", {})})
        out.append(mark_safe(get_template(s["template"]).template.render(context)))
    return out
