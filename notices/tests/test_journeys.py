"""Posting from a phone, review through the Wagtail workflow, reading, 收到, receipts."""

import pytest
from django.urls import reverse
from wagtail.models import TaskState

from notices.choices import AckMethod, Audience, Category
from notices.models import NoticeAck, NoticePage, NoticeRead
from notices.services import notice_post
from portal.models import Notification, SmsMessage

from .helpers import make_notice

pytestmark = pytest.mark.django_db


def _post_form(client, user, building_ids, **extra):
    client.force_login(user)
    data = {"title": "明天停水", "category": Category.WATER,
            "text": "明天上午8点起停水，请提前储水。", "buildings": building_ids,
            "ack_wanted": "on"}
    data.update(extra)
    return client.post(reverse("notices:post"), data)


def test_head_posts_grid_worker_approves_resident_acknowledges(client, world):
    response = _post_form(client, world.head_a, [world.building_a.pk])
    assert response.status_code == 302
    page = NoticePage.objects.get(title="明天停水")
    assert not page.live
    state = page.current_workflow_state
    assert state is not None and state.status == "in_progress"
    # Not yet visible to residents.
    client.force_login(world.resident_a)
    assert client.get(reverse("notices:detail", args=[page.pk])).status_code == 404

    # The grid worker of building A sees it for review; the one of B does not.
    client.force_login(world.worker_b)
    assert "明天停水" not in client.get(reverse("notices:review_list")).content.decode()
    task_state = TaskState.objects.get(workflow_state=state)
    assert client.post(reverse("notices:review", args=[task_state.pk]),
                       {"decision": "approve"}).status_code == 404
    client.force_login(world.worker_a)
    assert "明天停水" in client.get(reverse("notices:review_list")).content.decode()
    response = client.post(reverse("notices:review", args=[task_state.pk]),
                           {"decision": "approve"})
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.live
    # Announced: in-app to residents of A, by SMS too (a water cut), not to B.
    assert Notification.objects.filter(recipient=world.resident_a, url__contains=str(page.pk)).exists()
    assert not Notification.objects.filter(recipient=world.resident_b,
                                           url__contains=str(page.pk)).exists()
    assert SmsMessage.objects.filter(phone=world.resident_a.phone).exists()

    # Resident A: on the home page, unread; opening it reads it; 收到 acknowledges.
    client.force_login(world.resident_a)
    home = client.get("/").content.decode()
    assert "明天停水" in home and "未读" in home
    me = client.get(reverse("portal:me")).content.decode()
    assert "待我确认" in me and "明天停水" in me
    assert client.get(reverse("notices:detail", args=[page.pk])).status_code == 200
    assert NoticeRead.objects.filter(notice=page, user=world.resident_a).exists()
    assert client.post(reverse("notices:ack", args=[page.pk])).status_code == 302
    assert client.post(reverse("notices:ack", args=[page.pk])).status_code == 302
    ack = NoticeAck.objects.get(notice=page)
    assert ack.household == world.household_a and ack.method == AckMethod.APP
    assert "明天停水" not in client.get(reverse("portal:me")).content.decode()

    # Resident B never sees it.
    client.force_login(world.resident_b)
    assert "明天停水" not in client.get("/").content.decode()
    assert client.get(reverse("notices:detail", args=[page.pk])).status_code == 404

    # The head's overview: A acknowledged, A2 not read (listed first).
    client.force_login(world.head_a)
    html = client.get(reverse("notices:receipts", args=[page.pk])).content.decode()
    assert "已确认 1" in html and "未读 1" in html
    assert html.index(world.household_a2.address) < html.index(world.household_a.address)
    assert world.household_a2.phone in html


def test_reject_goes_back_to_author(client, world):
    _post_form(client, world.head_a, [world.building_a.pk])
    page = NoticePage.objects.get(title="明天停水")
    task_state = TaskState.objects.get(workflow_state=page.current_workflow_state)
    client.force_login(world.worker_a)
    assert client.post(reverse("notices:review", args=[task_state.pk]),
                       {"decision": "reject"}).status_code == 400
    client.post(reverse("notices:review", args=[task_state.pk]),
                {"decision": "reject", "comment": "时间写清楚"})
    page.refresh_from_db()
    assert not page.live
    assert page.current_workflow_state.status == "needs_changes"
    assert Notification.objects.filter(recipient=world.head_a, body="时间写清楚").exists()


