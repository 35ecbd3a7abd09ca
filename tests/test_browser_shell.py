"""The shell in a phone-sized Chromium: home page for a visitor, axe-clean in both modes."""

import pytest

from tests.browser import axe_violations, large_type_problems, set_large_type, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
def test_home_for_a_visitor(phone, live_server, large):
    if large:
        set_large_type(phone.context, live_server.url)
    phone.goto(live_server.url + "/")
    assert phone.locator("h1").inner_text() == "欢迎来到仫佬家园"
    assert phone.locator("nav.tabs a").count() == 5
    shot(phone, f"shell-home-visitor-{'large' if large else 'normal'}")
    assert axe_violations(phone) == []
    if large:
        assert large_type_problems(phone) == []


def test_second_visit_opens_without_the_network(phone, live_server):
    """The service worker caches the shell: offline, the home page still opens."""
    url = live_server.url + "/"
    phone.goto(url)
    phone.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    phone.reload()  # now controlled by the service worker, which keeps this page
    phone.wait_for_function("() => navigator.serviceWorker.controller !== null")
    phone.context.set_offline(True)
    phone.goto(url)
    assert phone.locator("nav.tabs a").count() == 5
    phone.goto(live_server.url + "/notices/never-visited/")
    assert "现在没有网络" in phone.inner_text("main")
    shot(phone, "shell-offline")
    phone.context.set_offline(False)


def test_large_type_is_one_tap_from_the_home_page_and_the_sign_in_page(phone, live_server):
    """It used to sit at the bottom of 我的 → 设置, where a signed-out visitor never gets."""
    for url in ("/", "/accounts/login/"):
        phone.context.clear_cookies()
        phone.goto(live_server.url + url)
        assert phone.evaluate("() => document.documentElement.classList.contains('lt')") is False
        switch = phone.get_by_role("button", name="大字")
        assert switch.get_attribute("aria-pressed") == "false"
        switch.click()
        phone.wait_for_load_state()
        assert phone.url.rstrip("/").endswith(url.rstrip("/"))  # back where she was
        assert phone.evaluate("() => document.documentElement.classList.contains('lt')")
        assert phone.get_by_role("button", name="大字").get_attribute("aria-pressed") == "true"
        shot(phone, f"shell-large-type-switch{url.replace('/', '-')}")
        assert axe_violations(phone) == []
        assert large_type_problems(phone) == []
