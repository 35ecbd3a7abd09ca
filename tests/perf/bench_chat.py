"""Chat delivery time: from the sender's frame to the other side's socket.

Opens SOCKETS sockets (half residents, half staff, one pair per
conversation) and has the residents send MESSAGES messages in all, spread
evenly over a few seconds; prints the median and 95th percentile of the time
from a resident's ``send`` to the staff member's socket receiving it:

1. one Daphne process, in-memory channel layer (the embedded default);
2. two Daphne processes through Redis: residents on one, staff on the other
   (needs redis-server: ``eval "$(bash scripts/services)"`` gives TEST_REDIS_URL).

Runs on DATABASE_URL (PostgreSQL, in a throw-away database ``bench_chat``)
or else on a temporary SQLite file (WAL). Prints figures; asserts nothing.

    .venv/bin/python tests/perf/bench_chat.py [SOCKETS] [MESSAGES] [SECONDS]
"""

import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
SOCKETS = int(sys.argv[1]) if len(sys.argv) > 1 else 500
MESSAGES = int(sys.argv[2]) if len(sys.argv) > 2 else 500
SPREAD_SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
if not os.environ.get("DATABASE_URL"):
    TMP = Path(tempfile.mkdtemp(prefix="bench-chat-")) / "bench.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{TMP}"
os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings.test"
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402

from community.liaison import testing  # noqa: E402


def prepare_database() -> None:
    if connection.vendor == "postgresql":
        connection.settings_dict["TEST"]["NAME"] = "bench_chat"
        connection.creation.create_test_db(verbosity=0, keepdb=True)
    else:
        call_command("migrate", verbosity=0)


async def run(servers, world) -> dict:
    a, b = servers[0], servers[-1]
    pairs = world["conversations"]
    sent_at: dict[str, float] = {}
    delays: list[float] = []
    done = asyncio.Event()

    def received(message):
        key = message["body"]
        if key in sent_at:
            delays.append(time.perf_counter() - sent_at.pop(key))
            if len(delays) == MESSAGES:
                done.set()

    residents, staff = [], []
    t0 = time.perf_counter()
    for conv_id, resident_cookie, staff_cookie in pairs:
        r = testing.ProtocolClient(a.ws, conv_id, resident_cookie, a.url)
        s = testing.ProtocolClient(b.ws, conv_id, staff_cookie, b.url)
        s.on_message = received
        residents.append(r)
        staff.append(s)
    sem = asyncio.Semaphore(8)  # Daphne gives a handshake 5 s; do not queue hundreds at once

    async def open_one(client):
        async with sem:
            for attempt in range(5):
                try:
                    await client.connect()
                    await client.read_until(lambda f: f["type"] == "state", timeout=120)
                    return
                except Exception:
                    await client.close()
                    await asyncio.sleep(1 + attempt)
            raise RuntimeError("could not connect")

    await asyncio.gather(*(open_one(c) for c in residents + staff))
    connect_seconds = time.perf_counter() - t0

    async def pump(client):
        try:
            while True:
                await client.read_until(lambda f: False, timeout=3600)
        except (asyncio.CancelledError, Exception):
            return

    readers = [asyncio.create_task(pump(c)) for c in residents + staff]
    gap = SPREAD_SECONDS / MESSAGES
    failed = 0
    for i in range(MESSAGES):
        client = residents[i % len(residents)]
        body = f"m{i}-{random.random():.6f}"
        sent_at[body] = time.perf_counter()
        try:
            await client.ws.send(testing.json.dumps({"type": "send", "client_key": body,
                                                     "body": body}))
        except Exception:  # a socket the server closed under load: counted, not fatal
            sent_at.pop(body, None)
            failed += 1
        await asyncio.sleep(gap)
    try:
        await asyncio.wait_for(done.wait(), 120)
    except TimeoutError:
        pass
    for t in readers:
        t.cancel()
    await asyncio.gather(*(c.close() for c in residents + staff), return_exceptions=True)
    return {"connect": connect_seconds, "delays": delays, "lost": len(sent_at),
            "failed": failed}


def report(title: str, result: dict, servers) -> None:
    d = [x * 1000 for x in result["delays"]]
    print(f"{title}")
    print(f"  sockets open: {SOCKETS} (connected and caught up in {result['connect']:.1f} s)")
    print(f"  messages: {MESSAGES} over {SPREAD_SECONDS:.0f} s; delivered {len(d)}, "
          f"not delivered live {result['lost']}, send failed {result['failed']}")
    if d:
        print(f"  delivery time: median {statistics.median(d):.1f} ms, "
              f"p95 {testing.percentile(d, 0.95):.1f} ms, max {max(d):.1f} ms")
    print("  server RSS: " + ", ".join(f"{s.rss_kb() / 1024:.0f} MB" for s in servers)
          + f"; load average {os.getloadavg()[0]:.1f}", flush=True)


def main() -> None:
    prepare_database()
    print(f"database: {connection.vendor}; cores: {os.cpu_count()}; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    world = testing.bench_world(pairs=SOCKETS // 2, staff=5)
    connections.close_all()
    with testing.live_servers(1) as servers:
        report("1. one process, in-memory channel layer", asyncio.run(run(servers, world)),
               servers)
    try:
        redis = testing.redis_server()
        redis_url = redis.__enter__()
    except RuntimeError as exc:
        print(f"2. two processes through Redis: skipped ({exc})")
        return
    try:
        world = testing.bench_world(pairs=SOCKETS // 2, staff=5)
        connections.close_all()
        with testing.live_servers(2, redis_url=redis_url) as servers:
            report("2. two processes through Redis (residents on one, staff on the other)",
                   asyncio.run(run(servers, world)), servers)
    finally:
        redis.__exit__(None, None, None)


if __name__ == "__main__":
    main()
