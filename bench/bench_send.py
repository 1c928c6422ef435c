"""A whole `sodclient send` of a CT study over a hospital-like WAN link vs zip + age + OpenSSH sftp.

    python3 bench/bench_send.py [--slices 2000] [--delay-ms 40] [--mbit 100] [--workdir DIR]

The study: --slices synthetic DICOM CT slices (512x512, 12 bits stored in 16, smooth anatomy plus
noise, ~0.5 MB each), generated with pydicom. The link: /work/shared/tools/wanem.py (located as
../shared/tools/wanem.py from the repository root) in front of a real OpenSSH sshd: 100 Mbit/s
and 40 ms each way by default. The mail goes to a local aiosmtpd with STARTTLS + AUTH.

  sodclient: `sodclient send --to ... --passphrase-file F STUDY` (pack, upload, verify, publish, mail),
             timed from start to exit.
  manual:    `zip -r -q`, `age -r` (X25519), `sftp put` through the same link; each step timed.

The claim checked: sodclient's whole send takes no longer than the manual route's upload step alone.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import table  # noqa: E402
from servers_for_bench import REPO, plain_key_copy, sftp_put, start_smtp, start_sshd, tmpdir  # noqa: E402

WANEM = REPO.parent / "shared" / "tools" / "wanem.py"


def make_study(folder: Path, slices: int) -> None:
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    folder.mkdir(parents=True)
    rng = np.random.default_rng(11)
    y, x = np.mgrid[-256:256, -256:256]
    body = ((x / 200.0) ** 2 + (y / 150.0) ** 2 < 1).astype(np.float32)
    study_uid, series_uid = generate_uid(), generate_uid()
    for i in range(slices):
        organ = ((x - 40 * np.sin(i / 50)) ** 2 + (y + 30) ** 2 < (60 + 10 * np.cos(i / 30)) ** 2)
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed(cmd: list[str], **kw) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, **kw)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--slices", type=int, default=2000)
    ap.add_argument("--delay-ms", type=float, default=40)
    ap.add_argument("--mbit", type=float, default=100)
    ap.add_argument("--workdir", default=None)
    a = ap.parse_args()
    if not WANEM.exists():
        sys.exit(f"wanem not found at {WANEM}")

    root = tmpdir(a.workdir)
    study = root / "study"
    t0 = time.perf_counter()
    make_study(study, a.slices)
    study_bytes = sum(p.stat().st_size for p in study.iterdir())
    print(f"generated {a.slices} slices, {study_bytes / 1e6:.0f} MB in {time.perf_counter() - t0:.0f} s",
          flush=True)

    sshd = start_sshd(root)
    smtp = start_smtp(root)
    link_port = free_port()
    wanem = subprocess.Popen([sys.executable, str(WANEM), "--listen", f"127.0.0.1:{link_port}",
                              "--to", f"127.0.0.1:{sshd.port}", "--delay-ms", str(a.delay_ms),
                              "--mbit", str(a.mbit)])
    env = {**os.environ, "SODCLIENT_HOME": str(root / "home"), "XDG_DATA_HOME": str(root / "xdg"),
           "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}
    try:
        time.sleep(0.5)
        cli = [sys.executable, "-m", "sodclient"]
        settings = {**sshd.settings(port=link_port), **smtp.settings(),
                    "link.template": "https://files.example.org/{name}"}
        subprocess.run(cli + ["config", "set", *[f"{k}={v}" for k, v in settings.items()]], env=env, check=True,
                       capture_output=True)
        fp = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f", "/dev/stdin"], input=sshd.host_key_pub,
                            text=True, capture_output=True, check=True).stdout.split()[1]
        subprocess.run(cli + ["trust-host", "--fingerprint", fp], env=env, check=True, capture_output=True)
        passfile = root / "pass.txt"
        passfile.write_text("Bench-Passphrase-2026\n")

        # sodclient: the whole send
        t_send = timed(cli + ["send", "--to", "radiology@clinic.example", "--passphrase-file", str(passfile),
                              "--quiet", str(study)], env=env, stdout=subprocess.DEVNULL)
        (container,) = [p for p in sshd.upload_dir.iterdir() if p.suffix == ".sod"]
        sod_size = container.stat().st_size
        assert len(smtp.messages) == 1, "the notification mail did not arrive"
        for p in sshd.upload_dir.iterdir():
            p.unlink()

        # manual route: zip, age, sftp through the same link
        key = plain_key_copy(sshd, root)
        zip_path, age_path = root / "study.zip", root / "study.zip.age"
        t_zip = timed(["zip", "-r", "-q", str(zip_path), "study"], cwd=root)
        subprocess.run(["age-keygen", "-o", str(root / "age.key")], check=True, capture_output=True)
        pub = [ln.split(": ")[1] for ln in (root / "age.key").read_text().splitlines() if "public key" in ln][0]
        t_age = timed(["age", "-r", pub, "-o", str(age_path), str(zip_path)])
        t0 = time.perf_counter()
        sftp_put(key, link_port, sshd.username, age_path, str(sshd.upload_dir / "study.zip.age"))
        t_sftp = time.perf_counter() - t0
        age_size = age_path.stat().st_size

        print(f"\nstudy: {a.slices} DICOM slices, {study_bytes / 1e6:.0f} MB; link {a.mbit:g} Mbit/s, "
              f"{a.delay_ms:g} ms each way\n")
        rows = [
            ["sodclient send (pack+upload+verify+mail, overlapped)", f"{sod_size / 1e6:.0f}", f"{t_send:.1f}",
             f"{t_send:.1f}"],
            ["manual: zip -r", f"{zip_path.stat().st_size / 1e6:.0f}", f"{t_zip:.1f}", ""],
            ["manual: age -r", f"{age_size / 1e6:.0f}", f"{t_age:.1f}", ""],
            ["manual: sftp put (upload step alone)", f"{age_size / 1e6:.0f}", f"{t_sftp:.1f}", ""],
            ["manual total", "", "", f"{t_zip + t_age + t_sftp:.1f}"],
        ]
        print(table(rows, ["route / step", "bytes sent (MB)", "step s", "total s"]))
        verdict = "meets" if t_send <= t_sftp else "MISSES"
        print(f"\nsodclient whole send / manual upload step alone = {t_send / t_sftp:.2f} ({verdict} the target <= 1)")
    finally:
        wanem.terminate()
        smtp.controller.stop()
        sshd.proc.terminate()
        shutil.rmtree(sshd.upload_dir, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
