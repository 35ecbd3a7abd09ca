from datetime import datetime, time, timedelta

from django.utils import timezone

from buildings.patrols.models import CareFlag, CareFlagKind, Guide

# As the data migration makes them (transactional tests flush that row away).
DEFAULTS = {"独居老人": (7, 3), "残疾": (14, 7), "低保": (30, 7), "新搬迁": (14, 7),
            "留守儿童": (14, 7)}


def kind(name: str = "独居老人") -> CareFlagKind:
    days, escalate = DEFAULTS.get(name, (30, 7))
    return CareFlagKind.objects.get_or_create(
        name=name, defaults={"visit_days": days, "escalate_days": escalate})[0]


def flag(household, name: str = "独居老人", **kw) -> CareFlag:
    return CareFlag.objects.create(household=household, kind=kind(name), **kw)


def guide(community, user, role: str = "judge"):
    """Make ``user`` a village guide of ``community``; returns the user."""
    Guide.objects.create(user=user, community=community, role=role)
    return user


def _last_month_day(day: int) -> datetime:
    """10:00 on ``day`` of last month, local time."""
    last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=day)
    return timezone.make_aware(datetime.combine(last_month, time(10, 0)))
