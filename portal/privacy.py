"""A resident's personal data (PIPL): download it, delete the account, and retention.

Three things live here, each with one entry point:

* ``personal_data(user)`` / ``personal_files(user)`` (reads): everything the
  portal holds that is about this person, as JSON-ready data, and the photos
  and voice notes that go with it. Only ``user``'s own rows are read; nothing
  takes an id from outside, so a forged id cannot reach another person's data.

* ``account_erase(user=...)`` (the one write that deletes an account): one
  transaction, one audit row. What it removes and what it keeps:

  removed or blanked
    phone, name, e-mail, password, display name; the WeChat/social accounts
    and e-mail addresses allauth keeps; every signed-in session; the Wagtail
    profile; their notifications and the SMS sent to their phone; the name and
    phone typed on their cases (``reporter_name``/``reporter_phone``); the words,
    photos and voice notes they sent in the liaison chat; their voice notes on
    their cases, and the photos they took of the problem on cases that have
    ended (on a case still being handled the photos stay until it ends, so the
    handler can still see the problem; the retention job removes them later);
    their volunteer name, phone, skills and free times.
  ended
    every residency (verified → moved out, pending → rejected), open chat
    conversations (closed), volunteer places on tasks that have not started
    (given back, the waiting list moves up), points-shop reservations
    (cancelled, stock and points return).
  kept, anonymous
    the account row itself (``is_active`` False, ``erased_at`` set, shown
    everywhere as "已注销居民"), so every case keeps its reporter, every event
    its actor, every ledger entry its volunteer: the community's statistics,
    the case history (events, states, categories, dates, ratings, the problem
    description) and the volunteer ledgers are unchanged. In the description
    and feedback of their cases, phone numbers and the person's own names are
    replaced (``redact``); the events are never edited, so what staff wrote
    in them stays as it was. Mediation records of
    disputes they were a party to are kept as the People's Mediation Law asks.
    The household register (the relocation office's list of flats and their
    registered head and phone) is not the account's data and is not changed.
    Nobody else's rows are touched.

  A person who holds a staff role (building head, grid worker, handler, liaison
  staff, community admin, department supervisor, Wagtail staff) is refused
  with a message saying so: the admin removes the role first.

* ``retention_sweep()`` (the periodic job, see ``portal.tasks``): removes the
  photos (all three sizes) and voice notes of cases that ended, and of chat
  conversations that closed, more than ``RetentionSettings.media_days`` ago,
  rows and files; the case and conversation records stay. One audit row per run.

Files are removed from storage only after the transaction commits, so a
rollback never leaves a row pointing at a deleted file.

Each app keeps its own part in its ``privacy.py`` (found by
``portal.discovery.app_modules("privacy")``, in ``INSTALLED_APPS`` order);
this module only orchestrates: the one transaction, the user row, the audit
row, the files after commit, the zip. An app's ``privacy.py`` may define any of

``export(user) -> dict``
    its keys of the export (``personal_data``);
``export_files(data) -> list[str]``
    the stored files the export refers to (they go into the zip);
``summary(user) -> dict[str, int]``
    counts for the 我的数据 page;
``erase_blockers(user) -> list[str]``
    the roles in that app that stop the person deleting their account;
``own_names(user) -> list[str]``
    names the person is known by there (removed from free text by ``redact``);
``erase(erasure: Erasure) -> None``
    its share of ``account_erase``, inside the transaction: adds to
    ``erasure.counts`` and ``erasure.files``, never commits or deletes files;
``erased(user) -> None``
    what to do once the erasure is done (caches);
``retention_sweep(*, cutoff, batch, counts) -> None``
    its share of the retention job (``cutoff`` None: retention is off, only
    set its counts to 0); each batch in its own transaction.
"""

from __future__ import annotations

import json
import logging
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from tempfile import SpooledTemporaryFile

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from wagtail.users.models import UserProfile

from .discovery import app_modules
from .errors import Refused
from .models import AuditEntry, Notification, RetentionSettings, SmsMessage, User
from .services import audit
from .sockets import sockets_close

log = logging.getLogger("jiayuan.privacy")

EXPORT_FORMAT = "jiayuan-personal-data/1"
CONFIRM_WORDS = ("注销", "delete")
RETENTION_BATCH = 500


