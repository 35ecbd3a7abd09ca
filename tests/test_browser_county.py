"""A county admin at 360×740 drills from the county's figure down to one case, sees the
resident's phone and flat masked there, and adds a 督办 note: the only thing they may do."""

import pytest

from tests.browser import axe_violations, phone_page, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_county_admin_drills_down_to_a_case_and_supervises(browser, live_server, world):
    from community.choices import EventKind, Status
    from community.county.rollups import refresh
    from community.county.tests.helpers import make_county
    from community.models import CaseEvent
    from community.tests.factories import case_in

    county = make_county(world)
    case = case_in(world, Status.CLOSED)
    case.description = "门口路灯坏了，请打 13800138000"
    case.save(update_fields=["description"])
    refresh()
    context, page = phone_page(browser, live_server.url, county["county_admin"])
    try:
        page.goto(live_server.url + "/county/")
        page.wait_for_url("**/county/r/*/")
        main = page.locator("main")
        assert "测试县" in main.inner_text() and "东门镇" in main.inner_text()
        shot(page, "county-county")

        page.get_by_role("region", name="东门镇").locator("a[data-fig=satisfied]").click()
        page.wait_for_url(f"**/county/r/{county['east'].pk}/*")
        assert "四把社区" not in page.locator("main").inner_text()
        shot(page, "county-township")

        page.get_by_role("region", name="测试社区").locator("a[data-fig=satisfied]").click()
        page.wait_for_url("**/county/c/*/cases/*")
        links = page.locator("a.case-link")
        assert links.count() == 1
        shot(page, "county-cases")

        links.first.click()
        page.wait_for_url(f"**/cases/{case.pk}/")
        text = page.locator("main").inner_text()
        assert "13800138000" not in text and "138****8000" in text
        assert world.household_a.number not in text
        assert page.get_by_role("button", name="接收办理").count() == 0
        shot(page, "county-case")
    finally:
        context.close()
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.SUPERVISE).exists()


def test_township_admin_supervises_an_overdue_case(browser, live_server, world):
    from django.utils import timezone

    from community.choices import EventKind, Status
    from community.county.tests.helpers import make_county
    from community.models import CaseEvent
    from community.tests.factories import case_in

    county = make_county(world)
    case = case_in(world, Status.DISPATCHED)
    case.due_at = timezone.now() - timezone.timedelta(days=2)
    case.save(update_fields=["due_at"])
    context, page = phone_page(browser, live_server.url, county["east_admin"])
    try:
        page.goto(f"{live_server.url}/county/r/{county['east'].pk}/")
        page.get_by_role("link", name="超期督办").click()
        page.wait_for_url("**/supervise/")
        page.locator("a.case-link").first.click()
        page.wait_for_url(f"**/cases/{case.pk}/")
        page.locator("summary", has_text="督办意见").click()
        page.fill("#t-supervise", "请三天内办好")
        page.get_by_role("button", name="提交督办意见").click()
        page.get_by_text("请三天内办好").first.wait_for()
        shot(page, "county-supervised")
    finally:
        context.close()
    assert CaseEvent.objects.filter(case=case, kind=EventKind.SUPERVISE,
                                    actor=county["east_admin"]).exists()
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED


def test_township_admin_follows_coverage_and_whistle_figures_on_a_phone(browser, live_server, world):
    """From the township's page, one tap on the community's coverage figure shows its grids'
    figures (no household), and one tap on the report-in figure shows the cases whistled on."""
    from buildings.patrols.services import visit_record
    from community.choices import Status
    from community.county.rollups import refresh
    from community.county.tests.helpers import make_county
    from community.tests.factories import case_in
    from community.whistle.services import whistle_blow

    county = make_county(world)
    whistled = case_in(world, Status.DISPATCHED)
    quiet = case_in(world, Status.DISPATCHED)
    whistle_blow(actor=world.worker_a, case_id=whistled.pk,
                 departments=[world.department, world.other_department],
                 lead=world.department, note="楼道漏水")
    visit_record(actor=world.worker_a, household=world.household_a, met="head")
    refresh()
    context, page = phone_page(browser, live_server.url, county["east_admin"])
    try:
        page.goto(f"{live_server.url}/county/r/{county['east'].pk}/")
        row = page.get_by_role("region", name="测试社区")
        row.locator("a[data-fig=coverage]").click()
        page.wait_for_url(f"**/county/c/{world.community.pk}/coverage/*")
        text = page.locator("main").inner_text()
        assert world.grid_a.name in text and "已走访 1 / " in text
        assert "13800138000" not in text and world.household_a.number not in text
        assert axe_violations(page) == []
        shot(page, "county-coverage")

        page.go_back()
        page.get_by_role("region", name="测试社区").locator("a[data-fig=whistled]").click()
        page.wait_for_url("**/county/c/*/cases/*show=whistled*")
        hrefs = page.locator("a.case-link").evaluate_all("links => links.map(a => a.pathname)")
        assert hrefs == [f"/cases/{whistled.pk}/"], hrefs
        assert f"/cases/{quiet.pk}/" not in hrefs
        assert axe_violations(page) == []
        shot(page, "county-whistled")
    finally:
        context.close()
