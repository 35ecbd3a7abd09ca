"""Writes of the Open311 interface: a case from an external platform, keys, the call
log, and the updates that go back out to the platforms' callback URLs."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task_backends
from django_tasks.backends.immediate import ImmediateBackend

from buildings.models import Building, Unit
from community.choices import Channel, EventKind, PhotoKind, Status
from community.models import Case, CaseEvent, CasePhoto, Category
from community.services import (
    case_comment,
    case_give_feedback,
    case_record_followup,
    case_submit,
)
from community.workflow import PlatformActor, WorkflowError
from portal.models import User
from portal.services import audit
from portal.uploads.base import UploadRejected
from portal.uploads.photos import clean_photo

from . import selectors
from .media import MediaRefused, fetch_media
from .models import (
    ApiCall,
    ApiKey,
    CallbackDelivery,
    DeliveryStatus,
    MediaStatus,
    PlatformUpdate,
    RequestToken,
    callback_url_allowed,
)

log = logging.getLogger("jiayuan.open311")


class RequestRejected(Exception):
    """A request the platform must correct; ``status`` is the HTTP code to answer with."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def api_key_issue(*, actor: User | None, platform: str,
                  **fields: str | int) -> tuple[ApiKey, str]:
    """Create a key for ``platform``; return it and its secret (shown once, never stored).

    Guarantees: one transaction; an audit row.
    """
    if fields.get("callback_url"):
        callback_url_allowed(str(fields["callback_url"]))
    with transaction.atomic():
        key = ApiKey(platform=platform, **fields)
        raw = key.issue()
        key.save()
        audit(actor=actor, action="open311.key_issue", target=key, platform=platform)
    return key, raw


def api_call_log(*, key: ApiKey | None, method: str, path: str, query: str, status: int,
                 error: str = "", ip: str | None = None, duration_ms: int = 0,
                 case_id: int | None = None) -> ApiCall:
    """Append one row to the call log (and note when the key was last used)."""
    call = ApiCall.objects.create(
        key=key, platform=key.platform if key else "", method=method[:8], path=path[:200],
        query=query[:500], status=status, error=error[:200], ip=ip, duration_ms=duration_ms,
        case_id=case_id,
    )
    if key is not None:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=call.at)
    return call


def open311_case_submit(*, key: ApiKey, category: Category,
                        location: selectors.Location | None = None,
                        building: Building | None = None, unit: Unit | None = None,
                        description: str, first_name: str = "",
                        last_name: str = "", phone: str = "",
                        lat: Decimal | None = None, lon: Decimal | None = None,
                        address_string: str = "", media_url: str = "", email: str = "",
                        ticket_no: str = "") -> tuple[Case, RequestToken]:
    """A case from an external platform, registered through ``case_submit``.

    It comes in on the hotline channel, marked with the platform and its own
    ticket number, and from here follows the same seven steps as any case.
    The same platform ticket number sent twice gives the same case. A location
    that matched no building or place gives a case without one (待定位) on the top
    grid of the community it points to, for that grid's worker to place.
    What the platform sends besides (``email``, ``media_url``, ``address_string``)
    is kept as it came on the request's record; the photo at ``media_url`` is
    fetched after the commit by a task (``platform_media_fetch``).
    Guarantees (with case_submit's): one transaction; the record with the case.
    """
    name = (last_name + first_name).strip() or (first_name + " " + last_name).strip()
    media_url = media_url.strip()
    if location is None:  # a building (and unit) given directly
        location = selectors.Location(community=building.community if building else None,
                                      building=building, unit=unit)
    unplaced_grid = None
    if not location.placed:
        unplaced_grid = selectors.top_grid(location.community)
        if unplaced_grid is None:
            raise WorkflowError(_("还没有任何网格，无法登记。"))
    with transaction.atomic():
        case = case_submit(
            reporter=None, category=category, description=description.strip(),
            place=location.place, building=location.building, unit=location.unit,
            unplaced_grid=unplaced_grid, channel=Channel.HOTLINE,
            client_key=f"open311:{key.platform}:{ticket_no}" if ticket_no else None,
            position=(lat, lon) if lat is not None and lon is not None else None,
            reporter_name=name, reporter_phone=phone, source_platform=key.platform,
            external_id=ticket_no,
        )
        token = RequestToken.objects.filter(case=case).first()
        if token is None:
            token = RequestToken.objects.create(
                key=key, case=case, created_at=timezone.now(), email=email.strip(),
                address_string=address_string.strip()[:200], media_url=media_url,
                media_status=MediaStatus.PENDING if media_url else MediaStatus.NONE)
            if media_url:
                token_id = token.pk
                transaction.on_commit(lambda: _fetch_soon(token_id))
    return case, token


