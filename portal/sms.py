"""One way to send an SMS, whatever carries it.

``send_sms`` stores the message first (the outbox is the log), then hands it
to the configured sender after the surrounding transaction commits, so an SMS
is never sent for a change that was rolled back.

Senders:
- ``outbox``: development and the embedded default. Nothing leaves the
  machine; staff read the messages in the admin, and they are printed.
- ``aliyun``: Alibaba Cloud SMS (dysmsapi, RPC signature v1), template based.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .choices import SmsStatus
from .models import SmsMessage

log = logging.getLogger("jiayuan.sms")


class SmsSender:
    name = "base"

    def deliver(self, message: SmsMessage) -> tuple[bool, str]:
        """Send it; return (accepted by the provider, the provider's reply)."""
        raise NotImplementedError


class OutboxSender(SmsSender):
    name = "outbox"

    def deliver(self, message: SmsMessage) -> tuple[bool, str]:
        print(f"[SMS → {message.phone}] {message.text}", flush=True)
        return True, "stored in outbox"


class AliyunSender(SmsSender):
    """Alibaba Cloud SMS. The text is passed as the template's ``content`` parameter."""

    name = "aliyun"

    def __init__(self, config: dict | None = None) -> None:
        self.config = config or settings.SMS_ALIYUN

    def signed_query(self, phone: str, text: str, *, now: datetime | None = None,
                     nonce: str | None = None) -> str:
        params = {
            "AccessKeyId": self.config["ACCESS_KEY_ID"],
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": phone.removeprefix("+86"),
            "RegionId": "cn-hangzhou",
            "SignName": self.config["SIGN_NAME"],
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce or uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": self.config["TEMPLATE_CODE"],
            "TemplateParam": json.dumps({"content": text}, ensure_ascii=False),
            "Timestamp": (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }

        def enc(value: str) -> str:
            return urllib.parse.quote(value, safe="~")

        canonical = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(params.items()))
        to_sign = "GET&%2F&" + enc(canonical)
        key = (self.config["ACCESS_KEY_SECRET"] + "&").encode()
        signature = base64.b64encode(hmac.new(key, to_sign.encode(), hashlib.sha1).digest())
        return f"Signature={enc(signature.decode())}&{canonical}"

    def deliver(self, message: SmsMessage) -> tuple[bool, str]:
        url = self.config["ENDPOINT"] + "?" + self.signed_query(message.phone, message.text)
        try:
            with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
                body = response.read().decode("utf-8", "replace")
        except OSError as exc:
            return False, f"network error: {exc}"
        try:
            ok = json.loads(body).get("Code") == "OK"
        except ValueError:
            ok = False
        return ok, body[:1000]


SENDERS = {"outbox": OutboxSender, "aliyun": AliyunSender}


def get_sender() -> SmsSender:
    return SENDERS[settings.SMS_BACKEND]()


# --- What an SMS may cost ------------------------------------------------------
#
# Every SMS costs money, and a code can be asked for by anyone. Three caps, in
# settings.SMS_LIMITS: messages to one number in an hour and in a day, and all
# messages in an hour (the budget). Counted in the cache with add + incr, so
# two requests at once never both take the last one.


class SmsRefused(Exception):
    """An SMS that a cap refused; ``message`` says so in words a resident reads."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


def _hour() -> int:
    return int(time.time() // 3600)


def _count(key: str, timeout: int) -> int:
    """Add one to ``key`` and return the new count, atomically."""
    if cache.add(key, 1, timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: a new window
        cache.add(key, 0, timeout)
        return cache.incr(key)


def _budget_key(hour: int) -> str:
    return f"sms:budget:{hour}"


def sms_quota_take(phone: str, *, spend: bool = True) -> None:
    """Count one SMS to ``phone``, or raise SmsRefused if a cap is reached.

    A refused attempt still counts against the caps it reached, so hammering
    a number never frees it sooner. ``spend=False`` counts against the
    number's caps but only checks the budget: for an SMS that is answered as
    if sent but never sent (a code for an unregistered number), so that its
    answers match a registered number's without spending the budget.
    """
    limits = settings.SMS_LIMITS
    hour, day = _hour(), timezone.localdate().isoformat()
    if _count(f"sms:number:h:{hour}:{phone}", 3600 + 60) > limits["PER_NUMBER_HOUR"]:
        raise SmsRefused(_("这个号码一小时内收到的短信已达上限，请一小时后再试。"),
                         reason="number_hour")
    if _count(f"sms:number:d:{day}:{phone}", 86400 + 3600) > limits["PER_NUMBER_DAY"]:
        raise SmsRefused(_("这个号码今天收到的短信已达上限，请明天再试。"), reason="number_day")
    if spend:
        over = _count(_budget_key(hour), 3600 + 60) > limits["GLOBAL_PER_HOUR"]
    else:  # would one more go over?
        over = cache.get(_budget_key(hour), 0) >= limits["GLOBAL_PER_HOUR"]
    if over:
        _budget_exceeded(hour)
        raise SmsRefused(_("短信发送量已达本小时上限，请稍后再试，或到社区服务站办理。"),
                         reason="budget")


def sms_budget_status() -> dict:
    """This hour's SMS count against the budget, for the admin dashboard."""
    hour = _hour()
    sent = cache.get(_budget_key(hour), 0)
    budget = settings.SMS_LIMITS["GLOBAL_PER_HOUR"]
    return {"sent": min(sent, budget), "budget": budget, "exceeded": sent > budget,
            "refused": max(sent - budget, 0)}


def _budget_exceeded(hour: int) -> None:
    """Tell the community admins, once an hour, that SMS have stopped.

    After commit (a rolled-back request would take the notifications with
    it); the flag is set only once they are written, so a lost attempt is
    retried by the next refusal.
    """
    flag = f"sms:budget:told:{hour}"
    if cache.get(flag):
        return

    def _tell() -> None:
        if not cache.add(flag, 1, 3600 + 60):
            return
        from .services import notify_admins  # noqa: PLC0415 (cycle: portal.services imports sms)

        log.warning("SMS budget of %s an hour reached; further SMS refused",
                    settings.SMS_LIMITS["GLOBAL_PER_HOUR"])
        notify_admins(
            title=gettext_lazy("短信已达本小时上限，已暂停发送"),
            body=gettext_lazy("本小时已发送的短信达到预算上限，其余短信（含验证码）到下一小时前不会发出。"
                              "如属异常，请检查短信发件箱。"),
            url="/admin/",
        )

    transaction.on_commit(_tell)


def send_sms(*, phone: str, text: str, purpose: str = "",
             strict: bool = False) -> SmsMessage:
    """Store the SMS and deliver it once the transaction commits.

    Guarantees: the outbox row exists whether or not the provider accepts it;
    its status says what happened. Over a cap (``sms_quota_take``) nothing is
    sent: with ``strict`` (a code someone is waiting for) SmsRefused is
    raised for the page to show, and nothing is stored; otherwise (a
    notification, which is in the app anyway) the row is stored as failed,
    with the reason.
    """
    sender = get_sender()
    try:
        sms_quota_take(phone)
    except SmsRefused as refused:
        log.warning("SMS to %s refused (%s), purpose %s", phone[:7], refused.reason, purpose)
        if strict:
            raise
        return SmsMessage.objects.create(
            phone=phone, text=text, purpose=purpose, backend=sender.name,
            status=SmsStatus.FAILED, provider_reply=f"refused: {refused.reason}",
        )
    message = SmsMessage.objects.create(
        phone=phone, text=text, purpose=purpose, backend=sender.name
    )

    def _deliver() -> None:
        try:
            ok, reply = sender.deliver(message)
        except Exception as exc:  # a provider's failure must not break the request
            log.exception("SMS delivery failed")
            ok, reply = False, repr(exc)
        message.status = SmsStatus.SENT if ok else SmsStatus.FAILED
        message.provider_reply = reply
        message.save(update_fields=["status", "provider_reply"])

    transaction.on_commit(_deliver)
    return message
