"""Layouts that do not clip: every dialog opened at 100 % and at 150 % (QT_SCALE_FACTOR=1.5, set before Qt
starts, so each scale runs in its own process), and no label, button or box is smaller than its text needs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from PySide6.QtWidgets import QApplication
from sodclient.profile import Profile
from sodclient.progress import ProgressReport
from sodclient.services.results import SendResult
from sodclient.ui.app import build_app
from tests.ux.layout import clipped_widgets
from tests.library.dicom_factory import make_study

app = build_app([])
profile = Profile.from_environment().ensure()
lib = profile.library()
tmp = Path(sys.argv[1])
lib.import_paths(make_study(tmp / "s", n=2, size=64))
from sodclient.deliveries import Ledger
Ledger(profile.paths.ledger_file).add("x.sod", 13500, datetime.now(timezone.utc) + timedelta(days=3),
                                     to=["colleague@clinic.example"], files=2)
from sodclient.ui.main_window import MainWindow
from sodclient.ui.export_dialog import ExportDialog
from sodclient.ui.email_dialog import EmailDialog
from sodclient.ui.send_progress import SendProgressDialog
from sodclient.ui.ftp_config import FtpConfigDialog
from sodclient.ui.keys_dialog import KeysDialog
from sodclient.ui.sent_view import SentDialog
from sodclient.ui.viewer import ViewerDialog
from sodclient.ui.import_dialog import ImportDialog
from sodclient.ui.outbox import OutboxDialog
from sodclient.library.survey import survey
(tmp / "cd").mkdir()
(tmp / "cd" / "README.TXT").write_text("x")
(tmp / "cd" / "letter.pdf").write_bytes(b"%PDF-1.4")
w = MainWindow(profile)
docs = lib.documents()
done = SendProgressDialog(w, passphrase="Velvet-Harbor-Gravy-Sprain-Unmasked-Atlas-47")
done.show_success(SendResult("https://files.example.org/5f2c9a7e1b.sod", "5f2c9a7e1b.sod",
                             datetime.now(timezone.utc), 13500, True))
running = SendProgressDialog(w)
running.start()
running.on_progress(ProgressReport("upload", 4_500_000, 10_000_000, 2_100_000.0, 2.6))
widgets = {"main window": w, "export": ExportDialog(docs, docs, w), "e-mail": EmailDialog(w, to="a@b.example"),
           "progress": running, "sent (last page)": done, "FTP Config": FtpConfigDialog(profile, w),
           "keys": KeysDialog(profile, w), "Sent Deliveries": SentDialog(profile, w),
           "viewer": ViewerDialog(docs[0], w, series=docs), "outbox": OutboxDialog(profile, w),
           "import": ImportDialog(survey([tmp / "cd"]), lib, None, w)}
from sodclient.deid import run_peer_review
from sodclient.ui.hand_clean import HandCleanDialog
from sodclient.ui.review_dialog import ReviewDialog
(tmp / "pr").mkdir()
(tmp / "pr" / "letter.pdf").write_bytes(b"%PDF-1.4 broken")
report = run_peer_review([docs[0].path, tmp / "pr" / "letter.pdf"], tmp / "pr-out")
review = ReviewDialog(report, w, open_document=lambda item, picture: None, clean_by_hand=lambda label, boxes: None)
review.show_report(report, "input 2")
widgets["Peer Review report (left out)"] = review
widgets["clean by hand"] = HandCleanDialog(docs[0].path, "IM0001", w, reason="it is flagged as having text "
                                           "burned into the pixels, but the text could not be located to blank it")
problems = []
for name, widget in widgets.items():
    widget.show()
    for _ in range(5):
        app.processEvents()
    size = f"{widget.width()}x{widget.height()}"
    problems += [f"{name} ({size}): {p}" for p in clipped_widgets(widget)]
print("\n".join(problems))
sys.exit(1 if problems else 0)
"""


@pytest.mark.parametrize("scale", ["1", "1.5"])
def test_no_dialog_clips_its_text(tmp_path, scale):
    env = {**os.environ, "QT_SCALE_FACTOR": scale, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)], env=env, capture_output=True, text=True, timeout=180, cwd=ROOT
    )
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]


def test_the_clip_check_can_fail(qtbot):
    from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

    from tests.ux.layout import clipped_widgets

    top = QWidget()
    layout = QVBoxLayout(top)
    button = QPushButton("Delete from Server Now")
    layout.addWidget(button)
    layout.addWidget(QLabel("fits"))
    qtbot.addWidget(top)
    top.show()
    assert clipped_widgets(top) == []
    button.setFixedWidth(30)
    assert any("Delete from Server Now" in p for p in clipped_widgets(top))
