"""A whole `sodclient send` of a study over hospital-like links vs zip + age + OpenSSH sftp, in the same run.

    python3 bench/bench_send.py [--study small --study large] [--link 100x80 --link 1000x40] [--runs 3]
                                [--large-runs 1] [--stages] [--workdir DIR]

Studies (synthetic DICOM CT, 12 bits stored in 16, smooth anatomy plus noise, made with pydicom):
  small: 2000 slices of 110x110 (~49 MB in 2000 files);  large: 2000 slices of 512x512 (~1050 MB).
Links: /work/shared/tools/wanem.py in front of a real OpenSSH sshd; `100x80` is 100 Mbit/s with an 80 ms
round trip, `1000x40` 1 Gbit/s with 40 ms (see bench_upload.py). The mail goes to a local aiosmtpd with
STARTTLS + AUTH.

  sodclient: `sodclient send --to ... --passphrase-file F STUDY` (pack, upload, verify, publish, mail) as a
             fresh process, timed from spawn to exit.
  manual:    `zip -r -q`, `age -r` (X25519) once per study (they do not depend on the link), then
             `sftp put` of the .age file through each link, alternating with sodclient's send.

The claim checked: sodclient's whole send takes no longer than the manual route's upload step alone.
--stages also runs one send per study and link in bench/send_stages.py, which prints when each stage ran.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import table
from servers_for_bench import (
    LINKS,
    Link,
    link_label,
    plain_key_copy,
    sftp_put,
    start_smtp,
    start_sshd,
    tmpdir,
)

STUDIES = {"small": 110, "large": 512}  # slice size in pixels; 2000 slices each


def make_study(folder: Path, slices: int, size: int) -> None:
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    folder.mkdir(parents=True)
    rng = np.random.default_rng(11)
    half = size // 2
    y, x = np.mgrid[-half : size - half, -half : size - half] * (512 / size)
    body = ((x / 200.0) ** 2 + (y / 150.0) ** 2 < 1).astype(np.float32)
    study_uid, series_uid = generate_uid(), generate_uid()
    for i in range(slices):
        organ = (x - 40 * np.sin(i / 50)) ** 2 + (y + 30) ** 2 < (60 + 10 * np.cos(i / 30)) ** 2
        # air at -1000 HU with scanner noise everywhere, soft tissue and an organ inside the body
        image = 24 + body * (1040 + 300 * organ) + rng.normal(0, 20, body.shape) * (0.4 + 0.6 * body)
        pixels = np.clip(image, 0, 4095).astype(np.uint16)
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
        ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, meta.MediaStorageSOPInstanceUID
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
        ds.PatientName, ds.PatientID, ds.Modality = "Bench^Synthetic", "BENCH0001", "CT"
        ds.InstanceNumber, ds.SliceLocation = i + 1, float(i)
        ds.Rows, ds.Columns = pixels.shape
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
        ds.PixelData = pixels.tobytes()
        ds.save_as(folder / f"IM{i:05d}.dcm", enforce_file_format=True)


def timed(cmd: list[str], **kw) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, **kw)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--study", action="append", choices=sorted(STUDIES), help="repeatable; default: both")
    ap.add_argument("--slices", type=int, default=2000)
    ap.add_argument(
        "--link",
        action="append",
        choices=[k for k in LINKS if LINKS[k]],
        help="repeatable; default: 100x80 and 1000x40",
    )
    ap.add_argument("--runs", type=int, default=3, help="runs per route for the small study")
    ap.add_argument("--large-runs", type=int, default=1, help="runs per route for the large study")
    ap.add_argument("--stages", action="store_true", help="also time each stage of one send (send_stages.py)")
    ap.add_argument(
        "--engine", choices=["auto", "openssh", "builtin"], default="auto", help="sodclient's sftp.engine setting"
    )
    ap.add_argument(
        "--plain-key",
        action="store_true",
        help="give sodclient the same unencrypted key as OpenSSH (default: the passphrase-protected original)",
    )
    ap.add_argument("--workdir", default=None)
    a = ap.parse_args()

    root = tmpdir(a.workdir)
    sshd = start_sshd(root)
    smtp = start_smtp(root)
    env = {
        **os.environ,
        "SODCLIENT_HOME": str(root / "home"),
        "XDG_DATA_HOME": str(root / "xdg"),
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
    }
    cli = [sys.executable, "-m", "sodclient"]
    passfile = root / "pass.txt"
    passfile.write_text("Bench-Passphrase-2026\n")
    key = plain_key_copy(sshd, root)
    subprocess.run(["age-keygen", "-o", str(root / "age.key")], check=True, capture_output=True)
    pub = [ln.split(": ")[1] for ln in (root / "age.key").read_text().splitlines() if "public key" in ln][0]
    fp = subprocess.run(
        ["ssh-keygen", "-l", "-E", "sha256", "-f", "/dev/stdin"],
        input=sshd.host_key_pub,
        text=True,
        capture_output=True,
        check=True,
    ).stdout.split()[1]
    links = a.link or ["100x80", "1000x40"]
    summary = []
    try:
        for study_name in a.study or ["small", "large"]:
            study = root / study_name
            t0 = time.perf_counter()
            make_study(study, a.slices, STUDIES[study_name])
            study_bytes = sum(p.stat().st_size for p in study.iterdir())
            print(
                f"\n== {study_name} study: {a.slices} files, {study_bytes / 1e6:.0f} MB "
                f"(generated in {time.perf_counter() - t0:.0f} s)",
                flush=True,
            )
            zip_path, age_path = root / f"{study_name}.zip", root / f"{study_name}.zip.age"
            t_zip = timed(["zip", "-r", "-q", str(zip_path), study_name], cwd=root)
            t_age = timed(["age", "-r", pub, "-o", str(age_path), str(zip_path)])
            age_size = age_path.stat().st_size
            zip_path.unlink()
            runs = a.runs if study_name == "small" else a.large_runs
            for link_name in links:
                link = Link(link_name, sshd.port)
                try:
                    settings = {
                        **sshd.settings(port=link.port),
                        **smtp.settings(),
                        "link.template": "https://files.example.org/{name}",
                        "sftp.engine": a.engine,
                    }
                    if a.plain_key:
                        settings.update({"sftp.key_file": str(key), "sftp.key_passphrase": ""})
                    subprocess.run(
                        cli + ["config", "set", *[f"{k}={v}" for k, v in settings.items()]],
                        env=env,
                        check=True,
                        capture_output=True,
                    )
                    subprocess.run(cli + ["trust-host", "--fingerprint", fp], env=env, check=True, capture_output=True)
                    send_args = [
                        "--to",
                        "radiology@clinic.example",
                        "--passphrase-file",
                        str(passfile),
                        "--quiet",
                        str(study),
                    ]
                    sod_size = 0

                    def clean():
                        for p in sshd.upload_dir.iterdir():
                            p.unlink()

                    def ours() -> float:
                        nonlocal sod_size
                        clean()
                        mails = len(smtp.messages)
                        t = timed(cli + ["send", *send_args], env=env, stdout=subprocess.DEVNULL)
                        (container,) = [p for p in sshd.upload_dir.iterdir() if p.suffix == ".sod"]
                        sod_size = container.stat().st_size
                        assert len(smtp.messages) == mails + 1, "the notification mail did not arrive"
                        return t

                    def manual_upload() -> float:
                        clean()
                        t0 = time.perf_counter()
                        sftp_put(key, link.port, sshd.username, age_path, str(sshd.upload_dir / "study.zip.age"))
                        return time.perf_counter() - t0

                    routes = {"sodclient send": ours, "sftp put": manual_upload}
                    times: dict[str, list[float]] = {k: [] for k in routes}
                    names = list(routes)
                    for i in range(runs):
                        for name in names[i % 2 :] + names[: i % 2]:
                            times[name].append(routes[name]())
                            print(f"  {link_name}: {name} {times[name][-1]:.2f} s", flush=True)
                    t_send, t_sftp = statistics.median(times["sodclient send"]), statistics.median(times["sftp put"])
                    stages = None
                    if a.stages:
                        clean()
                        t0 = time.perf_counter()
                        out = subprocess.run(
                            [sys.executable, str(Path(__file__).parent / "send_stages.py"), *send_args],
                            env=env,
                            capture_output=True,
                            text=True,
                            check=True,
                        )
                        stages = json.loads(out.stdout.split("STAGES ", 1)[1])
                        stages["process: spawn -> exit (as timed for the table)"] = [0.0, time.perf_counter() - t0]
                finally:
                    link.stop()
                print(
                    f"\n{study_name} study ({a.slices} files, {study_bytes / 1e6:.0f} MB), {link_label(link_name)}, "
                    f"median of {runs} run(s); sodclient engine {a.engine}, "
                    f"{'the same unencrypted key as OpenSSH' if a.plain_key else 'passphrase-protected key'}\n"
                )
                rows = [
                    [
                        "sodclient send (pack+upload+verify+publish+mail, overlapped)",
                        f"{sod_size / 1e6:.1f}",
                        f"{t_send:.2f}",
                        f"{t_send:.2f}",
                        " ".join(f"{t:.2f}" for t in times["sodclient send"]),
                    ],
                    ["manual: zip -r -q", "", f"{t_zip:.2f}", "", ""],
                    ["manual: age -r (X25519)", f"{age_size / 1e6:.1f}", f"{t_age:.2f}", "", ""],
                    [
                        "manual: sftp put (the upload step alone)",
                        f"{age_size / 1e6:.1f}",
                        f"{t_sftp:.2f}",
                        "",
                        " ".join(f"{t:.2f}" for t in times["sftp put"]),
                    ],
                    ["manual total", "", "", f"{t_zip + t_age + t_sftp:.2f}", ""],
                ]
                print(table(rows, ["route / step", "bytes sent (MB)", "step s", "total s", "all runs s"]))
                verdict = "meets" if t_send <= t_sftp else "MISSES"
                line = (
                    f"{study_name} / {link_name}: sodclient whole send / manual upload step alone = "
                    f"{t_send / t_sftp:.2f} ({verdict} the target <= 1)"
                )
                print("\n" + line, flush=True)
                summary.append(line)
                if stages:
                    print("\nstages of one send (seconds from interpreter start):\n")
                    print(
                        table(
                            [
                                [k, f"{v[0]:.2f}", f"{v[1]:.2f}", f"{v[1] - v[0]:.2f}"]
                                for k, v in sorted(stages.items(), key=lambda kv: kv[1][0])
                            ],
                            ["stage", "start", "end", "duration"],
                        ),
                        flush=True,
                    )
            shutil.rmtree(study, ignore_errors=True)
            age_path.unlink()
        print("\n" + "\n".join(summary))
    finally:
        smtp.controller.stop()
        sshd.proc.terminate()
        shutil.rmtree(sshd.upload_dir, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
