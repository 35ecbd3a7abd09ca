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
