"""Print the load figures of ``scripts/load`` side by side, from Locust's CSV files.

Reads ``<target>-u<users>_stats.csv`` (and ``_failures.csv``) in a folder,
where target is ``prod``, ``prod-<asgi server>`` (``-r<round>`` when the
servers ran in several rounds, ``LOAD_SERVERS``/``LOAD_ROUNDS`` of
``scripts/load``) or ``embedded``, and prints for each user count:
requests per second, median and 95th-percentile response time (ms) and
errors (failed requests / all requests), one column group per target; with
rounds, the same again per server averaged over its rounds; then, for the
largest user count, the same per request; then the first failure
messages, if any. Prints figures; asserts nothing.

    .venv/bin/python tests/perf/load/summarise.py var/load/results
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

TARGETS = {
    "prod": "production: nginx, 2 Granian WSGI for the pages, 2 Daphne for /ws/, PostgreSQL, "
            "Redis, worker",
    "embedded": "embedded default: 1 Daphne, SQLite",
}
FILE = re.compile(r"^(?P<target>[a-z][a-z0-9-]*?)-u(?P<users>\d+)_stats\.csv$")
SERVER = re.compile(r"^prod-(?P<server>[a-z][a-z-]*?)(?:-r(?P<round>\d+))?$")
SERVING = {"granian-wsgi": "2 Granian WSGI for the pages, 2 Daphne for /ws/"}


def describe(target: str) -> str:
    match = SERVER.match(target)
    if target in TARGETS or not match:
        return TARGETS.get(target, target)
    rounds = f", round {match['round']}" if match["round"] else ""
    serving = SERVING.get(match["server"], f"2 {match['server']}")
    return f"production: nginx, {serving}, PostgreSQL, Redis, worker{rounds}"


def _order(targets) -> list[str]:
    """prod, then prod-<server>[-r<n>] as they ran (servers in name order), embedded last."""
    def key(t):
        match = SERVER.match(t)
        if t == "prod":
            return (0, 0, "")
        if match:
            return (1, int(match["round"] or 0), match["server"])
        return (2 if t == "embedded" else 3, 0, t)
    return sorted(targets, key=key)


def _read(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _figures(row: dict) -> dict:
    count, fails = int(row["Request Count"]), int(row["Failure Count"])
    return {"rps": float(row["Requests/s"]), "median": float(row["Median Response Time"] or 0),
            "p95": float(row["95%"] or 0) if row.get("95%") not in ("", "N/A") else 0.0,
            "count": count, "fails": fails}


def collect(folder: Path) -> dict:
    """{target: {users: {"total": figures, "rows": {name: figures}}}}"""
    results: dict = {}
    for path in sorted(folder.glob("*_stats.csv")):
        match = FILE.match(path.name)
        if not match:
            continue
        rows = _read(path)
        entry = {"total": None, "rows": {}, "failures": []}
        for row in rows:
            if row["Name"] == "Aggregated":
                entry["total"] = _figures(row)
            else:
                entry["rows"][f"{row['Type']} {row['Name']}"] = _figures(row)
        failures = path.with_name(path.name.replace("_stats.csv", "_failures.csv"))
        if failures.exists():
            entry["failures"] = [
                f"{r['Method']} {r['Name']}: {r['Error'][:160]} (×{r['Occurrences']})"
                for r in _read(failures)]
        cpu = path.with_name(path.name.replace("_stats.csv", ".cpu"))
        if entry["total"] is not None and cpu.exists():
            before, after = (float(x) for x in cpu.read_text().split())
            entry["total"]["cpu_s"] = after - before
        if entry["total"] is not None:
            results.setdefault(match["target"], {})[int(match["users"])] = entry
    return results


def _cells(f: dict | None) -> str:
    if f is None:
        return f"{'-':>7} {'-':>7} {'-':>7} {'-':>11}"
    errors = f"{f['fails']}/{f['count']}"
    return f"{f['rps']:7.1f} {f['median']:7.0f} {f['p95']:7.0f} {errors:>11}"


def table(results: dict) -> str:
    targets = _order(results)
    users = sorted({u for t in targets for u in results[t]})
    head = f"{'users':>5} | " + " | ".join(
        f"{'req/s':>7} {'med ms':>7} {'p95 ms':>7} {'errors':>11}" for _ in targets)
    width = len(_cells(None))
    names = f"{'':>5} | " + " | ".join(f"{t:<{width}}" for t in targets)
    lines = [names, head, "-" * len(head)]
    for u in users:
        lines.append(f"{u:>5} | " + " | ".join(
            _cells(results[t].get(u, {}).get("total")) for t in targets))
    lines.append("")
    lines += [f"{t}: {describe(t)}" for t in targets]
    return "\n".join(lines)


def by_server(results: dict) -> dict:
    """The rounds of each server averaged: {"prod-<server>": {users: {"total": figures}}}."""
    rounds: dict = {}
    for t, steps in results.items():
        match = SERVER.match(t)
        if match and match["round"]:
            for u, entry in steps.items():
                rounds.setdefault(f"prod-{match['server']}", {}).setdefault(u, []).append(
                    entry["total"])
    merged: dict = {}
    for server, steps in rounds.items():
        for u, figures in steps.items():
            n = len(figures)
            merged.setdefault(server, {})[u] = {"total": {
                "rps": sum(f["rps"] for f in figures) / n,
                "median": sum(f["median"] for f in figures) / n,
                "p95": sum(f["p95"] for f in figures) / n,
                "count": sum(f["count"] for f in figures),
                "fails": sum(f["fails"] for f in figures),
            }, "rows": {}, "failures": []}
            if all("cpu_s" in f for f in figures):
                merged[server][u]["total"]["cpu_s"] = sum(f["cpu_s"] for f in figures)
    return merged


def server_cpu(results: dict) -> str:
    """Server CPU per request: the servers' CPU seconds over a step / its requests."""
    targets = [t for t in _order(results)
               if any("cpu_s" in e["total"] for e in results[t].values())]
    if not targets:
        return ""
    users = sorted({u for t in targets for u in results[t]})
    lines = ["server CPU per request (ms; the ASGI/WSGI processes, not nginx or PostgreSQL):",
             f"{'users':>5} | " + " | ".join(f"{t:>21}" for t in targets)]
    for u in users:
        cells = []
        for t in targets:
            f = results[t].get(u, {}).get("total")
            ok = f and f.get("cpu_s") is not None and f["count"]
            cells.append(f"{1000 * f['cpu_s'] / f['count']:21.1f}" if ok else f"{'-':>21}")
        lines.append(f"{u:>5} | " + " | ".join(cells))
    return "\n".join(lines)


