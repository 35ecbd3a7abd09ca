"""The flood limit itself: exact under a crowd, a fresh count each period, open when the cache fails."""

import json
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import cache
from django.test import override_settings

from portal import limits

FROZEN = 1_000_000_005.0  # 5 s into a 10-s window, far from any other window's edge


@pytest.fixture
def frozen(monkeypatch):
    now = [FROZEN]
    monkeypatch.setattr(limits, "_now", lambda: now[0])
    return now


def test_a_crowd_of_threads_gets_exactly_the_limit(frozen):
    def attempt(_i):
        return limits.hit("crowd", limit=12, window=10)

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(attempt, range(80)))
    assert results.count(True) == 12


def test_the_cache_async_incr_is_a_get_then_a_set(frozen):
    """Why the consumers do not use ``cache.aincr``: two at once lose a count."""
    from asgiref.sync import async_to_sync

    async def both():
        import asyncio

        await cache.aset("pair", 0)
        await asyncio.gather(cache.aincr("pair"), cache.aincr("pair"))
        return await cache.aget("pair")

    async def ours():
        import asyncio

        return await asyncio.gather(*(limits.acheck("chat_send", "pair") for _ in range(20)))

    assert async_to_sync(both)() == 1
    waits = async_to_sync(ours)()
    assert waits.count(0) == 12 and all(w == 5 for w in waits if w)


def test_a_new_period_starts_from_zero(frozen):
    assert [limits.hit("p", limit=2, window=10) for _ in range(3)] == [True, True, False]
    frozen[0] += 10
    assert limits.hit("p", limit=2, window=10)


def test_check_says_how_long_to_wait_and_counts_each_window(frozen):
    with override_settings(JIAYUAN={"LIMITS": {"case_report": [(3, 3600), (2, 60)]}}):
        assert [limits.check("case_report", 7) for _ in range(3)] == [0, 0, 60 - FROZEN % 60]
        assert limits.check("case_report", 8) == 0  # someone else
        frozen[0] += 60  # the minute is over; the hour still has one left
        assert limits.check("case_report", 7) == 0
        assert limits.check("case_report", 7) == 3600 - (FROZEN + 60) % 3600


def test_an_unreachable_cache_lets_the_attempt_through_and_says_so(frozen, monkeypatch, caplog):
    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(cache, "add", down)
    with caplog.at_level(logging.WARNING, logger="jiayuan.limits"):
        assert all(limits.hit("down", limit=1, window=10) for _ in range(3))
        assert limits.check("chat_send", 1) == 0
    assert "rate-limit cache failed" in caplog.text


def test_a_key_evicted_between_add_and_incr_is_counted_again(frozen, monkeypatch):
    real_incr, calls = cache.incr, []

    def flaky(key, *args, **kwargs):
        calls.append(key)
        if len(calls) == 1:
            cache.delete(key)
        return real_incr(key, *args, **kwargs)

    monkeypatch.setattr(cache, "incr", flaky)
    assert limits.hit("evicted", limit=1, window=10)
    assert not limits.hit("evicted", limit=1, window=10)


@pytest.mark.django_db
def test_too_many_is_a_429_with_retry_after_in_chinese(rf):
    request = rf.post("/", HTTP_ACCEPT="application/json")
    response = limits.too_many(request, 90, "报得太频繁了。")
    assert response.status_code == 429 and response["Retry-After"] == "90"
    assert json.loads(response.content)["message"] == "报得太频繁了。请 2 分钟后再试。"
    page = limits.too_many(rf.post("/"), 30, "报得太频繁了。")
    assert page.status_code == 429 and page["Retry-After"] == "30"
    assert "报得太频繁了。请 30 秒后再试。" in page.content.decode()


@pytest.fixture
def redis_cache(monkeypatch):
    """The production cache (Redis) in place of the test's LocMemCache."""
    from django.core.cache.backends.redis import RedisCache

    from community.liaison.testing import redis_server

    with redis_server() as url:
        redis = RedisCache(url, {"KEY_PREFIX": f"t{uuid.uuid4().hex}"})  # fresh counts each run
        monkeypatch.setattr(limits, "cache", redis)
        yield redis
        redis.close()


def test_on_redis_a_crowd_of_threads_gets_exactly_the_limit(frozen, redis_cache):
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _i: limits.hit("crowd", limit=12, window=10), range(64)))
    assert results.count(True) == 12


def test_an_unreachable_redis_lets_the_attempt_through(frozen, monkeypatch, caplog):
    from django.core.cache.backends.redis import RedisCache

    from community.liaison.testing import free_port

    monkeypatch.setattr(limits, "cache", RedisCache(f"redis://127.0.0.1:{free_port()}/0", {}))
    with caplog.at_level(logging.WARNING, logger="jiayuan.limits"):
        assert limits.check("chat_send", 1) == 0
    assert "rate-limit cache failed" in caplog.text
