"""Signing up and in with a mainland phone number and an SMS code."""

import re

import pytest
from django.urls import reverse

from buildings.tests.factories import UserFactory
from portal.models import SmsMessage, User
from portal.phones import mask_phone, normalize_phone
from portal.tests.helpers import last_code

pytestmark = pytest.mark.django_db


def test_phone_forms_people_type_are_understood():
    assert normalize_phone("138 1234 5678") == "+8613812345678"
    assert normalize_phone("+86-138-1234-5678") == "+8613812345678"
    assert normalize_phone("8613812345678") == "+8613812345678"
    assert mask_phone("+8613812345678") == "138****5678"


def test_sign_up_with_phone_and_code(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_signup"), {"phone": "139 1234 5678"})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_verify_phone")
    sms = SmsMessage.objects.get(phone="+8613912345678")
    assert "验证码" in sms.text and sms.status == "sent"
    response = client.post(reverse("account_verify_phone"), {"code": last_code("+8613912345678")})
    assert response.status_code == 302
    user = User.objects.get(phone="+8613912345678")
    assert user.phone_verified
    assert client.get(reverse("portal:me")).status_code == 200


@pytest.mark.parametrize("bad", ["12345", "2381234567", "138123456789", "abc", "+1 415 555 0100"])
def test_malformed_number_gets_a_clear_message(client, bad):
    response = client.post(reverse("account_signup"), {"phone": bad})
    assert response.status_code == 200
    assert "请填写11位手机号码" in response.content.decode()
    assert not User.objects.exists()
    assert not SmsMessage.objects.exists()


