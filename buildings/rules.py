"""Permissions on the household register."""

import rules

from .access import is_community_admin, scope_of


@rules.predicate
def responsible_for_residency(user, residency) -> bool:
    """The head of the residency's building, a grid worker of its grid, or an admin."""
    if residency is None:
        return False
    return scope_of(user).covers_building(residency.household.unit.building_id)


@rules.predicate
def owns_residency(user, residency) -> bool:
    return residency is not None and residency.user_id == user.pk


@rules.predicate
def responsible_for_building(user, building) -> bool:
    return building is not None and scope_of(user).covers_building(building.pk)


@rules.predicate
def heads_building(user, building) -> bool:
    return building is not None and building.pk in scope_of(user).headed_building_ids


@rules.predicate
def responsible_for_household(user, household) -> bool:
    return household is not None and scope_of(user).covers_building(household.unit.building_id)


rules.add_perm("buildings.decide_residency", responsible_for_residency)
rules.add_perm("buildings.view_residency", owns_residency | responsible_for_residency)
rules.add_perm("buildings.withdraw_residency", owns_residency)
rules.add_perm("buildings.act_for_building", responsible_for_building)
rules.add_perm("buildings.head_building", heads_building)
rules.add_perm("buildings.view_household_contact", responsible_for_household)
rules.add_perm("buildings.import_register", is_community_admin)
# Community admins use the Wagtail admin whether or not they were put in the
# "社区管理员" group (which community_admin_grant does): the row decides.
rules.add_perm("wagtailadmin.access_admin", is_community_admin)
