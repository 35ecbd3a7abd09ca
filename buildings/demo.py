"""Demo register: 仫佬家园 as it could be. Invented names; safe to run again."""

from __future__ import annotations

import random

from django.db import transaction

from portal.models import User

from .choices import DepartmentKind, PlaceKind, Relation, ResidencyState
from .models import (
    Building,
    BuildingHead,
    Community,
    CommunityAdmin,
    Department,
    DepartmentHandler,
    Grid,
    GridWorker,
    Household,
    LiaisonStaff,
    PublicPlace,
    Residency,
    Unit,
)

COMMUNITY = "仫佬家园"
DEMO_PASSWORD = "jiayuan2026"
# (role key, phone, display name, what they are)
DEMO_ACCOUNTS = [
    ("resident", "13800000001", "罗奶奶", "居民 resident (3栋 2单元 501)"),
    ("head", "13800000002", "银楼长", "楼栋长 building head (3栋, 4栋)"),
    ("grid", "13800000003", "韦网格员", "网格员 grid worker (第一网格)"),
    ("volunteer", "13800000004", "谢志愿者", "志愿者 volunteer (5栋 1单元 302)"),
    ("liaison", "13800000005", "吴值班员", "连心室值班 liaison staff"),
    ("handler", "13800000006", "潘师傅", "承办人 department handler (物业)"),
    ("admin", "13800000007", "社区管理员", "社区管理员 community admin (also /admin/)"),
]
SURNAMES = "罗银吴谢韦潘梁覃蒙莫黄卢石廖包"
GIVEN = "秀英丽华建国志明玉兰桂芳春生海燕德胜金凤永福美玲家强"
VILLAGES = ["四把镇", "东门镇", "龙岸镇", "黄金镇", "小长安镇", "兼爱乡", "纳翁乡", "乔善乡"]


def _grid(code: str, name: str, community: Community, parent: Grid | None) -> Grid:
    existing = Grid.objects.filter(code=code).first()
    if existing:
        return existing
    if parent is None:
        return Grid.add_root(community=community, name=name, code=code)
    return parent.add_child(community=community, name=name, code=code)


def _user(phone: str, name: str, *, superuser: bool = False) -> User:
    e164 = "+86" + phone
    user = User.objects.filter(phone=e164).first()
    if user is None:
        user = User(username=f"demo-{phone[-4:]}", phone=e164, phone_verified=True,
                    display_name=name, is_staff=superuser, is_superuser=superuser)
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


@transaction.atomic
def load(stdout=None) -> dict[str, User]:
    rng = random.Random(20261126)
    community, _ = Community.objects.get_or_create(
        name=COMMUNITY, defaults={"address": "广西罗城仫佬族自治县东门镇", "duty_phone": "0778-0000000"}
    )
    top = _grid("G1", "仫佬家园社区网格", community, None)
    level2 = [_grid(f"G1-{i}", f"第{i}片区", community, top) for i in (1, 2, 3)]
    level3 = []
    for i, parent in enumerate(level2, start=1):
        for j in (1, 2):
            level3.append(_grid(f"G1-{i}-{j}", f"第{(i - 1) * 2 + j}网格", community, parent))

    if not Building.objects.filter(community=community).exists():
        for number in range(1, 25):
            grid = level3[(number - 1) // 4]
            Building.objects.create(community=community, grid=grid, number=number,
                                    name=f"{number}栋", floors=7)
        units = [Unit(building=b, number=u)
                 for b in Building.objects.filter(community=community) for u in (1, 2, 3)]
        Unit.objects.bulk_create(units)
        households = []
        for unit in Unit.objects.filter(building__community=community):
            for floor in range(1, 8):
                for flat in (1, 2):
                    name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2))
                    households.append(Household(
                        unit=unit, floor=floor, number=f"{floor}0{flat}", head_name=name,
                        phone="+861390000" + f"{len(households):04d}",
                        members=rng.randint(1, 6), origin_village=rng.choice(VILLAGES),
                    ))
        Household.objects.bulk_create(households, batch_size=500)
        for b in Building.objects.filter(community=community, number__in=[1, 3, 7, 12]):
            PublicPlace.objects.create(community=community, grid=b.grid, building=b,
                                       kind=PlaceKind.OUTDOOR, name=f"{b.label}门前空地")
        PublicPlace.objects.create(community=community, grid=level3[0], kind=PlaceKind.FACILITY,
                                   name="社区广场")
        PublicPlace.objects.create(community=community, grid=level3[2], kind=PlaceKind.ROAD,
                                   name="家园大道")
    departments = {}
    for name, kind in [("家园物业", DepartmentKind.PROPERTY), ("罗城供水公司", DepartmentKind.UTILITY),
                       ("供电所", DepartmentKind.UTILITY), ("社区警务室", DepartmentKind.POLICE),
                       ("人民调解室", DepartmentKind.MEDIATION), ("县住建局", DepartmentKind.BUREAU)]:
        departments[name], _ = Department.objects.get_or_create(
            community=community, name=name, defaults={"kind": kind})

    accounts = {key: _user(phone, name, superuser=(key == "admin"))
                for key, phone, name, _what in DEMO_ACCOUNTS}
    b3 = Building.objects.get(community=community, number=3)
    b4 = Building.objects.get(community=community, number=4)
    b5 = Building.objects.get(community=community, number=5)
    for b in (b3, b4):
        BuildingHead.objects.get_or_create(user=accounts["head"], building=b)
    GridWorker.objects.get_or_create(user=accounts["grid"], grid=b3.grid)
    LiaisonStaff.objects.get_or_create(user=accounts["liaison"], community=community)
    DepartmentHandler.objects.get_or_create(user=accounts["handler"],
                                            department=departments["家园物业"])
    departments["家园物业"].supervisor = accounts["admin"]
    departments["家园物业"].save(update_fields=["supervisor"])
    CommunityAdmin.objects.get_or_create(user=accounts["admin"], community=community)
    for key, household in [
        ("resident", Household.objects.get(unit__building=b3, unit__number=2, number="501")),
        ("head", Household.objects.get(unit__building=b3, unit__number=1, number="101")),
        ("volunteer", Household.objects.get(unit__building=b5, unit__number=1, number="302")),
    ]:
        Residency.objects.get_or_create(
            user=accounts[key], household=household,
            defaults={"state": ResidencyState.VERIFIED, "relation": Relation.HEAD},
        )
    if stdout:
        stdout.write(f"  register: {Building.objects.count()} buildings, "
                     f"{Household.objects.count()} households")
    return accounts
