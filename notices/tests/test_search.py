"""Chinese search: two-character words, on SQLite and PostgreSQL, within what a person may see."""

import pytest
from django.urls import reverse

from notices.choices import Audience
from notices.search import query_terms, terms_of

from .helpers import make_notice

pytestmark = pytest.mark.django_db


def test_terms_are_characters_pairs_and_words():
    terms = terms_of("明天8点起停水 WiFi")
    assert {"停", "水", "停水", "起停", "8", "wifi"} <= set(terms)
    assert query_terms("停水") == ["停水"]
    assert query_terms("楼道漏水") == ["楼道", "道漏", "漏水"]
    assert query_terms("水") == ["水"]
    assert query_terms("  ，。") == []


@pytest.fixture
def notices(world):
    return {
        "water": make_notice(title="供水检修", text="明天上午8点起停水，请提前储水。"),
        "leak": make_notice(title="维修通知", text="3栋2单元楼道漏水严重，物业明天维修。"),
        "power": make_notice(title="停电通知", text="周六全天停电。"),
        "a_only": make_notice(title="A楼停水", text="A楼今晚停水", audience=Audience.BUILDINGS,
                              buildings=[world.building_a]),
    }


def _search(client, q):
    return client.get(reverse("notices:index"), {"q": q}).content.decode()


def test_two_character_words_are_found(client, world, notices):
    client.force_login(world.resident_a)
    html = _search(client, "停水")
    assert "供水检修" in html and "A楼停水" in html and "停电通知" not in html
    html = _search(client, "漏水")
    assert "维修通知" in html and "供水检修" not in html
    assert "停电通知" in _search(client, "停电")
    assert "维修通知" in _search(client, "楼道漏水")
    assert "没有找到" in _search(client, "漏电")


def test_single_character_and_numbers(client, world, notices):
    client.force_login(world.resident_a)
    html = _search(client, "漏")
    assert "维修通知" in html and "供水检修" not in html
    assert "供水检修" in _search(client, "8点")


def test_title_matches_rank_first(client, world, notices):
    client.force_login(world.resident_a)
    html = _search(client, "停水")
    assert html.index("A楼停水") < html.index("供水检修")


def test_search_honours_the_audience(client, world, notices):
    client.force_login(world.resident_b)
    html = _search(client, "停水")
    assert "供水检修" in html and "A楼停水" not in html
    client.logout()
    assert "A楼停水" not in _search(client, "停水")


def test_unpublishing_removes_from_search(client, world, notices):
    notices["leak"].unpublish()
    client.force_login(world.resident_a)
    assert "维修通知" not in _search(client, "漏水")
