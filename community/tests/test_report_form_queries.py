"""The report form reads the person's flat once (issue 15): the place is looked up again
only to find similar cases, and without a category there are none to find."""

import pytest
from django.urls import reverse

from community.choices import Status
from tests.queries import second_visit

from .factories import case_in, category

pytestmark = pytest.mark.django_db


def _form(user, query=""):
    return second_visit(user, reverse("community:new") + query)


def test_the_form_without_a_category_reads_the_flat_once(world):
    body, sqls = _form(world.resident_a)
    assert world.household_a.address in body
    assert len([s for s in sqls if s.startswith('SELECT "buildings_household"."id"')]) == 1


def test_with_a_category_the_similar_cases_at_my_flat_are_still_offered(world):
    case = case_in(world, Status.SUBMITTED, reporter=world.resident_a)
    body, _ = _form(world.resident_a, f"?category={category().code}")
    assert case.description in body
