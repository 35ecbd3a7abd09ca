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
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction

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


def send_sms(*, phone: str, text: str, purpose: str = "") -> SmsMessage:
    """Store the SMS and deliver it once the transaction commits.

    Guarantees: the outbox row exists whether or not the provider accepts it;
    its status says what happened.
    """
    sender = get_sender()
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
