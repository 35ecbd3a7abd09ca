from buildings.patrols.models import CareFlag, CareFlagKind, Guide


def kind(name: str = "独居老人") -> CareFlagKind:
    return CareFlagKind.objects.get(name=name)


def flag(household, name: str = "独居老人", **kw) -> CareFlag:
    return CareFlag.objects.create(household=household, kind=kind(name), **kw)


def guide(community, user, role: str = "judge"):
    """Make ``user`` a village guide of ``community``; returns the user."""
    Guide.objects.create(user=user, community=community, role=role)
    return user
