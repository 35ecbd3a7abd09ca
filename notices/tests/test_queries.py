"""Query budgets: the notice list is constant in the data size; the receipts overview of a
building of 200 households stays within 10 queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from buildings.models import Household, Unit
from buildings.tests import factories as f
from notices.choices import Audience
from notices.models import NoticeAck, NoticeRead
from notices.selectors import receipts_overview

from .helpers import make_notice

pytestmark = pytest.mark.django_db


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _add_notices(world, n, start):
    for i in range(n):
        make_notice(title=f"通知{start + i}", text="停水停电", pinned=i % 5 == 0,
                    ack_wanted=i % 2 == 0)
        make_notice(title=f"楼栋通知{start + i}", audience=Audience.BUILDINGS,
                    buildings=[world.building_a if i % 2 else world.building_b])


def test_notice_list_queries_do_not_grow_with_the_data(client, world):
    _add_notices(world, 3, 0)
    client.force_login(world.resident_a)
    urls = [reverse("notices:index"), reverse("notices:index") + "?archive=1",
            reverse("notices:index") + "?q=停水", "/", reverse("portal:me")]
    for u in urls:  # warm the per-person caches (scope, categories, home page)
        client.get(u)
    small = [_count(client, u) for u in urls]
    _add_notices(world, 25, 100)
    for page in world.building_a.notices.all()[:5]:
        NoticeRead.objects.create(notice=page, user=world.resident_a)
    for u in urls:
        client.get(u)
    large = [_count(client, u) for u in urls]
    assert small == large
    client.logout()
    assert _count(client, reverse("notices:index")) <= 6


@pytest.fixture
def big_building(world):
    """Building A with 200 households (the world's 2 and 198 more), half of them reached."""
    unit = Unit.objects.create(building=world.building_a, number=2)
    Household.objects.bulk_create([
        Household(unit=unit, floor=i // 10 + 1, number=f"{1000 + i}", head_name=f"户主{i}",
                  phone=f"+86139{i:08d}") for i in range(198)])
    assert Household.objects.filter(unit__building=world.building_a).count() == 200
    return world.building_a


def test_receipts_overview_for_200_households_within_10_queries(
        client, world, big_building, django_assert_max_num_queries):
    page = make_notice(title="停水", audience=Audience.BUILDINGS, buildings=[big_building],
                       ack_wanted=True)
    households = list(Household.objects.filter(unit__building=big_building)[:60])
    NoticeAck.objects.bulk_create([NoticeAck(notice=page, household=h, method="phone")
                                   for h in households[:30]])
    for h in households[30:60]:
        NoticeRead.objects.create(notice=page, user=f.resident_of(h))
    with django_assert_max_num_queries(10):
        rows = receipts_overview(page, {big_building.pk})
        assert len(rows) == 200
        assert [r.receipt for r in rows[:140]] == [0] * 140
    client.force_login(world.head_a)
    url = reverse("notices:receipts", args=[page.pk])
    client.get(url)  # warm caches (content types, site root)
    # The whole page: 3 queries are the overview's (the notice, the buildings the
    # person looks after, the households with their receipts); the other 9 are the
    # shell's (session, user, the person's scope, the bell).
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert "共 200 户" in response.content.decode()
