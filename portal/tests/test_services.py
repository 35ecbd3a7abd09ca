"""A notification is written in the language of the person who reads it, not of the actor."""

import pytest
from django.utils import translation

from community.services import case_dispatch, case_submit, case_triage
from community.tests.factories import category
from portal.models import Notification, SmsMessage

pytestmark = pytest.mark.django_db


def test_each_person_is_told_in_their_own_language(world):
    world.worker_a.language = "en"
    world.worker_a.save(update_fields=["language"])
    world.handler.language = "en"
    world.handler.save(update_fields=["language"])
    lamp = category("lamp", name="路灯", name_en="Street lights")
    # The resident (Chinese) reports while her phone is in Chinese.
    with translation.override("zh-hans"):
        case = case_submit(reporter=world.resident_a, category=lamp, description="灯坏了")
    # The grid worker reads English: told in English, with the category's English name.
    told = Notification.objects.get(recipient=world.worker_a)
    assert told.title == "New case: Street lights"
    # The grid worker dispatches while using the English pages ...
    with translation.override("en"):
        case_triage(actor=world.worker_a, case_id=case.pk)
        case_dispatch(actor=world.worker_a, case_id=case.pk, department=world.department)
    # ... and the resident still hears it in Chinese; the handler in English, SMS included.
    latest = Notification.objects.filter(recipient=world.resident_a).latest("pk")
    assert latest.title.startswith("您的诉求已转交")
    handler_note = Notification.objects.filter(recipient=world.handler).latest("pk")
    assert handler_note.title == "Please handle case: Street lights"
    if world.handler.phone_verified:
        sms = SmsMessage.objects.filter(phone=world.handler.phone).latest("pk")
        assert "Please handle case: Street lights" in sms.text


def test_a_deleted_account_is_not_told_anything(world):
    from django.utils import timezone

    from portal.services import notify

    world.resident_a.erased_at = timezone.now()
    world.resident_a.save(update_fields=["erased_at"])
    assert notify(recipient=world.resident_a, title="x", sms=True) is None
    assert not Notification.objects.filter(recipient=world.resident_a).exists()
