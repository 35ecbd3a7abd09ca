"""我的 reads the person's homes with what it shows of them (issue 15)."""

import pytest

from tests.queries import second_visit

pytestmark = pytest.mark.django_db


def test_my_homes_are_read_without_their_grid(world):
    body, sqls = second_visit(world.resident_a, "/me/")
    assert world.household_a.address in body
    homes = [sql for sql in sqls if sql.startswith('SELECT "buildings_residency"."id"')]
    assert len(homes) == 1 and '"buildings_grid"' not in homes[0]
