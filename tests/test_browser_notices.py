"""Notices on a 360×740 phone: a building head posts, a grid worker approves, a resident of
that building sees it on the home page and taps 收到, a resident of another building does
not see it, and the head's overview updates. Axe-clean in normal and large type."""

import pytest

from tests.browser import axe_violations, large_type_problems, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _as(page, live_server, user):
    page.context.clear_cookies()
    sign_in(page.context, live_server.url, user)


def _clean(page, name, *, large=False):
    shot(page, name)
    assert axe_violations(page) == []
    if large:
        assert large_type_problems(page) == []


def test_post_approve_read_acknowledge(phone, live_server, world):
    from notices.models import NoticePage
    from notices.services import ensure_notice_index

    ensure_notice_index()
    # 1. The building head posts from the phone form.
    _as(phone, live_server, world.head_a)
    phone.goto(live_server.url + "/notices/")
    phone.get_by_role("link", name="发通知").click()
    phone.fill("#id_title", "明天上午停水")
    phone.select_option("#id_category", "water")
    phone.fill("#id_text", "因管道检修，明天上午8点起停水，下午6点恢复。请提前储水。")
    phone.check(f"input[name=buildings][value='{world.building_a.pk}']")
    phone.check("#id_ack_wanted")
    _clean(phone, "notices-1-post-form")
    phone.get_by_role("button", name="提交").click()
    phone.wait_for_url("**/notices/mine/")
    assert "已提交" in phone.content()
    _clean(phone, "notices-2-mine")
    notice = NoticePage.objects.get(title="明天上午停水")
    assert not notice.live

    # 2. The grid worker approves it from the phone.
    _as(phone, live_server, world.worker_a)
    phone.goto(live_server.url + "/notices/review/")
    assert "明天上午停水" in phone.content()
    _clean(phone, "notices-3-review")
    phone.get_by_role("button", name="通过并发布").click()
    phone.wait_for_url("**/notices/review/")
    notice.refresh_from_db()
    assert notice.live

    # 3. A resident of building A sees it on the home page, opens it, taps 收到.
    _as(phone, live_server, world.resident_a)
    phone.goto(live_server.url + "/")
    home = phone.locator("section.notices-home")
    assert "明天上午停水" in home.inner_text() and "未读" in home.inner_text()
    _clean(phone, "notices-4-home-resident")
    home.get_by_role("link", name="明天上午停水").click()
    phone.wait_for_url(f"**/notices/{notice.pk}/")
    _clean(phone, "notices-5-detail")
    phone.get_by_role("button", name="收到").click()
    phone.wait_for_url(f"**/notices/{notice.pk}/")
    assert "您家已确认收到" in phone.content()
    _clean(phone, "notices-6-acknowledged")

    # 4. A resident of building B does not see it, and cannot open it.
    _as(phone, live_server, world.resident_b)
    phone.goto(live_server.url + "/")
    assert "明天上午停水" not in phone.content()
    response = phone.goto(live_server.url + f"/notices/{notice.pk}/")
    assert response.status == 404

    # 5. The head's overview: A acknowledged, A2 not read, with the phone to call.
    _as(phone, live_server, world.head_a)
    phone.goto(live_server.url + f"/notices/{notice.pk}/receipts/")
    counts = phone.locator("#receipt-counts").inner_text()
    assert "已确认 1" in counts and "未读 1" in counts
    assert world.household_a2.phone in phone.content()
    _clean(phone, "notices-7-receipts")
    phone.locator(f"[data-household='{world.household_a2.pk}']").get_by_role(
        "button", name="已电话告知").click()
    phone.wait_for_url(f"**/notices/{notice.pk}/receipts/")
    assert "已确认 2" in phone.locator("#receipt-counts").inner_text()


def test_large_type_pages(phone, live_server, world):
    from notices.choices import Audience, Category
    from notices.tests.helpers import make_notice

    notice = make_notice(title="3栋停电通知", text="周六上午9点到下午5点停电。", category=Category.POWER,
                         audience=Audience.BUILDINGS, buildings=[world.building_a],
                         ack_wanted=True, urgent=True, pinned=True)
    make_notice(title="防诈骗宣传", text="陌生电话要转账，一律是诈骗。", category=Category.SAFETY)
    world.resident_a.large_type = True
    world.resident_a.save(update_fields=["large_type"])
    world.head_a.large_type = True
    world.head_a.save(update_fields=["large_type"])
    _as(phone, live_server, world.resident_a)
    for path, name in [("/", "home"), ("/notices/", "list"), (f"/notices/{notice.pk}/", "detail"),
                       ("/notices/?q=停电", "search"), ("/me/", "me")]:
        phone.goto(live_server.url + path)
        assert phone.locator("html.lt").count() == 1
        _clean(phone, f"notices-large-{name}", large=True)
    phone.goto(live_server.url + f"/notices/{notice.pk}/poster/")
    assert phone.locator("svg").count() >= 1
    shot(phone, "notices-poster")
    _as(phone, live_server, world.head_a)
    for path, name in [(f"/notices/{notice.pk}/receipts/", "receipts"),
                       ("/notices/post/", "post")]:
        phone.goto(live_server.url + path)
        _clean(phone, f"notices-large-{name}", large=True)
