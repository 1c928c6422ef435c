"""Container throughput and memory: `sod pack/unpack` to an X25519 recipient vs `age -r` / `age -d`.

    python3 bench/bench_container.py [--size-mib 1024] [--runs 3] [--workdir DIR]

Two inputs of the same size, in one run:
  * random.bin: one incompressible file (the worst case for sod: nothing to gain from compression);
  * series/: a synthetic CT series (512x512 16-bit slices with noise), the usual payload; for age the
    user's route is `tar c series | age -r` and `age -d | tar x`.
Contenders alternate run by run; reports the median wall time of --runs runs, throughput, and peak RSS of the
measured process.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import interleaved, run_measured, table

SLICE = 512 * 512 * 2


def make_inputs(work: Path, size: int) -> None:
    import numpy as np

    rng = np.random.default_rng(7)
    with open(work / "random.bin", "wb") as f:
        left = size
        while left:
            n = min(left, 64 << 20)
            f.write(rng.bytes(n))
            left -= n
    series = work / "series"
    series.mkdir()
    yy, xx = np.mgrid[0:512, 0:512]
    body = ((xx - 256) ** 2 + (yy - 256) ** 2 < 200**2).astype(np.int16) * 1040 - 1000
    for i in range(size // SLICE):
        img = body + rng.normal(0, 12, (512, 512)).astype(np.int16)
        (series / f"slice{i:05d}.raw").write_bytes(img.astype("<i2").tobytes())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--generate-into", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    size = a.size_mib << 20
    if a.generate_into:
        make_inputs(Path(a.generate_into), size)
        return
    work = Path(tempfile.mkdtemp(prefix="sodbench-", dir=a.workdir))
    try:
        # Inputs are made in a child process: peak RSS is inherited across fork+exec on Linux, so this
        # process must stay small for the children's ru_maxrss to be theirs alone.
        __import__("subprocess").run(
            [sys.executable, __file__, "--size-mib", str(a.size_mib), "--generate-into", str(work)], check=True
        )
        sod = [sys.executable, "-m", "sodformat.cli"]
        subprocess_env = dict(os.environ)
        keygen = __import__("subprocess").run(
            sod + ["keygen", "-o", str(work / "sod.key")], capture_output=True, text=True
        )
        sod_pub = keygen.stdout.strip().splitlines()[-1]
        age_out = __import__("subprocess").run(
            ["age-keygen", "-o", str(work / "age.key")], capture_output=True, text=True
        )
        age_pub = age_out.stderr.strip().split(": ")[-1]

        def clean(*paths):
            for p in paths:
                shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)

        results = []
        for label, src in (("random.bin (1 file)", "random.bin"), (f"CT series ({size // SLICE} files)", "series")):
            s = work / src

            def sod_pack(s=s):
                clean(work / "o.sod")
                return run_measured(
                    sod + ["pack", "-o", str(work / "o.sod"), "--recipient", sod_pub, str(s)], env=subprocess_env
                )

            def sod_unpack():
                clean(work / "out")
                return run_measured(
                    sod + ["unpack", "-o", str(work / "out"), "--identity", str(work / "sod.key"), str(work / "o.sod")]
                )

            if s.is_file():
                age_enc_cmd = f"age -r {age_pub} -o {work}/o.age {s}"
                age_dec_cmd = f"age -d -i {work}/age.key -o {work}/out.bin {work}/o.age"
            else:
                age_enc_cmd = f"tar -C {work} -cf - {src} | age -r {age_pub} -o {work}/o.age"
                age_dec_cmd = (
                    f"mkdir -p {work}/outage && age -d -i {work}/age.key {work}/o.age | tar -C {work}/outage -xf -"
                )

            def age_enc(age_enc_cmd=age_enc_cmd):
                clean(work / "o.age")
                return run_measured(age_enc_cmd, shell=True)

            def age_dec(age_dec_cmd=age_dec_cmd):
                clean(work / "out.bin", work / "outage")
                return run_measured(age_dec_cmd, shell=True)

            enc = interleaved(a.runs, {"sod": sod_pack, "age": age_enc})
            dec = interleaved(a.runs, {"sod": sod_unpack, "age": age_dec})
            sod_size, age_size = (work / "o.sod").stat().st_size, (work / "o.age").stat().st_size
            mib = size / (1 << 20)
            for step, res, note in (
                ("pack / encrypt", enc, f"{sod_size / 1e6:.0f} MB vs {age_size / 1e6:.0f} MB"),
                ("unpack / decrypt", dec, ""),
            ):
                s_, g = res["sod"], res["age"]
                results.append(
                    [
                        label,
                        step,
                        f"{s_.wall:.2f} s ({mib / s_.wall:.0f} MiB/s)",
                        f"{g.wall:.2f} s ({mib / g.wall:.0f} MiB/s)",
                        f"{g.wall / s_.wall:.2f}x",
                        f"{s_.user:.2f} / {s_.sys:.2f}",
                        f"{g.user:.2f} / {g.sys:.2f}",
                        f"{s_.rss / 1e6:.0f} MB",
                        note,
                    ]
                )
            clean(work / "out", work / "outage", work / "out.bin")
        print(f"Input size {a.size_mib} MiB, median of {a.runs} runs, X25519 recipient, files in page cache.\n")
        print(
            table(
                results,
                [
                    "input",
                    "step",
                    "sod wall",
                    "age wall",
                    "sod speed vs age",
                    "sod CPU user / sys s",
                    "age CPU user / sys s",
                    "sod peak RSS",
                    "output size",
                ],
            )
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
