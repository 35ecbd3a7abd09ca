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


def test_remind_asks_first_with_the_exact_count(phone, live_server, world):
    """一键提醒 opens a confirm page that says how many households and SMS; once sent,
    the receipts page says so and offers no second tap."""
    from buildings.tests import factories as f
    from notices.choices import Audience, Category
    from notices.tests.helpers import make_notice
    from portal.models import SmsMessage

    f.HouseholdFactory(unit=world.household_a.unit, number="103", floor=1,
                       phone="+8613911113333")
    notice = make_notice(title="明天停水", category=Category.WATER, audience=Audience.BUILDINGS,
                         buildings=[world.building_a], ack_wanted=True, urgent=True,
                         author=world.head_a)
    _as(phone, live_server, world.head_a)
    phone.goto(live_server.url + f"/notices/{notice.pk}/receipts/")
    phone.get_by_role("link", name="一键提醒未回执的住户").click()
    phone.wait_for_url(f"**/notices/{notice.pk}/receipts/remind/")
    assert "将给 3 户未回执的住户发提醒，确定吗？" in phone.locator("#remind-q").inner_text()
    assert "手机上通知 2 人，发短信 3 条。" in phone.locator("#remind-detail").inner_text()
    assert not SmsMessage.objects.filter(purpose="notice:remind").exists()
    _clean(phone, "notices-8-remind-confirm")
    phone.get_by_role("button", name="确定提醒").click()
    phone.wait_for_url(f"**/notices/{notice.pk}/receipts/")
    assert "已提醒 3 户：手机上通知 2 人，发出短信 3 条。" in phone.content()
    assert SmsMessage.objects.filter(purpose="notice:remind").count() == 3
    assert phone.get_by_role("link", name="一键提醒未回执的住户").count() == 0
    assert "已一键提醒过" in phone.locator("#remind-wait").inner_text()
    _clean(phone, "notices-9-reminded")


def test_admin_approves_a_photo_notice_in_wagtail(phone, live_server, world):
    """A notice posted with a photo from the phone form (no alt text asked) is approved
    from the Wagtail admin's edit page through the moderation workflow."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from notices.choices import Category
    from notices.models import NoticePage
    from notices.services import notice_post
    from portal.models import User

    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), "blue").save(buffer, "JPEG")
    photo = SimpleUploadedFile("p.jpg", buffer.getvalue(), content_type="image/jpeg")
    page, outcome = notice_post(author=world.head_a, title="楼道堆物清理", category=Category.SAFETY,
                                text="请本周内清理楼道杂物。", building_ids=[world.building_a.pk],
                                photo=photo)
    assert outcome == "submitted"
    admin = User.objects.create_superuser("root", password="x", phone="+8613000000999")
    _as(phone, live_server, admin)
    phone.goto(live_server.url + f"/admin/pages/{page.pk}/edit/")
    shot(phone, "notices-10-wagtail-edit")
    approve = phone.locator("button[data-workflow-action-name='approve']").first
    if not approve.is_visible():
        phone.locator("footer .dropdown-toggle, [data-w-dropdown-target='toggle']").last.click()
    approve.click()
    phone.wait_for_load_state()
    shot(phone, "notices-11-wagtail-approved")
    page = NoticePage.objects.get(pk=page.pk)
    assert page.live, phone.content()[:3000]
    assert "validation errors" not in phone.content() and "无法保存" not in phone.content()
