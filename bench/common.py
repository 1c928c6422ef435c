"""Shared helpers for the benchmarks: timing a command with its peak RSS, and table printing."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Run:
    wall: float  # seconds
    rss: int  # peak RSS in bytes of the largest single process of the command
    user: float  # CPU seconds in user space, all processes of the command
    sys: float  # CPU seconds in the kernel (page-cache writes, page faults)


def run_measured(cmd: list[str] | str, *, shell: bool = False, env=None, cwd=None) -> Run:
    """Time one run of a command. Dirty pages left by the previous run are flushed first, so no
    contender pays for another's writeback."""
    os.sync()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, shell=shell, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{cmd} failed: {proc.stderr.read().decode(errors='replace')}")
    return Run(elapsed, usage.ru_maxrss * 1024, usage.ru_utime, usage.ru_stime)


def interleaved(n: int, fns: dict) -> dict:
    """Run each contender once per round, round after round, so background load hits all alike.
    Returns name -> Run of medians (peak RSS: the largest seen)."""
    runs: dict = {name: [] for name in fns}
    order = list(fns)
    for i in range(n):
        # Rotate who goes first: on this VM the first run after a pause often finds its input partly
        # paged out (DAMON proactive reclaim), a cost the next contender then does not pay.
        for name in order[i % len(order) :] + order[: i % len(order)]:
            runs[name].append(fns[name]())
    return {
        name: Run(
            statistics.median(r.wall for r in rs),
            max(r.rss for r in rs),
            statistics.median(r.user for r in rs),
            statistics.median(r.sys for r in rs),
        )
        for name, rs in runs.items()
    }


def table(rows: list[list[str]], header: list[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)
