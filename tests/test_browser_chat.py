"""The liaison-room chat in real browsers, over a real Daphne (HTTP + WebSocket).

A resident on a 360×740 phone and a staff member on a desktop chat live; the
phone loses the network, the staff member writes twice, the phone comes back
and shows both, in order, with what it typed offline sent after; the staff
member turns the chat into a case and the phone shows the link.
"""

import pytest
from playwright.sync_api import expect

from community.liaison.testing import free_port, live_servers
from community.liaison.tests.helpers import on_duty
from tests.browser import axe_violations, large_type_problems, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT = 30_000


def _bubbles(page, side: str) -> list[str]:
    return [t.strip() for t in page.locator(f"#log li.m.{side} .body").all_inner_texts()]


def test_resident_and_staff_chat_through_an_offline_spell_and_make_a_case(
        transactional_db, phone, desktop, world):
    from community.tests.factories import category

    category()
    on_duty(world.liaison)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    sign_in(phone.context, url, world.resident_a)
    sign_in(desktop.context, url, world.liaison)

    with live_servers(1, ports=[port]):
        # The resident opens the chat (首页 and 我的 link to it: test_views) and writes.
        phone.goto(url + "/chat/")
        expect(phone.locator("h1")).to_have_text("干群连心室")
        phone.fill("#body", "3栋2单元楼道灯坏了，晚上看不见")
        phone.click("#send")
        mine = phone.locator("#log li.m.mine").last
        expect(mine.locator(".state")).to_have_text("已发送", timeout=WAIT)

        # The staff member sees it waiting, picks it up, and answers.
        desktop.goto(url + "/chat/console/")
        desktop.locator("#lists a.conv").first.click()
        desktop.click("#pick-up")
        expect(desktop.locator("#chat[data-me=staff]")).to_be_visible(timeout=WAIT)
        expect(desktop.locator("#log li.m.theirs .body").first).to_contain_text("楼道灯坏了",
                                                                                timeout=WAIT)
        expect(phone.locator("#who")).to_contain_text("连心室值班人员", timeout=WAIT)
        desktop.fill("#body", "您好，收到，马上安排电工")
        desktop.click("#send")
        expect(phone.locator("#log li.m.theirs .body").last).to_have_text(
            "您好，收到，马上安排电工", timeout=WAIT)
        # the phone has read it; the desktop shows 已读
        expect(desktop.locator("#log li.m.mine .state").last).to_have_text("已读", timeout=WAIT)
        # typing shows on the other side
        phone.type("#body", "好")
        expect(desktop.locator("#typing")).to_be_visible(timeout=WAIT)
        phone.fill("#body", "")
        shot(phone, "chat-resident-live")
        shot(desktop, "chat-staff-console")

        # The phone loses the network.
        phone.context.set_offline(True)
        expect(phone.locator("#net")).to_be_visible(timeout=WAIT)
        desktop.fill("#body", "电工下午三点到")
        desktop.click("#send")
        expect(desktop.locator("#log li.m.mine[data-seq] .body").last).to_have_text("电工下午三点到",
                                                                                   timeout=WAIT)
        desktop.fill("#body", "请家里留人")
        desktop.click("#send")
        expect(desktop.locator("#log li.m.mine[data-seq] .body").last).to_have_text("请家里留人",
                                                                                   timeout=WAIT)
        # typed while offline: kept on the phone, marked as waiting to be sent
        phone.fill("#body", "好的，我在家等")
        phone.click("#send")
        expect(phone.locator("#log li.pending .state")).to_contain_text("待发送")
        assert "电工下午三点到" not in _bubbles(phone, "theirs")
        shot(phone, "chat-resident-offline")

        # Back online: both replies, in order, no duplicates; the offline message goes out.
        phone.context.set_offline(False)
        expect(phone.locator("#log li.m.theirs .body").last).to_have_text("请家里留人",
                                                                          timeout=WAIT)
        expect(phone.locator("#log li.pending")).to_have_count(0, timeout=WAIT)
        theirs = _bubbles(phone, "theirs")
        assert theirs == ["您好，收到，马上安排电工", "电工下午三点到", "请家里留人"]
        seqs = [int(s) for s in phone.eval_on_selector_all(
            "#log li.m[data-seq]", "els => els.map(e => e.dataset.seq)")]
        assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
        assert seqs == list(range(1, len(seqs) + 1))
        expect(desktop.locator("#log li.m.theirs .body").last).to_have_text("好的，我在家等",
                                                                            timeout=WAIT)
        shot(phone, "chat-resident-back-online")

        # One step turns the chat into a case; both sides show the link.
        desktop.click("#to-case")
        expect(desktop.locator("#case-link")).to_be_visible(timeout=WAIT)
        expect(phone.locator("#case-link a")).to_be_visible(timeout=WAIT)
        expect(phone.locator("#log li.m.sys a.case")).to_be_visible(timeout=WAIT)
        href = phone.locator("#case-link a").get_attribute("href")
        assert href.startswith("/cases/")
        shot(phone, "chat-resident-case")
        shot(desktop, "chat-staff-case")

        # A reload shows the same history once (the phone's copy and the server agree).
        phone.reload()
        expect(phone.locator("#log li.m.sys a.case")).to_be_visible(timeout=WAIT)
        again = [int(s) for s in phone.eval_on_selector_all(
            "#log li.m[data-seq]", "els => els.map(e => e.dataset.seq)")]
        assert again == seqs + list(range(len(seqs) + 1, again[-1] + 1))
        assert axe_violations(phone) == []


@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
def test_resident_chat_page_is_accessible(transactional_db, phone, world, large):
    world.resident_a.large_type = large
    world.resident_a.save(update_fields=["large_type"])
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    sign_in(phone.context, url, world.resident_a)
    with live_servers(1, ports=[port]):
        phone.goto(url + "/chat/")
        phone.fill("#body", "<img src=x onerror=alert(1)>你好")
        phone.click("#send")
        expect(phone.locator("#log li.m.mine .state")).to_have_text("已发送", timeout=WAIT)
        # what a person typed is text, never markup
        assert phone.locator("#log img").count() == 0
        assert "<img src=x" in phone.locator("#log li.m.mine .body").inner_text()
        shot(phone, f"chat-resident-{'large' if large else 'normal'}")
        assert axe_violations(phone) == []
        if large:
            assert large_type_problems(phone) == []
