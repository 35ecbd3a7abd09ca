"""The task board's cost (issue 15): the person's own grids inside the board's query, and
the filter's words worked out once per language, still in the reader's language; and the
count of services to confirm that 首页 and 我的 show, without joins the person does not need."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.queries import second_visit
from volunteers import selectors, services
from volunteers.models import Claim

from . import factories as vf

pytestmark = pytest.mark.django_db


def _board(user):
    return second_visit(user, reverse("volunteers:index"))


def test_the_tasks_of_my_own_grid_come_first_without_a_query_of_their_own(world):
    far = vf.task(building=world.building_a, created_by=world.worker_a, title="远处的任务")
    near = vf.task(building=world.building_b, created_by=world.worker_b, title="楼下的任务",
                   start_in=far.starts_at - far.created_at + (far.ends_at - far.starts_at))
    assert near.starts_at > far.starts_at  # by time alone, the far one would come first
    body, sqls = _board(world.resident_b)
    assert body.index("楼下的任务") < body.index("远处的任务")
    near_card = body[body.index("楼下的任务"):body.index("远处的任务")]
    assert "本网格" in near_card
    assert "本网格" not in body[body.index("远处的任务"):]
    assert not [s for s in sqls if s.startswith('SELECT "buildings_building"')]


def test_a_volunteer_s_own_grid_counts_as_theirs_too(world):
    vf.volunteer(community=world.community, grid=world.grid_a, user=world.resident_b)
    vf.task(building=world.building_a, created_by=world.worker_a, title="志愿网格的任务")
    body, _ = _board(world.resident_b)
    card = body[body.index("志愿网格的任务"):]
    assert "本网格" in card[:card.index("</article>")]


def test_the_filter_speaks_the_reader_s_language(client, world):
    body, _ = _board(world.resident_b)
    assert "助老帮扶" in body
    client.force_login(world.resident_b, backend="django.contrib.auth.backends.ModelBackend")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(reverse("volunteers:index")).content.decode()
    assert "助老帮扶" not in english
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert "助老帮扶" in client.get(reverse("volunteers:index")).content.decode()


def _served_claim(world):
    volunteer = vf.volunteer(community=world.community, grid=world.grid_a)
    task = vf.task(building=world.building_a, created_by=world.worker_a,
                   households=[world.household_a])
    claim = services.task_claim(actor=volunteer.user, task_id=task.pk)
    Claim.objects.filter(pk=claim.pk).update(checked_in_at=timezone.now() - timedelta(hours=1),
                                             checked_out_at=timezone.now())
    return claim


def test_a_resident_s_services_to_confirm_are_counted_without_the_units(world):
    """我的 and 首页 ask this of every resident: only the terms the person has are joined."""
    _served_claim(world)
    with CaptureQueriesContext(connection) as ctx:
        assert selectors.claims_to_confirm_count(world.resident_a) == 1
    assert '"buildings_unit"' not in ctx.captured_queries[-1]["sql"]
    # The building head still finds it through the building, the neighbour not at all.
    assert selectors.claims_to_confirm_count(world.head_a) == 1
    assert selectors.claims_to_confirm_count(world.resident_a2) == 0
    assert selectors.claims_to_confirm_count(world.head_b) == 0