class PrivacyError(Refused):
    """A request about personal data that cannot be done; ``str()`` is for the person."""


def _parts(hook: str) -> list:
    """Every app's ``privacy.<hook>``, in INSTALLED_APPS order (this module is portal's own)."""
    return [getattr(m, hook) for m in app_modules("privacy")
            if m.__name__ != __name__ and hasattr(m, hook)]


# --- Helpers the apps' privacy.py use ------------------------------------------------


def iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    return value.isoformat()


def file_name(f) -> str | None:
    return f.name if f else None


def photo_entry(p) -> dict:
    """A stored photo (case or chat) as the export shows it."""
    return {"file": file_name(p.image), "medium": file_name(p.medium),
            "thumb": file_name(p.thumb), "width": p.width, "height": p.height,
            "uploaded_at": iso(p.created_at)}


def remove_files_after_commit(names: list[str]) -> None:
    names = [n for n in names if n]
    if not names:
        return

    def remove() -> None:
        for name in names:
            try:
                default_storage.delete(name)
            except Exception:  # a storage hiccup must not undo what is committed
                log.exception("could not delete %s", name)

    transaction.on_commit(remove)


def _photo_files(photo) -> list[str]:
    return [f.name for f in (photo.image, photo.medium, photo.thumb) if f]


def delete_photos(qs) -> tuple[int, list[str]]:
    """Delete the photo rows of ``qs``; returns how many, and their files (all sizes) to remove."""
    files: list[str] = []
    count = 0
    for photo in qs:
        files += _photo_files(photo)
        count += 1
    if count:
        qs.model.objects.filter(pk__in=[p.pk for p in qs]).delete()
    return count, files


def sweep_photos(qs, *, batch: int) -> tuple[int, int]:
    """Retention: delete the photos of ``qs`` batch by batch, each batch in its own transaction.

    Files go after each commit. Returns (rows, files).
    """
    rows = files = 0
    while True:
        with transaction.atomic():
            n, names = delete_photos(qs.order_by("pk")[:batch])
            remove_files_after_commit(names)
        rows += n
        files += len(names)
        if n < batch:
            return rows, files


def sweep_voice(qs, *, batch: int) -> int:
    """Retention: blank the ``voice`` of ``qs`` batch by batch; files after each commit."""
    count = 0
    while True:
        with transaction.atomic():
            rows = list(qs.order_by("pk").values_list("pk", "voice")[:batch])
            qs.model.objects.filter(pk__in=[pk for pk, _v in rows]).update(voice="")
            remove_files_after_commit([v for _pk, v in rows])
        count += len(rows)
        if len(rows) < batch:
            return count


# A mainland mobile number as people type it: 13712345678, 137 1234 5678, +86-137-1234-5678.
PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2}(?!\d)")


def redact(text: str, names: list[str]) -> str:
    """``text`` without phone numbers and without the person's own names.

    Used on the free text of a deleted person's cases: the problem stays
    readable ("门口漏水"), who they were does not.
    """
    if not text:
        return text
    text = PHONE_IN_TEXT.sub(str(_("［电话已删除］")), text)
    for name in names:
        text = text.replace(name, str(_("已注销居民")))
    return text


@dataclass
class Erasure:
    """What ``account_erase`` hands each app's ``privacy.erase``."""

    user: User
    now: datetime
    names: list[str]
    """The person's own names, longest first, for ``redact``."""
    counts: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    """Stored files to remove once the transaction has committed."""


# --- Reads: the export ---------------------------------------------------------


def _profile(user: User) -> dict:
    return {
        "id": user.pk,
        "username": user.username,
        "phone": user.phone,
        "phone_verified": user.phone_verified,
        "display_name": user.display_name,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "language": user.language,
        "large_type": user.large_type,
        "date_joined": iso(user.date_joined),
        "last_login": iso(user.last_login),
    }


