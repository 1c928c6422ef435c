"""Peer Review throughput: `sodclient deid` vs dicognito and dicom-anonymizer, same corpus, same run.

    python3 bench/bench_deid.py [--slices 400] [--runs 3] [--workdir DIR]

Each tool is run as a user would run it, through its command line, on a folder of CT/MR slices with
synthetic PHI (bench/deid_corpus.py). The installed `dicognito` console script is broken in 0.19
(main() needs an argument), so dicognito runs as `python3 -m dicognito`, which is its documented CLI.
Reports the median wall time of --runs runs (interpreter start-up included for every tool), files/s,
and how many output files still contain a planted identifying value.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import median_of, run_measured, table  # noqa: E402
from deid_corpus import leaked_files, make_corpus  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--slices", type=int, default=400)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-deid-", dir=args.workdir))
    try:
        corpus = work / "in"
        make_corpus(corpus, args.slices)
        size = sum(p.stat().st_size for p in corpus.iterdir())
        py = sys.executable
        tools = {
            "sodclient deid (1 process)": lambda out: [py, "-m", "sodclient", "deid", "--quiet", "-o", out, corpus],
            "sodclient deid --workers 2": lambda out: [py, "-m", "sodclient", "deid", "--quiet", "--workers", "2",
                                                        "-o", out, corpus],
            "dicognito 0.19": lambda out: [py, "-m", "dicognito", "--quiet", "-o", out, corpus],
            "dicom-anonymizer 2.1": lambda out: ["dicom-anonymizer", corpus, out],
        }
        env = dict(os.environ, SODCLIENT_HOME=str(work / "home"))
        results = {}
        for name, make_cmd in tools.items():
            out = work / "out"

            def once():
                shutil.rmtree(out, ignore_errors=True)
                out.mkdir()
                return run_measured([str(c) for c in make_cmd(out)], env=env)

            seconds, rss = median_of(args.runs, once)
            files = len([p for p in out.rglob("*") if p.is_file()])
            results[name] = (seconds, rss, files, leaked_files(out))
        rows = []
        competitors = [v[0] for k, v in results.items() if not k.startswith("sodclient")]
        fastest_other = min(competitors)
        for name, (seconds, rss, files, leaks) in results.items():
            rows.append([name, f"{seconds:.2f}", f"{args.slices / seconds:.0f}", f"{size / seconds / 1e6:.1f}",
                         f"{rss / 2**20:.0f}", f"{files}", f"{leaks}", f"{fastest_other / seconds:.2f}x"])
        print(f"{args.slices} CT/MR slices, {size / 1e6:.1f} MB, median of {args.runs} run(s), {os.cpu_count()} cores")
        print(table(rows, ["tool", "wall s", "files/s", "MB/s", "peak RSS MiB", "outputs",
                           "outputs with planted PHI", "speed vs faster competitor"]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