def _fetch_soon(token_id: int) -> None:
    from .tasks import fetch_platform_media  # noqa: PLC0415 (cycle: .tasks imports these services)

    fetch_platform_media.enqueue(token_id)


def platform_media_fetch(*, token_id: int) -> RequestToken:
    """Fetch the photo a platform pointed to and attach it to the case.

    The download (``media.fetch_media``: allowed hosts, no private addresses,
    size and time limits) and the photo checks (``clean_photo``: re-encoded, no
    EXIF) run outside any transaction; a failure is recorded on the request's
    record for the staff, never raised. Guarantees: the photo, the record's
    outcome and an audit row in one transaction; a record that is no longer
    pending is left as it is.
    """

    token = RequestToken.objects.select_related("key").get(pk=token_id)
    if token.media_status != MediaStatus.PENDING:
        return token
    photo, error = None, ""
    try:
        data = fetch_media(token.media_url,
                           allowed_hosts=token.key.media_host_list() if token.key else [])
        photo = clean_photo(io.BytesIO(data))
    except MediaRefused as exc:
        error = str(exc)
    except UploadRejected as exc:
        error = _("下载的文件不是可用的照片：%(e)s") % {"e": exc}
    with transaction.atomic():
        token = RequestToken.objects.select_for_update().get(pk=token_id)
        if token.media_status != MediaStatus.PENDING:
            return token
        if photo is not None:
            row = CasePhoto(case_id=token.case_id, kind=PhotoKind.REPORT)
            row.set_clean(photo)
            row.save()
            token.media_status, token.media_error = MediaStatus.ATTACHED, ""
        else:
            token.media_status, token.media_error = MediaStatus.FAILED, error[:300]
        token.save(update_fields=["media_status", "media_error"])
        audit(actor=None, action="open311.media_fetch", target=token, case=token.case_id,
              status=token.media_status, error=token.media_error)
    return token


# --- Updates come back in: the platform's follow-up, confirmation, rating, notes --

CONFIRM_STATUSES = {"closed", "fixed", "confirmed", "resolved"}
REOPEN_STATUSES = {"reopened", "reopen", "not_fixed", "unresolved"}
FOLLOWUP_STATUSES = {"followup", "follow_up", "回访"}


def platform_update_receive(*, key: ApiKey, case_id: int, update_id: str, status: str = "",
                            external_status: str = "", description: str = "",
                            rating: int | None = None, fixed: bool | None = None,
                            name: str = "", media_url: str = "",
                            ) -> tuple[PlatformUpdate, bool]:
    """One update from a platform, made as the same workflow move a resident's would be.

    - ``closed``/``fixed`` (or ``fixed`` true) with a rating: the caller confirms → closed;
    - ``reopened``/``not_fixed`` (or ``fixed`` false): not fixed → back to dispatch;
    - anything else with words: a comment while the case is open, a 回访 (follow-up
      call) once it has a result and the platform says so, or once it is closed.

    The platform speaks for the caller of a case it sent us (``PlatformActor``);
    ``check_move`` refuses what the case's state does not allow (``WorkflowError``).
    Idempotent by (platform, ``update_id``): returns the row and whether it is new.
    Guarantees: one transaction with the case service's audit row and event.
    """
    existing = PlatformUpdate.objects.filter(platform=key.platform, update_id=update_id).first()
    if existing is not None:
        if existing.case_id != case_id:
            raise WorkflowError("update_id 已用于另一件诉求。 update_id was used for another "
                                "service request.")
        return existing, False
    case = selectors.visible_cases(key).filter(pk=case_id).first()
    if case is None:
        raise RequestRejected(404, f"没有这个诉求。 No service request {case_id}.")
    actor = PlatformActor(platform=key.platform)
    state = (status or "").strip().lower()
    external = (external_status or "").strip().lower()
    words = (description or "").strip()
    if media_url:
        words = f"{words}\n图片：{media_url.strip()}".strip()
    if name:
        words = f"{words}（{name.strip()}）" if words else ""
    if fixed is None:
        if state in CONFIRM_STATUSES or external in CONFIRM_STATUSES:
            fixed = True
        elif state in REOPEN_STATUSES or external in REOPEN_STATUSES:
            fixed = False
    try:
        return _platform_update_make(key=key, case=case, actor=actor, update_id=update_id,
                                     fixed=fixed, rating=rating, words=words, state=state,
                                     external=external, external_status=external_status,
                                     status=status), True
    except IntegrityError:  # the same update, sent twice at once: the other call made it
        return PlatformUpdate.objects.get(platform=key.platform, update_id=update_id), False


