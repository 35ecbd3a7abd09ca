"""Sessions in the database, with the cache in front: never an error page because of the cache.

Django's ``cached_db`` backend already reads around a failing cache, but it
lets the error through where it writes the cache after a database read, where
it asks whether a session exists, and where it deletes one: while Redis is
down every signed-in page answered 500. Here the database is the record and
the cache a shortcut, everywhere: a cache that fails is logged and skipped.
"""

from __future__ import annotations

import logging

from asgiref.sync import sync_to_async
from django.contrib.sessions.backends import cached_db

log = logging.getLogger("jiayuan.sessions")


class SessionStore(cached_db.SessionStore):
    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception:
            log.warning("session cache failed; reading the database", exc_info=True)
            return self._load_from_db(keep=False)
        if data is None:
            return self._load_from_db(keep=True)
        return data

    def _load_from_db(self, *, keep: bool) -> dict:
        s = self._get_session_from_db()
        if not s:
            return {}
        data = self.decode(s.session_data)
        if keep:
            try:
                self._cache.set(self.cache_key, data,
                                self.get_expiry_age(expiry=s.expire_date))
            except Exception:
                log.warning("session cache failed; not kept", exc_info=True)
        return data

    def exists(self, session_key):
        if session_key:
            try:
                if (self.cache_key_prefix + session_key) in self._cache:
                    return True
            except Exception:
                log.warning("session cache failed; asking the database", exc_info=True)
        return super(cached_db.SessionStore, self).exists(session_key)

    def delete(self, session_key=None):
        super(cached_db.SessionStore, self).delete(session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        try:
            self._cache.delete(self.cache_key_prefix + session_key)
        except Exception:
            # Gone from the database. A Redis that restarts comes back empty; one
            # that only went unreachable may keep its copy until it expires.
            log.warning("session cache failed; %s not deleted there", session_key, exc_info=True)

    # The async twins run the same code in a thread: the cache and the database
    # calls here are synchronous underneath anyway.
    async def aload(self):
        return await sync_to_async(self.load)()

    async def aexists(self, session_key):
        return await sync_to_async(self.exists)(session_key)

    async def adelete(self, session_key=None):
        await sync_to_async(self.delete)(session_key)
