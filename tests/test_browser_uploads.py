"""forms.js and voice.js in a phone-sized Chromium, on a test-only page.

The page (portal/tests/urls_uploads.py) is a report form whose view runs
clean_photo/clean_voice and records what the phone really sent.
"""

import time

import pytest

from portal.tests import upload_samples as samples
from portal.tests import urls_uploads as server
from tests.browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    axe_violations,
    large_type_problems,
    set_large_type,
    shot,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("portal.tests.urls_uploads"),
]


@pytest.fixture(autouse=True)
def _clean_server():
    server.reset()
    yield
    server.reset()


@pytest.fixture(scope="module")
def photo_12mp(tmp_path_factory):
    """A real 4000×3000 phone JPEG with EXIF GPS and "turn 90° clockwise"."""
    path = tmp_path_factory.mktemp("photos") / "IMG_20261126_0930.jpg"
    path.write_bytes(samples.phone_jpeg((4000, 3000), orientation=6, gps=True))
    return path


@pytest.fixture(scope="module")
def small_photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    paths = []
    for i in range(7):
        p = folder / f"p{i}.jpg"
        p.write_bytes(samples.encode(samples.two_tone((400 + i, 300)), "JPEG"))
        paths.append(p)
    return paths


def wait_for(predicate, timeout=15.0, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def open_form(page, live_server):
    page.goto(live_server.url + "/uploads-test/")
    page.wait_for_function("() => window.jyForms !== undefined")


def test_photo_is_shrunk_on_the_phone_before_upload(phone, live_server, photo_12mp):
    open_form(phone, live_server)
    phone.fill("#id_text", "楼道灯坏了")
    phone.set_input_files("#id_photos", str(photo_12mp))
    phone.wait_for_selector(".jy-preview img")
    shot(phone, "uploads-preview")
    phone.click("button[type=submit]")
    phone.wait_for_url("**/uploads-test/done/")

    assert len(server.RECEIVED) == 1
    got = server.RECEIVED[0]
    # The server saw what the phone sent: a JPEG, upright, longest side 1600, no EXIF.
    assert got["sent"] == [{"size": (1200, 1600), "format": "JPEG",
                            "bytes": got["sent"][0]["bytes"], "exif": 0}]
    assert got["sent"][0]["bytes"] < 800_000  # the original is 2.7 MB
    assert got["clean"] == [(1200, 1600)]
    assert got["text"] == "楼道灯坏了"
    assert len(got["key"]) == 36


def test_at_most_six_photos_and_errors_shown_next_to_the_field(phone, live_server, small_photos):
    open_form(phone, live_server)
    phone.set_input_files("#id_photos", [str(p) for p in small_photos])
    phone.wait_for_function("() => document.querySelectorAll('.jy-preview').length === 6")
    assert "最多 6 张照片" in phone.locator(".jy-status").inner_text()
    # Remove one: five remain, and they are what gets sent.
    phone.locator(".jy-remove").first.click()
    assert phone.locator(".jy-preview").count() == 5

    # An empty form: the view answers 400 JSON and the message appears by the field.
    phone.evaluate("document.querySelectorAll('.jy-remove').forEach(() => document.querySelector('.jy-remove').click())")
    assert phone.locator(".jy-preview").count() == 0
    phone.click("button[type=submit]")
    err = phone.locator("textarea[name=text] + .errorlist")
    err.wait_for()
    assert "Please say what happened" in err.inner_text()
    assert phone.locator("#id_text").get_attribute("aria-invalid") == "true"
    shot(phone, "uploads-error")
    assert server.RECEIVED == []


def test_offline_submissions_wait_on_the_phone_and_go_in_order(phone, live_server, small_photos):
    open_form(phone, live_server)
    context = phone.context
    context.set_offline(True)
    for text, photo in (("第一条", small_photos[0]), ("第二条", small_photos[1])):
        phone.fill("#id_text", text)
        phone.set_input_files("#id_photos", str(photo))
        phone.wait_for_selector(".jy-preview img")
        phone.click("button[type=submit]")
        phone.wait_for_function(
            "() => document.querySelector('.jy-status').textContent.includes('已保存在手机上')")
        phone.wait_for_function("() => !document.querySelector('.jy-preview')")
    assert "没有网络，已保存在手机上，有网时自动发送" in phone.locator(".jy-status").inner_text()
    assert phone.evaluate("window.jyForms.queued().then(q => q.length)") == 2
    assert "2 条内容等待发送" in phone.locator("[data-jy-outbox]").inner_text()
    keys = phone.evaluate(
        "window.jyForms.queued().then(q => q.map(i => i.entries.find(e => e[0] === 'client_key')[1]))")
    assert len(set(keys)) == 2
    shot(phone, "uploads-offline-queued")
    assert server.REQUESTS == []

    context.set_offline(False)  # the page gets the "online" event
    wait_for(lambda: len(server.RECEIVED) == 2, what="queued submissions to arrive")
    assert [r["text"] for r in server.RECEIVED] == ["第一条", "第二条"]
    assert [r["key"] for r in server.RECEIVED] == keys
    assert all(r["sent"][0]["format"] == "JPEG" for r in server.RECEIVED)
    phone.wait_for_function("() => window.jyForms.queued().then(q => q.length === 0)")
    phone.wait_for_function("() => document.querySelector('[data-jy-outbox]').hidden")


def test_queued_submission_is_sent_on_the_next_page_load(phone, live_server):
    open_form(phone, live_server)
    # The request fails at the network level (no answer at all): it is kept.
    phone.route("**/uploads-test/", lambda route: route.abort("internetdisconnected")
                if route.request.method == "POST" else route.continue_())
    phone.fill("#id_text", "信号不好")
    phone.click("button[type=submit]")
    phone.wait_for_function(
        "() => document.querySelector('.jy-status').textContent.includes('已保存在手机上')")
    key = phone.evaluate("window.jyForms.queued().then(q => q[0].entries.find(e => e[0] === 'client_key')[1])")
    phone.unroute("**/uploads-test/")
    assert server.REQUESTS == []
    # Any page of the site sends what waits: a page without a form has no forms.js,
    # site.js fetches it because common.js counted the waiting submission.
    assert phone.evaluate("localStorage.getItem('jy:outbox')") == "1"
    phone.goto(live_server.url + "/uploads-test/done/")
    wait_for(lambda: len(server.RECEIVED) == 1, what="the queued submission")
    assert server.RECEIVED[0]["key"] == key and server.RECEIVED[0]["text"] == "信号不好"
    phone.wait_for_selector(".jy-notice")
    assert "已发送 1 条" in phone.locator(".jy-notice").inner_text()
    assert phone.evaluate("window.jyForms.queued().then(q => q.length)") == 0


def test_two_quick_taps_send_one_key(phone, live_server):
    open_form(phone, live_server)
    phone.fill("#id_text", "slow")  # the view takes 0.8 s: time for a second tap
    button = phone.locator("button[type=submit]")
    button.tap()
    button.tap(force=True, no_wait_after=True)
    phone.evaluate("document.querySelector('form[data-jy-form]').requestSubmit()")
    phone.wait_for_url("**/uploads-test/done/")
    assert len(server.REQUESTS) == 1
    assert len(server.RECEIVED) == 1


def test_a_retry_after_a_server_error_sends_the_same_key(phone, live_server):
    open_form(phone, live_server)
    server.FAIL_NEXT.append(502)
    phone.fill("#id_text", "重试")
    phone.click("button[type=submit]")
    phone.wait_for_function("() => document.querySelector('.jy-status').textContent.includes('502')")
    phone.click("button[type=submit]")
    phone.wait_for_url("**/uploads-test/done/")
    assert len(server.REQUESTS) == 2 and len(set(server.REQUESTS)) == 1
    assert server.RECEIVED[0]["key"] == server.REQUESTS[0]


def test_form_still_posts_without_javascript(browser, live_server, photo_12mp):
    context = browser.new_context(**PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/uploads-test/")
        page.fill("#id_text", "没有脚本")
        page.set_input_files("#id_photos", str(photo_12mp))
        page.click("button[type=submit]")
        page.wait_for_url("**/uploads-test/done/")
    finally:
        context.close()
    got = server.RECEIVED[0]
    assert got["sent"][0]["size"] == (4000, 3000) and got["sent"][0]["exif"] > 0  # the original
    assert got["clean"] == [(1200, 1600)]  # the server shrank and turned it


@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
def test_form_page_is_accessible(phone, live_server, small_photos, large):
    if large:
        set_large_type(phone.context, live_server.url)
    open_form(phone, live_server)
    phone.set_input_files("#id_photos", [str(p) for p in small_photos[:2]])
    phone.wait_for_function("() => document.querySelectorAll('.jy-preview').length === 2")
    shot(phone, f"uploads-form-{'large' if large else 'normal'}")
    assert axe_violations(phone) == []
    if large:
        assert large_type_problems(phone) == []


# --- voice notes: Chromium with a fake microphone ----------------------------


@pytest.fixture(scope="module")
def mic_browser(browser):
    """A second Chromium from the same Playwright, with a fake microphone (a beep)."""
    b = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True,
        args=CHROMIUM_ARGS + ["--use-fake-device-for-media-stream",
                              "--use-fake-ui-for-media-stream"])
    yield b
    b.close()


def test_hold_to_talk_records_a_voice_note(mic_browser, live_server):
    context = mic_browser.new_context(**PHONE)
    context.grant_permissions(["microphone"], origin=live_server.url)
    page = context.new_page()
    try:
        open_form(page, live_server)
        talk = page.locator(".jy-talk")
        assert "按住说话" in talk.inner_text()
        box = talk.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.wait_for_function(
            "() => document.querySelector('.jy-voice-status').textContent.includes('正在录音')")
        page.wait_for_timeout(2600)
        page.mouse.up()
        page.wait_for_selector(".jy-voice-done audio", state="visible")
        assert "重录" in page.locator(".jy-again").inner_text()
        assert "0:0" in page.locator(".jy-voice-length").inner_text()
        shot(page, "uploads-voice-recorded")
        page.click("button[type=submit]")
        page.wait_for_url("**/uploads-test/done/")
    finally:
        context.close()
    voice = server.RECEIVED[0]["voice"]
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "uploads-voice.webm").write_bytes(voice["data"])  # as stored: re-encoded
    assert voice["name"].endswith(".webm")
    # The server counted the decoded samples of Chrome's WebM (no Duration element there)
    # and stored Opus it encoded itself.
    assert 1.5 <= voice["seconds"] <= 4.0, voice["seconds"]
    assert samples.decoded_seconds(voice["data"]) == pytest.approx(voice["seconds"], abs=0.2)


