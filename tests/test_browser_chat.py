"""The liaison-room chat in real browsers, over a real Daphne (HTTP + WebSocket).

A resident on a 360×740 phone and a staff member on a desktop chat live; the
phone loses the network, the staff member writes twice, the phone comes back
and shows both, in order, with what it typed offline sent after; the staff
member turns the chat into a case and the phone shows the link. A voice note
held on the phone (Chromium's fake microphone) plays on the console. A text
and a photo sent offline survive a reload and arrive once each, in order.
"""

import io

import pytest
from playwright.sync_api import expect

from community.liaison.testing import free_port, live_servers
from community.liaison.tests.helpers import on_duty, picked
from tests.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    axe_violations,
    large_type_problems,
    shot,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT = 30_000

# Chromium's own stand-in microphone (a beep), granted without asking, and sound
# that may play without a tap: what a voice note needs in a headless browser.
MEDIA_ARGS = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
              "--autoplay-policy=no-user-gesture-required"]


@pytest.fixture(scope="module")
def browser():
    """This module's Chromium: the shared launch arguments plus a fake microphone."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + MEDIA_ARGS,
                              headless=True)
        yield b
        b.close()


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


def _start(phone, desktop, url, conversation):
    """Both pages open on a conversation the staff member has picked up, connected."""
    phone.goto(url + "/chat/")
    expect(phone.locator("#chat[data-net=online]")).to_have_count(1, timeout=WAIT)
    desktop.goto(url + f"/chat/console/{conversation.pk}/")
    expect(desktop.locator("#chat[data-net=online]")).to_have_count(1, timeout=WAIT)
    expect(desktop.locator("#log li.m.theirs[data-seq]")).to_have_count(1, timeout=WAIT)


def test_a_voice_note_held_on_the_phone_plays_on_the_console(transactional_db, phone, desktop,
                                                             world):
    conversation = picked(world.resident_a, world.liaison)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    sign_in(phone.context, url, world.resident_a)
    sign_in(desktop.context, url, world.liaison)
    phone.context.grant_permissions(["microphone"], origin=url)

    with live_servers(1, ports=[port]):
        _start(phone, desktop, url, conversation)
        # Hold to talk: press, speak for two seconds, let go.
        button = phone.locator("#voice-btn")
        expect(button).to_have_text("按住说话")
        box = button.bounding_box()
        phone.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        phone.mouse.down()
        expect(button).to_have_attribute("aria-pressed", "true", timeout=WAIT)
        expect(button).to_have_text("松开发送")
        phone.wait_for_timeout(2000)
        phone.mouse.up()
        expect(button).to_have_attribute("aria-pressed", "false", timeout=WAIT)

        # The phone shows it as sent; the console receives it and it plays.
        expect(phone.locator("#log li.m.mine audio")).to_have_count(1, timeout=WAIT)
        expect(phone.locator("#log li.pending")).to_have_count(0, timeout=WAIT)
        audio = desktop.locator("#log li.m.theirs audio")
        expect(audio).to_have_count(1, timeout=WAIT)
        assert audio.get_attribute("aria-label").startswith("语音")
        src = audio.get_attribute("src")
        assert src.startswith("/chat/voice/")
        played = desktop.evaluate("""async () => {
            const a = document.querySelector("#log li.m.theirs audio");
            a.preload = "auto";
            await new Promise((resolve, reject) => {
                if (a.readyState >= 1) return resolve();
                a.addEventListener("loadedmetadata", resolve, { once: true });
                a.addEventListener("error", () => reject(new Error("audio error " + a.error.code)),
                                   { once: true });
                a.load();
            });
            await a.play();
            await new Promise((r) => setTimeout(r, 700));
            return { ready: a.readyState, time: a.currentTime, error: a.error && a.error.code };
        }""")
        assert played["error"] is None and played["ready"] >= 1 and played["time"] > 0, played
        response = desktop.request.get(url + src)
        assert response.status == 200
        assert response.headers["content-type"] == "audio/webm"
        assert response.body()[:4] == b"\x1a\x45\xdf\xa3"  # a WebM (EBML) file
        shot(phone, "chat-resident-voice")
        shot(desktop, "chat-staff-voice")


def _jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (800, 600), (40, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def test_a_text_and_a_photo_sent_offline_survive_a_reload_and_arrive_once_in_order(
        transactional_db, phone, desktop, world):
    conversation = picked(world.resident_a, world.liaison)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    sign_in(phone.context, url, world.resident_a)
    sign_in(desktop.context, url, world.liaison)

    with live_servers(1, ports=[port]):
        _start(phone, desktop, url, conversation)
        # A phone that has been here before: the service worker keeps the last
        # copy of the page, so it opens again without the network.
        phone.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller")
        phone.reload()
        expect(phone.locator("#chat[data-net=online]")).to_have_count(1, timeout=WAIT)

        # Offline: a text, a photo, another text, all waiting on the phone.
        phone.context.set_offline(True)
        expect(phone.locator("#net")).to_be_visible(timeout=WAIT)
        phone.fill("#body", "离线时写的第一句")
        phone.click("#send")
        phone.set_input_files("#photo-input", files=[
            {"name": "leak.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}])
        expect(phone.locator("#log li.pending img.photo")).to_have_count(1, timeout=WAIT)
        phone.fill("#body", "照片后面的第二句")
        phone.click("#send")
        expect(phone.locator("#log li.pending")).to_have_count(3)
        phone.wait_for_function("window.liaisonChat.outbox().length === 3")
        shot(phone, "chat-resident-offline-photo")

        # The page goes away while still offline; it comes back from the phone's copy.
        phone.reload()
        expect(phone.locator("#chat")).to_have_count(1, timeout=WAIT)
        phone.wait_for_function("window.liaisonChat.ready()")
        assert [i["kind"] for i in phone.evaluate("window.liaisonChat.outbox()")] == [
            "text", "photo", "text"]
        expect(phone.locator("#log li.pending")).to_have_count(3)
        expect(phone.locator("#log li.pending img.photo")).to_have_count(1)

        # Back online: all three go out, in order, once each.
        phone.context.set_offline(False)
        expect(phone.locator("#log li.pending")).to_have_count(0, timeout=WAIT)
        assert phone.evaluate("window.liaisonChat.outbox()") == []
        theirs = desktop.locator("#log li.m.theirs[data-seq]")
        expect(theirs).to_have_count(1 + 3, timeout=WAIT)  # the first message and these

        def arrived(page, side):
            return page.eval_on_selector_all(
                f"#log li.m.{side}[data-seq]",
                """els => els.map(e => [+e.dataset.seq,
                    e.querySelector("img.photo") ? "photo" : e.querySelector(".body").textContent])""")

        last3 = arrived(desktop, "theirs")[-3:]
        assert [kind for _seq, kind in last3] == ["离线时写的第一句", "photo", "照片后面的第二句"]
        seqs = [seq for seq, _kind in last3]
        assert seqs == sorted(seqs) and seqs[2] - seqs[0] == 2
        # the record agrees: a fresh console page shows each exactly once
        phone.wait_for_timeout(1500)
        desktop.reload()
        expect(desktop.locator("#log li.m.theirs[data-seq]")).to_have_count(4, timeout=WAIT)
        again = arrived(desktop, "theirs")
        assert [k for _s, k in again].count("photo") == 1
        assert [k for _s, k in again].count("离线时写的第一句") == 1
        assert [k for _s, k in again].count("照片后面的第二句") == 1
        mine = arrived(phone, "mine")
        assert [k for _s, k in mine][-3:] == ["离线时写的第一句", "photo", "照片后面的第二句"]
        shot(phone, "chat-resident-offline-photo-sent")


def test_typing_right_after_a_send_shows_on_the_console(transactional_db, phone, desktop, world):
    """A message ends a typing spell: the next keystroke shows again at once, not only
    after the 2.5-s throttle of the keystroke that wrote the message (the console hides
    "typing" when the message arrives, and a dropped frame is never repeated)."""
    conversation = picked(world.resident_a, world.liaison)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    sign_in(phone.context, url, world.resident_a)
    sign_in(desktop.context, url, world.liaison)
    with live_servers(1, ports=[port]):
        _start(phone, desktop, url, conversation)
        phone.fill("#body", "灯还是不亮")
        phone.click("#send")
        expect(desktop.locator("#log li.m.theirs .body").last).to_have_text("灯还是不亮",
                                                                          timeout=WAIT)
        expect(desktop.locator("#typing")).to_be_hidden()
        phone.type("#body", "好")
        expect(desktop.locator("#typing")).to_be_visible(timeout=WAIT)