def _platform_update_make(*, key: ApiKey, case: Case, actor: PlatformActor, update_id: str,
                          fixed: bool | None, rating: int | None, words: str, state: str,
                          external: str, external_status: str, status: str) -> PlatformUpdate:
    with transaction.atomic():
        if fixed is not None:
            case_give_feedback(actor=actor, case_id=case.pk, fixed=fixed, rating=rating,
                               words=words)
        elif case.status == Status.CLOSED or (
                case.status == Status.RESOLVED
                and (state in FOLLOWUP_STATUSES or external in FOLLOWUP_STATUSES)):
            case_record_followup(actor=actor, case_id=case.pk, text=words)
        else:
            case_comment(actor=actor, case_id=case.pk, text=words)
        event = CaseEvent.objects.filter(case_id=case.pk).latest("at", "id")
        row = PlatformUpdate.objects.create(
            platform=key.platform, update_id=update_id, key=key, case_id=case.pk, event=event,
            external_status=(external_status or status)[:40])
    return row


# --- Updates go back out: callbacks to the platforms -----------------------------
#
# A public step of a case that came from a platform writes one CallbackDelivery
# per callback URL of that platform, in the case's own transaction: if the
# process dies after the commit, the row is still there and the periodic job
# sends it. After the commit a django-tasks task posts it, outside any case
# transaction. What is posted is what ``GET requests/{id}.json`` answers at the
# time of the step it was made for (``selectors.request_at_event``, with the
# step's ``update_id``), so five quick steps are five different bodies and a
# retry carries its own step. Deliveries of one case to one URL go one by one,
# in order: a later one waits while an earlier one is pending. See
# ``callback_deliver`` for the signature.

CALLBACK_TIMEOUT = 10
CALLBACK_BACKOFF = [timedelta(seconds=s) for s in
                    (30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600)]
"""How long to wait after the n-th failed attempt: the n-th retry comes
``CALLBACK_BACKOFF[n-1]`` after it, so the last retry comes 12 h after the one
before (about 22.7 h after the first try, as the OpenAPI webhook says); if that
one fails too, give up."""
CALLBACK_ATTEMPTS = len(CALLBACK_BACKOFF) + 1
CALLBACK_LEASE = timedelta(seconds=CALLBACK_TIMEOUT * 3)
"""A claimed delivery is not claimed again (by the task and the periodic job at
once, or after a worker died mid-post) before this has passed."""


def callbacks_for_event(*, event: CaseEvent) -> list[CallbackDelivery]:
    """Queue the case's new state for every platform callback that should hear of it.

    Called (by a signal) inside the transaction that records ``event``; writes
    the outbox rows there and asks for them to be sent after the commit. Internal
    steps and the registration itself (the platform has the answer to its POST)
    are not sent. Guarantees: nothing is posted before the commit, nothing inside
    the case's transaction.
    """
    if event.internal or event.kind == EventKind.SUBMIT:
        return []
    case = event.case
    if not case.source_platform:
        return []
    keys = (ApiKey.objects.filter(platform=case.source_platform, active=True)
            .exclude(callback_url="").order_by("pk"))
    rows, urls = [], set()
    now = timezone.now()
    for key in keys:
        if key.callback_url in urls:  # two keys of one platform, one receiver
            continue
        urls.add(key.callback_url)
        rows.append(CallbackDelivery.objects.create(
            key=key, platform=key.platform, case=case, event_id=event.pk, event_kind=event.kind,
            url=key.callback_url, created_at=now, next_attempt_at=now))
    if rows:
        ids = [row.pk for row in rows]
        transaction.on_commit(lambda: _send_soon(ids))
    return rows


def _send_soon(ids: list[int]) -> None:
    if isinstance(task_backends["default"], ImmediateBackend):
        # Tasks would run right here, in the resident's request: leave it to
        # the periodic job (the ticker thread of ``manage.py serve``).
        return
    from .tasks import deliver_callback  # noqa: PLC0415 (cycle: .tasks imports these services)

    for pk in ids:
        deliver_callback.enqueue(pk)


