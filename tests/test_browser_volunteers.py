"""Volunteers on a 360×740 phone, start to finish.

A grid worker posts a one-place task for a flat in their grid; two volunteers
try for it: one gets it, the other is waitlisted; the first checks in with
the organiser's code and checks out; the resident helped confirms with one
tap; the organiser approves; hours and points appear on the volunteer's
record; the volunteer redeems an item at the points supermarket. Every page
is axe-clean in normal and in large type.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser import PHONE, axe_violations, large_type_problems, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _as(page, live_server, user):
    page.context.clear_cookies()
    sign_in(page.context, live_server.url, user)


def _clean(page, name, *, large=False):
    shot(page, name)
    assert axe_violations(page) == []
    if large:
        assert large_type_problems(page) == []


@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
def test_task_from_post_to_points(phone, browser, live_server, world, large):
    from portal.models import User
    from volunteers.models import Claim, ShopItem, Task
    from volunteers.tests import factories as vf

    if large:
        User.objects.filter(pk__in=[u.pk for u in (world.worker_a, world.resident_a,
                                                   world.resident_a2, world.resident_b)]
                            ).update(large_type=True)
        for u in (world.worker_a, world.resident_a, world.resident_a2, world.resident_b):
            u.refresh_from_db()
    sfx = "large" if large else "normal"
    first = vf.volunteer(community=world.community, grid=world.grid_a, user=world.resident_a2,
                         name="谢秀兰")
    second = vf.volunteer(community=world.community, grid=world.grid_b, user=world.resident_b,
                          name="黄海燕")
    ShopItem.objects.create(community=world.community, name="洗衣液 2kg", cost=15, stock=5,
                            per_person_limit=2, collect_note="每月5日上午 社区服务中心")

    # 1. The grid worker posts the task from the phone.
    _as(phone, live_server, world.worker_a)
    phone.goto(live_server.url + "/volunteer/")
    phone.get_by_role("link", name="发布任务").click()
    start = timezone.localtime(timezone.now() + timedelta(minutes=20))
    phone.fill("#id_title", "陪罗奶奶去卫生院")
    phone.select_option("#id_kind", "elderly")
    phone.fill("#id_description", "陪同复查，帮忙排队取药。")
    phone.select_option("#id_building", str(world.building_a.pk))
    phone.fill("#id_unit", str(world.household_a.unit.number))
    phone.fill("#id_flat", world.household_a.number)
    phone.fill("#id_starts_at", start.strftime("%Y-%m-%dT%H:%M"))
    phone.fill("#id_ends_at", (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    phone.fill("#id_places", "1")
    phone.fill("#id_points", "20")
    phone.fill("#id_withdraw_cutoff_hours", "0")
    _clean(phone, f"volunteers-1-new-task-{sfx}", large=large)
    phone.get_by_role("button", name="发布").click()
    phone.wait_for_url("**/volunteer/t/*/")
    task = Task.objects.get(title="陪罗奶奶去卫生院")
    assert task.grid == world.grid_a and task.places == 1
    _clean(phone, f"volunteers-2-task-organiser-{sfx}", large=large)

    # 2. Two volunteers try for the one place, each on their own phone.
    other = browser.new_context(**PHONE)
    other_page = other.new_page()
    try:
        sign_in(other, live_server.url, second.user)
        _as(phone, live_server, first.user)
        for page in (phone, other_page):
            page.goto(live_server.url + f"/volunteer/t/{task.pk}/")
        assert world.household_a.address not in phone.content()  # not before holding a place
        # nor the person's name in the title, nor what is to be done (the board neither)
        assert "陪罗奶奶" not in phone.inner_text("main")
        assert "具体内容报上名后显示" in phone.inner_text("main")
        _clean(phone, f"volunteers-3-task-before-claim-{sfx}", large=large)
        phone.get_by_role("button", name="我要报名").click()
        other_page.get_by_role("button", name="我要报名").click()
        phone.wait_for_load_state()
        other_page.wait_for_load_state()
        assert "报名成功" in phone.content()
        assert "候补" in other_page.inner_text("main")
        assert "已满，可候补" in other_page.inner_text("main")
        assert "招募中" not in other_page.inner_text("main")
        assert "陪罗奶奶" not in other_page.inner_text("main")  # waitlisted: no place held
        other_page.goto(live_server.url + "/volunteer/")
        assert "陪罗奶奶" not in other_page.inner_text("main")
        shot(other_page, f"volunteers-4-waitlisted-{sfx}")
        assert axe_violations(other_page) == []
    finally:
        other.close()
    task.refresh_from_db()
    assert task.filled == 1
    assert Claim.objects.get(task=task, volunteer=first).state == "held"
    assert Claim.objects.get(task=task, volunteer=second).state == "waitlisted"
    # holding the place, the first volunteer now sees the flat, the person and the window
    assert world.household_a.address in phone.content()
    assert "陪罗奶奶去卫生院" in phone.inner_text("h1")
    assert "签到时间" in phone.inner_text("#checkin-window")
    _clean(phone, f"volunteers-5-held-{sfx}", large=large)

    # 3. Check in with the organiser's code, then (an hour later) check out.
    phone.fill("#id_code", task.checkin_code)
    phone.get_by_role("button", name="签到").click()
    phone.wait_for_load_state()
    assert "签到成功" in phone.content()
    _clean(phone, f"volunteers-6-checked-in-{sfx}", large=large)
    Claim.objects.filter(task=task, volunteer=first).update(
        checked_in_at=timezone.now() - timedelta(hours=1))
    phone.reload()
    phone.get_by_role("button", name="签退").click()
    phone.wait_for_load_state()
    assert "签退成功" in phone.content()

    # 4. The resident helped confirms with one tap, from the home page.
    _as(phone, live_server, world.resident_a)
    phone.goto(live_server.url + "/")
    phone.get_by_role("link", name="有 1 次志愿服务等您确认").click()
    assert "谢志愿者" in phone.content() and "谢秀兰" not in phone.content()
    _clean(phone, f"volunteers-7-confirm-{sfx}", large=large)
    phone.get_by_role("button", name="确认服务").click()
    phone.wait_for_load_state()
    assert "已确认" in phone.content()

    # 5. The organiser approves the service.
    _as(phone, live_server, world.worker_a)
    phone.goto(live_server.url + f"/volunteer/t/{task.pk}/")
    phone.get_by_role("button", name="审核通过服务").click()
    phone.wait_for_load_state()
    assert "已认定服务时长和积分" in phone.content()

    # 6. Hours and points appear on the volunteer's record.
    _as(phone, live_server, first.user)
    phone.goto(live_server.url + "/volunteer/record/")
    record = phone.inner_text("main")
    assert "服务时长 1 小时" in record and "积分余额 20" in record
    _clean(phone, f"volunteers-8-record-{sfx}", large=large)

    # 7. The volunteer redeems an item at the points supermarket.
    phone.goto(live_server.url + "/volunteer/shop/")
    phone.get_by_role("button", name="兑换").click()
    phone.wait_for_load_state()
    assert "兑换成功" in phone.content()
    assert "我的积分：5" in phone.inner_text("main")
    _clean(phone, f"volunteers-9-shop-{sfx}", large=large)
    phone.goto(live_server.url + "/volunteer/")
    _clean(phone, f"volunteers-10-board-{sfx}", large=large)
    phone.goto(live_server.url + "/volunteer/leaderboard/")
    _clean(phone, f"volunteers-11-leaderboard-{sfx}", large=large)


def test_check_in_is_offered_only_inside_its_window(phone, live_server, world):
    """A task tomorrow: the window is shown, the button is not (it used to be offered and
    then refused with 'too early')."""
    from volunteers import services
    from volunteers.tests import factories as vf

    first = vf.volunteer(community=world.community, grid=world.grid_a, user=world.resident_a2)
    start = timezone.now() + timedelta(days=1)
    task = services.task_create(actor=world.worker_a, title="清理楼道", starts_at=start,
                                ends_at=start + timedelta(hours=2), building=world.building_a)
    services.task_claim(actor=first.user, task_id=task.pk)
    _as(phone, live_server, first.user)
    phone.goto(live_server.url + f"/volunteer/t/{task.pk}/")
    window = phone.inner_text("#checkin-window")
    opens = timezone.localtime(start - services.CHECKIN_EARLY)
    assert "签到时间" in window and opens.strftime("%H:%M") in window
    assert phone.get_by_role("button", name="签到").count() == 0
    assert "到时间后这里会出现签到按钮" in phone.inner_text("main")
    _clean(phone, "volunteers-checkin-window")
