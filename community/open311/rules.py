"""Who may act on the Open311 records (registered with django-rules, found by its autodiscovery)."""

import rules

from buildings.access import scope_of


@rules.predicate
def administers_the_case_community(user, delivery) -> bool:
    """A superuser, or an admin of the community of the delivery's case."""
    s = scope_of(user)
    if s.is_superuser:
        return True
    return delivery is not None and delivery.case.community_id in s.admin_community_ids


rules.add_perm("open311.resend_callback", administers_the_case_community)
