"""Off duty, on a phone: staff tapping a waiting chat are told so and go on duty in one tap.

Outside duty hours a resident (360×740) writes; a liaison staff member, off
duty, opens the conversation from a link on their own phone: not a 404 but
"您现在不在岗" with 上岗. On duty, they see where the resident verifiably lives
(building and unit), pick the chat up and answer; on the resident's phone the
"现在不是值班时间" banner goes away as the reply arrives.
"""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from community.liaison.models import DutyHours
from community.liaison.testing import free_port, live_servers
from community.liaison.tests.helpers import waiting
from tests.browser import PHONE, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT = 30_000


def test_off_duty_staff_go_on_duty_from_a_waiting_chat_and_the_banner_goes(
        transactional_db, browser, phone, world):
    residency = world.resident_a.residencies.select_related("household__unit__building").first()
    unit = residency.household.unit
    tomorrow = (timezone.localtime().weekday() + 1) % 7
    DutyHours.objects.create(community=unit.building.community, weekday=tomorrow,
                             opens=datetime.time(9), closes=datetime.time(10))
    conversation = waiting(world.resident_a, "楼道灯坏了")

    staff_context = browser.new_context(**PHONE)
    staff_context.set_default_timeout(15_000)
    staff = staff_context.new_page()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    sign_in(phone.context, url, world.resident_a)
    sign_in(staff_context, url, world.liaison)
    try:
        with live_servers(1, ports=[port]):
            phone.goto(url + "/chat/")
            banner = phone.locator(".off-hours")
            expect(banner).to_be_visible()
            expect(banner).to_contain_text("现在不是值班时间")

            staff.goto(url + f"/chat/console/{conversation.pk}/")
            expect(staff.locator("#off-duty h2")).to_have_text("您现在不在岗")
            shot(staff, "liaison-off-duty-360")
            staff.click("#go-on-duty")
            expect(staff.locator("#pick-up")).to_be_visible(timeout=WAIT)
            expect(staff.locator("#resident-home")).to_have_text(
                f"{unit.building.label} {unit.number}单元")
            staff.click("#pick-up")
            expect(staff.locator("#chat[data-me=staff]")).to_be_visible(timeout=WAIT)
            staff.fill("#body", "您好，马上派人去看")
            staff.click("#send")

            expect(phone.locator("#log li.m.theirs .body").last).to_contain_text(
                "马上派人去看", timeout=WAIT)
            expect(banner).to_be_hidden(timeout=WAIT)
            # and it stays away on a reload, while the chat is being answered
            phone.reload()
            expect(phone.locator("#log li.m.theirs").first).to_be_visible(timeout=WAIT)
            expect(phone.locator(".off-hours")).to_have_count(0)
    finally:
        staff_context.close()
