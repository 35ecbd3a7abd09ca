"""What each resident page sends to a phone (issue 15: "send each page only what it uses").

A signed-in resident opens every resident page in a fresh 360×740 Chromium;
the test records each response and prints a table. Static files are counted
at their brotli size, as the release serves them (collectstatic writes a .br
beside each file and WhiteNoise sends it; tests/test_embedded.py checks that);
pages and the script catalogue at their size (Django does not compress them).
The repeat visit is measured on the release server by tests/perf/bench_issue15.py.

It asserts which scripts each page loads (the forms' offline outbox and photo
code only where there is a form, the shared code once) and the byte budgets.
"""

from __future__ import annotations

import brotli
import pytest

from tests.browser import PHONE, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BUDGET_KB = {"home": 30, "report form": 45, "chat": 45}
FORMS = {"portal/common.js", "portal/forms.js"}


def weigh(browser, live_server, user, path: str) -> tuple[int, set[str]]:
    """(bytes a release would send for a first visit, the static scripts loaded)."""
    context = browser.new_context(**PHONE, service_workers="block")
    sign_in(context, live_server.url, user)
    page = context.new_page()
    bodies: list[tuple[str, bytes]] = []
    page.on("requestfinished", lambda request: bodies.append(
        (request.url, request.response().body())))
    page.goto(live_server.url + path, wait_until="networkidle")
    assert "/accounts/login" not in page.url, page.url
    context.close()
    total, scripts = 0, set()
    for url, body in bodies:
        if "/static/" in url:
            name = url.split("/static/", 1)[1].split("?")[0]
            if name.endswith(".js"):
                scripts.add(name)
            total += len(brotli.compress(body)) + 250  # a response head, roughly
        else:
            total += len(body) + 250
    return total, scripts


def test_each_resident_page_loads_only_the_scripts_it_uses(browser, live_server, world):
    from community.tests.factories import case_in, category

    category("repair")
    case = case_in(world, "submitted", reporter=world.resident_a)
    pages = [
        ("home", "/"),
        ("我的", "/me/"),
        ("notices", "/notices/"),
        ("my cases", "/cases/"),
        ("a case", f"/cases/{case.pk}/"),
        ("task board", "/volunteer/"),
        ("report form", "/cases/new/?category=repair"),
        ("chat", "/chat/"),
    ]
    rows = {}
    for label, path in pages:
        rows[label] = weigh(browser, live_server, world.resident_a, path)
    print("\nfirst visit of a signed-in resident (static files at their brotli size)")
    for label, (total, scripts) in rows.items():
        print(f"{label:12} {total / 1024:6.1f} KB  {' '.join(sorted(scripts))}")

    for label in ("home", "我的", "notices", "my cases", "task board"):
        assert not rows[label][1] & FORMS, (label, rows[label][1])
    assert {"portal/common.js", "portal/forms.js", "portal/voice.js"} <= rows["report form"][1]
    assert {"portal/common.js", "liaison/chat.js"} <= rows["chat"][1]
    assert "portal/forms.js" not in rows["chat"][1]
    for label, budget in BUDGET_KB.items():
        assert rows[label][0] <= budget * 1024, (label, rows[label][0])
