"""What the chat benchmarks share: settings, a database of their own, Redis if there is one.

Call ``django_for_bench(name)`` before importing anything from Django or the
project: it points DATABASE_URL at a temporary SQLite file (WAL, set by the
servers) unless a PostgreSQL URL is given, uses the test settings without a
REDIS_URL of the environment (the benchmark starts its own servers and says
which layer they use), and sets Django up.
"""

from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def django_for_bench(name: str) -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if not os.environ.get("DATABASE_URL"):
        tmp = Path(tempfile.mkdtemp(prefix=f"{name}-")) / "bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings.test"
    os.environ.pop("REDIS_URL", None)

    import django

    django.setup()


def prepare_database() -> None:
    """PostgreSQL: a throw-away database ``bench_chat``; SQLite: migrate the file."""
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        connection.settings_dict["TEST"]["NAME"] = "bench_chat"
        connection.creation.create_test_db(verbosity=0, keepdb=True)
    else:
        call_command("migrate", verbosity=0)


@contextmanager
def optional_redis():
    """A Redis URL (TEST_REDIS_URL or a private redis-server), or None when there is none."""
    from community.liaison import testing

    try:
        redis = testing.redis_server()
        url = redis.__enter__()
    except RuntimeError as exc:
        print(f"(no Redis: {exc})", flush=True)
        yield None
        return
    try:
        yield url
    finally:
        redis.__exit__(None, None, None)


def world_without_connections(**kwargs) -> dict:
    """``testing.bench_world`` and then close the benchmark's own connections (SQLite locks)."""
    from django.db import connections

    from community.liaison import testing

    world = testing.bench_world(**kwargs)
    connections.close_all()
    return world


def stored_once(keys: list[str]) -> dict:
    """How many of ``keys`` the database holds, and how many of them more than once."""
    from django.db import connections
    from django.db.models import Count

    from community.liaison.models import Message

    counts = dict(Message.objects.filter(client_key__in=keys).values_list("client_key")
                  .annotate(n=Count("id")).values_list("client_key", "n"))
    connections.close_all()
    return {"stored": sum(1 for k in keys if counts.get(k)),
            "twice": sum(1 for k in keys if counts.get(k, 0) > 1),
            "missing": sum(1 for k in keys if not counts.get(k))}
