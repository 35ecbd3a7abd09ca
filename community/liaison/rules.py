"""Who may read and act on a liaison-room conversation.

Reading: the conversation's resident, the staff member answering it,
supervisors (the community's admins), and, while it waits to be picked up,
the liaison staff of its community who are on duty. The socket consumer asks
the same questions as the pages.
"""

import rules

from buildings.access import is_community_admin, is_liaison, scope_of

from .choices import ConversationStatus
from .duty import is_on_duty


def _on_duty(user) -> bool:
    cached = getattr(user, "_liaison_on_duty", None)
    if cached is None:
        cached = is_on_duty(user)
        user._liaison_on_duty = cached
    return cached


@rules.predicate
def is_conversation_resident(user, conversation) -> bool:
    return conversation is not None and conversation.resident_id == user.pk


@rules.predicate
def is_assignee(user, conversation) -> bool:
    return conversation is not None and conversation.assignee_id == user.pk


@rules.predicate
def supervises_conversation(user, conversation) -> bool:
    if conversation is None:
        return False
    scope = scope_of(user)
    return scope.is_superuser or conversation.community_id in scope.admin_community_ids


@rules.predicate
def may_pick_up(user, conversation) -> bool:
    return (
        conversation is not None
        and conversation.status == ConversationStatus.WAITING
        and conversation.assignee_id is None
        and conversation.community_id in scope_of(user).liaison_community_ids
        and _on_duty(user)
    )


rules.add_perm(
    "liaison.view_conversation",
    is_conversation_resident | is_assignee | supervises_conversation | may_pick_up,
)
rules.add_perm("liaison.pick_up", may_pick_up)
rules.add_perm("liaison.manage_conversation", is_assignee | supervises_conversation)
rules.add_perm("liaison.use_console", is_liaison | is_community_admin)
