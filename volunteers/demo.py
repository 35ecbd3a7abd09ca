"""Demo volunteers: the demo volunteer approved, some tasks, a stocked points supermarket.

Safe to run again: it adds only what is missing.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from buildings.models import Building, Community, Household
from portal.models import User

from .choices import FreeTime, Skill, TaskKind, VolunteerState
from .models import PointsRule, ShopItem, Task, Team, Volunteer

TASKS = [
    # (title, kind, building, unit, flat, days ahead, start hour, hours, places, points, skills)
    ("陪罗奶奶去卫生院复查", TaskKind.ELDERLY, 3, 2, "501", 1, 9, 2, 1, 20, [Skill.ELDERLY]),
    ("3栋楼道杂物清理", TaskKind.CLEANING, 3, None, None, 2, 15, 2, 4, 0, [Skill.CLEANING]),
    ("教老人用手机挂号", TaskKind.GENERAL, 4, None, None, 3, 19, 1, 2, 0, [Skill.PHONE_HELP]),
    ("周末社区广场文艺活动协助", TaskKind.EVENT, 1, None, None, 5, 8, 4, 6, 30, [Skill.EVENT]),
    ("4栋独居老人上门探访", TaskKind.ELDERLY, 4, 1, None, 4, 10, 2, 2, 0,
     [Skill.ELDERLY, Skill.MULAO]),
]
ITEMS = [
    ("食用油 5L", "金龙鱼或同等品牌", 300, 10, 1),
    ("洗衣液 2kg", "", 120, 20, 2),
    ("大米 10斤", "本地新米", 200, 15, 1),
    ("毛巾两条", "", 40, 50, 3),
    ("理发券", "社区理发室免费理发一次", 30, 30, 2),
]


@transaction.atomic
def load(stdout=None) -> None:
    community = Community.objects.filter(name="仫佬家园").first()
    if community is None:
        return
    for name in ("党员先锋队", "青年志愿队"):
        Team.objects.get_or_create(community=community, name=name)
    PointsRule.objects.get_or_create(community=community, kind="",
                                     defaults={"per_hour": 10, "cap_per_task": 60,
                                               "cap_per_month": 400})
    PointsRule.objects.get_or_create(community=community, kind=TaskKind.ELDERLY,
                                     defaults={"per_hour": 15, "per_task": 5,
                                               "cap_per_task": 80, "cap_per_month": 400})

    user = User.objects.filter(phone="+8613800000004").first()
    worker = User.objects.filter(phone="+8613800000003").first()
    admin = User.objects.filter(phone="+8613800000007").first()
    if user is not None and not Volunteer.objects.filter(user=user).exists():
        home = Household.objects.filter(residencies__user=user).select_related(
            "unit__building").first()
        volunteer = Volunteer(
            user=user, community=community, grid=home.unit.building.grid if home else None,
            real_name="谢秀兰", phone=user.phone, state=VolunteerState.APPROVED,
            decided_at=timezone.now(), decided_by=admin,
            team=Team.objects.get(community=community, name="青年志愿队"),
        )
        volunteer.set_skills([Skill.ELDERLY, Skill.PHONE_HELP, Skill.MULAO])
        volunteer.set_free_times([FreeTime.WEEKEND, FreeTime.WEEKDAY_EVENING])
        volunteer.save()

    if worker is not None:
        today = timezone.localtime().replace(minute=0, second=0, microsecond=0)
        for (title, kind, b, unit_no, flat, days, hour, hours, places, points,
             skills) in TASKS:
            if Task.objects.filter(title=title, state="open").exists():
                continue
            building = Building.objects.get(community=community, number=b)
            unit = building.units.filter(number=unit_no).first() if unit_no else None
            start = today.replace(hour=hour) + timedelta(days=days)
            task = Task(community=community, grid=building.grid, building=building, unit=unit,
                        kind=kind, title=title, starts_at=start,
                        ends_at=start + timedelta(hours=hours), places=places, points=points,
                        created_by=worker,
                        description="请按时到场，带上工作证或红马甲。有事联系网格员。")
            task.set_skills(skills)
            task.save()
            if flat and unit:
                task.households.set(unit.households.filter(number=flat))

    for name, description, cost, stock, limit in ITEMS:
        ShopItem.objects.get_or_create(
            community=community, name=name,
            defaults={"description": description, "cost": cost, "stock": stock,
                      "per_person_limit": limit, "collect_note": "每月5日上午 社区服务中心"})
    if stdout:
        stdout.write(f"  volunteers: {Volunteer.objects.count()} volunteers, "
                     f"{Task.objects.filter(state='open').count()} open tasks, "
                     f"{ShopItem.objects.count()} shop items")
