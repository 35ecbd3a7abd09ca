"""Redis killed (-9) and restarted under open chat sockets: what is lost, what recovers.

One Daphne process on a Redis of its own. CONVERSATIONS conversations, each
with the resident's and the staff member's socket open for the whole run.
ROUNDS times: Redis is killed and started again at once; HANDSHAKES new
sockets are opened right after (each must be let in); every staff member
sends one message at once, and another after a heartbeat (22 s). Printed:
handshakes refused, how long after Redis was back each old socket (resident's
and staff member's) was a member of its conversation's group again, how many
first messages arrived live (a ``message`` frame, not a catch-up) and how long
after Redis was back, how long until each resident's old socket showed the
first message, how many second messages arrived live, sockets that never
recovered, and messages missing at the end. Asserts nothing.

    .venv/bin/python tests/perf/bench_redis_restart.py [ROUNDS] [CONVERSATIONS]
"""

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 2
CONVERSATIONS = int(sys.argv[2]) if len(sys.argv) > 2 else 10
HANDSHAKES = CONVERSATIONS
HEARTBEAT = 22.0

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the figures read last_seq in the loop

from tests.perf import chat_setup  # noqa: E402

chat_setup.django_for_bench("bench-redis-restart")

from community.liaison import testing  # noqa: E402


class Redis:
    def __init__(self):
        self.port = testing.free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        while True:
            try:
                if redis.Redis.from_url(self.url, socket_timeout=0.5).ping():
                    return
            except redis.RedisError:
                time.sleep(0.01)

    def restart(self) -> float:
        began = time.monotonic()
        self.proc.kill()
        self.proc.wait(5)
        self.start()
        return time.monotonic() - began


async def run(server, world, redis) -> dict:
    pairs = world["conversations"]
    residents, staff = [], []
    for conv_id, resident_cookie, staff_cookie in pairs:
        r = testing.ProtocolClient(server.ws, conv_id, resident_cookie, server.url)
        s = testing.ProtocolClient(server.ws, conv_id, staff_cookie, server.url)
        await r.connect()
        await s.connect()
        await r.read_until(lambda f: f["type"] == "state")
        await s.read_until(lambda f: f["type"] == "state")
        residents.append(r)
        staff.append(s)
    live = {id(r): 0 for r in residents}
    live_at = {id(r): {} for r in residents}  # seq -> when its message frame arrived

    def counter(key: int):
        def on_frame(frame: dict) -> None:
            if frame["type"] == "message":
                live[key] += 1
                live_at[key].setdefault(frame["message"]["seq"], time.monotonic())
        return on_frame

    for r in residents:
        r.on_frame = counter(id(r))

    async def pump(client):
        while True:
            try:
                await client.read_until(lambda f: False, timeout=3600)
            except Exception:
                return

    readers = [asyncio.create_task(pump(r)) for r in residents]
    figures = {"away": [], "refused": 0, "first_seconds": [], "second_live": 0,
               "second_sent": 0, "never": 0, "rejoin_seconds": [], "old_sockets": 0,
               "first_live_seconds": [], "first_sent_seconds": []}
    n = 0
    old_members = await _members(redis, pairs)  # only the old sockets are open now
    for _round in range(ROUNDS):
        figures["old_sockets"] += len(old_members)
        figures["away"].append(redis.restart())
        back = time.monotonic()
        rejoined = asyncio.create_task(_rejoin_times(redis, old_members, back))
        extra = []
        for conv_id, resident_cookie, _s in pairs[:HANDSHAKES]:
            c = testing.ProtocolClient(server.ws, conv_id, resident_cookie, server.url)
            try:
                await c.connect()
                extra.append(c)
            except Exception:
                figures["refused"] += 1
        # Each staff member sends one message: the next number of each conversation.
        expected = {id(r): _last_of(r) + 1 for r in residents}
        began = time.monotonic()
        figures["first_sent_seconds"].append(began - back)
        for s in staff:
            n += 1
            await s.ws.send(testing.json.dumps({"type": "send", "client_key": f"a{n}",
                                                "body": f"first {n}"}))
        waits = {}
        while time.monotonic() - began < 60 and len(waits) < len(residents):
            for r in residents:
                if id(r) not in waits and r.last >= expected[id(r)]:
                    waits[id(r)] = time.monotonic() - began
            await asyncio.sleep(0.1)
        figures["first_seconds"] += list(waits.values())
        figures["first_live_seconds"] += [live_at[key][seq] - back
                                          for key, seq in expected.items() if seq in live_at[key]]
        figures["rejoin_seconds"] += await rejoined
        await asyncio.sleep(HEARTBEAT)
        before = dict(live)
        for s in staff:
            n += 1
            figures["second_sent"] += 1
            await s.ws.send(testing.json.dumps({"type": "send", "client_key": f"b{n}",
                                                "body": f"second {n}"}))
        await asyncio.sleep(5)
        figures["second_live"] += sum(1 for r in residents if live[id(r)] > before[id(r)])
        for c in extra:
            await c.close()
    for r in residents:
        if r.last < _last_of(r):
            figures["never"] += 1
    figures["missing"] = sum(max(0, _last_of(r) - r.last) for r in residents)
    for task in readers:
        task.cancel()
    for c in residents + staff:
        await c.close()
    return figures


