"""Run one de-identification tool through its Python API on a folder; print timing as JSON.

    python3 bench/deid_runner.py TOOL IN_DIR OUT_DIR

Imports happen before the clock starts, so the figure is the tool's work, not interpreter start-up
(the parent script measures the whole process as well). SOD Send's package imports pydicom only on its
first run, so its engine module is imported here explicitly, as the competitors' imports load pydicom.
TOOL is one of: sod, sod2 (2 worker processes),
dicognito, dicom-anonymizer.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> int:
    tool, src, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    if tool in ("sod", "sod2"):
        import sodclient.deid.engine  # noqa: F401  (the package loads pydicom lazily; the others import it here)
        from sodclient.deid import PeerReviewOptions, run_peer_review

        options = PeerReviewOptions(workers=2 if tool == "sod2" else 1)
        work = lambda: run_peer_review([src], out, options)
    elif tool == "dicognito":
        from dicognito.__main__ import main as dicognito_main

        work = lambda: dicognito_main(["--quiet", "--output-directory", str(out), str(src)])
    elif tool == "dicom-anonymizer":
        from dicomanonymizer import anonymize

        work = lambda: anonymize(str(src), str(out), {}, True)
    else:
        raise SystemExit(f"unknown tool {tool}")
    t0, c0 = time.perf_counter(), _cpu()
    work()
    print(json.dumps({"wall": time.perf_counter() - t0, "cpu": _cpu() - c0}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
