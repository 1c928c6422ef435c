"""FTPSend driven through the real dialogs against a real sshd, a real STARTTLS SMTP server and a download
site; the recipient (a second profile) opens the downloaded .SOD in the app and imports it."""

from __future__ import annotations

import re
import urllib.request

import paramiko
import pydicom

from sodclient.services.settings import change_settings
from sodclient.transport import hostkeys
from sodclient.ui.main_window import MainWindow
from tests.library.dicom_factory import make_dicom, make_study
from tests.profiles import current
from tests.ui.conftest import close_when_idle, import_and_wait


def _configure(sshd, smtp, link):
    change_settings(current(), {**sshd.settings(), **smtp.settings(), "link.template": link})


def _load_library(qtbot, window, tmp_path):
    make_study(tmp_path / "cd", n=3, patient_id="PID-73519", patient_name="Doe^Jane")
    import_and_wait(qtbot, window, [tmp_path / "cd"])
    window.open_series_of_case(window.current_case_id())
    qtbot.waitUntil(lambda: window.table.rowCount() == 3)


def _export(qtbot, window, rows, *, peer_review=False, passphrase=None):
    window.select_rows(rows)
    flow = window.ftpsend()
    dlg = flow.export_dialog
    qtbot.waitUntil(dlg.isVisible)
    assert dlg.selected_radio.isChecked()
    dlg.peer_review.setChecked(peer_review)
    if passphrase:
        dlg.passphrase.setText(passphrase)
    else:
        dlg.generate_button.click()
    assert dlg.policy_label.text() == "Strong enough."
    dlg.next_button.click()
    return flow, dlg.passphrase.text()


def _email(qtbot, flow, to="colleague@clinic.example"):
    qtbot.waitUntil(lambda: flow.email_dialog is not None and flow.email_dialog.isVisible(), timeout=60000)
    e = flow.email_dialog
    assert "not encrypted" in e.findChild(type(e.error), "unencrypted-note").text()
    e.to.setText(to)
    e.message.setPlainText("Images for Tuesday's board, as discussed.")
    e.send_button.click()
    qtbot.waitUntil(lambda: flow.progress_dialog is not None and flow.progress_dialog.isVisible())
    return flow.progress_dialog


def test_send_with_peer_review_and_import_in_second_profile(
    qtbot, window, tmp_path, sshd, smtp_server, download_site, monkeypatch
):
    _configure(sshd, smtp_server, download_site)
    _load_library(qtbot, window, tmp_path)
    flow, passphrase = _export(qtbot, window, [0, 2], peer_review=True)

    # the de-identification report comes before anything leaves
    qtbot.waitUntil(lambda: flow.review_dialog is not None and flow.review_dialog.isVisible(), timeout=120000)
    assert "de-identified" in flow.review_dialog.text.toPlainText()
    assert "Doe" not in flow.review_dialog.text.toPlainText()
    assert list(sshd.upload_dir.iterdir()) == []
    flow.review_dialog.continue_button.click()

    progress = _email(qtbot, flow)
    # first connection: the host-key fingerprint must be confirmed
    qtbot.waitUntil(lambda: flow.hostkey_dialog is not None and flow.hostkey_dialog.isVisible(), timeout=60000)
    assert flow.hostkey_dialog.fingerprint.startswith("SHA256:")
    flow.hostkey_dialog.trust_button.click()
    qtbot.waitUntil(lambda: progress.close_button.isVisible(), timeout=120000)
    assert progress.link.text(), progress.headline.text()
    link = progress.link.text()
    assert "Sent." in progress.headline.text() and "another channel" in progress.reminder.text()
    assert hostkeys.lookup(current().paths.known_hosts, "127.0.0.1", sshd.port, "ssh-ed25519") is not None
    progress.copy_button.click()
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == link

    # the mail holds the link, not the passphrase
    assert len(smtp_server.messages) == 1
    mail = smtp_server.messages[0].content.decode()
    assert link in mail and passphrase not in mail and "Doe" not in mail
    assert re.search(r"https?://\S+\.sod", mail)
    downloaded = tmp_path / "download.sod"
    with urllib.request.urlopen(link) as resp:
        downloaded.write_bytes(resp.read())
    progress.close_button.click()

    # the recipient: another profile opens and imports it
    monkeypatch.setenv("SODCLIENT_HOME", str(tmp_path / "recipient-home"))
    recipient = MainWindow(current())
    recipient.show()
    dlg = recipient.open_sod(downloaded)
    qtbot.addWidget(dlg)
    dlg.passphrase.setText(passphrase)
    dlg.open_button.click()
    qtbot.waitUntil(lambda: dlg.pages.currentIndex() == 1, timeout=60000)
    assert dlg.table.rowCount() == 2
    with qtbot.waitSignal(dlg.imported, timeout=60000):
        dlg.import_button.click()
    docs = recipient.library.documents()
    assert len(docs) == 2 and all(d.is_dicom for d in docs)
    for d in docs:
        ds = pydicom.dcmread(d.path)
        assert "Doe" not in str(ds.PatientName) and ds.PatientID != "PID-73519"
        assert "General Hospital" not in str(ds.get("InstitutionName", ""))
    assert all(p.name != "Doe Jane" for p in recipient.library.patients())
    close_when_idle(qtbot, recipient)