def test_head_allowed_to_publish_directly(world):
    from buildings.models import BuildingHead

    BuildingHead.objects.filter(user=world.head_a).update(may_publish_directly=True)
    page, outcome = notice_post(author=world.head_a, title="楼道清扫", category=Category.OTHER,
                                text="周六清扫楼道", building_ids=[world.building_a.pk])
    page.refresh_from_db()
    assert outcome == "published" and page.live
    assert page.current_workflow_state is None


def test_told_by_phone_remind_and_door_knock(client, world):
    page = make_notice(title="居民大会", audience=Audience.BUILDINGS,
                       buildings=[world.building_a], ack_wanted=True, ack_within_hours=0,
                       author=world.admin)
    client.force_login(world.head_a)
    url = reverse("notices:receipts", args=[page.pk])
    assert "未读 2" in client.get(url).content.decode()
    response = client.post(reverse("notices:remind", args=[page.pk]), {"confirm": "yes"})
    assert response.status_code == 302
    assert Notification.objects.filter(recipient=world.resident_a2,
                                       title__contains="居民大会").count() >= 2
    client.post(reverse("notices:told", args=[page.pk]),
                {"household": world.household_a2.pk, "method": "door"})
    ack = NoticeAck.objects.get(notice=page, household=world.household_a2)
    assert ack.method == AckMethod.DOOR and ack.by_user == world.head_a
    html = client.get(url).content.decode()
    assert "已确认 1" in html and "上门告知" in html
    # One household is past the deadline and not acknowledged: a list to print.
    response = client.post(reverse("notices:door_knock", args=[page.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert world.household_a.address in html and world.household_a2.address not in html
    from volunteers.models import Task

    assert Task.objects.filter(source_notice_id=page.pk).exists()


def test_door_knock_uses_volunteers_service(world, monkeypatch):
    import types

    from notices import services
    from notices.services import notice_door_knock

    calls = []
    monkeypatch.setattr(services, "task_create_door_knock",
                        lambda **kw: calls.append(kw) or types.SimpleNamespace(pk=7))
    page = make_notice(title="x", audience=Audience.BUILDINGS, buildings=[world.building_a])
    task = notice_door_knock(actor=world.head_a, notice=page, households=[world.household_a])
    assert task.pk == 7 and calls[0]["households"] == [world.household_a]


def test_outage_over_goes_to_archive_by_itself(client, world):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    page = make_notice(title="停电通知", category=Category.POWER,
                       starts_at=now - timedelta(hours=3), ends_at=now + timedelta(hours=1))
    client.force_login(world.resident_a)
    assert "停电通知" in client.get(reverse("notices:index")).content.decode()
    NoticePage.objects.filter(pk=page.pk).update(ends_at=now - timedelta(minutes=1))
    assert "停电通知" not in client.get(reverse("notices:index")).content.decode()
    archive = client.get(reverse("notices:index") + "?archive=1").content.decode()
    assert "停电通知" in archive and "已结束" in archive
    assert "已结束" in client.get(reverse("notices:detail", args=[page.pk])).content.decode()


def test_visitor_and_unverified_see_only_public_community_notices(client, world):
    make_notice(title="公开通知")
    make_notice(title="居民内部通知", public=False)
    make_notice(title="A楼通知", audience=Audience.BUILDINGS, buildings=[world.building_a])
    make_notice(title="A网格通知", audience=Audience.GRIDS, grids=[world.grid_a])
    make_notice(title="上级网格通知", audience=Audience.GRIDS, grids=[world.grid_top])
    for user in (None, world.stranger):
        if user:
            client.force_login(user)
        html = client.get(reverse("notices:index")).content.decode()
        assert "公开通知" in html
        assert "居民内部通知" not in html and "A楼通知" not in html and "网格通知" not in html
    client.force_login(world.resident_a)
    html = client.get(reverse("notices:index")).content.decode()
    for title in ("公开通知", "居民内部通知", "A楼通知", "A网格通知", "上级网格通知"):
        assert title in html
    client.force_login(world.resident_b)
    html = client.get(reverse("notices:index")).content.decode()
    assert "A楼通知" not in html and "A网格通知" not in html and "上级网格通知" in html


def test_poster_has_a_qr_code_and_scanning_counts_as_read(client, world):
    page = make_notice(title="防诈骗宣传", category=Category.SAFETY)
    client.force_login(world.resident_a)
    html = client.get(reverse("notices:poster", args=[page.pk])).content.decode()
    assert "<svg" in html and "防诈骗宣传" in html
    client.get(reverse("notices:detail", args=[page.pk]) + "?src=qr")
    assert NoticeRead.objects.get(notice=page, user=world.resident_a).via == "qr"


def test_feed_lists_public_community_notices_only(client, world):
    make_notice(title="公开的通知")
    make_notice(title="楼栋的通知", audience=Audience.BUILDINGS, buildings=[world.building_a])
    body = client.get(reverse("notices:feed")).content.decode()
    assert "公开的通知" in body and "楼栋的通知" not in body


def test_wagtail_admin_edit_page_renders_for_admin(client, world):
    from portal.models import User

    page = make_notice(title="后台通知")
    admin = User.objects.create_superuser("root", password="x", phone="+8613000000999")
    client.force_login(admin)
    assert client.get(f"/admin/pages/{page.pk}/edit/").status_code == 200
    index = page.get_parent()
    assert client.get(f"/admin/pages/add/notices/noticepage/{index.pk}/").status_code == 200


def test_photo_from_the_phone_form_is_shrunk_and_stripped(client, world):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    buffer = io.BytesIO()
    Image.new("RGB", (3000, 2000), "red").save(buffer, "JPEG", exif=exif)
    photo = SimpleUploadedFile("p.jpg", buffer.getvalue(), content_type="image/jpeg")
    response = _post_form(client, world.head_a, [world.building_a.pk], photo=photo)
    assert response.status_code == 302
    page = NoticePage.objects.get(title="明天停水")
    image = next(b.value for b in page.get_latest_revision_as_object().body
                 if b.block_type == "image")
    with image.file.open() as f:
        stored = Image.open(f)
        assert max(stored.size) <= 1600 and not stored.getexif()
    bad = SimpleUploadedFile("p.jpg", b"not a photo", content_type="image/jpeg")
    response = _post_form(client, world.head_a, [world.building_a.pk], photo=bad,
                          title="坏照片")
    assert response.status_code == 400
    assert not NoticePage.objects.filter(title="坏照片").exists()


def test_phone_photo_has_alt_text_so_the_wagtail_form_accepts_it(client, world):
    """The Wagtail admin validates the body when a reviewer approves there: a photo from the
    phone form (which asks for no alt text) carries the notice's title as its alt text."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), "red").save(buffer, "JPEG")
    photo = SimpleUploadedFile("p.jpg", buffer.getvalue(), content_type="image/jpeg")
    _post_form(client, world.head_a, [world.building_a.pk], photo=photo)
    draft = NoticePage.objects.get(title="明天停水").get_latest_revision_as_object()
    draft.body.stream_block.clean(draft.body)  # raised "Please add some alt text" before
    image = next(b.value for b in draft.body if b.block_type == "image")
    assert image.contextual_alt_text == "明天停水"


def test_an_approval_in_the_wagtail_admin_shows_in_the_notices_history(client, world):
    from wagtail.models import PageLogEntry

    _post_form(client, world.head_a, [world.building_a.pk])
    page = NoticePage.objects.get(title="明天停水")
    task_state = TaskState.objects.get(workflow_state=page.current_workflow_state)
    world.admin.is_superuser = True
    world.admin.save(update_fields=["is_superuser"])
    client.force_login(world.admin)
    response = client.post(reverse("wagtailadmin_pages:workflow_action",
                                   args=[page.pk, "approve", task_state.pk]))
    assert response.status_code in (200, 302), response.content.decode()[:2000]
    page.refresh_from_db()
    assert page.live
    entry = PageLogEntry.objects.get(page=page, action="wagtail.workflow.approve")
    assert entry.user == world.admin
    history = client.get(reverse("wagtailadmin_pages:history", args=[page.pk]))
    assert history.status_code == 200 and str(entry.message) in history.content.decode()
