"""Permissions on cases. The state machine (``workflow``) decides moves; these decide pages."""

import rules

from buildings.access import scope_of

from .workflow import can_see, dispute_roles_for


@rules.predicate
def sees_case(user, case) -> bool:
    return case is not None and can_see(user, case)


@rules.predicate
def works_cases(user) -> bool:
    s = scope_of(user)
    return s.is_grid_worker or s.is_liaison or s.is_handler or s.is_admin


@rules.predicate
def files_for_others(user) -> bool:
    s = scope_of(user)
    return s.is_building_head or s.is_grid_worker or s.is_liaison or s.is_admin


@rules.predicate
def sees_dispute(user, dispute) -> bool:
    """A party, a mediator, a grid worker of its grid or above, an admin (as the page)."""
    return dispute is not None and bool(dispute_roles_for(user, dispute))


@rules.predicate
def places_case(user, case) -> bool:
    """Staff of the case's community (grid worker, liaison staff, admin) may place it."""
    s = scope_of(user)
    return case is not None and (s.is_superuser or case.community_id in s.work_community_ids)


rules.add_perm("community.view_case", sees_case)
rules.add_perm("community.place_case", places_case)
rules.add_perm("community.view_dispute", sees_dispute)
rules.add_perm("community.use_workbench", works_cases)
rules.add_perm("community.file_on_behalf", files_for_others)
