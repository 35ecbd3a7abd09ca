"""Updates go back out: a platform's callback URL hears of every public step of
its cases, signed, retried with backoff, never inside the case's transaction."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from community.choices import Status
from community.open311 import services
from community.open311.models import ApiCall, ApiKey, CallbackDelivery, DeliveryStatus
from community.open311.services import api_key_issue, open311_case_submit
from community.services import case_accept, case_dispatch, case_triage
from community.tests.factories import category

DUMMY_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


class Receiver:
    """A platform's callback endpoint on loopback: records what it gets, answers
    with the next status of ``answers`` (the last one repeats)."""

    def __init__(self, answers=(200,)):
        self.answers = list(answers)
        self.received: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                outer.received.append({"headers": dict(self.headers),
                                       "body": self.rfile.read(length), "path": self.path})
                status = outer.answers.pop(0) if len(outer.answers) > 1 else outer.answers[0]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jiayuan/updates"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def hotline(world, receiver):
    """A platform with a callback, and a case it sent us."""
    key, raw = api_key_issue(actor=world.admin, platform="罗城12345",
                             callback_url=receiver.url)
    case, _token = open311_case_submit(key=key, category=category(), building=world.building_a,
                                       unit=None, description="路灯不亮", ticket_no="LC-1")
    return key, raw, case


def verify(secret: str, received: dict) -> bool:
    headers = {k.lower(): v for k, v in received["headers"].items()}
    timestamp = headers["x-jiayuan-timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + received["body"],
                                    hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["x-jiayuan-signature"])


def test_callback_url_is_https_or_loopback_http(db):
    key = ApiKey(platform="p", key_hash="x", prefix="jy_x")
    for ok in ("https://12345.luocheng.gov.cn/open311/callback", "http://127.0.0.1:9000/cb",
               "http://localhost/cb", ""):
        key.callback_url = ok
        key.full_clean(exclude=["key_hash", "prefix"])
    for bad in ("http://12345.luocheng.gov.cn/cb", "ftp://127.0.0.1/x", "https://"):
        key.callback_url = bad
        with pytest.raises(ValidationError):
            key.full_clean(exclude=["key_hash", "prefix"])
    assert len(ApiKey(platform="q").callback_secret) >= 40  # every key has a secret


def test_a_step_queues_an_update_and_sends_it_only_after_commit(world, hotline,
                                                               django_capture_on_commit_callbacks):
    key, raw, case = hotline
    assert not CallbackDelivery.objects.exists()  # the registration itself is not sent back
    with override_settings(TASKS=DUMMY_TASKS):
        from django_tasks import task_backends

        backend = task_backends["default"]
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            case_triage(actor=world.worker_a, case_id=case.pk)
        delivery = CallbackDelivery.objects.get()
        assert delivery.status == DeliveryStatus.PENDING and delivery.event_kind == "triage"
        def ours():
            return [r.args for r in backend.results if r.task.name == "deliver_callback"]

        assert ours() == []  # nothing before the commit
        for callback in callbacks:
            callback()
        assert ours() == [[delivery.pk]]


def test_the_update_is_the_georeport_request_signed_with_the_platforms_secret(
        client, world, hotline, receiver):
    key, raw, case = hotline
    case_triage(actor=world.worker_a, case_id=case.pk)
    delivery = CallbackDelivery.objects.get()
    done = services.callback_deliver(delivery_id=delivery.pk)
    assert done.status == DeliveryStatus.DELIVERED and done.attempts == 1
    assert done.response_status == 200 and done.delivered_at
    [got] = receiver.received
    assert got["path"] == "/jiayuan/updates"
    headers = {k.lower(): v for k, v in got["headers"].items()}
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert headers["x-jiayuan-event"] == "triage"
    assert headers["x-jiayuan-delivery"] == str(delivery.pk)
    assert verify(key.callback_secret, got)
    assert not verify("another secret", got)
    polled = client.get(f"/open311/v2/requests/{case.pk}.json", {"api_key": raw})
    [sent], [read] = json.loads(got["body"]), json.loads(polled.content)
    step = sent.pop("update")
    assert sent.pop("update_id") == step["update_id"] == str(delivery.event_id)
    assert sent.pop("updated_datetime") == step["updated_datetime"]
    read.pop("updated_datetime")
    assert sent == read  # the request as it stood after the step
    assert sent["status"] == "open"
    # A second try of a delivered update sends nothing.
    assert services.callback_deliver(delivery_id=delivery.pk) is None
    assert len(receiver.received) == 1


def test_every_public_step_goes_out_internal_ones_do_not(world, hotline, receiver):
    key, raw, case = hotline
    case_triage(actor=world.worker_a, case_id=case.pk)
    case_dispatch(actor=world.worker_a, case_id=case.pk, department=world.department)
    case_accept(actor=world.handler, case_id=case.pk)
    kinds = list(CallbackDelivery.objects.order_by("pk").values_list("event_kind", flat=True))
    assert kinds == ["triage", "dispatch", "accept"]
    assert services.callbacks_send_due() == 3
    assert [json.loads(r["body"])[0]["status_notes"].split("：")[0] for r in receiver.received] \
        == [str(Status.TRIAGED.label), str(Status.DISPATCHED.label),
            str(Status.IN_PROGRESS.label)]  # each step its own body, in order
    ids = [json.loads(r["body"])[0]["update_id"] for r in receiver.received]
    assert ids == [str(i) for i in CallbackDelivery.objects.order_by("pk")
                   .values_list("event_id", flat=True)]


def test_cases_from_elsewhere_and_platforms_without_callback_send_nothing(world, receiver):
    quiet, _ = api_key_issue(actor=world.admin, platform="110")
    case, _t = open311_case_submit(key=quiet, category=category(), building=world.building_a,
                                   unit=None, description="噪音")
    case_triage(actor=world.worker_a, case_id=case.pk)
    from community.tests.factories import case_in

    case_in(world, Status.TRIAGED)
    assert not CallbackDelivery.objects.exists()


def test_a_rolled_back_step_leaves_nothing_to_send(world, hotline):
    key, raw, case = hotline
    with pytest.raises(RuntimeError), transaction.atomic():
        case_triage(actor=world.worker_a, case_id=case.pk)
        raise RuntimeError
    assert not CallbackDelivery.objects.exists()


def test_failures_are_retried_with_backoff_then_given_up(world, hotline, receiver):
    key, raw, case = hotline
    receiver.answers = [500]
    case_triage(actor=world.worker_a, case_id=case.pk)
    delivery = CallbackDelivery.objects.get()
    start = timezone.now()
    first = services.callback_deliver(delivery_id=delivery.pk, now=start)
    assert first.status == DeliveryStatus.PENDING and first.attempts == 1
    assert first.last_error == "HTTP 500" and first.response_status == 500
    assert first.next_attempt_at == start + timedelta(seconds=30)
    # Not due yet: the periodic job leaves it.
    assert services.callbacks_send_due(now=start + timedelta(seconds=29)) == 0
    now = start
    for n, wait in enumerate(services.CALLBACK_BACKOFF, start=2):
        now = now + wait
        assert services.callbacks_send_due(now=now) == 1
        delivery.refresh_from_db()
        assert delivery.attempts == n
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.next_attempt_at is None
    # Every wait of the schedule was used, the 12 h one too: as documented.
    assert len(receiver.received) == len(services.CALLBACK_BACKOFF) + 1
    assert now - start == sum(services.CALLBACK_BACKOFF, timedelta())
    assert now - start > timedelta(hours=22)
    assert services.callbacks_send_due(now=now + timedelta(days=2)) == 0
    # Given up: the admin can send it again, from the first try, with an audit row.
    receiver.answers = [200]
    again = services.callback_resend(actor=world.admin, delivery_id=delivery.pk)
    assert again.status == DeliveryStatus.PENDING and again.attempts == 0
    assert services.callbacks_send_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    from portal.models import AuditEntry
    assert AuditEntry.objects.filter(action="open311.callback_resend").count() == 1


def test_a_platform_that_comes_back_gets_the_update(world, hotline, receiver):
    key, raw, case = hotline
    receiver.answers = [503, 200]
    case_triage(actor=world.worker_a, case_id=case.pk)
    delivery = CallbackDelivery.objects.get()
    start = timezone.now()
    services.callback_deliver(delivery_id=delivery.pk, now=start)
    assert services.callbacks_send_due(now=start + timedelta(seconds=31)) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 2
    assert delivery.last_error == ""


def test_an_unreachable_platform_is_an_error_not_a_crash(world, hotline):
    key, raw, case = hotline
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ApiKey.objects.filter(pk=key.pk).update(callback_url=f"http://127.0.0.1:{port}/x")
    case_triage(actor=world.worker_a, case_id=case.pk)
    delivery = services.callback_deliver(delivery_id=CallbackDelivery.objects.get().pk)
    assert delivery.status == DeliveryStatus.PENDING
    assert "refused" in delivery.last_error.lower() or "error" in delivery.last_error.lower()


def test_a_key_switched_off_drops_its_deliveries(world, hotline, receiver):
    key, raw, case = hotline
    case_triage(actor=world.worker_a, case_id=case.pk)
    ApiKey.objects.filter(pk=key.pk).update(active=False)
    delivery = services.callback_deliver(delivery_id=CallbackDelivery.objects.get().pk)
    assert delivery.status == DeliveryStatus.DROPPED
    assert receiver.received == []


def test_the_periodic_job_is_registered():
    from portal.periodic import REGISTRY, discover

    discover()
    assert any(name.endswith("open311.tasks.retry_callbacks") for name in REGISTRY)


def _admin(client, world):
    world.admin.is_superuser = True
    world.admin.is_staff = True
    world.admin.save(update_fields=["is_superuser", "is_staff"])
    client.force_login(world.admin, backend="django.contrib.auth.backends.ModelBackend")


def test_admin_sets_the_callback_and_reads_deliveries_and_calls_only(client, world, hotline):
    key, raw, case = hotline
    _admin(client, world)
    edit = client.post(f"/admin/open311/keys/edit/{key.pk}/", {
        "platform": key.platform, "contact": "", "active": "on", "rate_per_minute": "60",
        "callback_url": "http://12345.example.cn/cb", "callback_secret": key.callback_secret})
    assert edit.status_code == 200 and "https" in edit.content.decode()  # refused, with why
    edit = client.post(f"/admin/open311/keys/edit/{key.pk}/", {
        "platform": key.platform, "contact": "", "active": "on", "rate_per_minute": "60",
        "callback_url": "https://12345.example.cn/cb", "callback_secret": key.callback_secret})
    assert edit.status_code == 302, edit.content.decode()[:3000]
    key.refresh_from_db()
    assert key.callback_url == "https://12345.example.cn/cb"
    case_triage(actor=world.worker_a, case_id=case.pk)
    delivery = CallbackDelivery.objects.get()
    client.get(f"/open311/v2/requests/{case.pk}.json", {"api_key": raw})
    call = ApiCall.objects.latest("pk")
    assert raw not in call.query and "api_key=" in call.query  # the log never holds the key
    for prefix, pk in (("deliveries", delivery.pk), ("calls", call.pk)):
        assert client.get(f"/admin/open311/{prefix}/").status_code == 200
        assert client.get(f"/admin/open311/{prefix}/inspect/{pk}/").status_code == 200
        # Wagtail refuses by sending the person back to the dashboard.
        for refused in (client.get(f"/admin/open311/{prefix}/new/"),
                        client.get(f"/admin/open311/{prefix}/edit/{pk}/"),
                        client.post(f"/admin/open311/{prefix}/edit/{pk}/", {}),
                        client.post(f"/admin/open311/{prefix}/delete/{pk}/")):
            assert refused.status_code in (302, 403, 404)
            assert refused.status_code != 302 or refused["Location"] == "/admin/"
        listing = client.get(f"/admin/open311/{prefix}/").content.decode()
        assert f"/admin/open311/{prefix}/edit/" not in listing
        assert f"/admin/open311/{prefix}/delete/" not in listing
    assert CallbackDelivery.objects.filter(pk=delivery.pk).exists()
    assert ApiCall.objects.filter(pk=call.pk).exists()


def test_callbacks_carry_no_phone_numbers(world, receiver):
    key, _raw = api_key_issue(actor=world.admin, platform="罗城12345",
                              callback_url=receiver.url)
    case, _token = open311_case_submit(
        key=key, category=category(), building=world.building_a, unit=None,
        description="路灯不亮，联系人手机 +86 138-1234-5678", ticket_no="LC-9")
    case_triage(actor=world.worker_a, case_id=case.pk, note="已回电（0772）5123456")
    assert services.callbacks_send_due() == 1
    body = receiver.received[0]["body"].decode()
    assert "1234-5678" not in body and "5123456" not in body
    [item] = json.loads(body)
    assert item["description"] == "路灯不亮，联系人手机 138****5678"


def test_admin_resends_a_delivery_that_gave_up(client, world, hotline):
    key, raw, case = hotline
    case_triage(actor=world.worker_a, case_id=case.pk)
    delivery = CallbackDelivery.objects.get()
    CallbackDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED,
                                                           attempts=9, next_attempt_at=None)
    _admin(client, world)
    assert client.get(f"/admin/open311/deliveries/resend/{delivery.pk}/").status_code == 405
    response = client.post(f"/admin/open311/deliveries/resend/{delivery.pk}/")
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 0
    # Pending already: refused with a message, nothing changes.
    client.post(f"/admin/open311/deliveries/resend/{delivery.pk}/")
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    # Wagtail's own log has the one resend that happened (the refused one left none).
    from wagtail.models import ModelLogEntry

    [entry] = ModelLogEntry.objects.filter(action="jiayuan.open311.resend")
    assert (entry.object_id, entry.user, entry.message) == (str(delivery.pk), world.admin,
                                                            "已重新排队发送")
    # The inspect page shows times in the community's time zone (+08:00).
    CallbackDelivery.objects.filter(pk=delivery.pk).update(
        created_at=timezone.make_aware(timezone.datetime(2026, 11, 30, 23, 30),
                                       timezone.get_fixed_timezone(0)))
    page = client.get(f"/admin/open311/deliveries/inspect/{delivery.pk}/").content.decode()
    assert "07:30 (+0800)" in page and "23:30" not in page


def test_the_documented_schedule_is_the_one_in_the_code():
    """The total wait before giving up, computed from the code, is what the OpenAPI
    webhook, the README and the code's own docstring say."""
    from pathlib import Path

    from community.open311.openapi import build

    total = sum(services.CALLBACK_BACKOFF, timedelta())
    hours = f"{total.total_seconds() / 3600:.1f} h"
    waits = [int(d.total_seconds()) for d in services.CALLBACK_BACKOFF]
    assert waits == sorted(waits)
    description = build()["webhooks"]["serviceRequestUpdated"]["post"]["description"]
    readme = " ".join(Path(__file__).resolve().parent.parent.joinpath("README.md")
                      .read_text().split())
    last = f"and {waits[-1] // 3600} h"
    for text in (description, readme):
        assert f"about {hours} after the first try" in text
        assert last in text
    assert services.CALLBACK_ATTEMPTS == len(waits) + 1