def test_cancel_mid_upload_keeps_everything(qtbot, window, tmp_path, sshd, smtp_server, download_site):
    _configure(sshd, smtp_server, download_site)
    hostkeys.trust(
        current().paths.known_hosts,
        "127.0.0.1",
        sshd.port,
        paramiko.Ed25519Key.from_private_key_file(str(sshd.client_key.parent / "host_ed25519")),
    )
    patient = window.library.create_patient("Big Study")
    case = window.library.create_case(patient.id, "Large")
    window.refresh(select_case=case.id)
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        import os

        for _ in range(96):
            f.write(os.urandom(1 << 20))
    import_and_wait(qtbot, window, [big], timeout=60000)
    window.open_series_of_case(case.id)
    qtbot.waitUntil(lambda: window.table.rowCount() == 1)
    flow, _ = _export(qtbot, window, [0])
    progress = _email(qtbot, flow)
    qtbot.waitUntil(lambda: progress.marks["upload"].text() == "▶" or not progress.running, timeout=60000)
    assert progress.running, progress.headline.text()
    progress.cancel_button.click()
    qtbot.waitUntil(lambda: progress.retry_button.isVisible(), timeout=60000)
    assert "Cancelled" in progress.headline.text() and "nothing was lost" in progress.headline.text()
    assert not [p for p in sshd.upload_dir.iterdir() if p.name.endswith(".sod")]
    assert smtp_server.messages == []
    assert window.library.documents()[0].path.exists()
    # Retry sends it after all
    progress.retry_button.click()
    qtbot.waitUntil(lambda: progress.link.text() != "" and progress.close_button.isVisible(), timeout=120000)
    assert len(smtp_server.messages) == 1


def test_changed_host_key_is_refused_in_the_ui(qtbot, window, tmp_path, sshd, smtp_server, download_site):
    _configure(sshd, smtp_server, download_site)
    hostkeys.trust(
        current().paths.known_hosts, "127.0.0.1", sshd.port, _other_ed25519(tmp_path)
    )  # as if the server's key had changed
    _load_library(qtbot, window, tmp_path)
    flow, _ = _export(qtbot, window, [0])
    progress = _email(qtbot, flow)
    qtbot.waitUntil(lambda: progress.close_button.isVisible(), timeout=60000)
    text = progress.headline.text()
    assert "different key" in text and "Nothing was sent" in text
    assert not progress.retry_button.isVisible() and flow.hostkey_dialog is None
    assert list(sshd.upload_dir.iterdir()) == [] and smtp_server.messages == []


def _other_ed25519(tmp_path):
    import subprocess

    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "other")], check=True)
    return paramiko.Ed25519Key.from_private_key_file(str(tmp_path / "other"))


def test_reply_to_a_signed_delivery_with_an_attachment(qtbot, window, tmp_path, sshd, smtp_server, download_site):
    from sodclient import keys
    from sodclient.services.receive import import_container
    from sodformat import PassphraseRecipient, collect_sources, generate_identity, pack

    _configure(sshd, smtp_server, download_site)
    hostkeys.trust(
        current().paths.known_hosts,
        "127.0.0.1",
        sshd.port,
        paramiko.Ed25519Key.from_private_key_file(str(sshd.client_key.parent / "host_ed25519")),
    )
    sender = generate_identity()
    keys.add_contact(
        current().paths,
        keys.validate_contact("Dr Sender", "sender@hospital.example", str(sender.recipient), sender.signing_public),
    )
    make_dicom(tmp_path / "in" / "img.dcm")
    sod = tmp_path / "in.sod"
    pack(sod, collect_sources([tmp_path / "in"]), [PassphraseRecipient("Pass-phrase-42")], signer=sender)
    _, result = import_container(current(), sod, passphrase="Pass-phrase-42")
    window.refresh(select_case=result.case_ids[0])
    flow = window.reply()
    dlg = flow.export_dialog
    assert dlg.windowTitle() == "Reply"
    note = tmp_path / "answer.txt"
    note.write_text("Findings discussed; see attached.")
    dlg.add_files([note])
    dlg.generate_button.click()
    dlg.next_button.click()
    qtbot.waitUntil(lambda: flow.email_dialog is not None and flow.email_dialog.isVisible(), timeout=30000)
    assert flow.email_dialog.to.text() == "sender@hospital.example"
    flow.email_dialog.send_button.click()
    progress = flow.progress_dialog
    qtbot.waitUntil(lambda: progress.close_button.isVisible(), timeout=120000)
    assert progress.link.text(), progress.headline.text()
    mail = smtp_server.messages[0]
    assert "sender@hospital.example" in mail.rcpt_tos


