"""Driving Debian's Chromium with Playwright, as a person on a phone would.

Fixtures (see tests/conftest.py): ``browser``, ``phone`` (a 360×740 touch
page), ``desktop`` (1280×800). Helpers: ``sign_in`` (a session for a user,
without going through the SMS flow, for tests that are not about signing
in), ``axe_violations`` and ``shot`` (a screenshot kept under
test-artifacts/).
"""

from __future__ import annotations

import os
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "locale": "zh-CN",
           "timezone_id": "Asia/Shanghai"}


def sign_in(context, live_server_url: str, user) -> None:
    """Give the browser context a signed-in session for ``user``."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value,
                          "url": live_server_url}])


def phone_page(browser, live_server_url: str, user):
    """A signed-in phone (360×740) for ``user``: its context (close it) and a page."""
    context = browser.new_context(**PHONE)
    context.set_default_timeout(15_000)
    sign_in(context, live_server_url, user)
    return context, context.new_page()


def set_large_type(context, live_server_url: str, on: bool = True) -> None:
    """Large type for a signed-out visitor (signed-in people keep it on their profile)."""
    context.add_cookies([{"name": "jy_lt", "value": "1" if on else "0", "url": live_server_url}])


def axe_violations(page, *, exclude: list[str] | None = None) -> list[dict]:
    """Run axe-core on the page; return its violations as {id, impact, nodes} dicts."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    out = []
    for v in results.response["violations"]:
        if exclude and v["id"] in exclude:
            continue
        out.append({"id": v["id"], "impact": v["impact"],
                    "nodes": [n["target"] for n in v["nodes"]][:5], "help": v["help"]})
    return out


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def large_type_problems(page, *, min_font_px: float = 18, min_target_px: float = 60) -> list[str]:
    """Main text under 18 px or a touch target under 60 px, in large-type mode."""
    return page.evaluate(
        """([minFont, minTarget]) => {
          const bad = [];
          const visible = (el) => { const r = el.getBoundingClientRect();
            const s = getComputedStyle(el);
            return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
          document.querySelectorAll('main p, main li, main label, main td, main span').forEach((el) => {
            if (!visible(el) || !el.textContent.trim()) return;
            if (el.closest('.meta, .badge, .skip')) return;
            const fs = parseFloat(getComputedStyle(el).fontSize);
            if (fs < minFont) bad.push(`text ${fs}px: ${el.textContent.trim().slice(0, 20)}`);
          });
          document.querySelectorAll('a.btn, button, input:not([type=hidden]), select, textarea, .tabs a, .top a').forEach((el) => {
            if (!visible(el) || el.closest('.skip')) return;
            const r = el.getBoundingClientRect();
            if (el.type === 'checkbox' || el.type === 'radio') return;
            if (r.height < minTarget - 0.5) bad.push(`target ${Math.round(r.height)}px: ${el.tagName} ${(el.textContent || el.name || '').trim().slice(0, 20)}`);
          });
          return bad;
        }""",
        [min_font_px, min_target_px],
    )
