"""The liaison chat's part of a person's data (see ``portal.privacy``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from portal.privacy import (
    Erasure,
    delete_photos,
    file_name,
    iso,
    photo_entry,
    sweep_photos,
    sweep_voice,
)

from .choices import ConversationStatus, SenderRole
from .models import Conversation, DutyRoster, Message, MessagePhoto, StaffDesk
from .services import conversation_close


def export(user) -> dict:
    conversations = (Conversation.objects.filter(resident=user)
                     .prefetch_related("messages__photos").order_by("created_at", "pk"))
    return {"liaison_conversations": [{
        "id": c.pk,
        "status": c.status,
        "created_at": iso(c.created_at),
        "picked_up_at": iso(c.picked_up_at),
        "closed_at": iso(c.closed_at),
        "rating": c.rating,
        "case": c.case_id,
        "messages": [{
            "seq": m.seq,
            "from": m.role,
            "kind": m.kind,
            "body": m.body,
            "at": iso(m.created_at),
            "voice": file_name(m.voice),
            "voice_seconds": m.voice_seconds,
            "photos": [photo_entry(p) for p in m.photos.all()],
        } for m in c.messages.all()],
    } for c in conversations]}


def export_files(data: dict) -> list[str]:
    names = []
    for conversation in data["liaison_conversations"]:
        for message in conversation["messages"]:
            names += [p["file"] for p in message["photos"]]
            names.append(message["voice"])
    return names


def summary(user) -> dict[str, int]:
    return {"conversations": Conversation.objects.filter(resident=user).count()}


def erase_blockers(user) -> list[str]:
    if (DutyRoster.objects.filter(staff=user).exists()
            or StaffDesk.objects.filter(staff=user, on_duty=True).exists()):
        return [_("连心室值班人员")]
    return []


def erase(erasure: Erasure) -> None:
    """Close what is open (the staff stop waiting), then remove what they said."""
    user, counts = erasure.user, erasure.counts
    for conversation in Conversation.objects.filter(resident=user).exclude(
            status=ConversationStatus.CLOSED):
        conversation_close(conversation=conversation, actor=user)
    own_messages = Message.objects.filter(conversation__resident=user, role=SenderRole.RESIDENT)
    counts["chat_photos"], more = delete_photos(
        MessagePhoto.objects.filter(message__in=own_messages))
    erasure.files += more
    erasure.files += list(own_messages.exclude(voice="").values_list("voice", flat=True))
    counts["chat_messages"] = own_messages.update(
        body=_("（居民已注销，内容已删除）"), voice="", voice_seconds=None, client_key="")


def retention_sweep(*, cutoff, batch: int, counts: dict) -> None:
    """Conversations closed before ``cutoff`` lose the photos and voice notes of their messages."""
    counts["chat_photos"] = counts["chat_voice"] = 0
    if cutoff is None:
        return
    old_messages = Message.objects.filter(
        conversation__status=ConversationStatus.CLOSED, conversation__closed_at__lt=cutoff)
    rows, files = sweep_photos(MessagePhoto.objects.filter(message__in=old_messages),
                               batch=batch)
    counts["chat_photos"] = rows
    counts["chat_voice"] = sweep_voice(old_messages.exclude(voice=""), batch=batch)
    counts["files"] += files + counts["chat_voice"]