def test_no_microphone_is_said_plainly(phone, live_server):
    phone.context.add_init_script(
        "navigator.mediaDevices.getUserMedia = () => Promise.reject("
        "new DOMException('denied', 'NotAllowedError'));")
    open_form(phone, live_server)
    talk = phone.locator(".jy-talk")
    box = talk.bounding_box()
    phone.mouse.move(box["x"] + 5, box["y"] + 5)
    phone.mouse.down()
    phone.wait_for_function(
        "() => document.querySelector('.jy-voice-status').textContent.includes('麦克风权限')")
    phone.mouse.up()
    assert "没有得到麦克风权限，请在浏览器设置里允许，或者打字说明" in phone.locator(".jy-voice-status").inner_text()


def test_the_scripts_speak_the_language_the_person_chose(phone, live_server):
    """forms.js and voice.js take their words from the JavaScript catalogue."""
    from django.conf import settings

    phone.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en",
                                "url": live_server.url}])
    open_form(phone, live_server)
    phone.wait_for_selector(".jy-talk")
    assert phone.locator(".jy-talk").inner_text() == "Hold to talk"
    phone.context.set_offline(True)
    phone.fill("#id_text", "The stairwell light is out")
    phone.click("button[type=submit]")
    phone.wait_for_function(
        "() => document.querySelector('.jy-status').textContent.includes('Saved on this phone')")
    assert "已保存" not in phone.locator(".jy-status").inner_text()
    phone.context.set_offline(False)
    # Back online, the one saved report is sent and the page goes where the server says.
    phone.wait_for_url("**/uploads-test/done/")
    phone.context.clear_cookies()
    open_form(phone, live_server)
    assert phone.locator(".jy-talk").inner_text() == "按住说话"
