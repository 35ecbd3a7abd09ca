"""The rules of the record: numbers, once-only sends, pick-up races, duty hours, SMS."""

import threading
from datetime import time, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import close_old_connections, connection
from django.utils import timezone

from community.liaison import services
from community.liaison.choices import ConversationStatus, SenderRole
from community.liaison.models import Conversation, DutyHours, Message
from community.liaison.tests.helpers import on_duty, picked, waiting
from portal.models import AuditEntry, SmsMessage


def test_messages_are_numbered_one_by_one_per_conversation(world):
    a = waiting(world.resident_a)
    b = waiting(world.resident_b)
    for i in range(3):
        services.message_post(conversation=a, sender=world.resident_a, body=f"a{i}",
                              client_key=f"a{i}")
    services.message_post(conversation=b, sender=world.resident_b, body="b", client_key="b")
    seqs_a = list(Message.objects.filter(conversation=a).values_list("seq", flat=True))
    assert seqs_a == list(range(1, len(seqs_a) + 1))
    a.refresh_from_db()
    assert a.last_seq == seqs_a[-1]
    assert list(Message.objects.filter(conversation=b, role=SenderRole.RESIDENT)
                .values_list("body", flat=True)) == ["楼道灯坏了", "b"]


def test_a_retry_with_the_same_key_is_stored_once(world):
    c = waiting(world.resident_a)
    first, created = services.message_post(conversation=c, sender=world.resident_a,
                                           body="水管漏水", client_key="k-1")
    again, created_again = services.message_post(conversation=c, sender=world.resident_a,
                                                  body="水管漏水", client_key="k-1")
    assert created and not created_again
    assert first.pk == again.pk
    assert Message.objects.filter(conversation=c, body="水管漏水").count() == 1


def test_only_the_resident_and_the_assignee_may_write(world):
    c = waiting(world.resident_a)
    on_duty(world.liaison)
    with pytest.raises(PermissionDenied):  # not picked up yet
        services.message_post(conversation=c, sender=world.liaison, body="您好")
    with pytest.raises(PermissionDenied):
        services.message_post(conversation=c, sender=world.resident_b, body="我也说两句")
    services.conversation_pick_up(conversation=c, staff=world.liaison)
    m, _ = services.message_post(conversation=c, sender=world.liaison, body="您好")
    assert m.role == SenderRole.STAFF


def test_size_limit(world):
    c = waiting(world.resident_a)
    with pytest.raises(services.ChatError):
        services.message_post(conversation=c, sender=world.resident_a, body="长" * 2001)


def test_pick_up_tells_the_resident_who_answers_with_name_and_role_not_phone(world):
    # A name without digits, so that the phone's last digits cannot hide in it.
    world.liaison.display_name = "吴值班员"
    world.liaison.save(update_fields=["display_name"])
    c = picked(world.resident_a, world.liaison)
    notice = Message.objects.filter(conversation=c, role=SenderRole.SYSTEM).last()
    assert world.liaison.shown_name in notice.body and "连心室值班人员" in notice.body
    assert world.liaison.phone[-4:] not in notice.body
    assert world.liaison.phone.removeprefix("+86")[:3] + "****" not in notice.body
    assert AuditEntry.objects.filter(action="liaison.pick_up").exists()


