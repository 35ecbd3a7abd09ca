"""Churn: clients reconnecting in a loop while others send (the pattern of channels #1683).

CONVERSATIONS conversations; in each, the staff member sends a numbered
message every second over a socket that stays up, while CHURNERS readers per
conversation (the resident's phones and supervisors) connect, read for a
moment, drop, and reconnect, each time to a random server process, until
CYCLES reconnects have happened. Then every reader connects once more and
catches up. Printed: for every reader, messages missing and messages shown
twice (both must be 0), frames the client dropped as already shown, and the
servers' memory (RSS) before and after the churn.

With Redis (TEST_REDIS_URL or a local redis-server) it runs two Daphne
processes through the Redis layer; without, one process in memory.
Prints figures; asserts nothing.

    .venv/bin/python tests/perf/bench_chat_churn.py [CYCLES] [CONVERSATIONS] [CHURNERS]
"""

import asyncio
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
CYCLES = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
CONVERSATIONS = int(sys.argv[2]) if len(sys.argv) > 2 else 10
CHURNERS = int(sys.argv[3]) if len(sys.argv) > 3 else 4

from tests.perf import chat_setup  # noqa: E402

chat_setup.django_for_bench("bench-churn")

from django.db import connection  # noqa: E402

from community.liaison import testing  # noqa: E402


async def churn(servers, world) -> dict:
    pairs = world["conversations"]
    watchers = world["watchers"]
    stop = asyncio.Event()
    cycles = 0
    refused = 0
    sent = 0
    sent_keys: list[str] = []

    # readers: per conversation, the resident twice (two phones) and supervisors
    readers = []
    for n, (conv_id, resident_cookie, _staff_cookie) in enumerate(pairs):
        cookies = [resident_cookie, resident_cookie] + [
            watchers[(n + k) % len(watchers)] for k in range(max(0, CHURNERS - 2))]
        for cookie in cookies[:CHURNERS]:
            readers.append((conv_id, cookie, testing.ProtocolClient(
                servers[0].ws, conv_id, cookie, servers[0].url)))

    def retarget(client: testing.ProtocolClient, conv_id: int, cookie: str):
        server = random.choice(servers)
        client.url = f"{server.ws}/ws/chat/{conv_id}/"
        client.headers["Origin"] = server.url

    async def sender(conv_id: int, cookie: str):
        """Sends numbered messages; on a broken socket it reconnects and resends the same key."""
        nonlocal sent, refused
        client = testing.ProtocolClient(servers[0].ws, conv_id, cookie, servers[0].url)
        i = 0
        while not stop.is_set():
            key = f"c{conv_id}-{i}"
            if key not in sent_keys:
                sent_keys.append(key)
            try:
                if client.ws is None:
                    await client.connect()
                    await client.read_until(lambda f: f["type"] == "state", timeout=120)
                await client.ws.send(testing.json.dumps({"type": "send", "client_key": key,
                                                         "body": key}))
                frame = await client.read_until(
                    lambda f, key=key: f["type"] in ("ack", "error") and f.get("client_key") == key,
                    timeout=60)
            except Exception as exc:  # dropped under load: reconnect, send the same key again
                if os.environ.get("BENCH_DEBUG"):
                    print("sender:", repr(exc), flush=True)
                await client.close()
                await asyncio.sleep(1)
                continue
            if frame["type"] == "ack":
                sent += 1
                i += 1
            else:
                refused += 1
            await asyncio.sleep(1.0)  # within the rate limit (12 per 10 s per person)
        await client.close()

    async def reader(conv_id: int, cookie: str, client: testing.ProtocolClient):
        nonlocal cycles
        while not stop.is_set():
            retarget(client, conv_id, cookie)
            try:
                await client.connect()
                end = time.monotonic() + random.uniform(0.05, 0.6)
                while time.monotonic() < end:
                    try:
                        await client.read_until(lambda f: False, timeout=end - time.monotonic())
                    except TimeoutError:
                        break
            except Exception:  # a refused or broken connect is part of churn
                pass
            finally:
                await client.close()
            cycles += 1
            if cycles >= CYCLES:
                stop.set()

    rss_before = [s.rss_kb() for s in servers]
    t0 = time.perf_counter()
    senders = [asyncio.create_task(sender(conv_id, staff_cookie))
               for conv_id, _r, staff_cookie in pairs]
    await asyncio.sleep(1)
    await asyncio.gather(*(reader(*r) for r in readers))
    await asyncio.gather(*senders)
    churn_seconds = time.perf_counter() - t0

    # the last reconnect: every reader catches up to the server's last number
    results = []
    for conv_id, cookie, client in readers:
        for _attempt in range(10):
            try:
                retarget(client, conv_id, cookie)
                await client.connect()
                state = await client.read_until(lambda f: f["type"] == "state", timeout=120)
                last = state["state"]["last_seq"]
                while client.last < last:
                    await client.read_until(lambda f: f["type"] in ("messages", "message"),
                                            timeout=60)
                break
            except Exception:
                await asyncio.sleep(1)
            finally:
                await client.close()
        shown = client.shown
        results.append({
            "missing": len(set(range(1, last + 1)) - set(shown)),
            "duplicated": len(shown) - len(set(shown)),
            "repeats": client.repeats,
        })
    await asyncio.sleep(2)
    rss_after = [s.rss_kb() for s in servers]
    return {"cycles": cycles, "sent": sent, "refused": refused, "seconds": churn_seconds,
            "results": results, "rss_before": rss_before, "rss_after": rss_after,
            "keys": sent_keys}


def main() -> None:
    chat_setup.prepare_database()
    world = chat_setup.world_without_connections(pairs=CONVERSATIONS, staff=CONVERSATIONS,
                                                 watchers=max(1, CHURNERS))
    with chat_setup.optional_redis() as redis_url:
        count = 2 if redis_url else 1
        with testing.live_servers(count, redis_url=redis_url) as servers:
            r = asyncio.run(churn(servers, world))
    layer = "two processes through Redis" if redis_url else "one process, in-memory layer"
    res = r["results"]
    print(f"database: {connection.vendor}; {layer}")
    print(f"reconnect cycles: {r['cycles']} in {r['seconds']:.1f} s by {len(res)} readers "
          f"in {CONVERSATIONS} conversations; messages stored while churning: {r['sent']} "
          f"(rate-limited and retried: {r['refused']})")
    db = chat_setup.stored_once(r["keys"])
    print(f"sends tried: {len(r['keys'])} keys; in the database {db['stored']} stored, "
          f"{db['twice']} stored twice (the last key may be unsent when the run stops: "
          f"{db['missing']} missing)")
    print(f"missing per reader: max {max(x['missing'] for x in res)}, "
          f"total {sum(x['missing'] for x in res)}")
    print(f"duplicated per reader: max {max(x['duplicated'] for x in res)}, "
          f"total {sum(x['duplicated'] for x in res)}")
    print(f"frames dropped by the client as already shown: "
          f"{sum(x['repeats'] for x in res)}")
    for i, (before, after) in enumerate(zip(r["rss_before"], r["rss_after"], strict=True)):
        print(f"server {i + 1} RSS: before churn {before / 1024:.0f} MB, "
              f"after {after / 1024:.0f} MB")


if __name__ == "__main__":
    main()
