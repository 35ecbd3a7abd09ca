"""A grid worker's round at 360×740: a visit saved offline at the door, sent when the
signal returns, and its finding taken into the loop as a case in one tap."""

import time

import pytest

from tests.browser import PHONE, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, timeout=20.0, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_offline_visit_then_online_then_finding_to_case(browser, live_server, world):
    from buildings.patrols.models import Visit
    from buildings.patrols.tests.helpers import flag
    from community.tests.factories import category

    category("repair")
    flag(world.household_a2, "独居老人")
    context = browser.new_context(**PHONE)
    context.set_default_timeout(15_000)
    try:
        sign_in(context, live_server.url, world.worker_a)
        page = context.new_page()
        page.goto(live_server.url + "/patrols/")
        items = page.locator(".round-item")
        assert items.count() == 2
        first = items.first.inner_text()
        assert world.household_a2.address in first and "重点户" in first
        shot(page, "patrols-round")

        page.locator(".round-item a").first.click()
        page.wait_for_url("**/patrols/h/*/")
        page.wait_for_function("() => window.jyForms !== undefined")
        assert "独居老人" in page.locator("main").inner_text()

        context.set_offline(True)
        page.check("input[name=met][value=head]")
        page.check("input[name=condition][value=fair]")
        page.check("input[name=finding][value=facility]")
        page.fill("#id_note", "卫生间水管漏水，老人行动不便")
        page.get_by_role("button", name="保存走访").click()
        page.wait_for_function(
            "() => document.querySelector('.jy-status').textContent.includes('已保存在手机上')")
        shot(page, "patrols-visit-offline")
        assert not Visit.objects.exists()

        context.set_offline(False)
        wait_for(lambda: Visit.objects.exists(), what="the queued visit to arrive")
        visit = Visit.objects.get()
        assert visit.household == world.household_a2 and visit.finding == "facility"
        assert visit.visitor == world.worker_a and len(visit.client_key) == 36

        page.goto(f"{live_server.url}/patrols/h/{world.household_a2.pk}/")
        page.locator("[aria-labelledby=hh-visits] .item a").first.click()
        page.wait_for_url("**/patrols/v/*/")
        assert "设施损坏" in page.locator("main").inner_text()
        shot(page, "patrols-visit")
        page.get_by_role("button", name="代住户登记诉求").click()
        page.wait_for_url("**/cases/*/")
        visit.refresh_from_db()
        assert visit.case is not None
        assert visit.case.household == world.household_a2
        assert visit.case.on_behalf_by == world.worker_a
        assert "卫生间水管漏水" in page.locator("main").inner_text()
        shot(page, "patrols-case")
    finally:
        context.close()
