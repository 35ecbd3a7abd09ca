"""The phone shell: home page, 我的, preferences, notifications, manifest, service worker."""

import json

import pytest
from django.urls import reverse

from buildings.tests.factories import HouseholdFactory, ResidencyFactory, UserFactory
from portal.models import Notification
from portal.services import notify

pytestmark = pytest.mark.django_db


def test_home_page_for_a_visitor(client):
    body = client.get("/").content.decode()
    assert "欢迎来到仫佬家园" in body
    for tab in ("首页", "报事", "通知", "志愿", "我的"):
        assert f"<span>{tab}</span>" in body


def test_home_and_me_stay_within_ten_queries_whatever_the_data_size(
    client, world, django_assert_max_num_queries
):
    """Measured on a warm cache: the first request after a change of role or
    residency also fills the person's permission scope (2 queries), and the
    first request of the process the home page and the categories (1 each)."""
    user = world.resident_a
    client.force_login(user)
    client.get("/")
    client.get(reverse("portal:me"))
    for _ in range(3):  # more data must not mean more queries
        for n in range(30):
            notify(recipient=user, title=f"消息{n}")
        HouseholdFactory.create_batch(20, unit=world.household_a.unit)
        with django_assert_max_num_queries(10):
            assert client.get("/").status_code == 200
        with django_assert_max_num_queries(10):
            assert client.get(reverse("portal:me")).status_code == 200


def test_the_shell_is_worked_out_once_per_request(client, world, monkeypatch):
    """首页 and 我的 render each app's section too; the tabs and the bell are still made
    once, and the shell's links once per process (issue 15), not on every page."""
    from portal import context_processors

    made = []
    real = context_processors.reverse
    monkeypatch.setattr(context_processors, "reverse", lambda *a, **kw: made.append(a) or real(*a, **kw))
    monkeypatch.setattr(context_processors, "_URLS", {})
    monkeypatch.setattr(context_processors, "_TABS", {})
    client.force_login(world.resident_a)
    body = client.get(reverse("notices:index")).content.decode()
    assert len(made) == 9, made  # the first page of the process: the tabs and the links
    assert 'aria-current="page"><svg aria-hidden="true" width="26" height="26"><use href="/static/' \
        'portal/icons.svg#notices">' in body
    for url in ("/", reverse("portal:me")):
        made.clear()
        body = client.get(url).content.decode()
        assert "<span>我的</span>" in body
        assert f'href="{reverse("portal:notifications")}"' in body
        assert made == [], (url, made)


def test_me_shows_household_roles_and_pending_claim(client, world):
    ResidencyFactory(user=world.head_a, household=world.household_b, state="pending")
    client.force_login(world.head_a)
    body = client.get(reverse("portal:me")).content.decode()
    assert "楼栋长" in body
    assert world.household_b.address in body and "待认证" in body
    assert "住户认证审核" in body


def test_me_needs_sign_in(client):
    response = client.get(reverse("portal:me"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_large_type_persists_per_person(client):
    user = UserFactory()
    client.force_login(user)
    client.post(reverse("portal:set_large_type"), {"on": "1"})
    user.refresh_from_db()
    assert user.large_type
    other_device = type(client)()
    other_device.force_login(user)
    assert 'class="lt"' in other_device.get("/").content.decode()


def test_large_type_for_a_visitor_uses_a_cookie(client):
    client.post(reverse("portal:set_large_type"), {"on": "1"})
    assert 'class="lt"' in client.get("/").content.decode()


def test_language_switch_to_english_and_back(client):
    user = UserFactory()
    client.force_login(user)
    client.post(reverse("portal:set_language"), {"language": "en"})
    user.refresh_from_db()
    assert user.language == "en"
    body = client.get(reverse("portal:me")).content.decode()
    assert 'lang="en"' in body and "Switch to English" not in body
    client.post(reverse("portal:set_language"), {"language": "zh-hans"})
    assert 'lang="zh-CN"' in client.get(reverse("portal:me")).content.decode()


def test_notifications_bell_and_list(client):
    user = UserFactory()
    notify(recipient=user, title="您的住户认证已通过", body="1栋 1单元 101")
    notify(recipient=UserFactory(), title="别人的消息")
    client.force_login(user)
    home = client.get("/").content.decode()
    assert '<span class="count">1</span>' in home
    page = client.get(reverse("portal:notifications")).content.decode()
    assert "您的住户认证已通过" in page and "别人的消息" not in page
    assert Notification.objects.get(recipient=user).read_at is not None
    assert '<span class="count">' not in client.get("/").content.decode()


def test_notify_can_send_an_sms(django_capture_on_commit_callbacks):
    from portal.models import SmsMessage

    user = UserFactory(phone="+8613711112222")
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=user, title="您的诉求已办结", sms=True)
        notify(recipient=user, title="只在站内", sms=False)
    sms = SmsMessage.objects.get()
    assert sms.phone == "+8613711112222" and "您的诉求已办结" in sms.text and sms.status == "sent"


def test_manifest_and_service_worker(client):
    manifest = json.loads(client.get("/manifest.webmanifest").content)
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    sw = client.get("/sw.js")
    assert sw["Content-Type"].startswith("application/javascript")
    assert "/static/portal/site.css" in sw.content.decode()


def test_content_security_policy_is_set(client):
    csp = client.get("/")["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]


def test_weixin_provider_is_wired_but_off(client, settings):
    assert "allauth.socialaccount.providers.weixin" in settings.INSTALLED_APPS
    assert "weixin" not in client.get(reverse("account_login")).content.decode().lower()
