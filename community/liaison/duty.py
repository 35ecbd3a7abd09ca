"""Duty hours: is the liaison room staffed now, and if not, when next?"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from buildings.models import LiaisonStaff

from .models import DutyHours, StaffDesk


def duty_hours_of(community_id: int) -> list[DutyHours]:
    return list(DutyHours.objects.filter(community_id=community_id))


def in_duty_hours(community_id: int, now: datetime | None = None,
                  hours: list[DutyHours] | None = None) -> bool:
    """True inside a configured period. No periods configured means always staffed."""
    hours = duty_hours_of(community_id) if hours is None else hours
    if not hours:
        return True
    local = timezone.localtime(now or timezone.now())
    t = local.time()
    return any(h.weekday == local.weekday() and h.opens <= t < h.closes for h in hours)


def next_opening(community_id: int, now: datetime | None = None,
                 hours: list[DutyHours] | None = None) -> datetime | None:
    """The start of the next duty period after ``now`` (within a week), or None."""
    hours = duty_hours_of(community_id) if hours is None else hours
    if not hours:
        return None
    local = timezone.localtime(now or timezone.now())
    best = None
    for days in range(0, 8):
        day = (local + timedelta(days=days)).date()
        for h in hours:
            if h.weekday != day.weekday():
                continue
            start = timezone.make_aware(datetime.combine(day, h.opens), local.tzinfo)
            if start > local and (best is None or start < best):
                best = start
        if best is not None:
            return best
    return best


def anyone_on_duty(community_id: int) -> bool:
    staff_ids = LiaisonStaff.objects.filter(community_id=community_id).values("user_id")
    return StaffDesk.objects.filter(staff_id__in=staff_ids, on_duty=True).exists()


def is_on_duty(user) -> bool:
    return StaffDesk.objects.filter(staff=user, on_duty=True).exists()
