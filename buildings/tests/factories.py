"""Factories for people and places, used by every app's tests."""

import factory
from factory.django import DjangoModelFactory

from buildings.choices import DepartmentKind, Relation, ResidencyState
from buildings.models import (
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
    Residency,
    Unit,
)
from portal.models import User


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    phone = factory.Sequence(lambda n: f"+86137{n:08d}")
    phone_verified = True
    display_name = factory.Sequence(lambda n: f"居民{n}")
    password = factory.PostGenerationMethodCall("set_password", "pass-1234")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CommunityFactory(DjangoModelFactory):
    class Meta:
        model = Community
        django_get_or_create = ("name",)

    name = "测试社区"


def make_grid(*, code: str, name: str = "", parent: Grid | None = None,
              community: Community | None = None) -> Grid:
    community = community or (parent.community if parent else CommunityFactory())
    name = name or f"网格{code}"
    if parent is None:
        return Grid.add_root(community=community, name=name, code=code)
    return parent.add_child(community=community, name=name, code=code)


class BuildingFactory(DjangoModelFactory):
    class Meta:
        model = Building

    community = factory.SubFactory(CommunityFactory)
    grid = factory.LazyAttribute(lambda o: make_grid(code=f"T{Grid.objects.count() + 1}",
                                                     community=o.community))
    number = factory.Sequence(lambda n: n + 1)
    name = factory.LazyAttribute(lambda o: f"{o.number}栋")


class UnitFactory(DjangoModelFactory):
    class Meta:
        model = Unit

    building = factory.SubFactory(BuildingFactory)
    number = factory.Sequence(lambda n: (n % 9) + 1)


class HouseholdFactory(DjangoModelFactory):
    class Meta:
        model = Household

    unit = factory.SubFactory(UnitFactory)
    floor = 5
    number = factory.Sequence(lambda n: f"{500 + n}")
    head_name = factory.Sequence(lambda n: f"户主{n}")
    phone = factory.Sequence(lambda n: f"+86139{n:08d}")


class ResidencyFactory(DjangoModelFactory):
    class Meta:
        model = Residency

    user = factory.SubFactory(UserFactory)
    household = factory.SubFactory(HouseholdFactory)
    state = ResidencyState.VERIFIED
    relation = Relation.HEAD


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"部门{n}")
    kind = DepartmentKind.PROPERTY


def building_head(building: Building, user: User | None = None, **kw) -> User:
    user = user or UserFactory()
    BuildingHead.objects.create(user=user, building=building, **kw)
    return user


def grid_worker(grid: Grid, user: User | None = None) -> User:
    user = user or UserFactory()
    GridWorker.objects.create(user=user, grid=grid)
    return user


def handler(department: Department, user: User | None = None) -> User:
    user = user or UserFactory()
    DepartmentHandler.objects.create(user=user, department=department)
    return user


def liaison(community: Community, user: User | None = None) -> User:
    user = user or UserFactory()
    LiaisonStaff.objects.create(user=user, community=community)
    return user


def community_admin(community: Community, user: User | None = None) -> User:
    user = user or UserFactory()
    CommunityAdmin.objects.create(user=user, community=community)
    return user


def resident_of(household: Household, user: User | None = None) -> User:
    user = user or UserFactory()
    Residency.objects.create(user=user, household=household, state=ResidencyState.VERIFIED)
    return user
