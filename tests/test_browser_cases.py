"""The closed loop in a phone-sized Chromium, with real photo uploads.

A resident reports → the grid worker triages and dispatches → the handler
accepts and reports the result with a photo → the resident confirms and rates
five stars; and the other ending, "not fixed", which sends the case back.
"""


import pytest
from django.utils import timezone
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

    # On top of her case page: who handles it and by when, in plain words.
    open_case(resident, live_server, case)
    now = resident.locator(".card.now").inner_text()
    case.refresh_from_db()
    due = timezone.localtime(case.due_at)
    assert "已交给 物业 办理" in now and f"预计 {due.month}月{due.day}日 前办好" in now
    assert "已交给 物业 办理，预计" in resident.locator(".timeline").inner_text()
    assert "分类 →" not in resident.locator(".timeline").inner_text()
    shot(resident, "cases-3b-resident-dispatched")

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
    assert "谢谢您的评价，这件事已办结" in resident.locator(".messages").inner_text()
    assert "已办理" not in resident.content()
    timeline = resident.locator(".timeline").inner_text()
    for step in ("社区已收到", "网格员已看过", "已交给 物业 办理", "已开始处理", "办理结果：",
                 "已更换楼道灯泡", "确认问题已解决，这件事已办结"):
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
    banner = resident.locator(".messages").inner_text()
    assert "已告诉社区：问题还没解决，会重新安排处理" in banner
    assert "办结" not in banner
    assert "反映问题还没解决，社区会重新安排处理" in resident.locator(".timeline").inner_text()
    shot(resident, "cases-6-not-fixed")
    assert axe_violations(resident) == []

    worker = as_user(w.worker_a)
    worker.goto(live_server.url + "/cases/workbench/?tab=waiting")
    assert worker.get_by_role("link", name="维修").count() == 1
    worker.get_by_role("link", name="维修").first.click()
    assert "灯还是不亮" in worker.locator(".timeline").inner_text()
    worker.get_by_label("交给").select_option(f"d{w.other_department.pk}")
    worker.get_by_role("button", name="转办", exact=True).click()
    worker.wait_for_selector("text=已转办")
    assert "已交给 供水公司 办理" in worker.locator(".messages").inner_text()
    assert "转办 → 已转办" in worker.locator(".timeline").inner_text()  # staff: the steps


def test_low_rating_says_it_goes_back(loop_world, as_user, live_server):
    from community.choices import Status
    from community.tests.factories import case_in

    case = case_in(loop_world, Status.RESOLVED)
    resident = as_user(loop_world.resident_a)
    open_case(resident, live_server, case)
    resident.get_by_text("解决了", exact=True).click()
    resident.get_by_text("1★").click()
    resident.get_by_role("button", name="提交评价").click()
    resident.wait_for_selector("text=待转办")
    assert "您不太满意，社区会重新安排处理" in resident.locator(".messages").inner_text()
    shot(resident, "cases-6b-low-rating")


def test_urge_is_explained_before_the_date_and_offered_after(loop_world, as_user, live_server):
    from datetime import timedelta

    from community.choices import Status
    from community.models import Case, CaseEvent
    from community.tests.factories import case_in

    w = loop_world
    case = case_in(w, Status.IN_PROGRESS)
    due = timezone.localtime(case.due_at)
    day = f"{due.month}月{due.day}日"
    resident = as_user(w.resident_a)
    open_case(resident, live_server, case)
    now = resident.locator(".card.now")
    assert f"预计 {day} 前办好" in now.inner_text()
    assert f"{day} 还没办好的话，可以在这里催一催" in now.inner_text()
    assert resident.get_by_role("button", name="催一催").count() == 0
    shot(resident, "cases-7-urge-before")
    assert axe_violations(resident) == []

    Case.objects.filter(pk=case.pk).update(due_at=timezone.now() - timedelta(hours=2))
    open_case(resident, live_server, case)
    button = resident.locator(".card.now").get_by_role("button", name="催一催")
    assert button.is_visible()
    box = button.bounding_box()
    assert box["y"] + box["height"] <= PHONE["viewport"]["height"]  # no scrolling to find it
    shot(resident, "cases-7-urge-after")
    button.click()
    resident.wait_for_selector(".messages")
    assert "已催一催，办理的人会收到提醒" in resident.locator(".messages").inner_text()
    assert CaseEvent.objects.filter(case=case, kind="urge").count() == 1
    shot(resident, "cases-7-urged")


def test_offline_report_lands_on_the_case_when_sent(loop_world, as_user, live_server):
    from community.models import Case

    resident = as_user(loop_world.resident_a)
    resident.goto(live_server.url + "/cases/new/?category=repair")
    resident.wait_for_function("() => window.jyForms !== undefined")
    resident.context.set_offline(True)
    resident.get_by_label("3. 说一说情况（写字或按住说话）").fill("楼下水管漏水")
    resident.get_by_role("button", name="提交").click()
    status = resident.locator("#report-form .jy-status")
    resident.wait_for_function(
        "() => document.querySelector('#report-form .jy-status').textContent.includes('已保存在手机上')")
    assert status.get_attribute("aria-live") == "polite"
    shot(resident, "cases-8-offline-saved")
    assert Case.objects.count() == 0

    resident.context.set_offline(False)  # the "online" event sends it
    resident.wait_for_function(
        "() => document.querySelector('#report-form .jy-status').textContent.includes('发送成功')")
    assert "已保存在手机上" not in status.inner_text()
    shot(resident, "cases-8-offline-sent")
    resident.wait_for_url("**/cases/*/?sent=1")
    case = Case.objects.get()
    assert resident.url.endswith(f"/cases/{case.pk}/?sent=1")
    assert case.description == "楼下水管漏水"
    assert "已提交" in resident.content()
    shot(resident, "cases-8-offline-landed")


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
