"""The case page reads its case in one query, without an ORDER BY, and a case at a
stairwell names its building from that query (issue 15: the case page was the slowest)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from community.choices import Status

from .factories import case_in

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
