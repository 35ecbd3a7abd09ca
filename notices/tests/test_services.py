"""A notice waiting for review: its reviewers are told, 我的 counts it, and an urgent one
nobody reviews in time goes out by itself."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.models import TaskState

from notices.choices import Category
from notices.models import NoticePage, NoticeSettings
from notices.services import notice_post, notices_publish_unreviewed_urgent
from portal.models import AuditEntry, Notification, SmsMessage

pytestmark = pytest.mark.django_db


def _post(world, **kw):
    page, outcome = notice_post(author=world.head_a, title=kw.pop("title", "周六开会"),
                                category=kw.pop("category", Category.MEETING),
                                text="周六上午9点在活动室开会。",
                                building_ids=[world.building_a.pk], **kw)
    assert outcome == "submitted"
    return page


def test_reviewers_are_told_and_me_shows_the_count(client, world):
    _post(world)
    waiting = Notification.objects.filter(title__contains="通知等您审核")
    # Worker A and the top grid's worker cover building A, and the admin; worker B does not.
    assert set(waiting.values_list("recipient", flat=True)) == {
        world.worker_a.pk, world.worker_top.pk, world.admin.pk}
    assert waiting.get(recipient=world.worker_a).url == reverse("notices:review_list")
    assert not SmsMessage.objects.filter(text__contains="通知等您审核").exists()
    _post(world, title="紧急：明早停电", category=Category.POWER, urgent=True)
    assert Notification.objects.filter(recipient=world.worker_a,
                                       title__contains="【紧急】通知等您审核").exists()
    assert SmsMessage.objects.filter(phone=world.worker_a.phone,
                                     text__contains="紧急：明早停电").exists()

    client.force_login(world.worker_a)
    me = client.get(reverse("portal:me")).content.decode()
    assert "审核通知" in me and "（2 条待审核）" in me
    assert "2 条通知等您审核" in client.get(reverse("notices:review_list")).content.decode()
    client.force_login(world.worker_b)
    assert "条待审核" not in client.get(reverse("portal:me")).content.decode()


def test_an_urgent_notice_nobody_reviews_is_published_after_the_set_time(world):
    settings = NoticeSettings.load()
    settings.urgent_publish_after_minutes = 30
    settings.save()
    urgent = _post(world, title="紧急：明早停电", category=Category.POWER, urgent=True)
    calm = _post(world, title="周六开会")
    now = timezone.now()
    assert notices_publish_unreviewed_urgent(now=now + timedelta(minutes=29)) == 0
    assert notices_publish_unreviewed_urgent(now=now + timedelta(minutes=31)) == 1
    urgent = NoticePage.objects.get(pk=urgent.pk)
    assert urgent.live and not NoticePage.objects.get(pk=calm.pk).live
    assert AuditEntry.objects.filter(action="notice.auto_publish").count() == 1
    assert TaskState.objects.filter(status=TaskState.STATUS_APPROVED).count() == 1
    told = Notification.objects.filter(title__contains="已自动发布")
    assert {world.head_a.pk, world.worker_a.pk} <= set(
        told.values_list("recipient", flat=True))
    # Announced to the building like any published notice; and only once.
    assert Notification.objects.filter(recipient=world.resident_a,
                                       url__contains=str(urgent.pk)).exists()
    assert notices_publish_unreviewed_urgent(now=now + timedelta(minutes=90)) == 0


def test_zero_minutes_means_never(world):
    settings = NoticeSettings.load()
    settings.urgent_publish_after_minutes = 0
    settings.save()
    _post(world, title="紧急：明早停电", category=Category.POWER, urgent=True)
    assert notices_publish_unreviewed_urgent(now=timezone.now() + timedelta(days=1)) == 0
