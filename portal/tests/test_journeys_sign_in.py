"""The phone journey in our own words: the code pages, the tries left, an unfinished sign-up."""

import re

import pytest
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.urls import reverse

from buildings.tests.factories import UserFactory
from portal.models import SmsMessage, User
from portal.tests.helpers import last_code

pytestmark = pytest.mark.django_db

NUMBER = "+8613900000123"


def _main(response) -> str:
    body = response.content.decode()
    return body[body.index("<main"):body.index("</main>")]


def _assert_plain_code_page(response) -> None:
    body = response.content.decode()
    main = _main(response)
    assert "短信验证码" in main
    assert "139 0000 0123" in main and NUMBER not in body
    for allauths in ("输入电话验证代码", "请求新代码", "代码：", ">代码<"):
        assert allauths not in body
    code_box = re.search(r"<input[^>]*name=\"code\"[^>]*>", main).group(0)
    assert 'inputmode="numeric"' in code_box
    assert 'autocomplete="one-time-code"' in code_box
    assert 'pattern="[0-9]{6}"' in code_box
    # One primary button; a new code and cancelling are secondary.
    assert main.count("btn primary") == 1
    resend = re.search(r"<button[^>]*>重新获取验证码</button>", main).group(0)
    assert "primary" not in resend
    assert 0 < int(re.search(r'data-wait="(\d+)"', resend).group(1)) <= 60
    assert "link-btn" in main or "取消" in main
    # The countdown is a script of its own (CSP: no inline script).
    assert "portal/sms-code.js" in body
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body)


def test_sign_in_code_page_speaks_plainly(client):
    UserFactory(phone=NUMBER)
    login = client.get(reverse("account_login")).content.decode()
    assert "发送登录代码给我" not in login and "登录" in login
    by_code = client.get(reverse("account_request_login_code")).content.decode()
    assert "用短信验证码登录" in by_code and "发送登录代码给我" not in by_code
    response = client.post(reverse("account_login"), {"login": "139 0000 0123"}, follow=True)
    _assert_plain_code_page(response)


