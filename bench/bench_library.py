"""A 2000-instance CT study (~1 GB) into the library through the main window, shown in the study browser.

    python3 bench/bench_library.py                      # the figures in BENCHMARKS.md (2000 x 512x512 16-bit)
    python3 bench/bench_library.py --instances 200      # a quick look

What a user does: Import Folder on a copied CD with one 2000-slice CT. The app's own MainWindow.import_paths
runs the import (copy + hash + tags in threads, one transaction, every file fsynced before commit) and then
shows the study in the browser (one series row, the thumbnail of its middle slice). A 5 ms QTimer on the GUI
thread records the gaps between its ticks: the longest gap is the worst freeze a user could have seen.
Opening the series (the 2000-row instance list) is timed as the one synchronous step in the GUI thread.
The user's alternative in the same run: copying the folder with `cp -r` and `sync` (no filing, no index).
The study is generated once into --data (kept, so repeated runs share it) and the page cache is dropped
between contenders when we may (root), else synced.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def make_ct_study(folder: Path, n: int, size: int = 512) -> None:
    """n slices of size x size signed 16-bit CT (a body phantom that changes slice by slice), one series."""
    import numpy as np
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    tmp = folder.with_name(folder.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    study, series = generate_uid(), generate_uid()
    yy, xx = np.mgrid[0:size, 0:size]
    body = np.hypot(xx - size / 2, (yy - size / 2) * 1.25) / size < 0.42
    for i in range(1, n + 1):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = FileDataset("", {}, file_meta=meta, preamble=b"\0" * 128)
        ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, meta.MediaStorageSOPInstanceUID
        ds.PatientID, ds.PatientName, ds.PatientBirthDate = "BENCH-001", "Bench^Patient", "19600101"
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.StudyDescription, ds.SeriesDescription, ds.StudyDate = "CT Chest Abdomen", "Axial 0.625", "20260101"
        ds.Modality, ds.InstanceNumber = "CT", i
        ds.Rows = ds.Columns = size
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated = ds.BitsStored = 16
        ds.HighBit, ds.PixelRepresentation = 15, 1
        ds.RescaleSlope, ds.RescaleIntercept, ds.WindowCenter, ds.WindowWidth = 1, -1024, 40, 400
        hu = np.where(body, 40 + 30 * np.sin(xx / size * 6 + i / 10), -1000.0)
        ds.PixelData = (hu + 1024).astype(np.int16).tobytes()
        ds.save_as(tmp / f"IM{i:05d}", enforce_file_format=True)
    tmp.rename(folder)


def _drop_caches() -> None:
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        pass  # not root: synced only


def copy_baseline(src: Path, work: Path) -> float:
    dest = work / "cp-copy"
    _drop_caches()
    t0 = time.perf_counter()
    subprocess.run(["cp", "-r", str(src), str(dest)], check=True)
    subprocess.run(["sync"], check=True)
    elapsed = time.perf_counter() - t0
    shutil.rmtree(dest)
    return elapsed


def import_in_window(src: Path, work: Path) -> dict:
    os.environ["SODCLIENT_HOME"] = str(work / "home")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyrings.alt.file.PlaintextKeyring"
    os.environ["XDG_DATA_HOME"] = str(work / "xdg")
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer

    from sodclient.profile import Profile
    from sodclient.ui.app import build_app
    from sodclient.ui.main_window import MainWindow

    app = build_app([])
    window = MainWindow(Profile.from_environment())
    window.show()
    gaps: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]

    when: list[float] = []

    def tick() -> None:
        now = clock.nsecsElapsed()
        gaps.append((now - last[0]) / 1e6)
        when.append(now / 1e9)
        last[0] = now

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)

    def pump(cond, timeout: float = 600) -> None:
        loop, poll, end = QEventLoop(), QTimer(), time.monotonic() + timeout
        poll.setInterval(10)
        poll.timeout.connect(lambda: loop.quit() if cond() or time.monotonic() > end else None)
        poll.start()
        if not cond():
            loop.exec()
        poll.stop()

    timer.start()
    pump(lambda: len(gaps) > 400)  # 2 s idle: the machine's own scheduling noise
    idle = list(gaps)
    _drop_caches()
    gaps.clear()
    when.clear()
    last[0] = clock.nsecsElapsed()
    start = clock.nsecsElapsed() / 1e9
    t0 = time.perf_counter()
    job = window.import_paths([src])
    pump(lambda: not job.running)
    t_import = time.perf_counter() - t0  # includes the browser's refresh (done in the job's success handler)
    items = window.view.series_items()
    if len(items) != 1:
        raise SystemExit(f"expected one series row, found {len(items)}: {window.statusBar().currentMessage()}")
    pump(lambda: not items[0].icon(0).isNull(), timeout=60)
    t_thumb = time.perf_counter() - t0
    import_gaps = list(gaps)
    worst = sorted(zip(import_gaps, when, strict=True), reverse=True)[:3]
    gaps.clear()
    t1 = time.perf_counter()
    window.view.open_series(window.view.series_items()[0].data(0, 256)[1])
    rows = int(items[0].text(2))
    pump(lambda: window.table.rowCount() == rows and window.table.item(0, 0) is not None, timeout=60)
    t_open = time.perf_counter() - t1
    pump(lambda: window.table.item(rows - 1, 0) is not None, timeout=60)
    t_filled = time.perf_counter() - t1
    pump(lambda: window._icons_job is None or not window._icons_job.running, timeout=120)
    open_gaps = list(gaps)
    timer.stop()
    docs = window.library.counts()[2]
    for j in window.view.jobs():
        j.cancel()
    window.close()
    app.processEvents()
    return {
        "import_s": t_import,
        "thumb_s": t_thumb,
        "open_ms": t_open * 1000,
        "filled_ms": t_filled * 1000,
        "rows": rows,
        "documents": docs,
        "max_gap_ms": max(import_gaps),
        "p99_gap_ms": sorted(import_gaps)[int(0.99 * (len(import_gaps) - 1))],
        "median_gap_ms": statistics.median(import_gaps),
        "ticks": len(import_gaps),
        "over_100ms": sum(1 for g in import_gaps if g > 100),
        "open_max_gap_ms": max(open_gaps or [0]),
        "idle_max_gap_ms": max(idle),
        "series_text": [items[0].text(c) for c in range(4)],
        "worst": [(g, w - start) for g, w in worst],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instances", type=int, default=2000)
    ap.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "sod-bench-library")
    args = ap.parse_args()
    src = args.data / f"ct-{args.instances}"
    if not src.exists():
        print(f"generating {args.instances} CT slices into {src} (once) ...", flush=True)
        make_ct_study(src, args.instances)
    size = sum(f.stat().st_size for f in src.iterdir())
    work = Path(tempfile.mkdtemp(prefix="sod-bench-lib-", dir=args.data))
    try:
        cp = copy_baseline(src, work)
        r = import_in_window(src, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    mb = size / 1e6
    print(f"study: {args.instances} instances, {mb:.0f} MB; load average {os.getloadavg()[0]:.1f}")
    print(f"cp -r + sync (no filing): {cp:.1f} s ({mb / cp:.0f} MB/s)")
    print(
        f"SOD Send import through the main window, to the study shown: {r['import_s']:.1f} s "
        f"({mb / r['import_s']:.0f} MB/s, {r['import_s'] / cp:.2f}x the copy); series thumbnail shown at "
        f"{r['thumb_s']:.1f} s; {r['documents']} documents; series row: {r['series_text']}"
    )
    print(
        f"GUI timer (5 ms) during import: {r['ticks']} ticks, longest gap {r['max_gap_ms']:.1f} ms, p99 "
        f"{r['p99_gap_ms']:.1f} ms, median {r['median_gap_ms']:.1f} ms, gaps over 100 ms: {r['over_100ms']}; "
        f"idle baseline longest gap {r['idle_max_gap_ms']:.1f} ms; worst gaps (ms @ s after Import): "
        + ", ".join(f"{g:.0f} @ {w:.2f}" for g, w in r["worst"])
    )
    print(
        f"opening the series ({r['rows']} rows): first rows shown after {r['open_ms']:.0f} ms, all rows after "
        f"{r['filled_ms']:.0f} ms; longest gap while the rows and their thumbnails load "
        f"{r['open_max_gap_ms']:.1f} ms"
    )
    sys.stdout.flush()
    os._exit(0)  # PySide6 can crash while the interpreter tears down its objects; the figures are out
    return 0


if __name__ == "__main__":
    sys.exit(main())
