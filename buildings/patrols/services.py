"""Every write of the round: care flags, visits, and a finding taken into the loop.

Each function checks access through ``buildings.access``, runs in one
transaction and writes its ``portal.services.audit`` row there. Refusals
raise ``PatrolError`` with a message a grid worker can read; nothing is
written then.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buildings.access import may, scope_of
from buildings.models import CommunityAdmin, Household
from community.choices import Channel
from community.disputes.services import dispute_advance, dispute_open
from community.models import Category
from community.services import case_submit
from portal.choices import NotificationKind
from portal.errors import Refused
from portal.i18n import later
from portal.models import User
from portal.services import audit, notify
from portal.uploads.base import UploadRejected
from portal.uploads.photos import MAX_PHOTOS, CleanPhoto, clean_photo
from portal.uploads.voice import CleanVoice, clean_voice

from .choices import Condition, Finding, Met
from .models import CareFlag, CareFlagKind, OverdueReport, Visit, VisitPhoto
from .rules import guide_community_ids
from .selectors import schedule


class PatrolError(Refused):
    """A refusal with a message to show; ``forbidden`` when it is about access."""


def _require(actor: User, permission: str, obj: Model) -> None:
    if not may(actor, permission, obj):
        raise PatrolError(_("这户不在您负责的范围内。"), forbidden=True)


def care_flags_read(*, actor: User, household: Household) -> list[CareFlag]:
    """The household's care flags, for those who may see them; every read is audited."""
    _require(actor, "patrols.view_care_flags", household)
    flags = list(household.care_flags.select_related("kind").order_by("kind__order", "kind_id"))
    with transaction.atomic():
        audit(actor=actor, action="patrols.care_flags_read", target=household,
              flags=[f.kind_id for f in flags])
    return flags


def care_flags_set(*, actor: User, household: Household,
                   kinds: Iterable[CareFlagKind]) -> list[CareFlag]:
    """Make the household's flags exactly ``kinds``. One transaction, one audit row."""
    _require(actor, "patrols.view_care_flags", household)
    wanted = {k.pk: k for k in kinds}
    with transaction.atomic():
        have = {f.kind_id: f for f in CareFlag.objects.select_for_update()
                .filter(household=household)}
        removed = [kid for kid in have if kid not in wanted]
        added = [kid for kid in wanted if kid not in have]
        CareFlag.objects.filter(household=household, kind_id__in=removed).delete()
        for kid in added:
            CareFlag.objects.create(household=household, kind=wanted[kid], created_by=actor)
        if removed or added:
            audit(actor=actor, action="patrols.care_flags_set", target=household,
                  added=added, removed=removed)
    return list(household.care_flags.select_related("kind"))


def _clean_uploads(photos: Iterable[UploadedFile | CleanPhoto] | None,
                   voice: UploadedFile | CleanVoice | None,
                   ) -> tuple[list[CleanPhoto], CleanVoice | None]:
    photos = list(photos or ())
    if len(photos) > MAX_PHOTOS:
        raise PatrolError(_("最多 %(n)d 张照片。") % {"n": MAX_PHOTOS})
    clean_voice_file = None
    try:
        clean = [p if isinstance(p, CleanPhoto) else clean_photo(p) for p in photos]
        if voice:
            clean_voice_file = voice if isinstance(voice, CleanVoice) else clean_voice(voice)
    except UploadRejected as exc:
        raise PatrolError(exc.message) from None
    return clean, clean_voice_file


def visit_record(*, actor: User, household: Household, met: str, condition: str = "",
                 finding: str = Finding.NONE, note: str = "",
                 photos: Iterable[UploadedFile | CleanPhoto] = (),
                 voice: UploadedFile | CleanVoice | None = None,
                 client_key: uuid.UUID | str | None = None,
                 visited_at: datetime | None = None) -> Visit:
    """Record a visit at the door. Idempotent on (visitor, client_key): a phone that
    sends the same visit twice (offline, a retry) gets the stored one back.

    Guarantees: one transaction; photos and the voice note checked before
    anything is written; an audit row.
    """
    key = str(client_key or "")[:64]
    if key:
        existing = Visit.objects.filter(visitor=actor, client_key=key).first()
        if existing is not None:
            return existing
    _require(actor, "patrols.visit_household", household)
    if met not in Met.values:
        raise PatrolError(_("请选择见到了谁。"))
    if condition and condition not in Condition.values:
        raise PatrolError(_("请选择情况。"))
    if finding not in Finding.values:
        raise PatrolError(_("请选择发现的问题。"))
    note = (note or "").strip()
    if finding != Finding.NONE and not note and not voice and not photos:
        raise PatrolError(_("发现了问题，请说一说或写一写。"))
    clean, voice_file = _clean_uploads(photos, voice)
    building = household.unit.building
    as_guide = (building.grid_id not in _grid_ids(actor)
                and building.community_id in guide_community_ids(actor))
    try:
        with transaction.atomic():
            visit = Visit(household=household, grid_id=building.grid_id, visitor=actor,
                          as_guide=as_guide, visited_at=visited_at or timezone.now(),
                          met=met, condition=condition, finding=finding, note=note[:4000],
                          client_key=key)
            if voice_file is not None:
                visit.voice.save(voice_file.name, voice_file, save=False)  # type: ignore[arg-type]  # a CleanVoice is always named
            visit.save()
            for item in clean:
                photo = VisitPhoto(visit=visit)
                photo.set_clean(item)
                photo.save()
            audit(actor=actor, action="patrols.visit", target=visit, household=household.pk,
                  finding=finding)
    except IntegrityError:
        existing = Visit.objects.filter(visitor=actor, client_key=key).first() if key else None
        if existing is None:
            raise
        return existing
    return visit


