"""SFTP upload throughput over loopback: sodclient's uploader (paramiko) vs OpenSSH `sftp`.

    python3 bench/bench_upload.py [--size-mib 1024] [--runs 3] [--workdir DIR]

Both upload the same random file (incompressible) to the same freshly started OpenSSH sshd
(own host key and config, key authentication). sodclient: `sodclient.transport.upload`, which
writes a .part file with pipelined writes of the server's maximum write size, verifies and renames.
OpenSSH: `sftp -b` with its default cipher (chacha20-poly1305) and, as a second row, the same
AES-256-GCM that sodclient negotiates. Median of --runs runs; MB = 10^6 bytes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import table  # noqa: E402
from servers_for_bench import plain_key_copy, sftp_put, start_sshd, tmpdir  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workdir", default=None)
    a = ap.parse_args()

    root = tmpdir(a.workdir)
    os.environ["SODCLIENT_HOME"] = str(root / "home")
    from sodclient.transport import FileSource, SftpTarget, new_remote_name, upload
    from sodclient.transport.session import SftpSession

    sshd = start_sshd(root)
    try:
        src = root / "payload.bin"
        with open(src, "wb") as f:
            for _ in range(a.size_mib):
                f.write(os.urandom(1024 * 1024))
        size = src.stat().st_size
        target = SftpTarget("127.0.0.1", sshd.port, sshd.username, str(sshd.upload_dir),
                            key_file=str(sshd.client_key), key_passphrase=sshd.client_key_passphrase,
                            known_hosts=root / "home" / "known_hosts")
        with SftpSession(target, confirm_host_key=lambda *a: True) as s:   # trust the bench server once
            cipher = s.cipher
        key = plain_key_copy(sshd, root)

        def clean():
            for p in sshd.upload_dir.iterdir():
                p.unlink()

        def ours() -> float:
            clean()
            t0 = time.perf_counter()
            upload(target, FileSource(src), new_remote_name())
            return time.perf_counter() - t0

        def openssh(extra) -> float:
            clean()
            t0 = time.perf_counter()
            sftp_put(key, sshd.port, sshd.username, src, str(sshd.upload_dir / "x.sod"), extra)
            return time.perf_counter() - t0

        results = {"sodclient (paramiko, " + cipher + ")": [], "OpenSSH sftp (default chacha20-poly1305)": [],
                   "OpenSSH sftp -c aes256-gcm@openssh.com": []}
        for _ in range(a.runs):   # interleaved, so background load hits every route alike
            results["sodclient (paramiko, " + cipher + ")"].append(ours())
            results["OpenSSH sftp (default chacha20-poly1305)"].append(openssh([]))
            results["OpenSSH sftp -c aes256-gcm@openssh.com"].append(openssh(["-c", "aes256-gcm@openssh.com"]))
        medians = {k: statistics.median(v) for k, v in results.items()}
        best_openssh = min(v for k, v in medians.items() if k.startswith("OpenSSH"))
        rows = [[k, f"{v:.2f}", f"{size / v / 1e6:.0f}", f"{best_openssh / v:.2f}x"] for k, v in medians.items()]
        print(f"upload of {size / 2**20:.0f} MiB random data over loopback, median of {a.runs} run(s)\n")
        print(table(rows, ["route", "seconds", "MB/s", "vs fastest OpenSSH"]))
    finally:
        sshd.proc.terminate()
        shutil.rmtree(sshd.upload_dir, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