def test_wrong_code_is_refused_in_chinese(client):
    client.post(reverse("account_signup"), {"phone": "13912345678"})
    response = client.post(reverse("account_verify_phone"), {"code": "000000"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "代码" in body or "验证码" in body
    assert not User.objects.get(phone="+8613912345678").phone_verified


def test_sign_in_by_code(client):
    user = UserFactory(phone="+8613700001111")
    response = client.post(reverse("account_login"), {"login": "137 0000 1111"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_confirm_login_code"))
    response = client.post(reverse("account_confirm_login_code"),
                           {"code": last_code(user.phone)})
    assert response.status_code == 302
    assert client.get(reverse("portal:me")).context["user"] == user


def test_sign_in_with_optional_password(client):
    UserFactory(phone="+8613700002222")  # password "pass-1234"
    response = client.post(reverse("account_login"),
                           {"login": "13700002222", "password": "pass-1234"})
    assert response.status_code == 302
    assert not SmsMessage.objects.exists()  # no code needed
    response = type(client)().post(reverse("account_login"),
                                   {"login": "13700002222", "password": "wrong-one"})
    assert response.status_code == 200
    assert "密码" in response.content.decode()


def test_codes_are_rate_limited_per_number(client):
    UserFactory(phone="+8613700003333")
    first = client.post(reverse("account_login"), {"login": "13700003333"})
    assert first.status_code == 302
    other = type(client)()
    second = other.post(reverse("account_login"), {"login": "13700003333"})
    assert second.status_code in (200, 429)
    assert SmsMessage.objects.filter(phone="+8613700003333").count() == 1
    assert "频繁" in second.content.decode() or "稍后" in second.content.decode() \
        or "Too many" in second.content.decode() or "太多" in second.content.decode()


def test_too_many_wrong_codes_end_the_attempt(client):
    UserFactory(phone="+8613700004444")
    client.post(reverse("account_login"), {"login": "13700004444"})
    for _ in range(3):
        response = client.post(reverse("account_confirm_login_code"), {"code": "000000"})
    assert response.status_code in (200, 302, 429)
    # The real code no longer works after the attempts ran out.
    code = last_code("+8613700004444")
    client.post(reverse("account_confirm_login_code"), {"code": code})
    assert client.get(reverse("portal:me")).status_code == 302


def test_masked_phone_shown_to_others():
    user = UserFactory(phone="+8613812345678", display_name="")
    assert user.masked_phone == "138****5678"
    assert user.shown_name == "138****5678"


def test_second_sign_up_within_a_minute_is_429_not_500(client):
    client.post(reverse("account_signup"), {"phone": "13912340000"})
    again = type(client)()
    response = again.post(reverse("account_signup"), {"phone": "13912340000"})
    assert response.status_code in (200, 302, 429)
    if response.status_code == 302:
        response = again.get(response["Location"])
    assert response.status_code in (200, 429)


def _password_login(number: str, password: str):
    from django.test import Client

    return Client().post(reverse("account_login"), {"login": number, "password": password})


def test_wrong_passwords_for_one_number_never_lock_another():
    UserFactory(phone="+8613800000003")  # password "pass-1234"
    UserFactory(phone="+8613800000007")
    for _ in range(5):
        response = _password_login("13700099999", "guess-1234")
        assert "登录失败次数过多" not in response.content.decode()
    for number in ("13800000003", "138 0000 0007"):
        response = _password_login(number, "pass-1234")
        assert response.status_code == 302, response.content.decode()[:300]


def test_five_wrong_passwords_lock_that_number():
    UserFactory(phone="+8613800000003")
    for _ in range(5):
        assert _password_login("13800000003", "wrong-one").status_code == 200
    # The sixth try, even with the right password and however the number is typed.
    response = _password_login("+86 138 0000 0003", "pass-1234")
    assert response.status_code == 200
    assert "登录失败次数过多" in response.content.decode()


def _code_request(number: str, remote: str = "127.0.0.1", **headers):
    from django.test import Client

    return Client(REMOTE_ADDR=remote, **headers).post(reverse("account_login"), {"login": number})


def test_rotating_forged_forwarded_for_cannot_exceed_the_address_limit(settings):
    """Ten codes an hour from one address (ACCOUNT_RATE_LIMITS), whatever it claims to be."""
    settings.TRUSTED_PROXIES = []
    numbers = [f"+86137000100{i:02d}" for i in range(12)]
    for n in numbers:
        UserFactory(phone=n)
    for i, n in enumerate(numbers):
        _code_request(n[3:], remote="198.51.100.20",
                      HTTP_X_FORWARDED_FOR=f"10.9.{i}.{i}", HTTP_X_REAL_IP=f"10.8.{i}.{i}")
    assert SmsMessage.objects.count() == 10


def test_behind_the_proxy_each_client_has_its_own_limit(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    numbers = [f"+86137000200{i:02d}" for i in range(12)]
    for n in numbers:
        UserFactory(phone=n)
    # One client behind nginx, with its own forged header in front of nginx's hop.
    for i, n in enumerate(numbers[:11]):
        _code_request(n[3:], HTTP_X_FORWARDED_FOR=f"10.9.{i}.{i}, 198.51.100.1")
    assert SmsMessage.objects.count() == 10
    # Another client behind the same nginx is not held back by the first.
    response = _code_request(numbers[11][3:], HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert response.status_code == 302
    assert SmsMessage.objects.filter(phone=numbers[11]).count() == 1


def test_rotating_header_cannot_exceed_the_per_number_cap(settings):
    """Even were allauth's minute limit per number gone, the SMS cap on a number holds."""
    settings.TRUSTED_PROXIES = []
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS,
                                    "request_login_code": "100/h/ip"}
    settings.SMS_LIMITS = {"PER_NUMBER_HOUR": 3, "PER_NUMBER_DAY": 10, "GLOBAL_PER_HOUR": 100}
    UserFactory(phone="+8613700030000")
    responses = [_code_request("13700030000", HTTP_X_FORWARDED_FOR=f"10.7.{i}.1")
                 for i in range(6)]
    assert [r.status_code for r in responses] == [302, 302, 302, 429, 429, 429]
    assert "这个号码一小时内收到的短信已达上限" in responses[-1].content.decode()
    assert SmsMessage.objects.filter(phone="+8613700030000").count() == 3


def _answers(number: str, remote: str) -> list[tuple[int, str, str]]:
    """Everything a person sees asking for a code: the reply, the page it leads to, a code tried."""
    from django.test import Client

    client = Client(REMOTE_ADDR=remote)
    seen = []
    response = client.post(reverse("account_login"), {"login": number})
    seen.append((response.status_code, response.get("Location", ""),
                 response.content.decode()))
    if response.status_code == 302:
        page = client.get(response["Location"])
        seen.append((page.status_code, "", page.content.decode()))
        tried = client.post(reverse("account_confirm_login_code"), {"code": "000000"})
        seen.append((tried.status_code, tried.get("Location", ""), tried.content.decode()))
    digits = number.replace(" ", "")
    spaced = f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    # The countdown is the seconds left of the minute: a clock, not the number.
    return [(status, location,
             re.sub(r"data-wait=\"\d+\"", "",
                    re.sub(r"csrfmiddlewaretoken\" value=\"[^\"]+\"", "", body))
             .replace(digits, "N").replace(spaced, "N").replace("+86" + digits, "N")
             .replace("+86N", "N"))
            for status, location, body in seen]


def test_code_login_answers_alike_for_registered_and_unregistered_numbers():
    UserFactory(phone="+8613700040001")
    registered = _answers("13700040001", "198.51.100.41")
    unregistered = _answers("13700040002", "198.51.100.42")
    assert registered[0][0] == 302 and len(registered) == 3
    assert registered == unregistered
    assert "尚未注册" not in "".join(body for _, _, body in unregistered)
    # A code went to the registered number; nothing to the other.
    assert SmsMessage.objects.filter(phone="+8613700040001").count() == 1
    assert not SmsMessage.objects.filter(phone="+8613700040002").exists()
    # Asking again within the minute: "too many" for both alike.
    assert _answers("13700040001", "198.51.100.43") == _answers("13700040002", "198.51.100.44")


def test_the_sms_cap_on_a_number_trips_alike_registered_or_not(settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS,
                                    "request_login_code": "100/h/ip"}
    settings.SMS_LIMITS = {"PER_NUMBER_HOUR": 1, "PER_NUMBER_DAY": 10, "GLOBAL_PER_HOUR": 100}
    UserFactory(phone="+8613700050001")
    for number in ("13700050001", "13700050002"):
        first, second = _code_request(number), _code_request(number)
        assert first.status_code == 302
        assert second.status_code == 429
        assert "这个号码一小时内收到的短信已达上限" in second.content.decode()
    assert SmsMessage.objects.count() == 1


def test_rotating_forged_header_cannot_multiply_sign_up_codes(settings):
    from django.test import Client

    settings.TRUSTED_PROXIES = []
    for i in range(25):
        Client(REMOTE_ADDR="198.51.100.60", HTTP_X_FORWARDED_FOR=f"10.6.{i}.1").post(
            reverse("account_signup"), {"phone": f"139000600{i:02d}"})
    # verify_phone: ten codes an hour from one address.
    assert SmsMessage.objects.count() == 10
