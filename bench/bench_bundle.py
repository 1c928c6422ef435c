"""The frozen app (scripts/build-bundle -> dist/SODSend/): its size, and its start to the first shown window
compared with what a pip user runs (`python3 -m sodclient`), plus its --self-test time.

    scripts/build-bundle && python3 bench/bench_bundle.py --runs 7

Start time: wall time from spawning the process to the line the app prints once the main window is shown
(SODCLIENT_STARTUP_PROBE=1, as bench/bench_gui.py), offscreen, each run in a fresh empty profile. "First"
is the first start after the build (files just written, so mostly in the page cache); the median is over
the following runs. The page cache is not dropped: this is a shared machine.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "dist" / "SODSend"


def size() -> dict:
    files = [p for p in BUNDLE.rglob("*") if p.is_file() and not p.is_symlink()]
    raw = sum(p.stat().st_size for p in files)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=6) as tar:
        tar.add(BUNDLE, arcname="SODSend")
    return {"files": len(files), "bytes": raw, "tar_gz": buf.tell()}


def start(cmd: list[str]) -> float:
    home = tempfile.mkdtemp(prefix="sod-bench-bundle-")
    env = {
        **os.environ,
        "SODCLIENT_HOME": home,
        "SODCLIENT_STARTUP_PROBE": "1",
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "XDG_DATA_HOME": home + "/xdg",
    }
    t0 = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - t0
    if "first-window-shown" not in out.stdout:
        raise SystemExit(f"{cmd[0]} did not report its first window: {out.stderr[-500:]}")
    return elapsed


def series(cmd: list[str], runs: int) -> tuple[float, list[float]]:
    first = start(cmd)
    return first, [start(cmd) for _ in range(runs)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    exe = BUNDLE / ("SODSend.exe" if sys.platform == "win32" else "SODSend")
    if not exe.exists():
        raise SystemExit("build the bundle first: scripts/build-bundle")
    s = size()
    print(f"bundle: {s['files']} files, {s['bytes'] / 2**20:.0f} MiB on disk, {s['tar_gz'] / 2**20:.0f} MiB as .tar.gz")
    for name, cmd in (("bundle", [str(exe)]), ("python3 -m sodclient", [sys.executable, "-m", "sodclient"])):
        first, rest = series(cmd, args.runs)
        print(
            f"{name}: first start {first:.2f} s; median of {len(rest)} {statistics.median(rest):.2f} s "
            f"(min {min(rest):.2f}, max {max(rest):.2f})"
        )
    t0 = time.perf_counter()
    out = subprocess.run(
        [str(exe), "--self-test"],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    if out.returncode != 0:
        raise SystemExit(f"self-test failed: {out.stderr[-800:]}")
    print(f"bundle --self-test: {time.perf_counter() - t0:.2f} s")
    print(f"load average: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
