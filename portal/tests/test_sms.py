"""The SMS sender: the outbox keeps every message; the Aliyun adapter signs and sends."""

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from portal.models import SmsMessage
from portal.sms import AliyunSender, send_sms

pytestmark = pytest.mark.django_db

CONFIG = {"ACCESS_KEY_ID": "testId", "ACCESS_KEY_SECRET": "testSecret", "SIGN_NAME": "仫佬家园",
          "TEMPLATE_CODE": "SMS_1", "ENDPOINT": "http://127.0.0.1:1/"}


def test_outbox_keeps_the_message_after_commit(django_capture_on_commit_callbacks, capsys):
    with django_capture_on_commit_callbacks(execute=True):
        send_sms(phone="+8613800000001", text="测试 短信", purpose="test")
    sms = SmsMessage.objects.get()
    assert sms.status == "sent" and sms.backend == "outbox"
    assert "测试 短信" in capsys.readouterr().out


def test_nothing_is_sent_for_a_rolled_back_change(django_capture_on_commit_callbacks, capsys):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                send_sms(phone="+8613800000001", text="不该发出", purpose="test")
                raise RuntimeError
        except RuntimeError:
            pass
    assert not SmsMessage.objects.exists()
    assert "不该发出" not in capsys.readouterr().out


def test_aliyun_signature_follows_the_documented_rules():
    sender = AliyunSender(CONFIG)
    query = sender.signed_query("+8615300000001", "您好 *~", now=datetime(2017, 7, 12, 2, 42, 19,
                                                                       tzinfo=UTC),
                                nonce="45e25e9b-0a6f-4070-8c85-2956eda1b466")
    signature_part, canonical = query.split("&", 1)
    # RFC 3986 encoding: a space is %20, "*" is %2A, "~" stays; the number has no +86.
    assert "PhoneNumbers=15300000001" in canonical
    assert "%2520" in urllib.parse.quote(canonical, safe="~") and "%2A" in canonical
    assert "~" in urllib.parse.unquote(canonical)
    keys = [pair.split("=")[0] for pair in canonical.split("&")]
    assert keys == sorted(keys)
    string_to_sign = "GET&%2F&" + urllib.parse.quote(canonical, safe="~")
    expected = base64.b64encode(
        hmac.new(b"testSecret&", string_to_sign.encode(), hashlib.sha1).digest()).decode()
    assert urllib.parse.unquote(signature_part.split("=", 1)[1]) == expected


