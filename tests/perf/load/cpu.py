"""CPU seconds (user + system) used so far by the processes of some process groups.

    python tests/perf/load/cpu.py PGID [PGID ...]

``scripts/load`` reads it before and after each step for the server
processes (each started by ``setsid``: its pid is its group, and a server's
worker processes share it), so the figures can say how much server CPU a
request cost: on a shared machine that moves less than requests per second.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def cpu_seconds(groups: set[int]) -> float:
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        # After the name: state, ppid, pgrp, ..., utime (12th), stime (13th).
        if int(fields[2]) in groups:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    print(f"{cpu_seconds({int(g) for g in sys.argv[1:]}):.2f}")
