"""我的 reads the person's homes with what it shows of them (issue 15)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def test_my_homes_are_read_without_their_grid(world):
    client = Client()
    client.force_login(world.resident_a)
    client.get("/me/")
    with CaptureQueriesContext(connection) as ctx:
        body = client.get("/me/").content.decode()
    assert world.household_a.address in body
    homes = [q["sql"] for q in ctx.captured_queries
             if q["sql"].startswith('SELECT "buildings_residency"."id"')]
    assert len(homes) == 1 and '"buildings_grid"' not in homes[0]