async def _members(redis, pairs) -> list[tuple[str, str]]:
    """(group key, channel) of every member of the conversations' groups."""
    from redis import asyncio as aioredis

    from community.liaison.events import conversation_group

    client = aioredis.Redis.from_url(redis.url)
    found = []
    for conv_id, _r, _s in pairs:
        key = f"asgi:group:{conversation_group(conv_id)}"
        found += [(key, member.decode()) for member in await client.zrange(key, 0, -1)]
    await client.aclose()
    return found


async def _rejoin_times(redis, members, back: float, timeout: float = 30.0) -> list[float]:
    """Seconds after Redis was back until each of ``members`` was in its group again."""
    from redis import asyncio as aioredis

    client = aioredis.Redis.from_url(redis.url)
    waiting, times = set(members), []
    while waiting and time.monotonic() - back < timeout:
        for key, channel in list(waiting):
            try:
                if await client.zscore(key, channel) is not None:
                    times.append(time.monotonic() - back)
                    waiting.discard((key, channel))
            except Exception:
                pass
        await asyncio.sleep(0.02)
    await client.aclose()
    return times


def _last_of(client) -> int:
    from django.db import connections

    from community.liaison.models import Conversation

    conv_id = int(client.url.rstrip("/").rsplit("/", 1)[1])
    last = Conversation.objects.filter(pk=conv_id).values_list("last_seq", flat=True).get()
    connections.close_all()
    return last


def main() -> None:
    chat_setup.prepare_database()
    world = chat_setup.world_without_connections(pairs=CONVERSATIONS, staff=CONVERSATIONS)
    redis = Redis()
    redis.start()
    try:
        with testing.live_servers(1, redis_url=redis.url) as (server,):
            f = asyncio.run(run(server, world, redis))
    finally:
        redis.proc.kill()
    print(f"{ROUNDS} restarts (Redis away {', '.join(f'{a * 1000:.0f} ms' for a in f['away'])}), "
          f"{CONVERSATIONS} conversations")
    print(f"handshakes right after a restart refused: {f['refused']} of {ROUNDS * HANDSHAKES}")
    rj = sorted(f["rejoin_seconds"])
    print(f"old sockets in their conversation's group again after Redis was back: {len(rj)} of "
          f"{f['old_sockets']}; median {testing.percentile(rj, 0.5):.2f} s, "
          f"max {max(rj, default=float('nan')):.2f} s")
    fl = sorted(f["first_live_seconds"])
    print(f"first message after the restart arrived live on the old socket: {len(fl)} of "
          f"{ROUNDS * CONVERSATIONS} (sent {', '.join(f'{x:.1f}' for x in f['first_sent_seconds'])}"
          f" s after Redis was back); after Redis was back median "
          f"{testing.percentile(fl, 0.5):.2f} s, max {max(fl, default=float('nan')):.2f} s")
    fs = sorted(f["first_seconds"])
    print(f"first message after the restart shown on the old socket: {len(fs)} of "
          f"{ROUNDS * CONVERSATIONS}; median {testing.percentile(fs, 0.5):.1f} s, "
          f"max {max(fs, default=float('nan')):.1f} s")
    print(f"second message (after a heartbeat) arrived live: {f['second_live']} of "
          f"{f['second_sent']}")
    print(f"sockets that never recovered: {f['never']}; messages missing at the end: "
          f"{f['missing']}")


if __name__ == "__main__":
    main()
