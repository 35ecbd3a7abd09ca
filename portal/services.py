"""Writes that every app shares: the audit trail and notifications."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Model, Q
from django.utils import timezone, translation
from django.utils.functional import Promise

from .choices import NotificationKind
from .models import AuditEntry, Notification, User
from .sms import send_sms


def audit(*, actor: User | None, action: str, target: Model, **data: object) -> AuditEntry:
    """Record a state change. Call inside the transaction that made it."""
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        content_type=ContentType.objects.get_for_model(target),
        object_id=str(target.pk),
        data=data,
    )


def notify(
    *,
    recipient: User,
    title: str | Promise,
    body: str | Promise = "",
    url: str = "",
    kind: str = NotificationKind.GENERAL,
    sms: bool = False,
    sms_text: str | Promise | None = None,
) -> Notification | None:
    """Tell one person something, in the app and, if asked, by SMS.

    The SMS goes only to a verified phone, and only after the surrounding
    transaction commits (``send_sms`` takes care of that); ``sms_text``, if
    given, is sent instead of title and body. ``title``, ``body`` and ``sms_text``
    may be lazy texts (``gettext_lazy``, ``portal.i18n.later``): they
    are put into words in the recipient's language.
    """
    if recipient.erased_at is not None:
        return None  # a deleted account (portal.privacy): nobody to tell
    # Written in the recipient's language, whoever is acting (see ``portal.i18n``).
    with translation.override(recipient.language or settings.LANGUAGE_CODE):
        title, body = str(title), str(body)
        sms_text = str(sms_text) if sms_text is not None else None
    notification = Notification.objects.create(
        recipient=recipient, kind=kind, title=title, body=body, url=url
    )
    if sms and recipient.phone and recipient.phone_verified:
        # ``sms_text``: a shorter text that says which case and links to it.
        text = f"【仫佬家园】{sms_text or title + (f'：{body}' if body else '')}"
        send_sms(phone=recipient.phone, text=text[:300], purpose=f"notify:{kind}")
    return notification


def notify_many(*, recipients: Iterable[User], title: str | Promise,
                body: str | Promise = "", url: str = "",
                kind: str = NotificationKind.GENERAL, sms: bool = False) -> int:
    """``notify`` for many people in one transaction; returns how many were told."""
    count = 0
    with transaction.atomic():
        for recipient in recipients:
            notify(recipient=recipient, title=title, body=body, url=url, kind=kind, sms=sms)
            count += 1
    return count


def notify_admins(*, title: str | Promise, body: str | Promise = "", url: str = "") -> int:
    """Tell every community admin and superuser something in the app (never by SMS).

    For what the system itself must raise with the people who run it, e.g.
    the SMS budget running out (``portal.sms``). One transaction.
    """

    from buildings.models import CommunityAdmin  # noqa: PLC0415 (layering: the register stands on portal; read at call time)

    admins = User.objects.filter(is_active=True, erased_at__isnull=True).filter(
        Q(is_superuser=True) | Q(pk__in=CommunityAdmin.objects.values("user_id"))
    ).order_by("pk")
    return notify_many(recipients=admins, title=title, body=body, url=url)


def notifications_mark_read(*, user: User, ids: list[int] | None = None) -> int:
    """Mark the person's own notifications read (all, or the given ones)."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


def user_set_preferences(*, user: User, language: str | None = None,
                         large_type: bool | None = None,
                         display_name: str | None = None) -> User:
    fields = []
    if language is not None:
        user.language = language
        fields.append("language")
    if large_type is not None:
        user.large_type = large_type
        fields.append("large_type")
    if display_name is not None:
        user.display_name = display_name.strip()[:40]
        fields.append("display_name")
    if fields:
        with transaction.atomic():
            user.save(update_fields=fields)
            audit(actor=user, action="user.preferences", target=user, fields=fields)
    return user
