"""一键提醒: a confirm page with the exact count, once per notice per N hours, never the author."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from buildings.tests import factories as f
from notices.choices import Audience, Category
from notices.models import NoticeDelivery, NoticeSettings
from portal.models import AuditEntry, Notification, SmsMessage

from .helpers import make_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def outage(world):
    """An urgent water cut by head A, who lives in building A; a third flat has no app."""
    f.resident_of(world.household_a, user=world.head_a)
    world.household_none = f.HouseholdFactory(unit=world.household_a.unit, number="103",
                                              floor=1, phone="+8613911112222")
    return make_notice(title="明天停水", category=Category.WATER, audience=Audience.BUILDINGS,
                       buildings=[world.building_a], ack_wanted=True, urgent=True,
                       author=world.head_a)


def test_confirm_shows_the_exact_count_then_sends_that_many_once(client, world, outage):
    client.force_login(world.head_a)
    url = reverse("notices:remind", args=[outage.pk])
    receipts = client.get(reverse("notices:receipts", args=[outage.pk])).content.decode()
    assert f'href="{url}"' in receipts  # a link to the confirm page, not a post
    page = client.get(url).content.decode()
    # A2 (in the app) and 103 (no account); the author's own flat is not counted.
    assert "将给 2 户未回执的住户发提醒，确定吗？" in page
    assert "手机上通知 1 人，发短信 2 条。" in page
    reminders = SmsMessage.objects.filter(purpose="notice:remind")
    assert not reminders.exists()
    # A post without the confirm step only shows the question again.
    assert client.post(url).status_code == 200 and not reminders.exists()

    response = client.post(url, {"confirm": "yes"}, follow=True)
    html = response.content.decode()
    assert "已提醒 2 户：手机上通知 1 人，发出短信 2 条。" in html
    assert sorted(reminders.values_list("phone", flat=True)) == sorted(
        [world.resident_a2.phone, "+8613911112222"])
    assert not Notification.objects.filter(recipient=world.head_a,
                                           title__contains="请查看通知").exists()
    assert not Notification.objects.filter(recipient=world.resident_a,
                                           title__contains="请查看通知").exists()
    assert "已一键提醒过" in html

    # A second tap seconds later, by the grid worker too: nothing more goes out.
    for user in (world.head_a, world.worker_a):
        client.force_login(user)
        html = client.post(url, {"confirm": "yes"}, follow=True).content.decode()
        assert "已经提醒过了" in html
    assert reminders.count() == 2
    assert AuditEntry.objects.filter(action="notice.remind").count() == 1


def test_the_interval_is_the_communitys_setting(client, world, outage):
    settings = NoticeSettings.load()
    settings.remind_every_hours = 2
    settings.save()
    client.force_login(world.worker_a)
    url = reverse("notices:remind", args=[outage.pk])
    client.post(url, {"confirm": "yes"})
    NoticeDelivery.objects.filter(notice=outage).update(
        last_reminded_at=timezone.now() - timedelta(hours=1))
    client.post(url, {"confirm": "yes"})
    assert AuditEntry.objects.filter(action="notice.remind").count() == 1
    NoticeDelivery.objects.filter(notice=outage).update(
        last_reminded_at=timezone.now() - timedelta(hours=2, minutes=1))
    client.post(url, {"confirm": "yes"})
    assert AuditEntry.objects.filter(action="notice.remind").count() == 2
