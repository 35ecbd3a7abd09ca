"""The case page reads its case in one query, without an ORDER BY, and a case at a
stairwell names its building from that query (issue 15: the case page was the slowest)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from community.choices import Status
from community.models import CaseFollower, CasePhoto
from community.services import case_comment, case_resolve, case_submit
from community.whistle.services import whistle_blow
from tests.queries import second_visit

from .factories import case_in, category, jpeg

pytestmark = pytest.mark.django_db


def test_the_case_page_reads_the_case_and_its_place_at_once(world):
    case = case_in(world, Status.SUBMITTED, unit=world.household_a.unit)
    client = Client()
    client.force_login(world.resident_a)
    url = reverse("community:detail", args=[case.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(url).content.decode()
    assert str(world.household_a.unit) in body
    sqls = [q["sql"] for q in ctx.captured_queries]
    case_reads = [s for s in sqls if s.startswith('SELECT "community_case"."id"')]
    assert len(case_reads) == 1 and "ORDER BY" not in case_reads[0]
    assert not [s for s in sqls if 'FROM "buildings_building" WHERE' in s]


def _page(user, case):
    return second_visit(user, reverse("community:detail", args=[case.pk]))


def test_the_reporter_reads_every_photo_in_one_query_and_no_follower_list(world):
    """The report's photos and the timeline's come from one query, and the reporter (who
    reads the case in full) costs no query for the list of followers, nor a join of
    the staff-only people (reporter, who filed it) on the case row."""
    case = case_in(world, Status.IN_PROGRESS)
    case_comment(actor=world.resident_a, case_id=case.pk, text="又坏了", photos=[jpeg("c.jpg")])
    case_resolve(actor=world.handler, case_id=case.pk, text="已修好", photos=[jpeg("r.jpg")])
    CaseFollower.objects.create(case=case, user=world.resident_a2)
    body, sqls = _page(world.resident_a, case)
    for photo in CasePhoto.objects.filter(case=case):
        assert photo.thumb.url in body
    assert "又坏了" in body and "已修好" in body
    assert len([s for s in sqls if 'FROM "community_casephoto"' in s]) == 1
    assert not [s for s in sqls if 'FROM "community_casefollower"' in s]
    case_read = next(s for s in sqls if s.startswith('SELECT "community_case"."id"'))
    assert 'ON ("community_case"."reporter_id"' not in case_read
    assert 'ON ("community_case"."on_behalf_by_id"' not in case_read


def test_staff_read_the_reporter_and_who_filed_it_from_one_query(world):
    case = case_submit(reporter=world.resident_a, category=category(),
                       household=world.household_a, description="水管漏了",
                       on_behalf_by=world.head_a, channel="phone")
    body, sqls = _page(world.worker_a, case)
    assert world.resident_a.shown_name in body
    assert "代办" in body and world.head_a.shown_name in body
    people = [s for s in sqls if s.startswith('SELECT "portal_user"."id"')
              and '"portal_user"."id" IN' in s]
    assert len(people) == 1


def test_a_follower_still_reads_the_reporter_as_a_resident(world):
    """Only a neighbour's view asks for the followers, and there the reporter's name is hidden."""
    case = case_in(world, Status.SUBMITTED, unit=world.household_a.unit)
    CaseFollower.objects.create(case=case, user=world.resident_a2)
    body, sqls = _page(world.resident_a2, case)
    assert world.resident_a.shown_name not in body
    assert "居民" in body
    assert [s for s in sqls if 'FROM "community_casefollower"' in s]


def test_a_case_never_whistled_on_asks_nothing_about_whistles(world):
    case = case_in(world, Status.DISPATCHED)
    body, sqls = _page(world.resident_a, case)
    assert "吹哨报到" not in body
    assert not [s for s in sqls if s.startswith('SELECT "community_whistle"')]


def test_a_whistled_case_still_names_its_departments_to_the_resident(world):
    case = case_in(world, Status.DISPATCHED)
    whistle_blow(actor=world.worker_a, case_id=case.pk,
                 departments=[world.department, world.other_department], lead=world.department)
    body, _ = _page(world.resident_a, case)
    assert "吹哨报到" in body
    assert world.department.name in body and world.other_department.name in body