def callback_signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 over ``"<timestamp>.<body>"`` (what the receiver checks)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a 3xx is an answer, not a success


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    opener = urllib.request.build_opener(_NoRedirects)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with opener.open(request, timeout=CALLBACK_TIMEOUT) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def callback_deliver(*, delivery_id: int, now: datetime | None = None,
                     ) -> CallbackDelivery | None:
    """Post one queued update, if it is due and nobody else is posting it.

    Claims the row with a conditional update (a lease), so the task and the
    periodic job never post the same attempt twice. Records the attempt: its
    HTTP status or error, and either ``delivered`` or the time of the next try
    (``CALLBACK_BACKOFF``), or ``failed`` after the last. A key that was switched
    off, lost its callback or no longer sees the case drops the delivery.
    Returns the row, or None if it was not due.
    """
    now = now or timezone.now()
    row = CallbackDelivery.objects.filter(pk=delivery_id).values("case_id", "url").first()
    if row is None or CallbackDelivery.objects.filter(
            case_id=row["case_id"], url=row["url"], status=DeliveryStatus.PENDING,
            pk__lt=delivery_id).exists():
        return None  # one by one, in order: an earlier step of this case goes first
    claimed = CallbackDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now,
    ).update(next_attempt_at=now + CALLBACK_LEASE, attempts=F("attempts") + 1,
             last_attempt_at=now)
    if not claimed:
        return None
    delivery = CallbackDelivery.objects.select_related("key").get(pk=delivery_id)
    key = delivery.key
    case = None
    if key is not None and key.active and key.callback_url == delivery.url:
        case = selectors.service_requests(key=key, ids=[delivery.case_id]).first()
    if key is None or case is None:  # no key, no case
        delivery.status = DeliveryStatus.DROPPED
        delivery.last_error = "密钥已停用、回调地址已改或无权查看此诉求"
        delivery.save(update_fields=["status", "last_error"])
        return delivery
    event = (CaseEvent.objects.filter(pk=delivery.event_id, case_id=case.pk).first()
             if delivery.event_id is not None else None)
    item = (selectors.request_at_event(case, event) if event is not None
            else selectors.request_as_dict(case))
    body = json.dumps([item], ensure_ascii=False).encode()
    timestamp = str(int(now.timestamp()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Jiayuan-Open311-Callback/1",
        "X-Jiayuan-Delivery": str(delivery.pk),
        "X-Jiayuan-Event": delivery.event_kind,
        "X-Jiayuan-Timestamp": timestamp,
        "X-Jiayuan-Signature": callback_signature(key.callback_secret, timestamp, body),
    }
    status, error = None, ""
    try:
        status = _post(delivery.url, body, headers)
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except (OSError, ValueError) as exc:  # refused, timed out, TLS, bad URL
        error = f"{type(exc).__name__}: {exc}"[:300]
    delivery.response_status = status
    delivery.last_error = error
    delivery.body = body.decode()
    fields = ["response_status", "last_error", "body", "status", "next_attempt_at",
              "delivered_at"]
    if not error:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = timezone.now()
        delivery.next_attempt_at = None
    elif delivery.attempts >= CALLBACK_ATTEMPTS:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        log.warning("open311 callback %s to %s given up: %s", delivery.pk, delivery.url, error)
    else:
        delivery.next_attempt_at = now + CALLBACK_BACKOFF[delivery.attempts - 1]
    delivery.save(update_fields=fields)
    return delivery


def callback_resend(*, actor: User, delivery_id: int) -> CallbackDelivery:
    """Send a delivery that gave up (or was dropped) again, from the first try.

    Guarantees: one transaction with an audit row; posted after the commit (by the
    task, or the periodic job on the embedded default), in its place among the
    case's updates.
    """
    with transaction.atomic():
        delivery = CallbackDelivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.status not in (DeliveryStatus.FAILED, DeliveryStatus.DROPPED):
            raise WorkflowError(_("只有已放弃或不再发送的推送可以重新发送。"))
        before = delivery.status
        delivery.status = DeliveryStatus.PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = timezone.now()
        delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
        audit(actor=actor, action="open311.callback_resend", target=delivery,
              case=delivery.case_id, was=before)
        transaction.on_commit(lambda: _send_soon([delivery.pk]))
    return delivery


def callbacks_send_due(*, now: datetime | None = None, limit: int = 100, budget_seconds: float = 30) -> int:
    """Post every delivery that is due (first tries on the embedded default, and
    every retry), oldest first, for at most ``budget_seconds`` (a platform that
    is down costs a timeout per delivery). Returns how many were attempted."""
    due = list(CallbackDelivery.objects.filter(
        status=DeliveryStatus.PENDING, next_attempt_at__lte=now or timezone.now(),
    ).order_by("pk").values_list("pk", flat=True)[:limit])
    started, attempted = time.monotonic(), 0
    for pk in due:
        if time.monotonic() - started > budget_seconds:
            break
        if callback_deliver(delivery_id=pk, now=now) is not None:
            attempted += 1
    return attempted
