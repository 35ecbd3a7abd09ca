"""The audience of 首页's and 我的's notices is worked out once per change, not on every visit
(issue 15): a repeat visit asks only ``pk IN (...)``, and what changes shows at once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notices.choices import Audience

from .helpers import make_notice

pytestmark = pytest.mark.django_db

THROUGH = ("notices_noticepage_audience_buildings", "notices_noticepage_audience_grids")


def _sql(client, url) -> str:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return "\n".join(q["sql"] for q in ctx.captured_queries)


def test_a_repeat_visit_does_not_query_the_audience(client, world):
    make_notice(title="三栋停水", audience=Audience.BUILDINGS, buildings=[world.building_a])
    client.force_login(world.resident_a)
    for url in ("/", reverse("portal:me"), reverse("notices:index")):
        client.get("/")
        sql = _sql(client, url)
        assert not any(t in sql for t in THROUGH), url
    assert "三栋停水" in client.get("/").content.decode()


def test_what_changes_shows_on_the_next_visit(client, world):
    client.force_login(world.resident_a)
    seen = make_notice(title="旧通知", audience=Audience.BUILDINGS, buildings=[world.building_a])
    assert "旧通知" in client.get("/").content.decode()
    make_notice(title="新的楼栋通知", audience=Audience.BUILDINGS, buildings=[world.building_a],
                ack_wanted=True)
    make_notice(title="别的楼栋", audience=Audience.BUILDINGS, buildings=[world.building_b])
    home = client.get("/").content.decode()
    assert "新的楼栋通知" in home and "别的楼栋" not in home
    assert "新的楼栋通知" in client.get(reverse("portal:me")).content.decode()
    seen.unpublish()
    assert "旧通知" not in client.get("/").content.decode()
    assert "旧通知" not in client.get(reverse("notices:index")).content.decode()


def test_read_and_acknowledged_marks_are_never_kept(client, world):
    from notices.models import NoticeAck, NoticeRead

    notice = make_notice(title="楼道消防检查", audience=Audience.BUILDINGS,
                         buildings=[world.building_a], ack_wanted=True)
    client.force_login(world.resident_a)
    assert 'urgent">1 条未读' in client.get("/").content.decode()
    assert "楼道消防检查" in client.get(reverse("portal:me")).content.decode()
    NoticeRead.objects.create(notice=notice, user=world.resident_a)
    NoticeAck.objects.create(notice=notice, household=world.household_a, method="app")
    assert 'urgent">1 条未读' not in client.get("/").content.decode()
    assert "楼道消防检查" not in client.get(reverse("portal:me")).content.decode()


def test_pages_keep_their_notices_while_the_cache_is_away(client, world):
    """Redis down: the version key cannot be added; the pages still answer, from the database."""
    from unittest import mock

    from django.core.cache import cache
    from redis.exceptions import ConnectionError as RedisConnectionError

    make_notice(title="停电通知", audience=Audience.BUILDINGS, buildings=[world.building_a])
    client.force_login(world.resident_a)
    cache.clear()
    with mock.patch.object(cache, "add", side_effect=RedisConnectionError("down")):
        assert client.get(reverse("portal:me")).status_code == 200
        for url in ("/", reverse("notices:index")):
            response = client.get(url)
            assert response.status_code == 200, url
            assert "停电通知" in response.content.decode(), url
