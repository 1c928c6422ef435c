"""The demo, as a newcomer uses it: the real windows over the demo's own SFTP server (asyncssh), mail
catcher (aiosmtpd) and download site, all on loopback. Send a sample study with Peer Review, read the
mail in the Demo inbox, follow the link, import as the recipient, reply; then everything is gone."""

from __future__ import annotations

import socket

import pydicom
import pytest

from sodclient.services.demo import RECIPIENT, SENDER, TITLE
from sodclient.ui.demo_window import SUFFIX, DemoSession


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def session(qtbot, window):
    """Started the way a user does: Help → Try the demo in their own (real) window."""
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    assert window.demo_action in help_menu.actions()
    s = window.try_demo()
    assert isinstance(s, DemoSession)
    with qtbot.waitSignal(s.ready, timeout=60000):
        pass
    yield s
    if s.demo is not None and not s.demo.stopped:
        with qtbot.waitSignal(s.ended, timeout=60000):
            s.end()


def _select_ct(window) -> list[int]:
    """The CT study's case, its series opened in the study browser, and its first two images."""
    for p in window.library.patients():
        for c in window.library.cases(p.id):
            if "CT" in c.description:
                window.refresh(select_case=c.id)
                window.open_series_of_case(c.id)
    rows = [r for r, d in enumerate(window.view._docs) if d.modality == "CT"][:2]
    window.select_rows(rows)
    return rows


def _send_with_key(qtbot, flow, *, peer_review: bool, to: str):
    dlg = flow.export_dialog
    qtbot.waitUntil(dlg.isVisible)
    assert dlg.windowTitle().endswith(SUFFIX)
    dlg.peer_review.setChecked(peer_review)
    assert dlg.use_key.isEnabled()  # the demo introduced the two profiles to each other
    dlg.use_key.setChecked(True)
    dlg.next_button.click()
    if peer_review:
        qtbot.waitUntil(lambda: flow.review_dialog is not None and flow.review_dialog.isVisible(), timeout=120000)
        assert flow.review_dialog.windowTitle().endswith(SUFFIX)
        assert "DEMO^Ada" not in flow.review_dialog.text.toPlainText()
        flow.review_dialog.continue_button.click()
    qtbot.waitUntil(lambda: flow.email_dialog is not None and flow.email_dialog.isVisible(), timeout=60000)
    assert flow.email_dialog.windowTitle().endswith(SUFFIX)
    assert flow.email_dialog.to.text() == to
    flow.email_dialog.send_button.click()
    progress = flow.progress_dialog
    qtbot.waitUntil(lambda: progress.close_button.isVisible(), timeout=120000)
    assert progress.link.text(), progress.headline.text()  # no host-key question: the demo trusted its server
    assert flow.hostkey_dialog is None
    return progress


