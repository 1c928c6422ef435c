"""Sending as the sender sees it, against a real sshd and SMTP server: what connection is being tried and for
how long, the upload percentage, rate and time left, the passphrase with Copy on the last page, and the Sent
view (to whom, when, state) with Delete from Server Now and Send Again."""

from __future__ import annotations

import json
import socket
import time

import paramiko
import pytest
from PySide6.QtGui import QGuiApplication

from sodclient.deliveries import Ledger
from sodclient.errors import TransferError
from sodclient.progress import ProgressReport
from sodclient.services.send import SendRequest, send
from sodclient.services.settings import change_settings
from sodclient.transport import hostkeys
from sodclient.ui.send_progress import SendProgressDialog
from tests.library.dicom_factory import make_study
from tests.profiles import current
from tests.ui.conftest import import_and_wait

pytest_plugins = ["tests.ui.conftest"]


def _configure(sshd, smtp, link, trust=True, **override):
    change_settings(current(), {**sshd.settings(), **smtp.settings(), "link.template": link, **override})
    if trust:
        hostkeys.trust(
            current().paths.known_hosts,
            "127.0.0.1",
            sshd.port,
            paramiko.Ed25519Key.from_private_key_file(str(sshd.client_key.parent / "host_ed25519")),
        )


def test_progress_names_the_connection_then_shows_upload_percentage(qtbot, tmp_path, sshd, smtp_server, download_site):
    _configure(sshd, smtp_server, download_site)
    files = make_study(tmp_path / "s", n=2, size=64)
    reports: list[ProgressReport] = []
    result = send(
        current(),
        SendRequest(files, ["dr@clinic.example"], passphrases=["Velvet-Harbor-Gravy-42"], cc=["desk@clinic.example"]),
        progress=reports.append,
    )
    connect = [r for r in reports if r.stage == "connect"]
    assert connect[0].detail == f"Connecting to 127.0.0.1 (port {sshd.port})" and connect[0].total == 20
    assert connect[-1].detail == "Connected to 127.0.0.1"
    upload = [r for r in reports if r.stage == "upload" and r.total]
    assert upload and upload[-1].done == upload[-1].total == result.size
    # the dialog says it in words: percentage, amount, rate, time left
    dlg = SendProgressDialog(None)
    qtbot.addWidget(dlg)
    dlg.start()
    dlg.on_progress(connect[0])
    assert dlg.rate.text().startswith(f"Connecting to 127.0.0.1 (port {sshd.port})… 0 s (gives up after 20 s")
    dlg.on_progress(ProgressReport("upload", 4_500_000, 10_000_000, 2_100_000.0, 2.6))
    assert dlg.rate.text() == "Uploading: 45% (4.50 MB of 10.0 MB) at 2.10 MB/s, 3 s left"
    assert dlg.bars["upload"].value() == 450
    # the ledger now knows to whom (for the Sent view)
    (delivery,) = Ledger(current().paths.ledger_file).load()
    assert delivery.to == ("dr@clinic.example",) and delivery.cc == ("desk@clinic.example",) and delivery.files == 2


def test_a_server_that_does_not_answer_is_diagnosed_in_seconds(tmp_path, sshd, smtp_server, download_site):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]  # nothing listens there once the socket is closed
    _configure(sshd, smtp_server, download_site, trust=False, **{"sftp.port": str(closed)})
    reports: list[ProgressReport] = []
    t0 = time.monotonic()
    with pytest.raises(TransferError) as info:
        send(
            current(),
            SendRequest(make_study(tmp_path / "s", n=1), ["dr@clinic.example"], passphrases=["Velvet-Harbor-Gravy-42"]),
            progress=reports.append,
        )
    assert time.monotonic() - t0 < 15  # two attempts, not six
    assert f"nothing answers on 127.0.0.1 port {closed}" in str(info.value)
    connect = [r for r in reports if r.stage == "connect"]
    assert connect[0].detail == f"Connecting to 127.0.0.1 (port {closed})"
    retried = [r for r in connect if "Last attempt" in r.detail]
    assert retried and "connection refused" in retried[-1].detail and "attempt 2 of 2" in retried[-1].detail


