"""GUI responsiveness: event-loop stalls during a real FTPSend, and cold start to the first shown window.

    python3 bench/bench_gui.py --size-mib 1024          # the figures in BENCHMARKS.md
    python3 bench/bench_gui.py --size-mib 64 --runs 3   # a quick look

The send is real: the app's own SendFlow dialogs drive `send()` against a local OpenSSH sshd and a
STARTTLS SMTP server (the same ones the tests use, tests/servers.py). A 5 ms QTimer records the gap
between its ticks on the GUI thread; the longest gap is the worst freeze a user could have seen.
Cold start runs `python3 -m sodclient` with SODCLIENT_STARTUP_PROBE=1 (prints and quits once the main
window is shown) and measures wall time from process spawn to that line.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


class _Factory:
    """Just enough of pytest's tmp_path_factory for tests/servers.py."""

    def __init__(self, base: Path):
        self.base, self.n = base, 0

    def mktemp(self, name: str) -> Path:
        self.n += 1
        p = self.base / f"{name}{self.n}"
        p.mkdir(parents=True)
        return p


def cold_start(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        home = tempfile.mkdtemp(prefix="sod-bench-home-")
        site = os.path.join(home, "site-defaults.ini")  # keyring-held key: the first start opens the main
        with open(site, "w") as f:  # window without a passphrase dialog in front of it
            f.write("[site]\nidentity_protection = keyring\n")
        env = {**os.environ, "SODCLIENT_HOME": home, "SODCLIENT_STARTUP_PROBE": "1", "SODCLIENT_SITE_DEFAULTS": site}
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "sodclient"], env=env, capture_output=True, text=True, timeout=120)
        elapsed = time.perf_counter() - t0
        if "first-window-shown" not in out.stdout:
            raise SystemExit(f"the app did not report its first window: {out.stderr[-500:]}")
        times.append(elapsed)
    return times


