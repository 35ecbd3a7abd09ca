"""Who reads a region's figures and a community's cases from above: its region admins."""

import rules

from buildings.access import scope_of


@rules.predicate
def oversees_region(user, region) -> bool:
    return region is not None and region.pk in scope_of(user).oversee_region_ids


@rules.predicate
def oversees_community(user, community) -> bool:
    return community is not None and scope_of(user).oversees(community.pk)


rules.add_perm("county.view_region", oversees_region)
rules.add_perm("county.view_community_cases", oversees_community)
