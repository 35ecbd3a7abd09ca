"""Cases' part of a person's data (see ``portal.privacy``): their cases, follows, disputes."""

from __future__ import annotations

from django.db.models import Prefetch

from portal.privacy import (
    Erasure,
    delete_photos,
    file_name,
    iso,
    photo_entry,
    redact,
    sweep_photos,
    sweep_voice,
)

from .choices import FINAL_STATES, PhotoKind
from .models import Case, CaseEvent, CaseFollower, CasePhoto, DisputeParty


def _cases(user) -> list[dict]:
    cases = (Case.objects.filter(reporter=user)
             .select_related("category", "household__unit__building", "place",
                             "building", "unit")
             .prefetch_related("photos",
                               Prefetch("events", queryset=CaseEvent.objects.filter(
                                   internal=False).order_by("at", "pk")))
             .order_by("created_at", "pk"))
    return [{
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
        "created_at": iso(c.created_at),
        "due_at": iso(c.due_at),
        "resolved_at": iso(c.resolved_at),
        "closed_at": iso(c.closed_at),
        "fixed": c.fixed,
        "rating": c.rating,
        "feedback": c.feedback,
        "no_rating": c.no_rating,
        "voice": file_name(c.voice),
        "photos": [dict(photo_entry(p), kind=p.kind) for p in c.photos.all()],
        "events": [{
            "kind": e.kind,
            "label": e.get_kind_display(),
            "at": iso(e.at),
            "from_status": e.from_status,
            "to_status": e.to_status,
            "note": e.note,
            "by_me": e.actor_id == user.pk,
        } for e in c.events.all()],
    } for c in cases]


def _case_involvement(user) -> dict:
    """Cases of others they joined ("me too") and what they wrote on them."""
    followed = CaseFollower.objects.filter(user=user).order_by("created_at", "pk")
    events = (CaseEvent.objects.filter(actor=user, internal=False)
              .exclude(case__reporter=user).order_by("at", "pk"))
    return {
        "followed_cases": [{"case": f.case_id, "since": iso(f.created_at),
                            "via_merge": f.via_merge} for f in followed],
        "my_entries_on_other_cases": [{"case": e.case_id, "kind": e.kind, "at": iso(e.at),
                                       "note": e.note} for e in events],
    }


def _disputes(user) -> list[dict]:
    parties = (DisputeParty.objects.filter(user=user).select_related("dispute")
               .order_by("dispute__created_at", "pk"))
    return [{
        "dispute": p.dispute_id,
        "title": p.dispute.title,
        "my_name_as_recorded": p.name,
        "stage": p.dispute.stage,
        "stage_label": p.dispute.get_stage_display(),
        "opened_at": iso(p.dispute.created_at),
        "mediated_on": iso(p.dispute.mediated_on),
        "agreement": p.dispute.agreement,
    } for p in parties]


def export(user) -> dict:
    return {"cases": _cases(user), **_case_involvement(user), "disputes": _disputes(user)}


def export_files(data: dict) -> list[str]:
    names = []
    for case in data["cases"]:
        names += [p["file"] for p in case["photos"]]
        names.append(case["voice"])
    return names


def summary(user) -> dict[str, int]:
    return {"cases": Case.objects.filter(reporter=user).count()}


def erase(erasure: Erasure) -> None:
    """The case records stay; what identifies the person goes.

    Their voice notes, the name and phone typed on the case, the photos they
    took on cases that have ended (on a case still being handled the photos
    stay for the handler), their phone and names in the free text, their follows.
    """
    user, counts = erasure.user, erasure.counts
    cases = Case.objects.filter(reporter=user)
    erasure.files += list(cases.exclude(voice="").values_list("voice", flat=True))
    counts["case_voice"] = cases.exclude(voice="").update(voice="")
    cases.exclude(reporter_name="", reporter_phone="").update(reporter_name="",
                                                               reporter_phone="")
    counts["case_photos"], more = delete_photos(
        CasePhoto.objects.filter(case__reporter=user, case__status__in=FINAL_STATES)
        .exclude(kind=PhotoKind.RESULT))
    erasure.files += more
    counts["case_texts_redacted"] = 0
    for case in cases.only("pk", "description", "feedback"):
        description = redact(case.description, erasure.names)
        feedback = redact(case.feedback, erasure.names)
        if (description, feedback) != (case.description, case.feedback):
            case.description, case.feedback = description, feedback
            case.save(update_fields=["description", "feedback"])
            counts["case_texts_redacted"] += 1
    counts["cases_kept"] = cases.count()
    counts["follows"] = CaseFollower.objects.filter(user=user).delete()[0]


def retention_sweep(*, cutoff, batch: int, counts: dict) -> None:
    """Cases that ended before ``cutoff`` lose every photo and their voice note."""
    counts["case_photos"] = counts["case_voice"] = 0
    if cutoff is None:
        return
    old_cases = Case.objects.filter(status__in=FINAL_STATES, closed_at__lt=cutoff)
    rows, files = sweep_photos(CasePhoto.objects.filter(case__in=old_cases), batch=batch)
    counts["case_photos"] = rows
    counts["case_voice"] = sweep_voice(old_cases.exclude(voice=""), batch=batch)
    counts["files"] += files + counts["case_voice"]
