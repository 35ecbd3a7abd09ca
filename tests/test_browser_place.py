"""A hotline case that matched no building comes in 待定位; the top grid's worker, on a
phone at 360×740, opens it, picks the building from the form on the case page and
places it: the case moves to that building's grid and its grid worker is told."""

import pytest

from tests.browser import PHONE, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _unplaced_case(world):
    from django.test import Client

    from community.open311.services import api_key_issue
    from community.tests.factories import category

    category("repair", name="维修")
    _key, raw = api_key_issue(actor=world.admin, platform="罗城12345")
    response = Client().post("/open311/v2/requests.json", {
        "api_key": raw, "service_code": "repair", "description": "路灯不亮，在哪栋说不清",
        "address_string": "不知道在哪"})
    assert response.status_code == 201, response.content
    from community.models import Case

    case = Case.objects.get()
    assert case.is_unplaced and case.grid == world.grid_top
    return case


def test_the_top_grid_worker_places_a_hotline_case_on_a_phone(browser, live_server, world):
    from portal.models import AuditEntry

    case = _unplaced_case(world)
    context = browser.new_context(**PHONE)
    context.set_default_timeout(15_000)
    try:
        sign_in(context, live_server.url, world.worker_top)
        page = context.new_page()
        page.goto(f"{live_server.url}/cases/{case.pk}/")
        main = page.locator("main")
        assert "待定位" in main.inner_text()
        select = page.get_by_label("定位到")
        select.scroll_into_view_if_needed()
        assert select.is_visible()
        # The form fits the phone: nothing sticks out sideways, the button is a big target.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        button = page.get_by_role("button", name="确定地点")
        box = button.bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 300
        shot(page, "place-unplaced-case")

        # Submitting without a choice is stopped by the browser (required): nothing is sent.
        button.click()
        assert page.url.endswith(f"/cases/{case.pk}/")
        case.refresh_from_db()
        assert case.is_unplaced

        select.select_option(label=world.building_b.label)
        button.click()
        page.wait_for_function("() => !document.querySelector('#pl-to')")
        text = page.locator("main").inner_text()
        assert "待定位" not in text and world.building_b.label in text
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        shot(page, "place-case-placed")
    finally:
        context.close()
    case.refresh_from_db()
    assert case.building == world.building_b and case.grid == world.grid_b
    assert AuditEntry.objects.filter(action="case.place", object_id=str(case.pk),
                                     actor=world.worker_top).exists()
    assert world.worker_b.notifications.filter(title__contains="新诉求").exists()
