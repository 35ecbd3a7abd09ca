"""Notices' part of a person's data (see ``portal.privacy``): what they read and acknowledged."""

from __future__ import annotations

from portal.privacy import iso

from .models import NoticeAck, NoticeRead


def export(user) -> dict:
    reads = NoticeRead.objects.filter(user=user).select_related("notice").order_by("read_at")
    acks = (NoticeAck.objects.filter(by_user=user)
            .select_related("notice", "household__unit__building").order_by("at"))
    return {
        "notice_reads": [{"notice": r.notice.title, "read_at": iso(r.read_at), "via": r.via}
                         for r in reads],
        "notice_acknowledgements": [{"notice": a.notice.title, "household": a.household.address,
                                     "method": a.method, "at": iso(a.at), "note": a.note}
                                    for a in acks],
    }
