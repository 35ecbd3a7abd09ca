"""The county's live reads (``community.county.selectors``): a region holds the communities
below it, and its lists hold the cases of those communities, never a neighbouring township's."""

import pytest
from django.utils import timezone

from community.choices import Status
from community.county.selectors import communities_below, community_cases, supervision_list
from community.tests.factories import case_in

from .helpers import make_county

pytestmark = pytest.mark.django_db


@pytest.fixture
def county(world):
    return make_county(world)


def overdue(world):
    case = case_in(world, Status.DISPATCHED)
    case.due_at = timezone.now() - timezone.timedelta(days=2)
    case.save(update_fields=["due_at"])
    return case


def test_a_region_holds_the_communities_below_it(world, county):
    assert communities_below(county["east"]) == {world.community.pk}
    assert communities_below(county["west"]) == {county["other"].pk}
    assert communities_below(county["county"]) == {world.community.pk, county["other"].pk}


def test_the_supervision_list_keeps_to_the_townships_communities(world, county):
    late = overdue(world)
    case_in(world, Status.DISPATCHED)  # not late
    assert supervision_list(communities_below(county["east"])) == [late]
    assert supervision_list(communities_below(county["county"])) == [late]
    assert supervision_list(communities_below(county["west"])) == []


def test_a_figures_cases_are_those_of_that_community(world, county):
    case = case_in(world, Status.SUBMITTED)
    today = timezone.localdate()
    period = {"start": today - timezone.timedelta(days=1), "end": today}
    assert community_cases(world.community, show="cases", **period) == [case]
    assert community_cases(county["other"], show="cases", **period) == []
    assert community_cases(world.community, show="closed", **period) == []
