"""A county above the test world's community, for the county's tests and the browser test."""

from buildings.models import Region, RegionAdmin
from buildings.regions import RegionKind
from buildings.tests import factories as f
from portal.models import User


def make_county(world) -> dict:
    """The world's community under township 东门镇 of a county; a second township with its own."""
    c = Region.objects.create(name="测试县", kind=RegionKind.COUNTY)
    east = Region.objects.create(name="东门镇", kind=RegionKind.TOWNSHIP, parent=c)
    west = Region.objects.create(name="四把镇", kind=RegionKind.TOWNSHIP, parent=c)
    world.community.township = east
    world.community.save(update_fields=["township"])
    other = f.CommunityFactory(name="四把社区", township=west)
    grid = f.make_grid(code="X1", name="四把网格", community=other)
    building = f.BuildingFactory(community=other, grid=grid, number=1)
    household = f.HouseholdFactory(unit=f.UnitFactory(building=building, number=1),
                                   number="201", floor=2, phone="13912345678")
    world.household_a.phone = "13800138000"
    world.household_a.save(update_fields=["phone"])

    def admin_of(region, name):
        user = User.objects.create_user(username=name, password="x")
        RegionAdmin.objects.create(user=user, region=region)
        return user

    return {"county": c, "east": east, "west": west, "other": other,
            "other_resident": f.resident_of(household),
            "county_admin": admin_of(c, "county-admin"), "east_admin": admin_of(east, "east-admin")}
