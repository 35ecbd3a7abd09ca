"""Demo data for the closed loop: the categories, and a few cases in various states."""

from __future__ import annotations

from django.db import transaction

from buildings.models import Building, Department, PublicPlace
from portal.models import User

from .choices import Channel, Priority, Status
from .models import Case, Category, LoopSettings
from .services import (
    case_accept,
    case_dispatch,
    case_give_feedback,
    case_resolve,
    case_submit,
    case_triage,
)
from .whistle.services import whistle_blow, whistle_report_in

CATEGORIES = [
    # code, name, icon, hint, days (normal, high, urgent), default department
    ("repair", "维修", "repair", "门窗、楼道灯、电梯、管道坏了", (5, 3, 1), "家园物业",
     "Repairs", "Doors, stairwell lights, lifts, pipes"),
    ("water_power", "水电", "water", "停水停电、漏水、电表水表", (3, 2, 1), "罗城供水公司",
     "Water & power", "Outages, leaks, meters"),
    ("hygiene", "环境卫生", "hygiene", "垃圾没清、污水、蚊虫", (3, 2, 1), "家园物业",
     "Cleanliness", "Rubbish, sewage, insects"),
    ("noise", "噪音扰民", "noise", "装修、广场舞、夜间吵闹", (5, 3, 1), "社区警务室",
     "Noise", "Renovation, square dancing, noise at night"),
    ("hazard", "安全隐患", "hazard", "飞线充电、消防通道堵塞、危险物", (2, 1, 1), "家园物业",
     "Safety hazard", "Unsafe charging, blocked fire exits, dangerous things"),
    ("dispute", "邻里纠纷", "dispute", "邻居之间有矛盾", (10, 5, 2), "人民调解室",
     "Neighbour dispute", "A quarrel between neighbours"),
    ("help", "求助", "help", "老人、病人、困难家庭需要帮忙", (3, 2, 1), None,
     "Help needed", "Older people, the sick, families in need"),
    ("question", "咨询建议", "question", "政策咨询、意见建议", (10, 5, 3), None,
     "Question or suggestion", "Questions about policy, ideas"),
]


def _phone(p: str) -> User | None:
    return User.objects.filter(phone="+86" + p).first()


@transaction.atomic
def load(stdout=None) -> None:
    departments = {d.name: d for d in Department.objects.all()}
    for order, (code, name, icon, hint, days, dept, name_en, hint_en) in enumerate(CATEGORIES):
        Category.objects.update_or_create(code=code, defaults={
            "name": name, "icon": icon, "hint": hint, "order": order,
            "name_en": name_en, "hint_en": hint_en,
            "days_normal": days[0], "days_high": days[1], "days_urgent": days[2],
            "default_department": departments.get(dept) if dept else None})
    LoopSettings.load()
    resident, grid, handler, head = (_phone("13800000001"), _phone("13800000003"),
                                     _phone("13800000006"), _phone("13800000002"))
    if not (resident and grid and handler):
        return
    if Case.objects.filter(client_key__startswith="demo-").exists():
        if stdout:
            stdout.write(f"  cases: {Case.objects.count()} (demo cases already there)")
        return

    cat = {c.code: c for c in Category.objects.all()}
    b3 = Building.objects.filter(number=3).first()
    unit = b3.units.filter(number=2).first() if b3 else None
    wuye = departments.get("家园物业")
    # 1. Just reported: waits for the grid worker.
    case_submit(reporter=resident, category=cat["repair"], client_key="demo-1",
                description="2单元5楼楼道灯不亮了，晚上上楼看不见。", unit=unit)
    # 2. Dispatched to the property company, in progress.
    c2 = case_submit(reporter=resident, category=cat["hygiene"], client_key="demo-2",
                     description="楼下垃圾桶三天没人清，味道很大。", building=b3)
    case_triage(actor=grid, case_id=c2.pk, priority=Priority.HIGH)
    case_dispatch(actor=grid, case_id=c2.pk, department=wuye, note="请尽快清运")
    case_accept(actor=handler, case_id=c2.pk)
    # 2b. The same case needs the water company too: the grid worker blows the whistle,
    # the property company (leading) has reported in, the water company not yet.
    water = departments.get("罗城供水公司")
    if wuye and water:
        whistle_blow(actor=grid, case_id=c2.pk, departments=[wuye, water], lead=wuye,
                     note="垃圾桶旁污水管堵了，物业清运、供水公司通管")
        whistle_report_in(actor=handler, case_id=c2.pk, note="潘师傅已到现场，先清运垃圾")
    # 3. Result reported: waits for the resident's rating.
    c3 = case_submit(reporter=resident, category=cat["water_power"], client_key="demo-3",
                     description="卫生间水管滴水。")
    case_triage(actor=grid, case_id=c3.pk)
    case_dispatch(actor=grid, case_id=c3.pk, department=wuye, person=handler)
    case_accept(actor=handler, case_id=c3.pk)
    case_resolve(actor=handler, case_id=c3.pk, text="已更换水管接头，试水不漏了。")
    # 4. Closed with five stars.
    c4 = case_submit(reporter=resident, category=cat["noise"], client_key="demo-4",
                     description="楼上晚上十一点还在装修。", channel=Channel.SELF)
    case_triage(actor=grid, case_id=c4.pk)
    case_dispatch(actor=grid, case_id=c4.pk, department=wuye)
    case_accept(actor=handler, case_id=c4.pk)
    case_resolve(actor=handler, case_id=c4.pk, text="已上门提醒，装修改到白天。")
    case_give_feedback(actor=resident, case_id=c4.pk, fixed=True, rating=5, words="谢谢！")
    # 5. Filed by the building head for a neighbour who phoned.
    place = PublicPlace.objects.filter(name="3栋门前空地").first()
    if head:
        case_submit(reporter=None, category=cat["hazard"], client_key="demo-5",
                    description="门前空地有人飞线充电动车。", place=place, building=b3,
                    channel=Channel.PHONE, on_behalf_by=head, reporter_name="覃大爷")
    if stdout:
        opened = Case.objects.exclude(status__in=[Status.CLOSED]).count()
        stdout.write(f"  cases: {len(CATEGORIES)} categories, {Case.objects.count()} cases "
                     f"({opened} open)")
