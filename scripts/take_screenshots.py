"""Renders every window of the app with demo data into docs/screenshots/ (run under Xvfb).

    xvfb-run -a python3 scripts/take_screenshots.py              # 100 %: every window
    xvfb-run -a python3 scripts/take_screenshots.py --scale 1.5  # 150 %: a few, into docs/screenshots/150/

PNGs are reduced to 256 colours and optimised (Pillow), so the README stays light. Every shot is also checked
for clipped text (a label, button or box narrower than its text needs): the script fails if one is.

Uses a throwaway profile (SODCLIENT_HOME) and file keyring; the demo patient is synthetic. The Peer Review
report and the opened container are real (run on the demo data); the progress window is shown with sample
figures, since no server is contacted here.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SCALE = float(sys.argv[sys.argv.index("--scale") + 1]) if "--scale" in sys.argv else 1.0
if SCALE != 1.0:
    os.environ["QT_SCALE_FACTOR"] = f"{SCALE:g}"  # must be set before the QApplication exists
OUT = ROOT / "docs" / "screenshots" / ("" if SCALE == 1.0 else f"{round(SCALE * 100)}")
AT_SCALE = {"main-window", "import", "ftpsend-5-sent"}  # a few at 150 %: enough to see nothing clips
_tmp = Path(tempfile.mkdtemp(prefix="sod-shots-"))
os.environ["SODCLIENT_HOME"] = str(_tmp / "home")
os.environ["PYTHON_KEYRING_BACKEND"] = "keyrings.alt.file.PlaintextKeyring"
os.environ["XDG_DATA_HOME"] = str(_tmp / "xdg")

from PySide6.QtWidgets import QApplication  # noqa: E402

from sodclient import keys  # noqa: E402
from sodclient.profile import Profile  # noqa: E402
from sodclient.progress import ProgressReport  # noqa: E402
from sodclient.services.identity import create_identity  # noqa: E402
from sodclient.services.outbox import outbox_of  # noqa: E402
from sodclient.services.receive import open_container  # noqa: E402
from sodclient.services.results import SendResult  # noqa: E402
from sodclient.ui.app import build_app  # noqa: E402
from sodclient.ui.audit_dialog import AuditDialog  # noqa: E402
from sodclient.ui.email_dialog import EmailDialog  # noqa: E402
from sodclient.ui.export_dialog import ExportDialog  # noqa: E402
from sodclient.ui.ftp_config import FtpConfigDialog  # noqa: E402
from sodclient.ui.hostkey_dialog import HostKeyDialog  # noqa: E402
from sodclient.ui.keys_dialog import KeysDialog  # noqa: E402
from sodclient.ui.main_window import MainWindow  # noqa: E402
from sodclient.ui.open_sod import OpenSodDialog  # noqa: E402
from sodclient.ui.review_dialog import ReviewDialog  # noqa: E402
from sodclient.ui.send_progress import SendProgressDialog  # noqa: E402
from sodclient.ui.viewer import ViewerDialog  # noqa: E402
from sodformat import PassphraseRecipient, collect_sources, generate_identity, pack  # noqa: E402
from tests.library.dicom_factory import make_study  # noqa: E402

CLIPPED: list[str] = []


def shot(widget, name: str) -> None:
    if SCALE != 1.0 and name not in AT_SCALE:
        return
    widget.show()
    for _ in range(5):
        QApplication.processEvents()
    from tests.ux.layout import clipped_widgets

    CLIPPED.extend(f"{name}: {problem}" for problem in clipped_widgets(widget))
    path = OUT / f"{name}.png"
    widget.grab().save(str(path))
    _optimise(path)
    print("wrote", path, f"({path.stat().st_size // 1024} KB)")


def _optimise(path: Path) -> None:
    """256 colours and zlib's best: screenshots of flat UI lose nothing visible and shrink 3-4x."""
    from PIL import Image

    with Image.open(path) as im:
        small = im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def main() -> int:
    app = build_app([])
    OUT.mkdir(parents=True, exist_ok=True)
    profile = Profile.from_environment().ensure()
    lib = profile.library()
    demo = _tmp / "demo"
    make_study(demo / "ct", n=4, patient_id="DEMO-0001", patient_name="Demo^Patient", size=256)
    make_study(
        demo / "mr", n=2, patient_id="DEMO-0001", patient_name="Demo^Patient", study_description="MR Knee", size=256
    )
    make_study(demo / "other", n=1, patient_id="DEMO-0002", patient_name="Sample^Second", size=256)
    lib.import_paths([demo])
    patient = next(p for p in lib.patients() if p.name == "Demo Patient")
    case = lib.cases(patient.id)[0]
    from pypdf import PdfWriter

    pdf = PdfWriter()
    pdf.add_blank_page(595, 842)
    pdf.write(demo / "referral.pdf")
    lib.import_paths([demo / "referral.pdf"], case_id=case.id)

    w = MainWindow(profile)
    w.refresh(select_case=case.id)
    w.open_series_of_case(case.id)  # the CT series: its images, one selected, with the preview
    w.select_rows([0, 1])
    w.select_rows([1])
    import time

    end = time.monotonic() + 2  # let the background thumbnail jobs finish
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.02)
    shot(w, "main-window")

    cd = _tmp / "cd"
    make_study(cd / "IMAGES", n=3, patient_id="DEMO-0003", patient_name="Third^Sample", size=64)
    (cd / "DICOMDIR").write_bytes(b"\0" * 132)
    (cd / "README.TXT").write_text("Viewer instructions")
    (cd / "AUTORUN.INF").write_text("[autorun]")
    (cd / "REPORT.PDF").write_bytes(b"%PDF-1.4 report")
    (cd / "damaged.dcm").write_bytes(b"\0" * 128 + b"DICM")
    from sodclient.library.survey import survey
    from sodclient.ui.import_dialog import ImportDialog

    shot(ImportDialog(survey([cd]), lib, case.id, w), "import")

    docs = lib.documents(case_id=case.id)
    export = ExportDialog(docs[:2], docs, w, contacts=keys.load_contacts(profile.paths))
    export.peer_review.setChecked(True)
    export.generate_button.click()
    shot(export, "ftpsend-1-export")

    from sodclient.deid import PeerReviewOptions, run_peer_review

    staged = lib.stage(docs[:2], _tmp / "stage", keep_titles=False)
    report = run_peer_review(
        staged, _tmp / "reviewed", options=PeerReviewOptions(), progress=lambda r: None, cancel=None
    )
    shot(ReviewDialog(report, w), "ftpsend-2-peer-review")
    from sodclient.ui.hand_clean import HandCleanDialog

    hand = HandCleanDialog(
        next(p for p in staged if p.suffix == ".dcm"),
        "CT image 1",
        w,
        boxes=[(8, 8, 96, 20)],
        reason="it may show burned-in text that OCR could not locate",
    )
    hand.show()
    end = time.monotonic() + 10  # the picture is read on a background job
    while not hand.view.has_picture and time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.02)
    shot(hand, "ftpsend-2b-clean-by-hand")

    email = EmailDialog(w, to="colleague@clinic.example", subject="Secure delivery for you (SOD Send)")
    email.message.setPlainText("Images for Tuesday's tumour board, as discussed.")
    shot(email, "ftpsend-3-email")

    progress = SendProgressDialog(w, peer_review=True)
    progress.start()
    progress.on_progress(ProgressReport("pack", 700 << 20, 1 << 30, 95e6, 3.0))
    progress.on_progress(ProgressReport("upload", 610 << 20, None, 88e6, None))
    progress.on_progress(ProgressReport("upload", 610 << 20, 1 << 30, 88e6, 4.9))
    shot(progress, "ftpsend-4-progress")
    done = SendProgressDialog(w, peer_review=True, passphrase="Velvet-Harbor-Gravy-Sprain-Unmasked-Atlas-47")
    done.show_success(
        SendResult(
            "https://files.hospital.example/5f2c9a7e1b.sod",
            "5f2c9a7e1b.sod",
            datetime.now(UTC) + timedelta(days=14),
            1 << 30,
            True,
        )
    )
    shot(done, "ftpsend-5-sent")
    failed = SendProgressDialog(w)
    failed.show_failure("The SFTP server refused the user name or password (check FTP Config).")
    shot(failed, "ftpsend-6-failed")

    from sodclient.ui.sign_in import SignInDialog

    shot(SignInDialog(profile, "none", w, key_file="create"), "sign-in-key-file")
    me = create_identity(profile, protection="keyring")
    sender = generate_identity()
    keys.add_contact(
        profile.paths,
        keys.validate_contact("Dr A. Sender", "sender@hospital.example", str(sender.recipient), sender.signing_public),
    )
    sod = _tmp / "received.sod"
    pack(sod, collect_sources([demo / "mr"]), [PassphraseRecipient("Demo-pass-2026")], signer=sender)
    dlg = OpenSodDialog(sod, profile, w)
    shot(dlg, "open-sod-1-passphrase")
    dlg._opened(open_container(profile, sod, passphrase="Demo-pass-2026"))
    shot(dlg, "open-sod-2-contents")

    cfg = FtpConfigDialog(profile, w)
    for k, v in {
        "sftp.host": "sftp.hospital.example",
        "sftp.username": "sodsend",
        "sftp.remote_dir": "/srv/sod",
        "smtp.host": "mail.hospital.example",
        "smtp.from": "sodsend@hospital.example",
        "link.template": "https://files.hospital.example/{name}",
    }.items():
        cfg.fields[k].setText(v)
    cfg.diagnosis.setText(
        "<span style='color:#1b7f3b'><b>SFTP: OK</b></span> logged in to sftp.hospital.example "
        "(aes256-gcm@openssh.com); folder /srv/sod is writable<br>"
        "<span style='color:#1b7f3b'><b>SMTP: OK</b></span> logged in to "
        "mail.hospital.example port 587 with STARTTLS encryption"
    )
    shot(cfg, "ftp-config")
    shot(
        HostKeyDialog("sftp.hospital.example", "SHA256:oX3mJ0bq7k3Lr4b5O0n8wE9Qm1cH5ZyQ2iYt3y3nYdE", "ssh-ed25519", w),
        "host-key",
    )
    shot(KeysDialog(profile, w), "keys-and-contacts")
    profile.audit.record("import", documents=2, duplicates=0, bytes=262144, signer=sender.signing_public, signed=True)
    shot(AuditDialog(profile, w), "audit-log")
    from sodclient.notify.mail import Notification
    from sodclient.ui.outbox import OutboxDialog

    outbox_of(profile).add(
        Notification(
            ["colleague@clinic.example"],
            [],
            "https://files.hospital.example/5f2c9a7e1b.sod",
            datetime.now(UTC) + timedelta(days=14),
            1 << 30,
        ),
        "5f2c9a7e1b.sod",
        "the mail server mail.hospital.example refused the login",
    )
    shot(OutboxDialog(profile, w), "outbox")
    from sodclient.deliveries import Ledger
    from sodclient.ui.sent_view import SentDialog

    ledger = Ledger(profile.paths.ledger_file)
    now = datetime.now(UTC)
    ledger.add("5f2c9a7e1b.sod", 13_500, now + timedelta(days=14), to=["colleague@clinic.example"], files=2)
    ledger.add(
        "a81d44c0e2.sod",
        1_250_000_000,
        now + timedelta(days=3),
        to=["radiology@hospital.example"],
        cc=["desk@hospital.example"],
        files=412,
    )
    ledger.add("0c9be3f5d1.sod", 4_200_000, now - timedelta(days=1), to=["dr.lee@clinic.example"], files=1)
    ledger.mark_purged("0c9be3f5d1.sod", revoked=True)
    shot(SentDialog(profile, w), "sent")
    dicom = [d for d in lib.documents(case_id=case.id) if d.is_dicom]
    viewer = ViewerDialog(dicom[0], w, series=dicom)
    viewer.set_window(60, 1500)
    viewer.tags_box.setChecked(True)
    shot(viewer, "viewer")
    del me
    app.quit()
    if CLIPPED:
        print("clipped text:\n  " + "\n  ".join(CLIPPED), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
