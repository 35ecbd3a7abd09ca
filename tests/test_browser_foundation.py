"""Issue 2 as a person does it, in Chromium at 360×740.

A newcomer signs up with a phone number, reads the code (from the SMS outbox,
as a tester would), claims a flat; the building head verifies it on their
phone; the newcomer's 我的 then shows the household. Every page on the way is
checked with axe-core, in normal and in large-type mode.
"""

import re

import pytest

from buildings.choices import ResidencyState
from buildings.models import Residency
from portal.models import SmsMessage, User
from tests.browser import axe_violations, large_type_problems, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _code_for(phone: str) -> str:
    text = SmsMessage.objects.filter(phone=phone).order_by("-id").first().text
    return re.search(r"(\d{6})", text).group(1)


def _check(page, name: str, large: bool) -> None:
    shot(page, f"{name}-{'large' if large else 'normal'}")
    assert axe_violations(page) == [], name
    if large:
        assert large_type_problems(page) == [], name


@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
def test_sign_up_claim_and_verify(browser, live_server, world, large):
    from tests.browser import PHONE

    url = live_server.url
    resident = browser.new_context(**PHONE)
    page = resident.new_page()
    if large:
        resident.add_cookies([{"name": "jy_lt", "value": "1", "url": url}])

    # Sign up with a phone number and the SMS code.
    page.goto(url + "/accounts/signup/")
    _check(page, "signup", large)
    page.fill("input[name=phone]", "139 8888 0001")
    page.click("main button[type=submit]")
    page.wait_for_url("**/accounts/phone/verify/")
    _check(page, "signup-code", large)
    page.fill("input[name=code]", _code_for("+8613988880001"))
    page.click("main form button[type=submit]")
    page.wait_for_url(url + "/")
    user = User.objects.get(phone="+8613988880001")
    assert user.phone_verified
    if large:
        user.large_type = True
        user.save(update_fields=["large_type"])

    # Claim building A, unit 1, flat 101.
    page.goto(url + "/me/")
    _check(page, "me-new", large)
    page.click("text=认证我的住户")
    page.select_option("select[name=building]", str(world.building_a.pk))
    page.fill("input[name=unit]", "1")
    page.fill("input[name=number]", "101")
    page.fill("input[name=name]", "罗秀英")
    _check(page, "claim", large)
    page.click("text=提交认证")
    page.wait_for_url("**/me/")
    assert "待认证" in page.inner_text("main")
    claim = Residency.objects.get(user=user)

    # The building head verifies it from their phone.
    head = browser.new_context(**PHONE)
    head_page = head.new_page()
    if large:
        world.head_a.large_type = True
        world.head_a.save(update_fields=["large_type"])
    sign_in(head, url, world.head_a)
    head_page.goto(url + "/")
    assert head_page.locator(".bell .count").inner_text() == "1"
    head_page.goto(url + "/verify/")
    card = head_page.locator(f"[data-claim='{claim.pk}']")
    assert world.household_a.address in card.inner_text()
    assert "罗秀英" in card.inner_text()  # the claimant's name, with a call link beside it
    _check(head_page, "verify", large)
    card.locator("text=认证通过").click()
    head_page.wait_for_url("**/verify/")
    assert "已认证" in head_page.inner_text("main")

    # The resident's 我的 shows the household, verified.
    page.goto(url + "/me/")
    main = page.inner_text("main")
    assert world.household_a.address in main and "已认证" in main
    _check(page, "me-verified", large)
    page.goto(url + "/")
    _check(page, "home-resident", large)
    claim.refresh_from_db()
    assert claim.state == ResidencyState.VERIFIED
    resident.close()
    head.close()


def test_sign_in_page_by_code(phone, live_server, world):
    url = live_server.url
    world.resident_a.phone = "+8613988880002"
    world.resident_a.save(update_fields=["phone"])
    phone.goto(url + "/accounts/login/")
    _check(phone, "login", False)
    phone.fill("input[name=login]", "13988880002")
    phone.click("main form button[type=submit]")
    phone.wait_for_url("**/accounts/login/code/confirm/**")
    _check(phone, "login-code", False)
    phone.fill("input[name=code]", _code_for("+8613988880002"))
    phone.click("main form button[type=submit]")
    phone.wait_for_url(url + "/")
    assert world.resident_a.shown_name in phone.inner_text("h1")


def test_residents_stranger_sees_no_verification(phone, live_server, world):
    sign_in(phone.context, live_server.url, world.resident_a)
    response = phone.goto(live_server.url + "/verify/")
    assert response.status == 403
    assert "没有权限" in phone.inner_text("main")
