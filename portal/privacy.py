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
"""

from __future__ import annotations

import json
import logging
import re
import zipfile
from datetime import datetime, timedelta
from importlib import import_module
from tempfile import SpooledTemporaryFile

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import AuditEntry, Notification, RetentionSettings, SmsMessage, User
from .services import audit
from .sockets import sockets_close

log = logging.getLogger("jiayuan.privacy")

EXPORT_FORMAT = "jiayuan-personal-data/1"
CONFIRM_WORDS = ("注销", "delete")
RETENTION_BATCH = 500


class PrivacyError(Exception):
    """A request about personal data that cannot be done; ``str()`` is for the person."""


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    return value.isoformat()


def _name(field) -> str | None:
    return field.name if field else None


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
        "date_joined": _iso(user.date_joined),
        "last_login": _iso(user.last_login),
    }


def _residencies(user: User) -> list[dict]:
    from buildings.models import Residency

    rows = (Residency.objects.filter(user=user)
            .select_related("household__unit__building").order_by("claimed_at", "pk"))
    return [{
        "household": r.household.address,
        "relation": r.get_relation_display(),
        "name": r.claimant_name,
        "state": r.state,
        "state_label": r.get_state_display(),
        "claimed_at": _iso(r.claimed_at),
        "decided_at": _iso(r.decided_at),
        "reason": r.reason,
    } for r in rows]


def _photo(p) -> dict:
    return {"file": _name(p.image), "medium": _name(p.medium), "thumb": _name(p.thumb),
            "width": p.width, "height": p.height, "uploaded_at": _iso(p.created_at)}


def _cases(user: User) -> list[dict]:
    from django.db.models import Prefetch

    from community.models import Case, CaseEvent

    cases = (Case.objects.filter(reporter=user)
             .select_related("category", "household__unit__building", "place",
                             "building", "unit")
             .prefetch_related("photos",
                               Prefetch("events", queryset=CaseEvent.objects.filter(
                                   internal=False).order_by("at", "pk")))
             .order_by("created_at", "pk"))
    out = []
    for c in cases:
        out.append({
            "id": c.pk,
            "number": c.number,
            "category": c.category.name,
            "status": c.status,
            "status_label": c.get_status_display(),
            "priority": c.priority,
            "channel": c.channel,
            "description": c.description,
            "where": c.where,
            "latitude": str(c.latitude) if c.latitude is not None else None,
            "longitude": str(c.longitude) if c.longitude is not None else None,
            "reporter_name": c.reporter_name,
            "reporter_phone": c.reporter_phone,
            "created_at": _iso(c.created_at),
            "due_at": _iso(c.due_at),
            "resolved_at": _iso(c.resolved_at),
            "closed_at": _iso(c.closed_at),
            "fixed": c.fixed,
            "rating": c.rating,
            "feedback": c.feedback,
            "no_rating": c.no_rating,
            "voice": _name(c.voice),
            "photos": [dict(_photo(p), kind=p.kind) for p in c.photos.all()],
            "events": [{
                "kind": e.kind,
                "label": e.get_kind_display(),
                "at": _iso(e.at),
                "from_status": e.from_status,
                "to_status": e.to_status,
                "note": e.note,
                "by_me": e.actor_id == user.pk,
            } for e in c.events.all()],
        })
    return out


def _case_involvement(user: User) -> dict:
    """Cases of others they joined ("me too") and what they wrote on them."""
    from community.models import CaseEvent, CaseFollower

    followed = CaseFollower.objects.filter(user=user).order_by("created_at", "pk")
    events = (CaseEvent.objects.filter(actor=user, internal=False)
              .exclude(case__reporter=user).order_by("at", "pk"))
    return {
        "followed_cases": [{"case": f.case_id, "since": _iso(f.created_at),
                            "via_merge": f.via_merge} for f in followed],
        "my_entries_on_other_cases": [{"case": e.case_id, "kind": e.kind, "at": _iso(e.at),
                                       "note": e.note} for e in events],
    }


def _disputes(user: User) -> list[dict]:
    from community.models import DisputeParty

    parties = (DisputeParty.objects.filter(user=user).select_related("dispute")
               .order_by("dispute__created_at", "pk"))
    return [{
        "dispute": p.dispute_id,
        "title": p.dispute.title,
        "my_name_as_recorded": p.name,
        "stage": p.dispute.stage,
        "stage_label": p.dispute.get_stage_display(),
        "opened_at": _iso(p.dispute.created_at),
        "mediated_on": _iso(p.dispute.mediated_on),
        "agreement": p.dispute.agreement,
    } for p in parties]


def _conversations(user: User) -> list[dict]:
    from community.liaison.models import Conversation

    conversations = (Conversation.objects.filter(resident=user)
                     .prefetch_related("messages__photos").order_by("created_at", "pk"))
    return [{
        "id": c.pk,
        "status": c.status,
        "created_at": _iso(c.created_at),
        "picked_up_at": _iso(c.picked_up_at),
        "closed_at": _iso(c.closed_at),
        "rating": c.rating,
        "case": c.case_id,
        "messages": [{
            "seq": m.seq,
            "from": m.role,
            "kind": m.kind,
            "body": m.body,
            "at": _iso(m.created_at),
            "voice": _name(m.voice),
            "voice_seconds": m.voice_seconds,
            "photos": [_photo(p) for p in m.photos.all()],
        } for m in c.messages.all()],
    } for c in conversations]


def _volunteer(user: User) -> dict | None:
    from volunteers.models import HoursEntry, PointsEntry, Volunteer

    volunteer = Volunteer.objects.filter(user=user).select_related("team").first()
    if volunteer is None:
        return None
    claims = volunteer.claims.select_related("task").order_by("created_at", "pk")
    hours = HoursEntry.objects.filter(volunteer=volunteer).order_by("created_at", "pk")
    points = PointsEntry.objects.filter(volunteer=volunteer).order_by("created_at", "pk")
    redemptions = volunteer.redemptions.select_related("item").order_by("created_at", "pk")
    return {
        "real_name": volunteer.real_name,
        "phone": volunteer.phone,
        "skills": volunteer.skill_labels,
        "free_times": volunteer.free_time_labels,
        "team": volunteer.team.name if volunteer.team_id else None,
        "state": volunteer.state,
        "hide_from_leaderboard": volunteer.hide_from_leaderboard,
        "applied_at": _iso(volunteer.applied_at),
        "decided_at": _iso(volunteer.decided_at),
        "hours_total": str(volunteer.hours_total),
        "points_balance": volunteer.points_balance,
        "claims": [{
            "task": c.task.title,
            "task_starts_at": _iso(c.task.starts_at),
            "task_ends_at": _iso(c.task.ends_at),
            "state": c.state,
            "claimed_at": _iso(c.created_at),
            "checked_in_at": _iso(c.checked_in_at),
            "checked_out_at": _iso(c.checked_out_at),
            "hours": str(c.hours) if c.hours is not None else None,
            "points": c.points,
        } for c in claims],
        "hours_ledger": [{"at": _iso(e.created_at), "kind": e.kind, "hours": str(e.hours),
                          "reason": e.reason} for e in hours],
        "points_ledger": [{"at": _iso(e.created_at), "kind": e.kind, "points": e.points,
                           "reason": e.reason} for e in points],
        "redemptions": [{"item": r.item.name, "cost": r.cost, "state": r.state,
                         "at": _iso(r.created_at), "collected_at": _iso(r.collected_at)}
                        for r in redemptions],
    }


def _notices(user: User) -> dict:
    from notices.models import NoticeAck, NoticeRead

    reads = NoticeRead.objects.filter(user=user).select_related("notice").order_by("read_at")
    acks = (NoticeAck.objects.filter(by_user=user)
            .select_related("notice", "household__unit__building").order_by("at"))
    return {
        "notice_reads": [{"notice": r.notice.title, "read_at": _iso(r.read_at), "via": r.via}
                         for r in reads],
        "notice_acknowledgements": [{"notice": a.notice.title, "household": a.household.address,
                                     "method": a.method, "at": _iso(a.at), "note": a.note}
                                    for a in acks],
    }


def personal_data(user: User) -> dict:
    """Everything the portal holds about ``user`` (and nobody else), ready for JSON."""
    sms = SmsMessage.objects.filter(phone=user.phone).order_by("created_at", "pk") \
        if user.phone else SmsMessage.objects.none()
    return {
        "format": EXPORT_FORMAT,
        "exported_at": _iso(timezone.now()),
        "about": _(
            "这是仫佬家园保存的关于您本人的全部数据。文件名以 files/ 开头的照片和录音在压缩包里。"
        ),
        "profile": _profile(user),
        "residencies": _residencies(user),
        "cases": _cases(user),
        **_case_involvement(user),
        "disputes": _disputes(user),
        "liaison_conversations": _conversations(user),
        "volunteer": _volunteer(user),
        **_notices(user),
        "notifications": [{
            "title": n.title, "body": n.body, "url": n.url, "kind": n.kind,
            "at": _iso(n.created_at), "read_at": _iso(n.read_at),
        } for n in Notification.objects.filter(recipient=user).order_by("created_at", "pk")],
        "sms": [{"text": s.text, "purpose": s.purpose, "status": s.status,
                 "at": _iso(s.created_at)} for s in sms],
        "activity": [{"action": a.action, "at": _iso(a.at)}
                     for a in AuditEntry.objects.filter(actor=user).order_by("at", "pk")],
    }


def personal_data_json(user: User) -> bytes:
    return json.dumps(personal_data(user), cls=DjangoJSONEncoder, ensure_ascii=False,
                      indent=2).encode("utf-8")


def _file_names(data: dict) -> list[str]:
    """Every stored photo (largest size) and voice note the export refers to."""
    names = []
    for case in data["cases"]:
        names += [p["file"] for p in case["photos"]]
        names.append(case["voice"])
    for conversation in data["liaison_conversations"]:
        for message in conversation["messages"]:
            names += [p["file"] for p in message["photos"]]
            names.append(message["voice"])
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
    from buildings.models import Residency
    from community.liaison.models import Conversation
    from community.models import Case
    from volunteers.models import Claim

    return {
        "residencies": Residency.objects.filter(user=user).count(),
        "cases": Case.objects.filter(reporter=user).count(),
        "conversations": Conversation.objects.filter(resident=user).count(),
        "claims": Claim.objects.filter(volunteer__user=user).count(),
        "notifications": Notification.objects.filter(recipient=user).count(),
    }


def erase_blockers(user: User) -> list[str]:
    """The staff roles that stop ``user`` deleting their account (empty: nothing stops it)."""
    from buildings.models import (
        BuildingHead,
        CommunityAdmin,
        Department,
        DepartmentHandler,
        GridWorker,
        LiaisonStaff,
    )
    from community.liaison.models import DutyRoster, StaffDesk

    roles = []
    if user.is_superuser or user.is_staff:
        roles.append(_("管理后台账号"))
    checks = [
        (BuildingHead.objects.filter(user=user), _("楼栋长")),
        (GridWorker.objects.filter(user=user), _("网格员")),
        (DepartmentHandler.objects.filter(user=user), _("承办人")),
        (LiaisonStaff.objects.filter(user=user), _("连心室值班人员")),
        (CommunityAdmin.objects.filter(user=user), _("社区管理员")),
        (Department.objects.filter(supervisor=user), _("部门负责人")),
    ]
    for qs, label in checks:
        if qs.exists():
            roles.append(label)
    if _("连心室值班人员") not in roles and (
            DutyRoster.objects.filter(staff=user).exists()
            or StaffDesk.objects.filter(staff=user, on_duty=True).exists()):
        roles.append(_("连心室值班人员"))
    return roles


def staff_role_message(roles: list[str]) -> str:
    return _(
        "您目前担任%(roles)s，不能直接注销。请先请社区管理员解除这些职务，再来注销。"
    ) % {"roles": "、".join(roles)}


# --- Writes ----------------------------------------------------------------------


def _remove_files_after_commit(names: list[str]) -> None:
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


def _delete_photos(qs) -> tuple[int, list[str]]:
    files: list[str] = []
    count = 0
    for photo in qs:
        files += _photo_files(photo)
        count += 1
    if count:
        qs.model.objects.filter(pk__in=[p.pk for p in qs]).delete()
    return count, files


def _end_sessions_after_commit(user_pk: int) -> None:
    """Remove every stored session of the person (cache and database), and close their sockets."""

    def end() -> None:
        from django.contrib.sessions.models import Session

        store = import_module(settings.SESSION_ENGINE).SessionStore
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
            try:
                data = session.get_decoded()
            except Exception:
                continue
            if str(data.get("_auth_user_id")) == str(user_pk):
                store(session_key=session.session_key).delete()
        sockets_close(user_pk)

    transaction.on_commit(end)


def account_erase(*, user: User, now: datetime | None = None) -> dict[str, int]:
    """Delete ``user``'s account: anonymise it and remove their personal data.

    See the module docstring for what is removed, ended and kept. Guarantees:
    refused (``PrivacyError``, nothing written) for an account already deleted
    or one that holds a staff role; otherwise one transaction, one audit row
    ``account.erase`` with the counts; files are removed after commit; every
    session of the person ends; the phone number is free for a new sign-up.
    Returns the counts.
    """
    from allauth.account.models import EmailAddress
    from allauth.socialaccount.models import SocialAccount
    from wagtail.users.models import UserProfile

    from buildings.access import forget_scope
    from buildings.choices import ResidencyState
    from buildings.models import Residency
    from community.choices import FINAL_STATES, PhotoKind
    from community.liaison.choices import ConversationStatus, SenderRole
    from community.liaison.models import Conversation, Message, MessagePhoto
    from community.liaison.services import conversation_close
    from community.models import Case, CaseFollower, CasePhoto
    from volunteers.choices import ClaimState, RedemptionState, VolunteerState
    from volunteers.models import Claim, Redemption, Volunteer

    now = now or timezone.now()
    if user.erased_at:
        raise PrivacyError(_("这个账号已经注销了。"))
    roles = erase_blockers(user)
    if roles:
        raise PrivacyError(staff_role_message(roles))

    counts: dict[str, int] = {}
    files: list[str] = []
    # What is written into the records (已注销居民, reasons, redactions) is read by
    # the community's staff later: in the site's language, not the leaver's.
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.erased_at:
            raise PrivacyError(_("这个账号已经注销了。"))
        phone = user.phone

        # Chat: close what is open (the staff stop waiting), then remove what they said.
        for conversation in Conversation.objects.filter(resident=user).exclude(
                status=ConversationStatus.CLOSED):
            conversation_close(conversation=conversation, actor=user)
        own_messages = Message.objects.filter(conversation__resident=user,
                                              role=SenderRole.RESIDENT)
        counts["chat_photos"], more = _delete_photos(
            MessagePhoto.objects.filter(message__in=own_messages))
        files += more
        files += list(own_messages.exclude(voice="").values_list("voice", flat=True))
        counts["chat_messages"] = own_messages.update(
            body=_("（居民已注销，内容已删除）"), voice="", voice_seconds=None, client_key="")

        # Cases: the record stays; what identifies them goes.
        cases = Case.objects.filter(reporter=user)
        files += list(cases.exclude(voice="").values_list("voice", flat=True))
        counts["case_voice"] = cases.exclude(voice="").update(voice="")
        cases.exclude(reporter_name="", reporter_phone="").update(reporter_name="",
                                                                   reporter_phone="")
        counts["case_photos"], more = _delete_photos(
            CasePhoto.objects.filter(case__reporter=user, case__status__in=FINAL_STATES)
            .exclude(kind=PhotoKind.RESULT))
        files += more
        names = _own_names(user)
        counts["case_texts_redacted"] = 0
        for case in cases.only("pk", "description", "feedback"):
            description = redact(case.description, names)
            feedback = redact(case.feedback, names)
            if (description, feedback) != (case.description, case.feedback):
                case.description, case.feedback = description, feedback
                case.save(update_fields=["description", "feedback"])
                counts["case_texts_redacted"] += 1
        counts["cases_kept"] = cases.count()
        counts["follows"] = CaseFollower.objects.filter(user=user).delete()[0]

        # Where they live.
        counts["residencies"] = 0
        for residency in Residency.objects.filter(
                user=user, state__in=[ResidencyState.VERIFIED, ResidencyState.PENDING]):
            residency.state = (ResidencyState.MOVED_OUT
                               if residency.state == ResidencyState.VERIFIED
                               else ResidencyState.REJECTED)
            residency.reason = _("账号已注销")
            residency.decided_at = now
            residency.save(update_fields=["state", "reason", "decided_at"])
            counts["residencies"] += 1
        # The name they gave when claiming a flat goes with the account.
        Residency.objects.filter(user=user).exclude(claimant_name="").update(claimant_name="")

        # Volunteering: the ledgers stay; places on tasks to come are given back.
        volunteer = Volunteer.objects.filter(user=user).first()
        if volunteer is not None:
            counts["claims_withdrawn"] = _withdraw_future_claims(volunteer, user, now,
                                                                 ClaimState, Claim)
            from volunteers.services import redemption_cancel

            for redemption in Redemption.objects.filter(volunteer=volunteer,
                                                        state=RedemptionState.RESERVED):
                redemption_cancel(actor=user, redemption_id=redemption.pk)
            volunteer.real_name = str(_("已注销居民"))
            volunteer.phone = ""
            volunteer.skills = ""
            volunteer.free_times = ""
            volunteer.hide_from_leaderboard = True
            volunteer.team = None
            volunteer.state = VolunteerState.SUSPENDED
            volunteer.reason = _("账号已注销")
            volunteer.save(update_fields=["real_name", "phone", "skills", "free_times",
                                          "hide_from_leaderboard", "team", "state", "reason"])

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
        _remove_files_after_commit(files)
        _end_sessions_after_commit(user.pk)
    forget_scope(user)
    return counts


# A mainland mobile number as people type it: 13712345678, 137 1234 5678, +86-137-1234-5678.
PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2}(?!\d)")


def _own_names(user: User) -> list[str]:
    from volunteers.models import Volunteer

    names = {user.display_name, user.get_full_name(), user.first_name and user.last_name
             and f"{user.last_name}{user.first_name}"}
    names.update(Volunteer.objects.filter(user=user).values_list("real_name", flat=True))
    # Longest first, so a full name goes before the part of it that is also a name.
    return sorted((n.strip() for n in names if n and len(n.strip()) >= 2), key=len, reverse=True)


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


def _withdraw_future_claims(volunteer, user, now, ClaimState, Claim) -> int:
    """Give back places on tasks that have not started; the waiting list moves up."""
    from volunteers.choices import LIVE_STATES
    from volunteers.services import _end_claim, _lock_task, _move_up

    count = 0
    for claim in Claim.objects.filter(volunteer=volunteer, state__in=LIVE_STATES,
                                      task__starts_at__gt=now).order_by("pk"):
        task = _lock_task(claim.task_id)
        claim = Claim.objects.select_for_update().get(pk=claim.pk)
        claim.task = task
        _end_claim(claim, ClaimState.WITHDRAWN)
        audit(actor=user, action="claim.withdraw", target=claim, task=task.pk,
              reason="account.erase")
        _move_up(task, now=now)
        count += 1
    return count


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
    voice notes of their messages. Rows go in batches, each batch in its own
    transaction, files after each commit; records stay. One ``privacy.retention``
    audit row per run with the counts (also when retention is off).
    """
    from community.choices import FINAL_STATES
    from community.liaison.choices import ConversationStatus
    from community.liaison.models import Message, MessagePhoto
    from community.models import Case, CasePhoto

    now = now or timezone.now()
    setting = RetentionSettings.load()
    cutoff = retention_cutoff(now=now)
    counts = {"days": setting.media_days, "case_photos": 0, "case_voice": 0,
              "chat_photos": 0, "chat_voice": 0, "files": 0}
    if cutoff is not None:
        old_cases = Case.objects.filter(status__in=FINAL_STATES, closed_at__lt=cutoff)
        old_messages = Message.objects.filter(
            conversation__status=ConversationStatus.CLOSED, conversation__closed_at__lt=cutoff)
        for key, qs in (("case_photos", CasePhoto.objects.filter(case__in=old_cases)),
                        ("chat_photos", MessagePhoto.objects.filter(message__in=old_messages))):
            while True:
                with transaction.atomic():
                    n, files = _delete_photos(qs.order_by("pk")[:batch])
                    _remove_files_after_commit(files)
                counts[key] += n
                counts["files"] += len(files)
                if n < batch:
                    break
        for key, qs in (("case_voice", old_cases.exclude(voice="")),
                        ("chat_voice", old_messages.exclude(voice=""))):
            while True:
                with transaction.atomic():
                    rows = list(qs.order_by("pk").values_list("pk", "voice")[:batch])
                    qs.model.objects.filter(pk__in=[pk for pk, _v in rows]).update(voice="")
                    _remove_files_after_commit([v for _pk, v in rows])
                counts[key] += len(rows)
                counts["files"] += len(rows)
                if len(rows) < batch:
                    break
    counts["cutoff"] = _iso(cutoff)
    with transaction.atomic():
        audit(actor=None, action="privacy.retention", target=setting, **counts)
    return counts


__all__ = [
    "CONFIRM_WORDS", "PrivacyError", "account_erase", "erase_blockers", "personal_data",
    "personal_data_json", "personal_data_summary", "personal_data_zip", "retention_sweep",
    "staff_role_message",
]