def test_mail_failure_after_upload_shows_the_link_and_keeps_the_mail(
    qtbot, window, tmp_path, sshd, smtp_server, download_site
):
    from sodclient.services.outbox import pending

    change_settings(
        current(),
        {
            **sshd.settings(),
            **smtp_server.settings(),
            "smtp.password": "Wrong-passw0rd",
            "link.template": download_site,
        },
    )
    hostkeys.trust(
        current().paths.known_hosts,
        "127.0.0.1",
        sshd.port,
        paramiko.Ed25519Key.from_private_key_file(str(sshd.client_key.parent / "host_ed25519")),
    )
    _load_library(qtbot, window, tmp_path)
    flow, _ = _export(qtbot, window, [0])
    progress = _email(qtbot, flow)
    qtbot.waitUntil(lambda: progress.close_button.isVisible(), timeout=120000)
    assert "could not be sent yet" in progress.headline.text() and progress.link.text()
    assert smtp_server.messages == [] and len(pending(current())) == 1
    assert [p for p in sshd.upload_dir.iterdir() if p.name.endswith(".sod")]
    box = window.outbox()
    assert box.table.rowCount() == 1 and box.table.item(0, 1).text() == "e-mail"
    box.close()
    # the admin fixes the password; Retry e-mail sends the queued mail (no second upload)
    change_settings(current(), {"smtp.password": smtp_server.password})
    assert progress.retry_button.isVisible() and progress.retry_button.text() == "Retry e-mail"
    progress.retry_button.click()
    qtbot.waitUntil(lambda: "Sent." in progress.headline.text(), timeout=60000)
    assert len(smtp_server.messages) == 1 and pending(current()) == []
    assert len([p for p in sshd.upload_dir.iterdir() if p.name.endswith(".sod")]) == 1


def test_peer_review_report_with_a_left_out_document(qtbot, tmp_path):
    from sodclient.deid import PeerReviewOptions, run_peer_review
    from sodclient.progress import CancelToken
    from sodclient.ui.review_dialog import ReviewDialog

    good = make_dicom(tmp_path / "in" / "a.dcm")
    bad = tmp_path / "in" / "b.pdf"
    bad.write_bytes(b"%PDF-1.4 broken")
    report = run_peer_review(
        [good, bad], tmp_path / "out", options=PeerReviewOptions(), progress=lambda r: None, cancel=CancelToken()
    )
    dlg = ReviewDialog(report)
    qtbot.addWidget(dlg)
    assert not report.all_safe and dlg.continue_button.isEnabled()
    assert dlg.continue_button.text() == "Send the 1 safe document(s)"
    assert "Left out" in dlg.text.toPlainText()


def test_ui_and_cli_reviewed_sends_leave_the_same_audit_events(
    qtbot, window, tmp_path, sshd, smtp_server, download_site
):
    """One Peer Review + send path: the app's review step and `sodclient send --peer-review` run the same
    services, so the trail tells the same story for the same action from either entry point."""
    from sodclient.cli import main as cli_main

    _configure(sshd, smtp_server, download_site)
    hostkeys.trust(
        current().paths.known_hosts,
        "127.0.0.1",
        sshd.port,
        paramiko.Ed25519Key.from_private_key_file(str(sshd.client_key.parent / "host_ed25519")),
    )
    _load_library(qtbot, window, tmp_path)
    before = len(current().audit.read())
    flow, _ = _export(qtbot, window, [0, 1], peer_review=True)
    qtbot.waitUntil(lambda: flow.review_dialog is not None and flow.review_dialog.isVisible(), timeout=120000)
    flow.review_dialog.continue_button.click()
    progress = _email(qtbot, flow)
    qtbot.waitUntil(lambda: progress.close_button.isVisible(), timeout=120000)
    assert progress.link.text(), progress.headline.text()
    progress.close_button.click()
    records = current().audit.read()
    from_ui = [r["event"] for r in records[before:]]

    make_study(tmp_path / "cli-study", n=2, patient_id="PID-88", patient_name="Roe^Richard")
    phrase = tmp_path / "phrase.txt"
    phrase.write_text("Transfer-Phrase-2026\n")
    assert (
        cli_main(
            [
                "send",
                "--to",
                "colleague@clinic.example",
                "--peer-review",
                "--passphrase-file",
                str(phrase),
                "--quiet",
                str(tmp_path / "cli-study"),
            ]
        )
        == 0
    )
    from_cli = [r["event"] for r in current().audit.read()[len(records) :]]

    assert from_ui == from_cli == ["peer-review", "upload", "notify", "send"]
    ui_send, cli_send = records[-1]["fields"], current().audit.read()[-1]["fields"]
    assert ui_send["peer_review"] is cli_send["peer_review"] is True
    assert current().audit.verify().ok