def _community_admin_of_other(world):
    from buildings.tests import factories as f

    return f.community_admin(f.CommunityFactory(name="别的社区"))


def test_the_resend_button_posts_with_csrf_and_is_for_the_cases_admins(world, hotline):
    from django.test import Client

    from portal.models import AuditEntry

    key, raw, case = hotline
    case_triage(actor=world.worker_a, case_id=case.pk)
    delivery = CallbackDelivery.objects.get()
    CallbackDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED,
                                                           attempts=9, next_attempt_at=None)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.admin, backend="django.contrib.auth.backends.ModelBackend")
    page = browser.get(f"/admin/open311/deliveries/inspect/{delivery.pk}/")
    html = page.content.decode()
    action = f"/admin/open311/deliveries/resend/{delivery.pk}/"
    assert f'action="{action}"' in html and "重新发送" in html
    assert 'name="csrfmiddlewaretoken"' in html
    # Without the form's token: refused.
    assert browser.post(action).status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    # An admin of another community neither sees the button nor may post.
    outsider = Client()
    outsider.force_login(_community_admin_of_other(world),
                         backend="django.contrib.auth.backends.ModelBackend")
    other_page = outsider.get(f"/admin/open311/deliveries/inspect/{delivery.pk}/")
    assert action not in other_page.content.decode()
    refused = outsider.post(action)  # Wagtail refuses by sending the person to the dashboard
    assert refused.status_code == 403 or (refused.status_code == 302
                                          and refused["Location"] == "/admin/")
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    # The case's own admin, with the form's token: queued again, audited.
    token = page.context["csrf_token"]
    response = browser.post(action, {"csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 0
    entry = AuditEntry.objects.get(action="open311.callback_resend")
    assert entry.actor == world.admin and entry.data["was"] == DeliveryStatus.FAILED
    # Pending again: no button.
    html = browser.get(f"/admin/open311/deliveries/inspect/{delivery.pk}/").content.decode()
    assert f'action="{action}"' not in html


def test_admin_lists_show_relative_times_with_the_exact_time_on_hover(client, world, hotline):
    key, raw, case = hotline
    case_triage(actor=world.worker_a, case_id=case.pk)
    delivery = CallbackDelivery.objects.get()
    CallbackDelivery.objects.filter(pk=delivery.pk).update(
        created_at=timezone.now() - timedelta(minutes=3))
    _admin(client, world)
    page = client.get("/admin/open311/deliveries/").content.decode()
    local = timezone.localtime(timezone.now() - timedelta(minutes=3),
                               timezone.get_fixed_timezone(8 * 60))
    assert "3\xa0分钟 之前" in page.replace("3 分钟", "3\xa0分钟")  # relative ...
    assert f'data-w-tooltip-content-value="{local.year}年{local.month}月{local.day}日 ' \
        f'{local:%H:%M}"' in page  # ... the exact time, in +08:00, on hover
    assert "+08:00" in page
    client.get(f"/open311/v2/requests/{case.pk}.json", {"api_key": raw})
    calls = client.get("/admin/open311/calls/").content.decode()
    assert "w-human-readable-date" in calls