def personal_data(user: User) -> dict:
    """Everything the portal holds about ``user`` (and nobody else), ready for JSON."""
    sms = SmsMessage.objects.filter(phone=user.phone).order_by("created_at", "pk") \
        if user.phone else SmsMessage.objects.none()
    data = {
        "format": EXPORT_FORMAT,
        "exported_at": iso(timezone.now()),
        "about": _(
            "这是仫佬家园保存的关于您本人的全部数据。文件名以 files/ 开头的照片和录音在压缩包里。"
        ),
        "profile": _profile(user),
    }
    for export in _parts("export"):
        data.update(export(user))
    data.update({
        "notifications": [{
            "title": n.title, "body": n.body, "url": n.url, "kind": n.kind,
            "at": iso(n.created_at), "read_at": iso(n.read_at),
        } for n in Notification.objects.filter(recipient=user).order_by("created_at", "pk")],
        "sms": [{"text": s.text, "purpose": s.purpose, "status": s.status,
                 "at": iso(s.created_at)} for s in sms],
        "activity": [{"action": a.action, "at": iso(a.at)}
                     for a in AuditEntry.objects.filter(actor=user).order_by("at", "pk")],
    })
    return data


def personal_data_json(user: User) -> bytes:
    return json.dumps(personal_data(user), cls=DjangoJSONEncoder, ensure_ascii=False,
                      indent=2).encode("utf-8")


def _file_names(data: dict) -> list[str]:
    """Every stored photo (largest size) and voice note the export refers to."""
    names: list[str] = []
    for export_files in _parts("export_files"):
        names += export_files(data)
    return [n for n in names if n]

def readme() -> str:
    """The export's README.txt, in the reader's language."""
    return "\n".join([
        _("仫佬家园 · 我的数据"),
        "",
        "index.html  " + _("用浏览器打开，方便阅读"),
        "data.json   " + _("您的全部数据（可以用记事本打开）"),
        "files/      " + _("您诉求和连心室会话里的照片和录音；data.json 里的文件名对应这里的路径"),
        "",
    ])


def personal_data_zip(user: User):
    """A zip (data.json, README, files/...) as a seekable file, rewound; the caller closes it."""
    data = personal_data(user)
    out = SpooledTemporaryFile(max_size=16 * 1024 * 1024)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("data.json", json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False,
                                           indent=2))
        z.writestr("README.txt", readme())
        z.writestr("index.html", render_to_string("portal/privacy/export.html", {"data": data}))
        for name in dict.fromkeys(_file_names(data)):
            try:
                with default_storage.open(name, "rb") as f:
                    # Photos and recordings are compressed already.
                    z.writestr(f"files/{name}", f.read(), compress_type=zipfile.ZIP_STORED)
            except (FileNotFoundError, OSError):
                log.warning("export: file %s is missing", name)
    out.seek(0)
    return out


def personal_data_summary(user: User) -> dict[str, int]:
    """Counts for the 我的数据 page."""
    counts: dict[str, int] = {}
    for summary in _parts("summary"):
        counts.update(summary(user))
    counts["notifications"] = Notification.objects.filter(recipient=user).count()
    return counts


def erase_blockers(user: User) -> list[str]:
    """The staff roles that stop ``user`` deleting their account (empty: nothing stops it)."""
    roles = []
    if user.is_superuser or user.is_staff:
        roles.append(_("管理后台账号"))
    for blockers in _parts("erase_blockers"):
        roles += [str(r) for r in blockers(user) if str(r) not in roles]
    return roles


def staff_role_message(roles: list[str]) -> str:
    return _(
        "您目前担任%(roles)s，不能直接注销。请先请社区管理员解除这些职务，再来注销。"
    ) % {"roles": "、".join(roles)}


# --- Writes ----------------------------------------------------------------------


def _end_sessions_after_commit(user_pk: int) -> None:
    """Remove every stored session of the person (cache and database), and close their sockets."""

    def end() -> None:
        store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
            try:
                data = session.get_decoded()
            except Exception:
                continue
            if str(data.get("_auth_user_id")) == str(user_pk):
                store(session_key=session.session_key).delete()
        sockets_close(user_pk)

    transaction.on_commit(end)


def _own_names(user: User) -> list[str]:
    names = {user.display_name, user.get_full_name(), user.first_name and user.last_name
             and f"{user.last_name}{user.first_name}"}
    for own_names in _parts("own_names"):
        names.update(own_names(user))
    # Longest first, so a full name goes before the part of it that is also a name.
    return sorted((n.strip() for n in names if n and len(n.strip()) >= 2), key=len, reverse=True)


