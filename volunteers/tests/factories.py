"""Volunteers and tasks for tests."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from buildings.tests.factories import UserFactory
from volunteers.choices import VolunteerState
from volunteers.models import Task, Volunteer

_count = iter(range(10**6))


def volunteer(*, community, user=None, grid=None, name: str = "", approved: bool = True,
              **kw) -> Volunteer:
    user = user or UserFactory()
    return Volunteer.objects.create(
        user=user, community=community, grid=grid, real_name=name or f"谢{next(_count)}",
        phone=user.phone or "", state=VolunteerState.APPROVED if approved
        else VolunteerState.PENDING, **kw)


def task(*, building, created_by, places: int = 1, start_in: timedelta = timedelta(days=1),
         hours: float = 2, households=(), **kw) -> Task:
    start = timezone.now() + start_in
    t = Task.objects.create(community_id=building.community_id, grid=building.grid,
                            building=building, title=kw.pop("title", "帮忙"),
                            starts_at=start, ends_at=start + timedelta(hours=hours),
                            places=places, created_by=created_by, **kw)
    if households:
        t.households.set(households)
    return t
