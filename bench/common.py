"""Shared helpers for the benchmarks: timing a command with its peak RSS, and table printing."""

from __future__ import annotations

import os
import statistics
import subprocess
import time


def run_measured(cmd: list[str] | str, *, shell: bool = False, env=None, cwd=None) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes, largest single process of the command) of one run.

    Dirty pages left by the previous run are flushed first, so no contender pays for another's writeback."""
    os.sync()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, shell=shell, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} failed: {proc.stderr.read().decode(errors='replace')}")
    return elapsed, usage.ru_maxrss * 1024


def median_of(n: int, fn) -> tuple[float, int]:
    runs = [fn() for _ in range(n)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


def interleaved(n: int, fns: dict) -> dict:
    """Run each contender once per round, round after round, so background load hits all alike.
    Returns name -> (median seconds, peak RSS bytes)."""
    runs: dict = {name: [] for name in fns}
    for _ in range(n):
        for name, fn in fns.items():
            runs[name].append(fn())
    return {name: (statistics.median(r[0] for r in rs), max(r[1] for r in rs)) for name, rs in runs.items()}


def table(rows: list[list[str]], header: list[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)
