"""Peer Review throughput: SOD Send vs dicognito and dicom-anonymizer, same corpus, same run.

    python3 bench/bench_deid.py [--slices 400] [--runs 3] [--workdir DIR]

Corpus: --slices CT/MR slices generated from pydicom's bundled CT_small/MR_small with synthetic PHI and
distinct SOPInstanceUIDs (bench/deid_corpus.py). Each tool runs through its Python API in a fresh
interpreter (bench/deid_runner.py), as a user's script would call it: `run_peer_review`,
dicognito's CLI entry `dicognito.__main__.main([...])` (the installed `dicognito` console script is
broken in 0.19: main() needs an argument), and `dicomanonymizer.anonymize(in, out, {}, True)`.
Tools run round-robin, --runs times; medians are reported. "work" excludes interpreter start-up and
imports; "process" is the whole child process. "leaks" counts outputs still holding a planted value.
SOD Send runs with its defaults, OCR of burned-in text on: every slice is screened, what passes is read.

Then the OCR throughput per image, in this process: the cheap screen over every corpus slice, and the whole
burned-in text step (screen, OCR of what passes, blanking, re-read) over --ocr-images synthetic CT slices
(256x256, 16-bit) with a name and an ID rendered into them (DejaVu Sans, as in tests/deid/test_ocr.py).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import table
from deid_corpus import leaked_files, make_corpus

TOOLS = {
    "sod": "SOD Send run_peer_review (1 process, OCR on)",
    "sod2": "SOD Send run_peer_review (workers=2, OCR on)",
    "dicognito": "dicognito 0.19",
    "dicom-anonymizer": "dicom-anonymizer 2.1",
}
COMPETITORS = ("dicognito", "dicom-anonymizer")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--slices", type=int, default=400)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--ocr-images", type=int, default=20)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-deid-", dir=args.workdir))
    runner = Path(__file__).with_name("deid_runner.py")
    env = dict(os.environ, SODCLIENT_HOME=str(work / "home"))
    try:
        corpus = work / "in"
        make_corpus(corpus, args.slices)
        size = sum(p.stat().st_size for p in corpus.iterdir())
        samples: dict[str, list[tuple[float, float, float]]] = {t: [] for t in TOOLS}
        outputs: dict[str, tuple[int, int]] = {}
        order = list(TOOLS)
        for run in range(args.runs):
            for tool in order[run % len(order) :] + order[: run % len(order)]:  # rotate: share the noise
                out = work / f"out-{tool}"
                shutil.rmtree(out, ignore_errors=True)
                if not tool.startswith("sod"):
                    out.mkdir()
                t0 = time.perf_counter()
                proc = subprocess.run(
                    [sys.executable, str(runner), tool, str(corpus), str(out)], capture_output=True, text=True, env=env
                )
                process_wall = time.perf_counter() - t0
                if proc.returncode != 0:
                    raise SystemExit(f"{tool} failed: {proc.stderr[-2000:]}")
                timing = json.loads(proc.stdout.strip().splitlines()[-1])
                samples[tool].append((timing["wall"], timing["cpu"], process_wall))
                files = [p for p in out.rglob("*") if p.is_file()]
                outputs[tool] = (len(files), leaked_files(out))
        med = {t: tuple(statistics.median(s[i] for s in samples[t]) for i in range(3)) for t in TOOLS}
        best_other = min(med[t][0] for t in COMPETITORS)
        best_other_process = min(med[t][2] for t in COMPETITORS)
        best_other_cpu = min(med[t][1] for t in COMPETITORS)
        rows = []
        for tool, label in TOOLS.items():
            wall, cpu, process = med[tool]
            files, leaks = outputs[tool]
            rows.append(
                [
                    label,
                    f"{wall:.2f}",
                    f"{args.slices / wall:.0f}",
                    f"{cpu:.2f}",
                    f"{process:.2f}",
                    f"{files}",
                    f"{leaks}",
                    f"{best_other / wall:.2f}x",
                    f"{best_other_cpu / cpu:.2f}x",
                    f"{best_other_process / process:.2f}x",
                ]
            )
        print(
            f"{args.slices} CT/MR slices ({size / 1e6:.1f} MB), median of {args.runs} round-robin run(s), "
            f"{os.cpu_count()} cores, load average before: {os.getloadavg()[0]:.1f}"
        )
        print(
            table(
                rows,
                [
                    "tool",
                    "work wall s",
                    "files/s",
                    "work CPU s",
                    "process wall s",
                    "outputs",
                    "outputs with planted PHI",
                    "speed vs faster competitor (work wall)",
                    "(work CPU)",
                    "(process wall)",
                ],
            )
        )
        print()
        print(ocr_throughput(corpus, work / "ocr", args.ocr_images))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def ocr_throughput(corpus: Path, folder: Path, count: int) -> str:
    """Per-image cost of the screen (every corpus slice) and of the whole text step on rendered text."""
    import numpy as np
    import pydicom
    from PIL import Image, ImageDraw, ImageFont

    from sodclient.deid import burned_in, pixels, screen
    from sodclient.deid.deny_list import DenyList

    slices = sorted(corpus.iterdir())
    datasets = [pydicom.dcmread(p) for p in slices]
    t0 = time.perf_counter()
    flagged = 0
    for ds in datasets:
        frames = pixels.decoded_frames(ds)
        flagged += bool(screen.text_regions(pixels.gray8(frames[0], str(ds.PhotometricInterpretation))))
    screen_ms = (time.perf_counter() - t0) * 1000 / len(datasets)

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 12)
    folder.mkdir(parents=True, exist_ok=True)
    texted = []
    for i in range(count):
        ds = datasets[(2 * i) % len(datasets)].copy()  # CT slices (even indexes)
        arr = np.kron(ds.pixel_array, np.ones((2, 2), dtype=ds.pixel_array.dtype))
        mask = Image.new("L", (arr.shape[1], arr.shape[0]), 0)
        draw = ImageDraw.Draw(mask)
        draw.text((4, 4), f"BENCHPERSON ADELHEID {i}", fill=255, font=font)
        draw.text((60, 120), "BPID4471209", fill=255, font=font)
        arr[np.asarray(mask) > 100] = int(arr.max()) + 400
        ds.Rows, ds.Columns = arr.shape
        ds.PixelData = arr.tobytes()
        texted.append(ds)
    deny = ["Benchperson^Adelheid", "BPID4471209"]
    t0 = time.perf_counter()
    blanked = 0
    for ds in texted:
        outcome = burned_in.clean_pixels(ds, {}, DenyList(deny), [])
        blanked += bool(outcome.boxes)
    ocr_ms = (time.perf_counter() - t0) * 1000 / count
    return (
        f"OCR throughput: screen {screen_ms:.2f} ms per slice over {len(datasets)} corpus slices "
        f"({flagged} passed on to OCR); whole burned-in text step on {count} 256x256 CT slices with "
        f"rendered text: {ocr_ms:.0f} ms per image ({1000 / ocr_ms:.1f} images/s), {blanked} of {count} "
        "blanked"
    )


if __name__ == "__main__":
    raise SystemExit(main())
