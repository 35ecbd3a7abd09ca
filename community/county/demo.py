"""Demo county: 罗城仫佬族自治县 → 东门镇 above the demo community, and its county admin."""

from __future__ import annotations

from django.db import transaction

from buildings.models import Community, Region, RegionAdmin
from buildings.regions import RegionKind
from portal.models import User

from .rollups import refresh


@transaction.atomic
def load(stdout=None) -> None:
    from buildings.demo import COMMUNITY  # noqa: PLC0415  (the demo's own name, kept there)

    community = Community.objects.filter(name=COMMUNITY).first()
    if community is None:
        return
    county, _ = Region.objects.get_or_create(name="罗城仫佬族自治县", parent=None,
                                             defaults={"kind": RegionKind.COUNTY})
    township, _ = Region.objects.get_or_create(name="东门镇", parent=county,
                                               defaults={"kind": RegionKind.TOWNSHIP})
    if community.township_id is None:
        community.township = township
        community.save(update_fields=["township"])
    admin = User.objects.filter(phone="+8613800000009").first()
    if admin is None:
        admin = User(username="demo-0009", phone="+8613800000009", phone_verified=True,
                     display_name="县督查员")
        admin.set_password("jiayuan2026")
        admin.save()
    RegionAdmin.objects.get_or_create(user=admin, region=county)
    transaction.on_commit(refresh)  # the figures, before the periodic job's first round
    if stdout:
        stdout.write("  county: 罗城仫佬族自治县 → 东门镇, county admin 13800000009 / jiayuan2026")