def account_erase(*, user: User, now: datetime | None = None) -> dict[str, int]:
    """Delete ``user``'s account: anonymise it and remove their personal data.

    See the module docstring for what is removed, ended and kept. Guarantees:
    refused (``PrivacyError``, nothing written) for an account already deleted
    or one that holds a staff role; otherwise one transaction, one audit row
    ``account.erase`` with the counts; files are removed after commit; every
    session of the person ends; the phone number is free for a new sign-up.
    Returns the counts.
    """
    now = now or timezone.now()
    if user.erased_at:
        raise PrivacyError(_("这个账号已经注销了。"))
    roles = erase_blockers(user)
    if roles:
        raise PrivacyError(staff_role_message(roles))

    # What is written into the records (已注销居民, reasons, redactions) is read by
    # the community's staff later: in the site's language, not the leaver's.
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.erased_at:
            raise PrivacyError(_("这个账号已经注销了。"))
        phone = user.phone
        # Names are read before any app blanks the ones it keeps.
        erasure = Erasure(user=user, now=now, names=_own_names(user))
        for erase in _parts("erase"):
            erase(erasure)
        counts, files = erasure.counts, erasure.files

        # What was only for them.
        counts["notifications"] = Notification.objects.filter(recipient=user).delete()[0]
        counts["sms"] = (SmsMessage.objects.filter(phone=phone, created_at__lte=now).delete()[0]
                         if phone else 0)
        EmailAddress.objects.filter(user=user).delete()
        counts["social_accounts"] = SocialAccount.objects.filter(user=user).delete()[0]
        for profile in UserProfile.objects.filter(user=user):
            if profile.avatar:
                files.append(profile.avatar.name)
            profile.delete()

        # The account itself: kept as an anonymous row the records point at.
        user.phone = None
        user.phone_verified = False
        user.username = f"erased-{user.pk}"
        user.first_name = user.last_name = user.email = user.display_name = ""
        user.set_unusable_password()  # also ends every session (its hash changes)
        user.is_active = False
        user.large_type = False
        user.erased_at = now
        user.save(update_fields=["phone", "phone_verified", "username", "first_name",
                                 "last_name", "email", "display_name", "password",
                                 "is_active", "large_type", "erased_at"])
        counts["files"] = len(files)
        audit(actor=user, action="account.erase", target=user, **counts)
        remove_files_after_commit(files)
        _end_sessions_after_commit(user.pk)
    for erased in _parts("erased"):
        erased(user)
    return counts


def retention_cutoff(*, now: datetime | None = None) -> datetime | None:
    """Media of what ended before this moment is removed; None when retention is off."""
    days = RetentionSettings.load().media_days
    if not days:
        return None
    return (now or timezone.now()) - timedelta(days=days)


def retention_sweep(*, now: datetime | None = None, batch: int = RETENTION_BATCH) -> dict:
    """Remove photos and voice notes of cases and chats that ended long enough ago.

    Cases in a final state (closed, declined, merged) whose ``closed_at`` is
    older than ``RetentionSettings.media_days`` lose every photo (all three
    sizes) and their voice note; closed chat conversations lose the photos and
    voice notes of their messages (each app's ``privacy.retention_sweep``).
    Rows go in batches, each batch in its own transaction, files after each
    commit; records stay. One ``privacy.retention`` audit row per run with the
    counts (also when retention is off).
    """
    now = now or timezone.now()
    setting = RetentionSettings.load()
    cutoff = retention_cutoff(now=now)
    counts = {"days": setting.media_days, "files": 0}
    for sweep in _parts("retention_sweep"):
        sweep(cutoff=cutoff, batch=batch, counts=counts)
    counts["cutoff"] = iso(cutoff)
    with transaction.atomic():
        audit(actor=None, action="privacy.retention", target=setting, **counts)
    return counts


__all__ = [
    "CONFIRM_WORDS", "Erasure", "PrivacyError", "account_erase", "delete_photos",
    "erase_blockers", "iso", "personal_data", "personal_data_json", "personal_data_summary",
    "personal_data_zip", "photo_entry", "redact", "remove_files_after_commit",
    "retention_sweep", "staff_role_message", "sweep_photos", "sweep_voice",
]