def test_last_page_shows_the_passphrase_then_sent_view_deletes_and_sends_again(
    qtbot, window, tmp_path, sshd, smtp_server, download_site
):
    _configure(sshd, smtp_server, download_site)
    make_study(tmp_path / "cd", n=2, patient_name="Doe^Jane")
    import_and_wait(qtbot, window, [tmp_path / "cd"])
    window.open_series_of_case(window.current_case_id())  # the study browser lists an open series' instances
    qtbot.waitUntil(lambda: window.table.rowCount() == 2)
    window.select_rows([0, 1])
    flow = window.ftpsend()
    dlg = flow.export_dialog
    qtbot.waitUntil(dlg.isVisible)
    dlg.peer_review.setChecked(False)
    dlg.generate_button.click()
    passphrase = dlg.passphrase.text()
    *words, number = passphrase.split("-")
    assert len(words) == 6 and number.isdigit() and all(w.isalpha() for w in words)
    dlg.next_button.click()
    qtbot.waitUntil(lambda: flow.email_dialog is not None and flow.email_dialog.isVisible(), timeout=30000)
    flow.email_dialog.to.setText("colleague@clinic.example")
    flow.email_dialog.send_button.click()
    qtbot.waitUntil(lambda: flow.progress_dialog is not None and flow.progress_dialog.isVisible())
    progress = flow.progress_dialog
    qtbot.waitUntil(lambda: progress.close_button.isVisible(), timeout=120000)
    # the last page: the passphrase again, with Copy, and the reminder
    assert progress.passphrase_row.isVisible() and progress.passphrase.text() == passphrase
    progress.copy_passphrase_button.click()
    assert QGuiApplication.clipboard().text() == passphrase
    assert "another channel" in progress.reminder.text() and "cannot show it again" in progress.reminder.text()
    assert passphrase not in smtp_server.messages[-1].content.decode()
    progress.close_button.click()

    # Sent: to whom, when, state; delete from the server now
    sent = window.sent_deliveries()
    qtbot.waitUntil(sent.isVisible)
    assert sent.table.rowCount() == 1
    assert sent.table.item(0, 0).text().startswith("colleague@clinic.example · 2 documents")
    assert sent.table.item(0, 4).text() == "available"
    (uploaded,) = [p for p in sshd.upload_dir.iterdir() if p.suffix == ".sod"]
    sent.table.selectRow(0)
    job = sent.delete_selected(confirm=False)
    with qtbot.waitSignal(job.finished, timeout=30000):
        pass
    assert not uploaded.exists()
    assert sent.table.item(0, 4).text() == "deleted from the server early"
    assert "the link no longer works" in sent.status.text()
    assert current().audit.read()[-1]["event"] == "revoke"
    # send again: the same documents and recipient, prefilled
    sent.table.selectRow(0)
    again = sent.send_again()
    qtbot.waitUntil(lambda: again.export_dialog is not None and again.export_dialog.isVisible())
    assert again.export_dialog.windowTitle().startswith("Send Again")
    assert sorted(d.id for d in again.selected) == sorted(d.id for d in window.library.documents())
    assert again.reply_to == "colleague@clinic.example"
    again.export_dialog.reject()


def test_old_ledger_entries_without_recipients_still_show(profile):
    path = profile.paths.ledger_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "kind": "sodsend-deliveries",
                "version": 2,
                "items": [
                    {
                        "remote_name": "a.sod",
                        "size": 13500,
                        "uploaded": "2026-01-01T10:00:00+00:00",
                        "expires": "2026-01-15T10:00:00+00:00",
                        "purged": True,
                    }
                ],
            }
        )
    )
    (d,) = Ledger(path).load()
    assert d.to == () and d.state == "expired and deleted from the server" and d.recipients == []