def test_sign_up_code_page_speaks_plainly(client):
    response = client.post(reverse("account_signup"), {"phone": "13900000123"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("account_verify_phone")
    _assert_plain_code_page(response)


def test_signed_in_banner_greets_by_name_never_username(client):
    user = UserFactory(phone=NUMBER, display_name="韦阿姨", username="demo-0123")
    client.post(reverse("account_login"), {"login": "13900000123"})
    response = client.post(reverse("account_confirm_login_code"),
                           {"code": last_code(NUMBER)}, follow=True)
    body = response.content.decode()
    assert "韦阿姨，您好，已经登录。" in body
    assert user.username not in body


def test_signed_up_banner_greets_by_masked_phone(client):
    client.post(reverse("account_signup"), {"phone": "13900000123"})
    response = client.post(reverse("account_verify_phone"), {"code": last_code(NUMBER)},
                           follow=True)
    user = User.objects.get(phone=NUMBER)
    body = response.content.decode()
    assert "139****0123，您好，已经登录。" in body
    assert user.username not in body
    # A username nobody reads, and that says nothing about the number.
    assert user.username.startswith("u-") and "0123" not in user.username


def test_wrong_codes_at_sign_up_say_the_tries_left_then_when_to_try_again(client):
    client.post(reverse("account_signup"), {"phone": "139 0000 0123"})
    first = client.post(reverse("account_verify_phone"), {"code": "000000"})
    assert "验证码不对。" in first.content.decode()
    assert "还可以试 2 次。" in first.content.decode()
    second = client.post(reverse("account_verify_phone"), {"code": "000000"})
    assert "还可以试 1 次。" in second.content.decode()
    third = client.post(reverse("account_verify_phone"), {"code": "000000"}, follow=True)
    assert third.redirect_chain[-1][0] == reverse("account_signup")
    main = _main(third)
    assert "验证码连续输错 3 次，已经作废。请 1 分钟后重新获取验证码。" in main
    # The form for a new code, the number already in it.
    assert 'value="13900000123"' in main


def test_signing_up_again_after_three_wrong_codes_finishes_one_account(client):
    client.post(reverse("account_signup"), {"phone": "13900000123"})
    for _ in range(3):
        client.post(reverse("account_verify_phone"), {"code": "000000"})
    assert not User.objects.get(phone=NUMBER).phone_verified
    cache.clear()  # a minute later: the number may have a new code

    again = client.post(reverse("account_signup"),
                        {"phone": "139 0000 0123", "password1": "Muluo-2026-jia"})
    assert again.status_code == 302, _main(again)
    assert again["Location"] == reverse("account_verify_phone")
    done = client.post(reverse("account_verify_phone"), {"code": last_code(NUMBER)})
    assert done.status_code == 302

    user = User.objects.get(phone=NUMBER)
    assert User.objects.filter(phone__endswith="13900000123").count() == 1
    assert user.is_active and user.phone_verified
    assert client.get(reverse("portal:me")).context["user"] == user
    assert authenticate(phone=NUMBER, password="Muluo-2026-jia") == user


def test_signing_up_again_sets_no_password_until_the_code_is_right(client):
    client.post(reverse("account_signup"), {"phone": "13900000123"})
    for _ in range(3):
        client.post(reverse("account_verify_phone"), {"code": "000000"})
    before = User.objects.get(phone=NUMBER).password
    cache.clear()
    from django.test import Client

    stranger = Client()
    stranger.post(reverse("account_signup"), {"phone": "13900000123", "password1": "Xy-stranger-77"})
    assert User.objects.get(phone=NUMBER).password == before
    for _ in range(3):
        stranger.post(reverse("account_verify_phone"), {"code": "000000"})
    assert User.objects.get(phone=NUMBER).password == before
    assert User.objects.filter(phone=NUMBER).count() == 1


def test_a_finished_account_still_keeps_its_number(client):
    UserFactory(phone=NUMBER, phone_verified=True)
    response = client.post(reverse("account_signup"), {"phone": "13900000123"})
    assert response.status_code == 200
    assert "这个手机号已经注册过了，请直接用它登录。" in response.content.decode()
    assert User.objects.filter(phone=NUMBER).count() == 1


def test_wrong_sign_in_codes_say_the_tries_left_then_when_to_try_again(client):
    UserFactory(phone=NUMBER)
    client.post(reverse("account_login"), {"login": "13900000123"})
    first = client.post(reverse("account_confirm_login_code"), {"code": "000000"})
    assert "还可以试 2 次。" in first.content.decode()
    client.post(reverse("account_confirm_login_code"), {"code": "000000"})
    third = client.post(reverse("account_confirm_login_code"), {"code": "000000"}, follow=True)
    assert third.redirect_chain[-1][0] == reverse("account_login")
    main = _main(third)
    assert "验证码连续输错 3 次，已经作废。" in main
    assert 'value="13900000123"' in main


def test_a_new_code_within_the_minute_is_refused_in_plain_words(client):
    client.post(reverse("account_signup"), {"phone": "13900000123"})
    response = client.post(reverse("account_verify_phone"), {"action": "resend"}, follow=True)
    assert "验证码刚发出，请 1 分钟后再重新获取。" in _main(response)
    assert SmsMessage.objects.filter(phone=NUMBER).count() == 1
    cache.clear()  # a minute later
    response = client.post(reverse("account_verify_phone"), {"action": "resend"}, follow=True)
    assert SmsMessage.objects.filter(phone=NUMBER).count() == 2
    assert 'data-wait="6' in _main(response) or 'data-wait="5' in _main(response)


def test_change_phone_page_speaks_plainly(client):
    user = UserFactory(phone=NUMBER, phone_verified=True)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(reverse("account_change_phone"))
    assert response.status_code == 200
    main = _main(response)
    assert "更换手机号" in main and "139 0000 0123" in main and NUMBER not in main
    assert "Change" not in main and main.count("btn primary") == 1
    assert 'inputmode="numeric"' in main


def test_a_person_with_no_name_or_phone_is_not_greeted_by_username(client):
    user = UserFactory(phone=None, display_name="", first_name="", last_name="",
                       username="staff-login-7")
    user.set_password("Muluo-2026-jia")
    user.save()
    from allauth.account.adapter import get_adapter
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.session = client.session
    request._messages = FallbackStorage(request)
    get_adapter(request).add_message(request, 25, "account/messages/logged_in.txt",
                                     {"user": user})
    shown = [str(m) for m in request._messages]
    assert shown == ["已经登录。"]
