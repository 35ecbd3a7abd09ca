"""Who may do what with notices. Reads are filtered in selectors (``visible_notices``)."""

import rules

from buildings.access import is_building_head, is_community_admin, is_grid_worker


@rules.predicate
def may_see_receipts(user, notice) -> bool:
    from .selectors import may_see_receipts as check

    return notice is not None and check(user, notice)


@rules.predicate
def may_edit(user, notice) -> bool:
    from .services import may_edit as check

    return notice is not None and check(user, notice)


rules.add_perm("notices.post", is_building_head | is_community_admin)
rules.add_perm("notices.edit", may_edit)
rules.add_perm("notices.view_receipts", may_see_receipts)
rules.add_perm("notices.review", is_grid_worker | is_community_admin)