def test_demo_send_with_peer_review_receive_and_reply(qtbot, session, window):
    demo, sender, recipient, inbox = session.demo, session.sender, session.recipient, session.inbox
    root, ports = demo.root, (demo.sftp.port, demo.mail.port, demo.web.port)
    assert all(_port_open(p) for p in ports)
    for w in (sender, recipient, inbox):
        assert w.isVisible() and w.windowTitle().endswith(f" — {TITLE}")
    modalities = {d.modality for d in sender.library.documents() if d.is_dicom}
    kinds = {d.media_type for d in sender.library.documents()}
    assert {"CT", "MR", "CR"} <= modalities and {"application/pdf", "image/jpeg"} <= kinds
    assert recipient.library.documents() == []
    box = sender.show_message("Check", "Any dialog of a demo window is labelled.")
    assert box.windowTitle() == "Check" + SUFFIX
    box.close()

    # the sender: FTPSend with Peer Review to the recipient's key
    _select_ct(sender)
    progress = _send_with_key(qtbot, sender.ftpsend(), peer_review=True, to=RECIPIENT[1])
    link = progress.link.text()
    progress.close_button.click()

    # the Demo inbox caught the mail, with the link
    qtbot.waitUntil(lambda: len(inbox.mails) == 1, timeout=30000)
    assert inbox.mails[0].to == [RECIPIENT[1]] and link in inbox.mails[0].body
    assert inbox.current_link() == link and inbox.open_button.isEnabled()

    # the recipient follows the link: downloaded from the demo's web site, opened in the recipient's window
    inbox.open_button.click()
    qtbot.waitUntil(lambda: session.last_open is not None and session.last_open.isVisible(), timeout=30000)
    dlg = session.last_open
    assert dlg.windowTitle().endswith(SUFFIX) and dlg.path.parent == demo.downloads
    assert dlg.use_key.isChecked()
    dlg.open_button.click()
    qtbot.waitUntil(lambda: dlg.pages.currentIndex() == 1, timeout=60000)
    assert f"Signed by {SENDER[0]}" in dlg.sender_label.text()
    with qtbot.waitSignal(dlg.imported, timeout=60000):
        dlg.import_button.click()
    received = recipient.library.documents()
    assert len(received) == 2 and all(d.is_dicom for d in received)
    for d in received:  # Peer Review ran: the invented patient's name and ID did not travel
        ds = pydicom.dcmread(d.path)
        assert "DEMO^Ada" not in str(ds.PatientName) and ds.PatientID != "DEMO-0001"
    dlg.cancel_button.click()

    # the recipient replies (the existing Reply flow), back to the sender's address and key
    recipient.refresh(select_case=received[0].case_id)
    recipient.select_rows([0])
    flow = recipient.reply()
    assert flow.export_dialog.windowTitle() == "Reply" + SUFFIX
    progress = _send_with_key(qtbot, flow, peer_review=False, to=SENDER[1])
    qtbot.waitUntil(lambda: len(inbox.mails) == 2, timeout=30000)
    assert inbox.mails[1].to == [SENDER[1]] and progress.link.text() in inbox.mails[1].body
    progress.close_button.click()

    # closing the sender's window ends the demo: windows closed, servers stopped, folder deleted
    with qtbot.waitSignal(session.ended, timeout=60000):
        sender.close()
    assert not root.exists()
    assert not any(_port_open(p) for p in ports)
    assert not recipient.isVisible() and not inbox.isVisible()
    # the user's own window and profile: untouched, unlabelled, still open
    assert window.isVisible() and window.windowTitle() == "SOD Send"
    assert window.profile.library().documents() == [] and window.profile.audit.read() == []
    assert not window.profile.paths.settings_file.exists() and not window.profile.paths.identity_file.exists()


_DRIVER = """
import json, sys
from PySide6.QtCore import QTimer
from sodclient.cli import main
from sodclient.ui import demo_window
from sodclient.ui.app import build_app

build_app([])   # the same QApplication the command then uses; timers need it to exist
seen = {}

def close_when_ready():
    live = [s for s in demo_window._SESSIONS if s.demo is not None]
    if not live:
        QTimer.singleShot(100, close_when_ready)
        return
    s = live[0]
    seen.update(title=s.recipient.windowTitle(), root=str(s.demo.root), mails=len(s.inbox.mails))
    s.recipient.close()

QTimer.singleShot(100, close_when_ready)
code = main(["demo"])
seen.update(code=code, sessions=len(demo_window._SESSIONS))
print("RESULT " + json.dumps(seen))
"""


def test_sodclient_demo_command_runs_until_a_demo_window_closes(tmp_path):
    """`sodclient demo`: the same windows on their own, and the command returns once the demo ended. In a
    child process: the command runs (and quits) its own QApplication."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-c", _DRIVER],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    result = next((json.loads(line[7:]) for line in out.stdout.splitlines() if line.startswith("RESULT ")), None)
    assert result is not None, out.stderr[-2000:]
    assert result["code"] == 0 and result["sessions"] == 0 and result["mails"] == 0
    assert result["title"] == f"SOD Send: {RECIPIENT[0]} (recipient){SUFFIX}"
    assert not Path(result["root"]).exists()