class _Provider(BaseHTTPRequestHandler):
    replies: list = []

    def do_GET(self):
        params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
        _Provider.replies.append(params)
        ok = params.get("PhoneNumbers") == "13800000001"
        body = json.dumps({"Code": "OK" if ok else "isv.MOBILE_NUMBER_ILLEGAL"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def provider():
    server = HTTPServer(("127.0.0.1", 0), _Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


def test_aliyun_adapter_sends_and_records_the_reply(settings, provider,
                                                    django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "aliyun"
    settings.SMS_ALIYUN = {**CONFIG, "ENDPOINT": provider}
    with django_capture_on_commit_callbacks(execute=True):
        send_sms(phone="+8613800000001", text="您的验证码是 123456", purpose="test")
        send_sms(phone="+8613900000000", text="x", purpose="test")
    good, bad = SmsMessage.objects.order_by("id")
    assert good.backend == "aliyun" and good.status == "sent"
    assert bad.status == "failed" and "MOBILE_NUMBER_ILLEGAL" in bad.provider_reply
    sent = _Provider.replies[-2]
    assert json.loads(sent["TemplateParam"]) == {"content": "您的验证码是 123456"}
    assert sent["SignName"] == "仫佬家园" and sent["AccessKeyId"] == "testId"


def test_provider_down_is_recorded_not_raised(settings, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "aliyun"
    settings.SMS_ALIYUN = CONFIG  # port 1: nothing listens
    with django_capture_on_commit_callbacks(execute=True):
        send_sms(phone="+8613800000001", text="x", purpose="test")
    sms = SmsMessage.objects.get()
    assert sms.status == "failed" and "network error" in sms.provider_reply


# --- The caps: per number an hour and a day, and the hourly budget ---------------

@pytest.fixture
def limits(settings):
    from django.core.cache import cache

    cache.clear()
    settings.SMS_LIMITS = {"PER_NUMBER_HOUR": 3, "PER_NUMBER_DAY": 5, "GLOBAL_PER_HOUR": 8}
    yield settings.SMS_LIMITS
    cache.clear()


def test_a_number_gets_only_so_many_an_hour(limits, django_capture_on_commit_callbacks):
    from portal.sms import SmsRefused

    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            send_sms(phone="+8613800000002", text="验证码 1", strict=True)
        with pytest.raises(SmsRefused) as refused:
            send_sms(phone="+8613800000002", text="验证码 2", strict=True)
        # Another number is not affected.
        send_sms(phone="+8613800000005", text="验证码 3", strict=True)
    assert "一小时内" in refused.value.message
    assert SmsMessage.objects.filter(phone="+8613800000002").count() == 3
    assert SmsMessage.objects.filter(status="sent").count() == 4
    # A notification over the cap is kept as failed, with the reason, and not sent.
    note = send_sms(phone="+8613800000002", text="通知", purpose="notify:general")
    assert note.status == "failed" and note.provider_reply == "refused: number_hour"


def test_the_day_cap_holds_across_hours(limits, monkeypatch):
    from portal import sms
    from portal.sms import SmsRefused

    hour = [1_000_000]
    monkeypatch.setattr(sms, "_hour", lambda: hour[0])
    for _ in range(5):
        hour[0] += 1  # a new hour each time: the hourly cap never trips
        send_sms(phone="+8613800000002", text="验证码", strict=True)
    hour[0] += 1
    with pytest.raises(SmsRefused) as refused:
        send_sms(phone="+8613800000002", text="验证码", strict=True)
    assert refused.value.reason == "number_day" and "今天" in refused.value.message


def test_the_hourly_budget_stops_all_sms_and_tells_the_admins(
        limits, world, client, django_capture_on_commit_callbacks):
    from buildings.tests.factories import UserFactory
    from portal.models import Notification
    from portal.sms import SmsRefused

    root = UserFactory(is_superuser=True, is_staff=True, username="root")
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(8):
            send_sms(phone=f"+86138000001{i:02d}", text="验证码", strict=True)
        for i in range(3):  # refused, however many numbers are tried
            with pytest.raises(SmsRefused) as refused:
                send_sms(phone=f"+86139000001{i:02d}", text="验证码", strict=True)
    assert refused.value.reason == "budget" and "本小时上限" in refused.value.message
    assert SmsMessage.objects.count() == 8
    # Told once, in the app, every community admin and superuser.
    told = Notification.objects.filter(title="短信已达本小时上限，已暂停发送")
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted([world.admin.pk, root.pk])
    # And the admin dashboard says so.
    client.force_login(root)
    html = client.get("/admin/").content.decode()
    assert "短信已达本小时上限，已暂停发送" in html
    assert "本小时已发送 8 条，预算 8 条。" in html
    assert "本小时已有 3 条短信因超出预算未发出" in html


def test_the_dashboard_shows_the_usage_to_admins_only(limits, world, client):
    from buildings.tests.factories import UserFactory

    send_sms(phone="+8613800000002", text="x")
    root = UserFactory(is_superuser=True, is_staff=True, username="root")
    client.force_login(root)
    html = client.get("/admin/").content.decode()
    assert "本小时已发送 1 条，预算 8 条。" in html
    assert "已暂停发送" not in html
    editor = UserFactory(is_staff=True)
    from django.contrib.auth.models import Permission

    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(editor)
    response = client.get("/admin/")
    assert response.status_code == 200 and "短信用量" not in response.content.decode()
