"""The chat's reads (``community.liaison.selectors``): the console lists the conversations of
the staff member's own community, and a resident reads only her own conversations."""

import pytest

from buildings.tests import factories as f
from community.liaison import services
from community.liaison.selectors import (
    active_conversation_of,
    console_lists,
    history_of,
    unread_replies_for,
)

from .helpers import on_duty, picked, waiting

pytestmark = pytest.mark.django_db


@pytest.fixture
def elsewhere():
    """Another community with one resident and its own liaison staff."""
    community = f.CommunityFactory(name="别的社区")
    household = f.HouseholdFactory(unit=f.UnitFactory(
        building=f.BuildingFactory(community=community)))
    return f.resident_of(household), f.liaison(community)


def test_the_console_waits_for_the_own_communitys_conversations_only(world, elsewhere):
    resident_x, liaison_x = elsewhere
    ours = waiting(world.resident_a)
    theirs = waiting(resident_x)
    assert console_lists(world.liaison)["waiting"] == [ours]
    assert console_lists(liaison_x)["waiting"] == [theirs]
    assert console_lists(world.admin)["waiting"] == [ours]
    assert console_lists(world.worker_a) == {"waiting": [], "mine": [], "others": []}


def test_mine_is_what_i_picked_up_and_the_admin_sees_the_others(world):
    colleague = f.liaison(world.community)
    conversation = picked(world.resident_a, world.liaison)
    assert console_lists(world.liaison)["mine"] == [conversation]
    assert console_lists(world.liaison)["waiting"] == []
    assert console_lists(colleague)["mine"] == []
    assert console_lists(colleague)["others"] == []  # only supervisors see everyone's
    assert console_lists(world.admin)["others"] == [conversation]


def test_a_resident_reads_her_own_conversations_only(world):
    conversation = waiting(world.resident_a)
    assert active_conversation_of(world.resident_a) == conversation
    assert list(history_of(world.resident_a)) == [conversation]
    assert active_conversation_of(world.resident_b) is None
    assert list(history_of(world.resident_b)) == []


def test_unread_replies_count_the_staffs_replies_to_her(world):
    conversation = picked(world.resident_a, world.liaison)
    waiting(world.resident_b)
    on_duty(world.liaison)
    services.message_post(conversation=conversation, sender=world.liaison, body="马上来",
                          client_key="reply-1")
    assert unread_replies_for(world.resident_a) == 1
    assert unread_replies_for(world.resident_b) == 0
    assert unread_replies_for(world.stranger) == 0
