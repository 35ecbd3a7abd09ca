"""Django's Redis cache, but a cache that fails is a cache that misses.

The cache is a shortcut in front of the database everywhere in this project:
the home page, the categories, a person's scope. Django's ``RedisCache`` lets
a connection error through, so while Redis was restarting every page that read
the cache answered 500 (tests/test_topology_faults.py saw 8 in 96). Here a
failing read is a miss and a failing write is skipped, both logged.

``add`` and ``incr`` still raise: they are counters and locks (rate limits,
the scope's generations, the SMS budget), whose callers decide themselves
what a missing cache means (``portal.limits`` lets the attempt through,
``buildings.access`` reads the database).
"""

from __future__ import annotations

import logging

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from redis.exceptions import RedisError

log = logging.getLogger("jiayuan.cache")

FAILURES = (RedisError, OSError)


def _failed(what: str) -> None:
    log.warning("cache %s failed; going on without the cache", what, exc_info=True)


class RedisCache(DjangoRedisCache):
    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except FAILURES:
            _failed("get")
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except FAILURES:
            _failed("get_many")
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except FAILURES:
            _failed("has_key")
            return False

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            super().set(key, value, timeout, version)
        except FAILURES:
            _failed("set")

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except FAILURES:
            _failed("set_many")
            return list(data)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().touch(key, timeout, version)
        except FAILURES:
            _failed("touch")
            return False

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except FAILURES:
            _failed("delete")
            return False

    def delete_many(self, keys, version=None):
        try:
            super().delete_many(keys, version)
        except FAILURES:
            _failed("delete_many")