def _grid_ids(user: User) -> frozenset[int]:
    return scope_of(user).grid_ids


def _lock_visit(actor: User, visit_id: int) -> Visit:
    visit = (Visit.objects.select_for_update(of=("self",))
             .select_related("household__unit__building").filter(pk=visit_id).first())
    if visit is None or not may(actor, "patrols.visit_household", visit.household):
        raise PatrolError(_("没有这条走访记录。"), forbidden=True)
    if not visit.has_finding:
        raise PatrolError(_("这次走访没有发现问题。"))
    if visit.case_id or visit.dispute_id:
        raise PatrolError(_("这个问题已经转办了。"))
    return visit


def visit_to_case(*, actor: User, visit_id: int, category: Category) -> Visit:
    """A finding becomes a case on the household's behalf (``case_submit`` with the
    household, ``on_behalf_by`` the visitor), linked back to the visit. The case
    carries the finding's words, photos and voice, never the household's flags.
    Tapped twice, the second tap finds the link and returns the visit."""

    with transaction.atomic():
        visit = Visit.objects.select_for_update(of=("self",)).filter(pk=visit_id).first()
        if visit is not None and visit.case_id and visit.visitor_id == actor.pk:
            return visit
        visit = _lock_visit(actor, visit_id)
        household = visit.household
        photos = [p.image for p in visit.photos.all()]
        description = visit.note or str(Finding(visit.finding).label)
        case = case_submit(
            reporter=None, category=category, description=description,
            photos=photos, voice=visit.voice or None, household=household,
            channel=Channel.VISIT,
            on_behalf_by=actor, client_key=f"visit-{visit.pk}",
            reporter_name=household.head_name, reporter_phone=household.phone)
        visit.case = case
        visit.save(update_fields=["case"])
        audit(actor=actor, action="patrols.visit_to_case", target=visit, case=case.pk)
    return visit


def visit_to_dispute(*, actor: User, visit_id: int, title: str) -> Visit:
    """A finding becomes a dispute: the screening (全面排查) is the visit, and the
    problem found (发现问题) is recorded at once. Linked back to the visit."""

    title = (title or "").strip()
    with transaction.atomic():
        visit = _lock_visit(actor, visit_id)
        household = visit.household
        summary = visit.note or str(Finding(visit.finding).label)
        dispute = dispute_open(actor=actor, title=title or summary[:80], summary=summary,
                               building=household.unit.building,
                               party_names=[household.head_name] if household.head_name
                               else [])
        dispute = dispute_advance(actor=actor, dispute_id=dispute.pk, kind="find",
                                  note=_("走访发现：%(note)s") % {"note": summary})
        visit.dispute = dispute
        visit.save(update_fields=["dispute"])
        audit(actor=actor, action="patrols.visit_to_dispute", target=visit, dispute=dispute.pk)
    return visit


def overdue_visits_report(*, today: date | None = None) -> int:
    """Tell the community admins about each flagged household whose visit is overdue
    by more than its flags' ``escalate_days``, once per due date. Returns how many."""

    today = today or timezone.localdate()
    flagged = Household.objects.filter(care_flags__kind__active=True).distinct()
    told = 0
    for due in schedule(flagged, today=today):
        if not due.flagged or due.days_overdue <= due.escalate_days:
            continue
        household = due.household
        community_id = household.unit.building.community_id
        with transaction.atomic():
            report, created = OverdueReport.objects.get_or_create(household=household,
                                                                  due_on=due.due_on)
            if not created:
                continue
            admins = User.objects.filter(pk__in=CommunityAdmin.objects.filter(
                community_id=community_id).values("user_id"), is_active=True)
            for admin in admins:
                notify(recipient=admin, kind=NotificationKind.GENERAL,
                       title=gettext_lazy("重点户走访超期"),
                       body=later(gettext_lazy("%(where)s 已超期 %(n)s 天未走访"),
                                  where=household.address, n=due.days_overdue),
                       url=reverse("patrols:coverage"))
            audit(actor=None, action="patrols.overdue_report", target=report,
                  household=household.pk, days=due.days_overdue)
            told += 1
    return told
