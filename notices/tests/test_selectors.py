"""The notices' reads (``notices.selectors``): a notice reaches its audience (the community,
some grids, some buildings) and nobody else, whatever id is asked for; the receipts list the
households of the buildings asked for only."""

import pytest
from django.contrib.auth.models import AnonymousUser

from notices.choices import Audience
from notices.selectors import notice_for, receipts_overview, visible_notices

from .helpers import make_notice

pytestmark = pytest.mark.django_db


def test_a_building_notice_reaches_that_building_only(world):
    notice = make_notice(title="1栋停水", audience=Audience.BUILDINGS,
                         buildings=[world.building_a], author=world.head_a)
    assert notice_for(world.resident_a, notice.pk) == notice
    assert notice_for(world.worker_a, notice.pk) == notice
    assert notice_for(world.resident_b, notice.pk) is None  # another building's id
    assert notice_for(world.head_b, notice.pk) is None
    assert notice_for(world.stranger, notice.pk) is None
    assert notice not in visible_notices(world.resident_b)


def test_a_grid_notice_reaches_the_buildings_below_that_grid(world):
    notice = make_notice(title="B网格检查", audience=Audience.GRIDS, grids=[world.grid_b])
    assert list(visible_notices(world.resident_b)) == [notice]
    assert list(visible_notices(world.resident_a)) == []
    assert notice_for(world.worker_a, notice.pk) is None
    assert notice_for(world.worker_b, notice.pk) == notice


def test_a_members_notice_is_for_people_of_the_community_not_visitors(world):
    members = make_notice(title="居民会议", public=False)
    public = make_notice(title="公开通知")
    assert set(visible_notices(world.resident_a)) == {members, public}
    assert list(visible_notices(world.stranger)) == [public]
    assert list(visible_notices(AnonymousUser())) == [public]
    assert notice_for(AnonymousUser(), members.pk) is None


def test_an_unpublished_notice_reaches_nobody_yet(world):
    draft = make_notice(title="草稿", publish=False)
    assert notice_for(world.resident_a, draft.pk) is None
    assert notice_for(world.admin, draft.pk) is None


def test_receipts_list_the_households_of_the_buildings_asked_for(world):
    notice = make_notice(title="全社区", public=False)
    assert {h.pk for h in receipts_overview(notice, {world.building_a.pk})} == {
        world.household_a.pk, world.household_a2.pk}
    assert {h.pk for h in receipts_overview(notice, {world.building_b.pk})} == {
        world.household_b.pk}
    assert len(receipts_overview(notice, None)) == 3
    only_b = make_notice(title="2栋", audience=Audience.BUILDINGS, buildings=[world.building_b])
    assert receipts_overview(only_b, {world.building_a.pk}) == []