@pytest.mark.django_db(transaction=True)
def test_two_staff_picking_at_once_exactly_one_gets_it(world):
    from buildings.tests.factories import liaison

    other = liaison(world.community)
    c = waiting(world.resident_a)
    on_duty(world.liaison)
    on_duty(other)
    barrier = threading.Barrier(2)
    results = {}

    def pick(staff):
        try:
            barrier.wait()
            services.conversation_pick_up(conversation=Conversation.objects.get(pk=c.pk),
                                          staff=staff)
            results[staff.pk] = "won"
        except services.ChatError:
            results[staff.pk] = "lost"
        finally:
            close_old_connections()

    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:memory"):
        pass  # shared-cache memory DB: the threads still see one database
    threads = [threading.Thread(target=pick, args=(s,)) for s in (world.liaison, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results.values()) == ["lost", "won"]
    c.refresh_from_db()
    winner = next(pk for pk, r in results.items() if r == "won")
    assert c.assignee_id == winner and c.status == ConversationStatus.OPEN
    assert Message.objects.filter(conversation=c, role=SenderRole.SYSTEM,
                                  body__contains="为您服务").count() == 1


def test_off_duty_staff_cannot_pick_up_and_the_cap_holds(world):
    c = waiting(world.resident_a)
    with pytest.raises(services.ChatError):
        services.conversation_pick_up(conversation=c, staff=world.liaison)
    desk = on_duty(world.liaison)
    desk.cap = 1
    desk.save(update_fields=["cap"])
    services.conversation_pick_up(conversation=c, staff=world.liaison)
    second = waiting(world.resident_b)
    with pytest.raises(services.ChatError):
        services.conversation_pick_up(conversation=second, staff=world.liaison)
    with pytest.raises(PermissionDenied):  # not liaison staff at all
        services.conversation_pick_up(conversation=second, staff=world.worker_a)


def test_hand_over_to_a_colleague(world):
    from buildings.tests.factories import liaison

    other = liaison(world.community)
    c = picked(world.resident_a, world.liaison)
    with pytest.raises(services.ChatError):  # the colleague is off duty
        services.conversation_hand_over(conversation=c, staff=world.liaison, to=other)
    on_duty(other)
    with pytest.raises(PermissionDenied):
        services.conversation_hand_over(conversation=c, staff=other, to=other)
    services.conversation_hand_over(conversation=c, staff=world.liaison, to=other)
    c.refresh_from_db()
    assert c.assignee_id == other.pk
    assert other.notifications.filter(title__contains="转交").exists()
    with pytest.raises(PermissionDenied):  # the former assignee may no longer write
        services.message_post(conversation=c, sender=world.liaison, body="还在吗")


def test_outside_duty_hours_the_resident_is_told_when_someone_answers(world):
    now = timezone.now()
    local = timezone.localtime(now)
    tomorrow = (local + timedelta(days=1)).weekday()
    DutyHours.objects.create(community=world.community, weekday=tomorrow,
                             opens=time(8, 30), closes=time(17, 30))
    c = waiting(world.resident_a)
    notice = Message.objects.filter(conversation=c, role=SenderRole.SYSTEM).get()
    assert "不是值班时间" in notice.body and "08:30" in notice.body
    c.refresh_from_db()
    assert c.status == ConversationStatus.WAITING
    services.message_post(conversation=c, sender=world.resident_a, body="还在吗", client_key="x")
    assert Message.objects.filter(conversation=c, role=SenderRole.SYSTEM).count() == 1


def test_read_state_moves_forward_only(world):
    c = picked(world.resident_a, world.liaison)
    reply, _ = services.message_post(conversation=c, sender=world.liaison, body="马上来")
    assert services.conversation_mark_read(conversation=c, reader=world.resident_a,
                                           seq=reply.seq) == reply.seq
    assert services.conversation_mark_read(conversation=c, reader=world.resident_a, seq=1) == 0
    c.refresh_from_db()
    assert c.resident_read_seq == reply.seq
    assert services.conversation_mark_read(conversation=c, reader=world.resident_b, seq=9) == 0


def test_close_and_rate_once(world):
    c = picked(world.resident_a, world.liaison)
    with pytest.raises(services.ChatError):
        services.conversation_rate(conversation=c, resident=world.resident_a, stars=5)
    services.conversation_close(conversation=c, actor=world.liaison)
    services.conversation_rate(conversation=c, resident=world.resident_a, stars=5)
    with pytest.raises(services.ChatError):
        services.conversation_rate(conversation=c, resident=world.resident_a, stars=1)
    c.refresh_from_db()
    assert c.rating == 5
    # the next visit opens a new conversation
    new, created = services.conversation_open(resident=world.resident_a)
    assert created and new.pk != c.pk


def test_unread_reply_sends_one_sms_after_a_few_minutes(world):
    c = picked(world.resident_a, world.liaison)
    services.message_post(conversation=c, sender=world.liaison, body="您好，请问几栋？")
    now = timezone.now()
    assert services.unread_replies_remind(now=now) == 0  # too early
    later = now + services.UNREAD_SMS_AFTER + timedelta(seconds=5)
    assert services.unread_replies_remind(now=later) == 1
    assert services.unread_replies_remind(now=later) == 0  # once per reply
    sms = SmsMessage.objects.get(phone=world.resident_a.phone)
    assert "/chat/" in sms.text
    # read in time: no SMS
    c2 = picked(world.resident_b, world.liaison)
    reply, _ = services.message_post(conversation=c2, sender=world.liaison, body="好的")
    services.conversation_mark_read(conversation=c2, reader=world.resident_b, seq=reply.seq)
    assert services.unread_replies_remind(now=later) == 0


def test_turn_into_a_case_carries_text_photos_and_reporter(world):
    from community.models import Case
    from community.tests.factories import category, jpeg
    from portal.uploads.photos import clean_photo

    category()
    c = picked(world.resident_a, world.liaison, text="3栋楼道灯坏了一个星期")
    services.message_post(conversation=c, sender=world.resident_a, kind="photo",
                          client_key="p1", photo=clean_photo(jpeg()))
    case_id = services.conversation_to_case(conversation=c, staff=world.liaison)
    case = Case.objects.get(pk=case_id)
    assert case.reporter_id == world.resident_a.pk
    assert "楼道灯坏了" in case.description
    assert case.channel == "chat"
    assert case.photos.count() == 1
    c.refresh_from_db()
    assert c.case_id == case_id
    link = Message.objects.filter(conversation=c, kind="case").get()
    assert str(case_id) in link.body
    # a second tap gives the same case
    assert services.conversation_to_case(conversation=c, staff=world.liaison) == case_id
    with pytest.raises(PermissionDenied):
        services.conversation_to_case(conversation=c, staff=world.worker_a)


def test_demo_data_loads_twice(world):
    from buildings.tests.factories import CommunityFactory, UserFactory, liaison, resident_of
    from community.liaison import demo
    from community.liaison.models import DutyHours, QuickReply

    home = CommunityFactory(name="仫佬家园")
    liaison(home, UserFactory(phone="+8613800000005"))
    resident_of(world.household_a, UserFactory(phone="+8613800000001"))
    demo.load()
    demo.load()
    assert DutyHours.objects.filter(community=home).count() == 11
    assert QuickReply.objects.filter(community=home).count() == 5
    assert Conversation.objects.filter(resident__phone="+8613800000001").count() == 1
