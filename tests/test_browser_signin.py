"""Signing up and in by SMS code at 360×740, the way an elderly resident would.

The code pages speak plainly (短信验证码, the number as 139 0000 0123, one
primary button, the number pad), a wrong code says how many tries are left,
three lock the code and say when to try again, and signing up again with the
same number then finishes the one account. Every page is checked with
axe-core, in normal and large type, and kept as a screenshot.
"""

import re

import pytest
from django.core.cache import cache

from portal.models import SmsMessage, User
from tests.browser import PHONE, axe_violations, large_type_problems, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _code_for(phone: str) -> str:
    text = SmsMessage.objects.filter(phone=phone).order_by("-id").first().text
    return re.search(r"(\d{6})", text).group(1)


def _check(page, name: str, large: bool) -> None:
    shot(page, f"signin-{name}-{'large' if large else 'normal'}")
    assert axe_violations(page) == [], name
    if large:
        assert large_type_problems(page) == [], name


def _context(browser, url: str, large: bool, **kwargs):
    context = browser.new_context(**PHONE, **kwargs)
    context.set_default_timeout(15_000)
    if large:
        context.add_cookies([{"name": "jy_lt", "value": "1", "url": url}])
    return context


@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
def test_three_wrong_codes_then_sign_up_again_with_the_same_number(browser, live_server, large):
    url = live_server.url
    context = _context(browser, url, large)
    page = context.new_page()
    number = "+8613900000123"

    page.goto(url + "/accounts/signup/")
    _check(page, "signup", large)
    page.fill("input[name=phone]", "139 0000 0123")
    page.click("main button[type=submit]")
    page.wait_for_url("**/accounts/phone/verify/")

    main = page.locator("main")
    assert "139 0000 0123" in main.inner_text()
    code = page.locator("input[name=code]")
    assert code.get_attribute("inputmode") == "numeric"
    assert code.get_attribute("autocomplete") == "one-time-code"
    # The new-code button counts down the minute, and is not the primary one.
    resend = page.locator("button[data-wait]")
    assert resend.is_disabled()
    assert re.search(r"\d+ 秒后可重新获取", resend.inner_text())
    assert page.locator("main .btn.primary").count() == 1
    _check(page, "signup-code", large)

    for left in (2, 1):
        page.fill("input[name=code]", "000000")
        page.click("main form.auth button[type=submit]")
        page.wait_for_load_state()
        assert f"还可以试 {left} 次。" in main.inner_text()
        if left == 2:
            _check(page, "signup-code-wrong", large)
    page.fill("input[name=code]", "000000")
    page.click("main form.auth button[type=submit]")
    page.wait_for_url("**/accounts/signup/")
    assert "验证码连续输错 3 次，已经作废。" in main.inner_text()
    assert "分钟后重新获取验证码" in main.inner_text()
    assert page.input_value("input[name=phone]") == "13900000123"
    _check(page, "signup-locked", large)

    cache.clear()  # a minute later: a new code may go to the number
    page.click("main button[type=submit]")
    page.wait_for_url("**/accounts/phone/verify/")
    page.fill("input[name=code]", _code_for(number))
    page.click("main form.auth button[type=submit]")
    page.wait_for_url(url + "/")
    assert "139****0123，您好，已经登录。" in page.locator(".messages").inner_text()
    # Signed in, large type follows the person's profile (off for a newcomer).
    shot(page, f"signin-signed-up-{'large' if large else 'normal'}")
    assert axe_violations(page) == []

    user = User.objects.get(phone=number)
    assert user.is_active and user.phone_verified
    assert User.objects.count() == 1
    assert user.username not in page.content()
    context.close()


def test_sign_in_by_code_greets_by_name(browser, live_server):
    url = live_server.url
    User.objects.create(username="demo-0002", phone="+8613900000002", phone_verified=True,
                        display_name="韦阿姨")
    context = _context(browser, url, False)
    page = context.new_page()
    page.goto(url + "/accounts/login/")
    assert "发送登录代码给我" not in page.content()
    _check(page, "login", False)
    page.fill("input[name=login]", "13900000002")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/accounts/login/code/confirm/**")
    assert "139 0000 0002" in page.locator("main").inner_text()
    _check(page, "login-code", False)
    page.fill("input[name=code]", _code_for("+8613900000002"))
    page.click("main form.auth button[type=submit]")
    page.wait_for_url(url + "/")
    assert "韦阿姨，您好，已经登录。" in page.locator(".messages").inner_text()
    assert "demo-0002" not in page.content()
    context.close()


def test_without_javascript_a_new_code_is_one_tap_and_the_server_decides(browser, live_server):
    url = live_server.url
    User.objects.create(username="demo-0003", phone="+8613900000003", phone_verified=True)
    context = _context(browser, url, False, java_script_enabled=False)
    page = context.new_page()
    page.goto(url + "/accounts/login/")
    page.fill("input[name=login]", "13900000003")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/accounts/login/code/confirm/**")
    resend = page.locator("button[data-wait]")
    assert resend.is_enabled() and resend.inner_text() == "重新获取验证码"
    resend.click()
    page.wait_for_url("**/accounts/login/code/confirm/**")
    shot(page, "signin-resend-nojs")
    assert SmsMessage.objects.filter(phone="+8613900000003").count() == 2
    context.close()
