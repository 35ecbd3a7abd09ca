"""The hours and points ledgers: appended to, never edited."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from buildings.access import require
from portal.models import User
from portal.services import audit

from ..choices import (
    EntryKind,
)
from ..models import (
    Claim,
    HoursEntry,
    PointsEntry,
    Volunteer,
)
from .base import VolunteerError, _lock_volunteer

# --- Ledgers ------------------------------------------------------------------


class InsufficientPoints(VolunteerError):
    pass


def _append(*, volunteer: Volunteer, kind: str, reason: str, actor: User | None,
            hours: Decimal | None = None, points: int | None = None,
            claim: Claim | None = None) -> None:
    """Add ledger lines and move the balances with them, in the caller's transaction.

    The caller holds the volunteer row lock. A balance that would go below zero
    raises (and the database's CHECK constraint would refuse it anyway).
    """
    if hours:
        changed = Volunteer.objects.filter(pk=volunteer.pk, hours_total__gte=-hours).update(
            hours_total=F("hours_total") + hours)
        if not changed:
            raise VolunteerError(_("时长不能减到零以下。"))
        HoursEntry.objects.create(volunteer=volunteer, hours=hours, kind=kind, reason=reason,
                                  claim=claim, created_by=actor)
    if points:
        changed = Volunteer.objects.filter(pk=volunteer.pk, points_balance__gte=-points).update(
            points_balance=F("points_balance") + points)
        if not changed:
            raise InsufficientPoints(_("积分不够。"))
        PointsEntry.objects.create(volunteer=volunteer, points=points, kind=kind, reason=reason,
                                   claim=claim, created_by=actor)


def ledger_correct(*, actor: User, volunteer_id: int, reason: str, hours: Decimal | int = 0,
                   points: int = 0) -> None:
    """An admin corrects hours or points: a new entry with a reason, never an edit."""
    reason = (reason or "").strip()
    if not reason:
        raise VolunteerError(_("更正必须写明原因。"))
    hours = Decimal(hours or 0).quantize(Decimal("0.01"))
    if not hours and not points:
        raise VolunteerError(_("请填写要更正的时长或积分。"))
    require(actor, "volunteers.correct_ledger")
    with transaction.atomic():
        volunteer = _lock_volunteer(volunteer_id)
        require(actor, "volunteers.correct_ledger", volunteer)  # an admin of *its* community
        _append(volunteer=volunteer, hours=hours, points=int(points), kind=EntryKind.CORRECTION,
                reason=reason[:200], actor=actor)
        audit(actor=actor, action="ledger.correct", target=volunteer, hours=str(hours),
              points=int(points), reason=reason)
