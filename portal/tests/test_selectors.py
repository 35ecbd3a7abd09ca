"""The shell's reads (``portal.selectors``): a person's notifications are their own."""

import pytest
from django.utils import timezone

from buildings.tests.factories import UserFactory
from portal.models import Notification
from portal.selectors import notifications_for, unread_notification_count

pytestmark = pytest.mark.django_db


def note(recipient, title: str, *, read: bool = False, minutes_ago: int = 0) -> Notification:
    return Notification.objects.create(
        recipient=recipient, title=title,
        created_at=timezone.now() - timezone.timedelta(minutes=minutes_ago),
        read_at=timezone.now() if read else None)


def test_notifications_are_the_persons_own_newest_first():
    me, other = UserFactory(), UserFactory()
    older = note(me, "较早", minutes_ago=5)
    newer = note(me, "最新", read=True)
    note(other, "别人的")
    assert list(notifications_for(me)) == [newer, older]
    assert [n.title for n in notifications_for(other)] == ["别人的"]
    assert list(notifications_for(UserFactory())) == []


def test_the_unread_count_counts_the_persons_unread_only():
    me, other = UserFactory(), UserFactory()
    note(me, "未读")
    note(me, "已读", read=True)
    note(other, "别人的未读")
    note(other, "别人的未读")
    assert unread_notification_count(me) == 1
    assert unread_notification_count(other) == 2
    assert unread_notification_count(UserFactory()) == 0
