"""The closed loop in a phone-sized Chromium, with real photo uploads.

A resident reports → the grid worker triages and dispatches → the handler
accepts and reports the result with a photo → the resident confirms and rates
five stars; and the other ending, "not fixed", which sends the case back.
"""


import pytest
from PIL import Image

from tests.browser import PHONE, axe_violations, large_type_problems, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "light.jpg"
    Image.new("RGB", (2400, 1800), (90, 120, 200)).save(path, "JPEG", quality=85)
    return str(path)


@pytest.fixture
def as_user(browser, live_server):
    contexts = []

    def open_as(user):
        context = browser.new_context(**PHONE)
        context.set_default_timeout(15_000)
        contexts.append(context)
        sign_in(context, live_server.url, user)
        return context.new_page()

    yield open_as
    for c in contexts:
        c.close()


@pytest.fixture
def loop_world(world):
    from community.tests.factories import category

    category("repair")
    category("hygiene", name="环境卫生", icon="hygiene")
    return world


def report(page, live_server, photo, text):
    page.goto(live_server.url + "/cases/")
    page.get_by_role("link", name="维修").click()
    page.wait_for_url("**/cases/new/**")
    page.get_by_label("3. 说一说情况（写字或按住说话）").fill(text)
    page.locator("input[name=photos]").set_input_files(photo)
    page.get_by_role("button", name="提交").click()
    page.wait_for_url("**/cases/*/?sent=1")


def open_case(page, live_server, case):
    page.goto(f"{live_server.url}/cases/{case.pk}/")


def test_report_to_five_stars(loop_world, as_user, live_server, photo):
    from community.models import Case

    w = loop_world
    resident = as_user(w.resident_a)
    report(resident, live_server, photo, "2单元楼道灯不亮，晚上看不见")
    assert "已提交" in resident.content()
    case = Case.objects.get()
    assert case.photos.count() == 1 and case.household == w.household_a
    shot(resident, "cases-1-resident-sent")
    assert axe_violations(resident) == []

    worker = as_user(w.worker_a)
    worker.goto(live_server.url + "/cases/workbench/")
    shot(worker, "cases-2-workbench")
    assert axe_violations(worker) == []
    worker.get_by_role("link", name="维修").first.click()
    worker.get_by_label("紧急程度").select_option("high")
    worker.get_by_role("button", name="确定分类").click()
    worker.get_by_label("交给").select_option(f"d{w.department.pk}")
    worker.get_by_label("交办说明").fill("请今天去看看")
    worker.get_by_role("button", name="转办", exact=True).click()
    worker.wait_for_selector("text=已转办")
    shot(worker, "cases-3-worker-dispatched")

    handler = as_user(w.handler)
    handler.goto(live_server.url + "/cases/workbench/")
    handler.get_by_role("link", name="维修").first.click()
    handler.get_by_role("button", name="接收办理").click()
    handler.get_by_label("办理结果").fill("已更换楼道灯泡，亮了")
    handler.locator("#p-resolve").set_input_files(photo)
    handler.get_by_role("button", name="提交办理结果").click()
    handler.wait_for_selector("text=待评价")
    shot(handler, "cases-4-handler-result")

    open_case(resident, live_server, case)
    resident.get_by_text("解决了", exact=True).click()
    resident.get_by_text("5★").click()
    resident.get_by_label("想说的话（可不填）").fill("很快，谢谢")
    resident.get_by_role("button", name="提交评价").click()
    resident.wait_for_selector("text=已办结")
    timeline = resident.locator(".timeline").inner_text()
    for step in ("登记", "分类", "转办", "接收", "反馈结果", "确认办结", "已更换楼道灯泡"):
        assert step in timeline, step
    assert resident.locator(".timeline img").count() == 1  # the result photo
    assert resident.locator(".card .photos img").count() >= 1  # the report photo
    shot(resident, "cases-5-resident-closed")
    assert axe_violations(resident) == []
    case.refresh_from_db()
    assert case.status == "closed" and case.rating == 5


def test_not_fixed_comes_back(loop_world, as_user, live_server, photo):
    from community.choices import Status
    from community.tests.factories import case_in

    w = loop_world
    case = case_in(w, Status.RESOLVED)
    resident = as_user(w.resident_a)
    open_case(resident, live_server, case)
    resident.get_by_text("没解决", exact=True).click()
    resident.get_by_label("想说的话（可不填）").fill("灯还是不亮")
    resident.get_by_role("button", name="提交评价").click()
    resident.wait_for_selector("text=待转办")
    assert "未解决，重新办理" in resident.locator(".timeline").inner_text()
    shot(resident, "cases-6-not-fixed")

    worker = as_user(w.worker_a)
    worker.goto(live_server.url + "/cases/workbench/?tab=waiting")
    assert worker.get_by_role("link", name="维修").count() == 1
    worker.get_by_role("link", name="维修").first.click()
    assert "灯还是不亮" in worker.locator(".timeline").inner_text()
    worker.get_by_label("交给").select_option(f"d{w.other_department.pk}")
    worker.get_by_role("button", name="转办", exact=True).click()
    worker.wait_for_selector("text=已转办")


@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
def test_pages_are_accessible(loop_world, as_user, live_server, large):
    from community.choices import Status
    from community.tests.factories import case_in

    w = loop_world
    case = case_in(w, Status.RESOLVED)
    for user in (w.resident_a, w.worker_a):
        user.large_type = large
        user.save(update_fields=["large_type"])
    resident = as_user(w.resident_a)
    worker = as_user(w.worker_a)
    pages = [(resident, "/cases/", "index"), (resident, "/cases/new/?category=repair", "new"),
             (resident, f"/cases/{case.pk}/", "detail-resident"),
             (worker, "/cases/workbench/?tab=result", "workbench"),
             (worker, f"/cases/{case.pk}/", "detail-worker")]
    for page, url, name in pages:
        page.goto(live_server.url + url)
        shot(page, f"cases-a11y-{name}-{'large' if large else 'normal'}")
        assert axe_violations(page) == [], name
        if large:
            assert large_type_problems(page) == [], name