def per_request(results: dict) -> str:
    targets = _order(results)
    if not targets:
        return ""
    top = max(u for t in targets for u in results[t])
    names = sorted({n for t in targets for n in results[t].get(top, {}).get("rows", {})})
    if not names:
        return ""
    label = max(len(n) for n in names)
    lines = [f"per request at {top} users (median ms / p95 ms / requests):"]
    lines.append(f"{'':<{label}} | " + " | ".join(f"{t:<21}" for t in targets))
    for n in names:
        cells = []
        for t in targets:
            f = results[t].get(top, {}).get("rows", {}).get(n)
            cells.append(f"{f['median']:6.0f} {f['p95']:6.0f} {f['count']:7d}" if f
                         else f"{'-':>21}")
        lines.append(f"{n:<{label}} | " + " | ".join(cells))
    return "\n".join(lines)


def failures(results: dict, limit: int = 8) -> str:
    lines = []
    for t, steps in results.items():
        for u in sorted(steps):
            for message in steps[u]["failures"][:limit]:
                lines.append(f"  {t} {u} users: {message}")
    return ("failures:\n" + "\n".join(lines)) if lines else "failures: none"


def main(argv: list[str]) -> int:
    folder = Path(argv[1]) if len(argv) > 1 else Path("var/load/results")
    results = collect(folder)
    if not results:
        print(f"no Locust results (<target>-u<N>_stats.csv) in {folder}")
        return 1
    print(table(results))
    print()
    merged = by_server(results)
    if merged:
        print("each server, its rounds averaged (req/s, med, p95: means; errors: sums):")
        print(table(merged))
        print()
    cpu = server_cpu(merged or results)
    if cpu:
        print(cpu)
        print()
    print(per_request(results))
    print()
    print(failures(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
