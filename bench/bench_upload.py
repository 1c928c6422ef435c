"""Raw SFTP upload throughput: sodclient's uploader vs OpenSSH `sftp`, on loopback and over emulated links.

    python3 bench/bench_upload.py [--size-mib 1024] [--runs 3] [--link loopback --link 100x80 --link 1000x40]
                                  [--asyncssh] [--workdir DIR]

Every route uploads the same random file (incompressible) to the same freshly started OpenSSH sshd (own
host key and config, key authentication), directly (loopback) or through /work/shared/tools/wanem.py
(`100x80`: 100 Mbit/s with 80 ms round trip; `1000x40`: 1 Gbit/s with 40 ms). sodclient:
`sodclient.transport.upload` (probe, .part file, pipelined writes of the server's largest write size,
verify, rename), a new connection each run like a send, with its default engine (the SSH layer in this
computer's OpenSSH client, `transport.openssh_backend`) and with the built-in one (paramiko).
OpenSSH: `sftp -b` with its default cipher
(chacha20-poly1305) and with the AES-256-GCM sodclient negotiates. `--asyncssh` adds sodclient's asyncssh
backend (the one used for servers paramiko cannot talk to) through the same interface, to compare the two
libraries. Routes alternate and take turns going first; median of --runs; MB = 10^6 bytes.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import table
from servers_for_bench import LINKS, Link, link_label, plain_key_copy, sftp_put, start_sshd, tmpdir


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--link", action="append", choices=sorted(LINKS), help="repeatable; default: loopback")
    ap.add_argument("--asyncssh", action="store_true", help="also time sodclient's asyncssh backend")
    ap.add_argument(
        "--plain-key",
        action="store_true",
        help="give sodclient the same unencrypted key as OpenSSH (default: the passphrase-protected original)",
    )
    ap.add_argument("--workdir", default=None)
    a = ap.parse_args()

    root = tmpdir(a.workdir)
    os.environ["SODCLIENT_HOME"] = str(root / "home")
    from sodclient.transport import FileSource, SftpTarget, new_remote_name, upload
    from sodclient.transport import session as transport_session

    sshd = start_sshd(root)
    try:
        src = root / "payload.bin"
        with open(src, "wb") as f:
            for _ in range(a.size_mib):
                f.write(os.urandom(1024 * 1024))
        size = src.stat().st_size
        key = plain_key_copy(sshd, root)

        def clean():
            for p in sshd.upload_dir.iterdir():
                p.unlink()

        for link_name in a.link or ["loopback"]:
            link = Link(link_name, sshd.port)
            try:
                target = SftpTarget(
                    "127.0.0.1",
                    link.port,
                    sshd.username,
                    str(sshd.upload_dir),
                    key_file=str(key if a.plain_key else sshd.client_key),
                    key_passphrase="" if a.plain_key else sshd.client_key_passphrase,
                    known_hosts=root / "home" / "known_hosts",
                )
                with transport_session.SftpSession(target, confirm_host_key=lambda *a: True) as s:
                    cipher, offer = s.cipher, s.transport.server_offer  # trust the bench server once

                def ours(library: str) -> tuple[float, str]:
                    clean()
                    transport_session.forget_negotiation("127.0.0.1", link.port)
                    if library == "asyncssh":  # as if paramiko could not negotiate: the asyncssh backend
                        transport_session._PARAMIKO_CANNOT[("127.0.0.1", link.port)] = offer
                    engine = "openssh" if library == "openssh" else "builtin"
                    t0 = time.perf_counter()
                    result = upload(dataclasses.replace(target, engine=engine), FileSource(src), new_remote_name())
                    seconds = time.perf_counter() - t0
                    if result.library != library:
                        raise SystemExit(f"expected the {library} engine, the upload used {result.library}")
                    return seconds, result.cipher

                def openssh(extra) -> tuple[float, str]:
                    clean()
                    t0 = time.perf_counter()
                    sftp_put(key, link.port, sshd.username, src, str(sshd.upload_dir / "x.sod"), extra)
                    return time.perf_counter() - t0, ""

                routes = {
                    "sodclient (OpenSSH engine: this computer's ssh)": lambda: ours("openssh"),
                    f"sodclient (built-in engine: paramiko, {cipher})": lambda: ours("paramiko"),
                    "OpenSSH sftp (default chacha20-poly1305)": lambda: openssh([]),
                    "OpenSSH sftp -c aes256-gcm@openssh.com": lambda: openssh(["-c", "aes256-gcm@openssh.com"]),
                }
                if a.asyncssh:
                    routes["sodclient (asyncssh backend)"] = lambda: ours("asyncssh")
                times: dict[str, list[float]] = {k: [] for k in routes}
                cpu: dict[str, list[tuple[float, float]]] = {k: [] for k in routes}
                names = list(routes)
                for i in range(a.runs):  # interleaved, first place rotating, so background load hits all alike
                    for name in names[i % len(names) :] + names[: i % len(names)]:
                        before = (_client_cpu(), _reaped_cpu(sshd.proc.pid))
                        seconds, used = routes[name]()
                        times[name].append(seconds)
                        _wait_reaped(sshd.proc.pid)
                        cpu[name].append((_client_cpu() - before[0], _reaped_cpu(sshd.proc.pid) - before[1]))
                        print(
                            f"  {link_name}: {name}{' ' + used if used and 'asyncssh' in name else ''}: "
                            f"{seconds:.2f} s",
                            flush=True,
                        )
                medians = {k: statistics.median(v) for k, v in times.items()}
                best_openssh = min(v for k, v in medians.items() if k.startswith("OpenSSH"))
                rows = [
                    [
                        k,
                        f"{v:.2f}",
                        f"{size / v / 1e6:.1f}",
                        f"{best_openssh / v:.2f}x",
                        f"{statistics.median(c for c, _ in cpu[k]):.2f}",
                        f"{statistics.median(s for _, s in cpu[k]):.2f}",
                        " ".join(f"{t:.2f}" for t in times[k]),
                    ]
                    for k, v in medians.items()
                ]
                print(
                    f"\nupload of {size / 2**20:.0f} MiB random data, {link_label(link_name)}, "
                    f"median of {a.runs} run(s)\n"
                )
                header = [
                    "route",
                    "seconds",
                    "MB/s",
                    "vs fastest OpenSSH",
                    "client CPU s",
                    "server CPU s",
                    "all runs s",
                ]
                print(table(rows, header), "\n", flush=True)
            finally:
                link.stop()
    finally:
        sshd.proc.terminate()
        shutil.rmtree(sshd.upload_dir, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)
    return 0


def _client_cpu() -> float:
    """CPU seconds of this process and its reaped children (ssh, sftp): the client side of every route."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _wait_reaped(pid: int, timeout: float = 10.0) -> None:
    """Until sshd has reaped every per-connection process (their CPU then counts in its cutime)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                children.append(stat)
        if not children:
            return
        time.sleep(0.05)


def _reaped_cpu(pid: int) -> float:
    """CPU seconds of sshd's finished per-connection processes (cutime + cstime of the listener): the server side."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    sys.exit(main())