def send_stalls(size_mib: int) -> dict:
    base = Path(tempfile.mkdtemp(prefix="sod-bench-gui-"))
    os.environ["SODCLIENT_HOME"] = str(base / "home")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyrings.alt.file.PlaintextKeyring"
    os.environ["XDG_DATA_HOME"] = str(base / "xdg")

    import paramiko
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer

    from sodclient.profile import Profile
    from sodclient.services.settings import change_settings
    from sodclient.transport import hostkeys
    from sodclient.ui.app import build_app
    from sodclient.ui.main_window import MainWindow
    from tests import servers

    app = build_app([])  # noqa: F841 - the QApplication must live while the windows do
    factory = _Factory(base)
    sshd = servers._start_sshd(factory.mktemp("sshd"))
    smtp = servers._smtp(factory)
    try:
        profile = Profile.from_environment()
        change_settings(
            profile, {**sshd.settings(), **smtp.settings(), "link.template": "https://files.example.org/{name}"}
        )
        hostkeys.trust(
            profile.paths.known_hosts,
            "127.0.0.1",
            sshd.port,
            paramiko.Ed25519Key.from_private_key_file(str(sshd.client_key.parent / "host_ed25519")),
        )
        lib = profile.library()
        case = lib.create_case(lib.create_patient("Bench Patient").id, "Large study")
        src = base / "big.bin"
        with open(src, "wb") as f:
            block = os.urandom(1 << 20)  # incompressible: the packer cannot shortcut it
            for i in range(size_mib):
                f.write(block[i % 7 :] + block[: i % 7])
        lib.import_paths([src], case_id=case.id)
        src.unlink()
        window = MainWindow(profile)
        window.refresh(select_case=case.id)
        window.show()
        window.select_rows([0])

        gaps: list[float] = []
        when: list[float] = []
        clock = QElapsedTimer()
        clock.start()
        last = [clock.nsecsElapsed()]

        def tick():
            now = clock.nsecsElapsed()
            gaps.append((now - last[0]) / 1e6)
            when.append(now / 1e9)
            last[0] = now

        timer = QTimer()
        timer.setInterval(5)
        timer.timeout.connect(tick)

        def pump(cond):
            """Runs the real Qt event loop until cond() holds (checked by a 20 ms timer)."""
            loop = QEventLoop()
            poll = QTimer()
            poll.setInterval(20)
            poll.timeout.connect(lambda: loop.quit() if cond() else None)
            poll.start()
            if not cond():
                loop.exec()
            poll.stop()

        flow = window.ftpsend()
        flow.export_dialog.generate_button.click()
        flow.export_dialog.next_button.click()
        pump(lambda: flow.email_dialog is not None and flow.email_dialog.isVisible())
        flow.email_dialog.to.setText("colleague@clinic.example")
        # baseline: the same timer for 5 s with the window idle, to show the machine's own scheduling noise
        timer.start()
        last[0] = clock.nsecsElapsed()
        idle_end = time.monotonic() + 5
        pump(lambda: time.monotonic() > idle_end)
        idle_gaps = list(gaps)
        gaps.clear()
        when.clear()
        t0 = time.perf_counter()
        last[0] = clock.nsecsElapsed()
        flow.email_dialog.send_button.click()
        pump(lambda: flow.progress_dialog is not None and flow.progress_dialog.close_button.isVisible())
        elapsed = time.perf_counter() - t0
        if not flow.progress_dialog.link.text():
            raise SystemExit("send failed: " + flow.progress_dialog.headline.text())
        gaps_sorted = sorted(gaps)
        start = when[0] - gaps[0] / 1e3 if when else 0
        worst = sorted(zip(gaps, when), reverse=True)[:5]
        print("worst gaps (ms @ s after Send):", ", ".join(f"{g:.0f} @ {w - start:.2f}" for g, w in worst))
        send_gaps = list(gaps)

        # the recipient: a second profile opens (decrypts, verifies) and imports the uploaded container
        container = sshd.upload_dir / flow.result.remote_name
        passphrase = flow.choice.passphrase
        flow.progress_dialog.close_button.click()
        from sodclient.ui.open_sod import OpenSodDialog

        dlg = OpenSodDialog(container, Profile.at(base / "recipient"), window)
        dlg.show()
        dlg.passphrase.setText(passphrase)
        gaps.clear()
        t1 = time.perf_counter()
        last[0] = clock.nsecsElapsed()
        dlg.open_button.click()
        pump(lambda: dlg.pages.currentIndex() == 1 or "Nothing" in dlg.status.text())
        t_open = time.perf_counter() - t1
        dlg.import_button.click()
        pump(lambda: dlg.result is not None or "Nothing" in dlg.status.text())
        t_recv = time.perf_counter() - t1
        timer.stop()
        if dlg.result is None:
            raise SystemExit("import failed: " + dlg.status.text())
        recv = {
            "recv_seconds": t_recv,
            "open_seconds": t_open,
            "recv_max_gap_ms": max(gaps),
            "recv_p99_gap_ms": sorted(gaps)[int(0.99 * (len(gaps) - 1))],
        }
        gaps[:] = send_gaps
        return {
            **recv,
            "size_mib": size_mib,
            "seconds": elapsed,
            "mib_s": size_mib / elapsed,
            "ticks": len(gaps),
            "max_gap_ms": max(gaps),
            "p99_gap_ms": gaps_sorted[int(0.99 * (len(gaps) - 1))],
            "median_gap_ms": statistics.median(gaps),
            "mails": len(smtp.messages),
            "idle_max_gap_ms": max(idle_gaps),
            "load": os.getloadavg()[0],
        }
    finally:
        sshd.proc.terminate()
        smtp.controller.stop()
        import shutil

        shutil.rmtree(sshd.upload_dir, ignore_errors=True)
        shutil.rmtree(base, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=5, help="cold-start runs")
    args = ap.parse_args()
    starts = cold_start(args.runs)
    print(
        f"cold start to first window: median {statistics.median(starts):.2f} s, "
        f"min {min(starts):.2f} s, max {max(starts):.2f} s over {len(starts)} runs"
    )
    r = send_stalls(args.size_mib)
    print(
        f"FTPSend of {r['size_mib']} MiB through the UI: {r['seconds']:.1f} s ({r['mib_s']:.0f} MiB/s), "
        f"{r['mails']} mail(s)"
    )
    print(
        f"GUI timer (5 ms): {r['ticks']} ticks, longest gap {r['max_gap_ms']:.1f} ms, "
        f"p99 {r['p99_gap_ms']:.1f} ms, median {r['median_gap_ms']:.1f} ms; idle baseline longest gap "
        f"{r['idle_max_gap_ms']:.1f} ms; load average {r['load']:.1f}"
    )
    print(
        f"Receiving it in a second profile (open + import): {r['recv_seconds']:.1f} s "
        f"(decrypt+verify {r['open_seconds']:.1f} s); GUI timer longest gap {r['recv_max_gap_ms']:.1f} ms, "
        f"p99 {r['recv_p99_gap_ms']:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
