"""Open311's per-key limit under a flood of parallel calls, and with the cache down."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client

from community.open311.models import ApiKey
from community.open311.services import api_key_issue
from community.tests.factories import category
from portal import limits

BASE = "/open311/v2"


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    """One moment in the middle of the minute: a flood never straddles two."""
    monkeypatch.setattr(limits, "_now", lambda: 1_000_000_005.0)


@pytest.mark.django_db(transaction=True)
def test_sixteen_parallel_calls_with_one_key_get_exactly_its_rate(world):
    category("repair", name="维修")
    key, raw = api_key_issue(actor=world.admin, platform="罗城12345")
    ApiKey.objects.filter(pk=key.pk).update(rate_per_minute=5)

    def call(_i):
        try:
            return Client().get(f"{BASE}/requests.json", {"api_key": raw}).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=16) as pool:
        codes = list(pool.map(call, range(16)))
    assert sorted(codes) == [200] * 5 + [429] * 11


@pytest.mark.django_db
def test_an_unreachable_cache_does_not_turn_calls_into_errors(client, world, monkeypatch):
    category("repair", name="维修")
    _key, raw = api_key_issue(actor=world.admin, platform="罗城12345")

    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(cache, "add", down)
    assert client.get(f"{BASE}/requests.json", {"api_key": raw}).status_code == 200
