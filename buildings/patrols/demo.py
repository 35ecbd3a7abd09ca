"""Demo round: a few flagged households in the demo grid worker's grid, one visit, a guide."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from buildings.demo import COMMUNITY
from buildings.models import Building, Community, Household
from portal.models import User

from .choices import DEFAULT_KINDS, GuideRole
from .models import CareFlag, CareFlagKind, Guide, Visit


@transaction.atomic
def load(stdout=None) -> None:
    community = Community.objects.filter(name=COMMUNITY).first()
    building = Building.objects.filter(community=community, number=3).first()
    if community is None or building is None:
        return
    today = timezone.localdate()
    for order, (name, days, escalate) in enumerate(DEFAULT_KINDS):
        CareFlagKind.objects.get_or_create(name=name, defaults={
            "visit_days": days, "escalate_days": escalate, "order": order})
    kinds = {k.name: k for k in CareFlagKind.objects.all()}
    flats = list(Household.objects.filter(unit__building=building).order_by("pk")[:5])
    for household, name, days_ago in zip(flats, ["独居老人", "残疾", "低保", "新搬迁", "留守儿童"],
                                         [12, 3, 40, 1, 20], strict=False):
        if name in kinds:
            CareFlag.objects.get_or_create(household=household, kind=kinds[name],
                                           defaults={"since": today - timedelta(days=days_ago)})
    worker = User.objects.filter(phone="+8613800000003").first()
    if worker is not None and flats and not Visit.objects.filter(visitor=worker).exists():
        Visit.objects.create(household=flats[1], grid=building.grid, visitor=worker, met="head",
                             condition="good", finding="none", client_key="demo-visit-1",
                             visited_at=timezone.now() - timedelta(days=2))
    guide = User.objects.filter(phone="+8613800000008").first()
    if guide is None:
        guide = User(username="demo-0008", phone="+8613800000008", phone_verified=True,
                     display_name="覃警官")
        guide.set_password("jiayuan2026")
        guide.save()
    Guide.objects.get_or_create(user=guide, community=community,
                                defaults={"role": GuideRole.POLICE})
    if stdout:
        stdout.write(f"  patrols: {CareFlag.objects.count()} care flags, "
                     f"guide 13800000008 / jiayuan2026")
