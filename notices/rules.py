"""Who may do what with notices: the permission predicates, in one place.

Reads are filtered in selectors (``visible_notices``). This module imports no
notices model, so models (the approval task), selectors, services and views
can all use it.
"""

from __future__ import annotations

import rules

from buildings.access import is_building_head, is_community_admin, is_grid_worker, scope_of

from .audience import audience_buildings, draft_building_ids
from .choices import Audience


def may_moderate(user, page) -> bool:
    """An admin, or a grid worker who covers every building the (draft) notice is for."""
    scope = scope_of(user)
    if scope.is_superuser:
        return True
    if scope.is_admin:
        ids = draft_building_ids(page)
        return bool(ids) and ids <= scope.admin_building_ids | scope.grid_building_ids
    if not scope.is_grid_worker or page.audience == Audience.COMMUNITY:
        return False
    ids = draft_building_ids(page)
    return bool(ids) and ids <= scope.grid_building_ids


def responsible_building_ids(user, notice) -> set[int] | None:
    """Audience buildings this person looks after (None: all of them, for admins and authors)."""
    scope = scope_of(user)
    if scope.is_superuser:
        return None
    covered = scope.headed_building_ids | scope.grid_building_ids | scope.admin_building_ids
    audience_ids = set(audience_buildings(notice).filter(pk__in=covered)
                       .values_list("pk", flat=True)) if covered else set()
    if notice.owner_id == user.pk and not audience_ids and notice.audience != Audience.COMMUNITY:
        return None
    return audience_ids


def may_see_receipts(user, notice) -> bool:
    ids = responsible_building_ids(user, notice)
    return ids is None or bool(ids)


def may_edit(user, notice) -> bool:
    """The author (still heading every building it is for), or an admin."""
    scope = scope_of(user)
    if scope.is_superuser:
        return True
    ids = set(notice.audience_buildings.through.objects.filter(
        noticepage_id=notice.pk).values_list("building_id", flat=True))
    if scope.is_admin and notice.audience != Audience.COMMUNITY:
        if notice.audience == Audience.BUILDINGS:
            return bool(ids) and ids <= scope.admin_building_ids
        grid_ids = set(notice.audience_grids.through.objects.filter(
            noticepage_id=notice.pk).values_list("grid_id", flat=True))
        return bool(grid_ids) and grid_ids <= scope.admin_grid_ids
    if scope.is_admin:
        return True
    if notice.owner_id != user.pk or notice.audience != Audience.BUILDINGS:
        return False
    return bool(ids) and ids <= scope.headed_building_ids


@rules.predicate
def _may_see_receipts(user, notice) -> bool:
    return notice is not None and may_see_receipts(user, notice)


@rules.predicate
def _may_edit(user, notice) -> bool:
    return notice is not None and may_edit(user, notice)


rules.add_perm("notices.post", is_building_head | is_community_admin)
rules.add_perm("notices.edit", _may_edit)
rules.add_perm("notices.view_receipts", _may_see_receipts)
rules.add_perm("notices.review", is_grid_worker | is_community_admin)
