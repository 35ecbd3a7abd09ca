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
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
SOCKETS = int(sys.argv[1]) if len(sys.argv) > 1 else 500
MESSAGES = int(sys.argv[2]) if len(sys.argv) > 2 else 500
SPREAD_SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0

from tests.perf import chat_setup  # noqa: E402

chat_setup.django_for_bench("bench-chat")

from django.db import connection  # noqa: E402

from community.liaison import testing  # noqa: E402


async def run(servers, world) -> dict:
    """Residents on the first server send; staff on the last one receive.

    A resident behaves like the phone's outbox (static/liaison/chat.js): a send
    whose socket broke is sent again, with the same key, on a new socket; a
    send not acknowledged within RESEND_AFTER is sent again too. The database
    must then hold every key exactly once.
    """
    a, b = servers[0], servers[-1]
    pairs = world["conversations"]
    sent_at: dict[str, float] = {}
    delays: list[float] = []
    acked: set[str] = set()
    keys: list[str] = []
    ack_events: dict[str, asyncio.Event] = {}
    first_sent: dict[str, float] = {}
    ack_delays: list[float] = []
    done = asyncio.Event()
    retried = 0

    def received(message):
        key = message["body"]
        if key in sent_at:
            delays.append(time.perf_counter() - sent_at.pop(key))
            if len(delays) == MESSAGES:
                done.set()

    def on_frame(frame):
        if frame.get("type") == "ack" and frame.get("client_key") in ack_events:
            if frame["client_key"] not in acked:
                ack_delays.append(time.perf_counter() - first_sent[frame["client_key"]])
            acked.add(frame["client_key"])
            ack_events[frame["client_key"]].set()

    residents, staff = [], []
    t0 = time.perf_counter()
    for conv_id, resident_cookie, staff_cookie in pairs:
        r = testing.ProtocolClient(a.ws, conv_id, resident_cookie, a.url)
        s = testing.ProtocolClient(b.ws, conv_id, staff_cookie, b.url)
        r.on_frame = on_frame
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
        """Reads every frame; a socket the server closed is opened again (hello: catch-up)."""
        while True:
            try:
                if client.ws is None:
                    await client.connect()
                await client.read_until(lambda f: False, timeout=3600)
            except asyncio.CancelledError:
                return
            except Exception:
                await client.close()
                await asyncio.sleep(1)

    async def send(client, key):
        """Send until acknowledged: again after a broken socket or RESEND_AFTER seconds."""
        nonlocal retried
        for attempt in range(10):
            if attempt:
                retried += 1
            try:
                if client.ws is None:
                    raise ConnectionError("socket closed")
                await client.ws.send(testing.json.dumps({"type": "send", "client_key": key,
                                                         "body": key}))
            except asyncio.CancelledError:
                raise
            except Exception:  # the server closed it under load: the pump reconnects
                await asyncio.sleep(1 + attempt)
                continue
            try:
                await asyncio.wait_for(ack_events[key].wait(), RESEND_AFTER)
                return
            except TimeoutError:
                continue

    readers = [asyncio.create_task(pump(c)) for c in residents + staff]
    gap = SPREAD_SECONDS / MESSAGES
    senders = []
    for i in range(MESSAGES):
        client = residents[i % len(residents)]
        key = f"m{i}-{random.random():.6f}"
        keys.append(key)
        ack_events[key] = asyncio.Event()
        sent_at[key] = first_sent[key] = time.perf_counter()
        senders.append(asyncio.create_task(send(client, key)))
        await asyncio.sleep(gap)
    await asyncio.gather(*senders)
    try:
        await asyncio.wait_for(done.wait(), 60)
    except TimeoutError:
        pass
    for t in readers:
        t.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    await asyncio.gather(*(c.close() for c in residents + staff), return_exceptions=True)
    return {"connect": connect_seconds, "delays": delays, "lost": len(sent_at),
            "acked": len(acked), "retried": retried, "keys": keys, "ack_delays": ack_delays}


RESEND_AFTER = 10.0  # as the phone: a send not acknowledged in 10 s goes again


def report(title: str, result: dict, servers) -> None:
    d = [x * 1000 for x in result["delays"]]
    db = chat_setup.stored_once(result["keys"])
    print(f"{title}")
    print(f"  sockets open: {SOCKETS} (connected and caught up in {result['connect']:.1f} s)")
    print(f"  messages: {MESSAGES} over {SPREAD_SECONDS:.0f} s; delivered live {len(d)}, "
          f"not delivered live {result['lost']}; acknowledged {result['acked']}, "
          f"sends repeated by the client {result['retried']}")
    print(f"  in the database: {db['stored']} of {MESSAGES} stored, {db['twice']} stored twice, "
          f"{db['missing']} missing")
    if d:
        print(f"  delivery time: median {statistics.median(d):.1f} ms, "
              f"p95 {testing.percentile(d, 0.95):.1f} ms, max {max(d):.1f} ms")
    a = [x * 1000 for x in result["ack_delays"]]
    if a:
        print(f"  stored and acknowledged to the sender: median {statistics.median(a):.1f} ms, "
              f"p95 {testing.percentile(a, 0.95):.1f} ms")
    print("  server RSS: " + ", ".join(f"{s.rss_kb() / 1024:.0f} MB" for s in servers)
          + f"; load average {os.getloadavg()[0]:.1f}", flush=True)


def main() -> None:
    chat_setup.prepare_database()
    print(f"database: {connection.vendor}; cores: {os.cpu_count()}; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    world = chat_setup.world_without_connections(pairs=SOCKETS // 2, staff=5)
    with testing.live_servers(1) as servers:
        report("1. one process, in-memory channel layer", asyncio.run(run(servers, world)),
               servers)
    with chat_setup.optional_redis() as redis_url:
        if redis_url is None:
            print("2. two processes through Redis: skipped")
            return
        world = chat_setup.world_without_connections(pairs=SOCKETS // 2, staff=5)
        with testing.live_servers(2, redis_url=redis_url) as servers:
            report("2. two processes through Redis (residents on one, staff on the other)",
                   asyncio.run(run(servers, world)), servers)


if __name__ == "__main__":
    main()
