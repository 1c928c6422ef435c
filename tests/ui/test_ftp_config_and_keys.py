"""FTP Config validates every key, saves encrypted settings, tests the real server and confirms host keys;
My Key and Contacts; the audit log window."""

from __future__ import annotations

from sodclient import keys
from sodclient.transport import hostkeys
from sodclient.ui.audit_dialog import AuditDialog
from sodclient.ui.export_dialog import ExportDialog
from sodclient.ui.ftp_config import FtpConfigDialog
from sodclient.ui.keys_dialog import KeysDialog
from sodformat import generate_identity
from tests.profiles import current


def _fill(dlg, values):
    for k, v in values.items():
        w = dlg.fields[k]
        w.setCurrentIndex(w.findData(v)) if hasattr(w, "findData") else w.setText(v)


def test_validation_blocks_saving(qtbot):
    dlg = FtpConfigDialog(current())
    qtbot.addWidget(dlg)
    dlg.show()
    _fill(dlg, {"sftp.port": "99999"})
    dlg.save_button.click()
    assert dlg.isVisible() and "SFTP port" in dlg.diagnosis.text()
    _fill(dlg, {"sftp.port": "22", "link.template": "https://files.example.org/no-placeholder"})
    dlg.save_button.click()
    assert dlg.isVisible() and "{name}" in dlg.diagnosis.text()
    assert current().settings().origin["sftp.port"] == "default"


def test_save_then_test_connection_with_fingerprint_confirmation(qtbot, sshd, smtp_server, download_site):
    dlg = FtpConfigDialog(current())
    qtbot.addWidget(dlg)
    dlg.show()
    _fill(dlg, {**sshd.settings(), **smtp_server.settings(), "link.template": download_site})
    dlg.test_button.click()
    qtbot.waitUntil(lambda: dlg.hostkey_dialog is not None and dlg.hostkey_dialog.isVisible(), timeout=30000)
    assert "not yet trusted" in dlg.diagnosis.text()
    assert hostkeys.lookup(current().paths.known_hosts, "127.0.0.1", sshd.port, "ssh-ed25519") is None
    dlg.hostkey_dialog.trust_button.click()
    qtbot.waitUntil(lambda: "SFTP: OK" in dlg.diagnosis.text(), timeout=30000)
    assert "SMTP: OK" in dlg.diagnosis.text()
    assert hostkeys.lookup(current().paths.known_hosts, "127.0.0.1", sshd.port, "ssh-ed25519") is not None
    dlg.save_button.click()
    assert not dlg.isVisible()
    s = current().settings()
    assert s["sftp.port"] == sshd.port and s["smtp.password"] == smtp_server.password
    assert smtp_server.password.encode() not in current().paths.settings_file.read_bytes()  # stored encrypted
    assert current().audit.read()[-1]["event"] == "config-change"


def test_wrong_password_is_diagnosed(qtbot, sshd, smtp_server, download_site):
    dlg = FtpConfigDialog(current())
    qtbot.addWidget(dlg)
    dlg.show()
    _fill(
        dlg,
        {
            **smtp_server.settings(),
            "smtp.password": "not-it",
            "link.template": download_site,
            "sftp.host": "127.0.0.1",
            "sftp.port": "1",
            "sftp.username": "x",
            "sftp.password": "y",
            "sftp.remote_dir": "/tmp",
        },
    )
    dlg.test_button.click()
    qtbot.waitUntil(lambda: "SMTP: problem" in dlg.diagnosis.text(), timeout=30000)
    assert "SFTP: problem" in dlg.diagnosis.text()


def test_my_key_and_contacts(qtbot):
    dlg = KeysDialog(current())
    qtbot.addWidget(dlg)
    assert dlg.create_button.isVisibleTo(dlg) and not current().identity.exists()
    dlg.create_button.click()  # a passphrase protects the new key: the sign-in dialog asks for it
    ask = dlg.sign_in_dialog
    ask.new.setText("Correct-Horse-7")
    ask.repeat.setText("Correct-Horse-8")
    assert not ask.submit() and "differ" in ask.error.text()
    ask.repeat.setText("Correct-Horse-7")
    assert ask.submit()
    assert dlg.recipient.text().startswith("sod1") and dlg.signer.text().startswith("sodsig1")
    assert (current().identity.sealed_file.stat().st_mode & 0o777) == 0o600
    assert "SOD-SECRET-KEY" not in current().identity.sealed_file.read_text()
    dlg.name.setText("Dr Bones")
    dlg.key.setText("sod1notakey")
    dlg.add_button.click()
    assert "not valid" in dlg.error.text() and dlg.table.rowCount() == 0
    other = generate_identity()
    dlg.key.setText(str(other.recipient))
    dlg.email.setText("bones@example.org")
    dlg.add_button.click()
    assert dlg.table.rowCount() == 1 and dlg.error.text() == ""
    # the contact can now be chosen in the export dialog instead of a passphrase
    export = ExportDialog([], [], None, contacts=keys.load_contacts(current().paths))
    qtbot.addWidget(export)
    assert export.use_key.isEnabled() and export.contact.count() == 1


def test_export_dialog_policy_feedback_and_choice(qtbot, window, tmp_path):
    from tests.library.dicom_factory import make_study
    from tests.ui.conftest import import_and_wait

    make_study(tmp_path / "cd", n=2)
    import_and_wait(qtbot, window, [tmp_path / "cd"])
    docs = window.library.documents()
    dlg = ExportDialog(docs[:1], docs, window)
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.expiry.value() == 14 and dlg.expiry.maximum() == 14
    dlg.passphrase.setText("short")
    assert dlg.policy_label.text().startswith("Too weak")
    dlg.next_button.click()
    assert dlg.isVisible() and "too weak" in dlg.error.text()
    dlg.generate_button.click()
    assert dlg.policy_label.text() == "Strong enough."
    dlg.all_radio.setChecked(True)
    dlg.expiry.setValue(3)
    dlg.next_button.click()
    assert dlg.choice.documents == docs and dlg.choice.expires_in_days == 3 and dlg.choice.passphrase


def test_audit_log_window_shows_a_verified_trail(qtbot):
    current().audit.record("import", documents=2, duplicates=0)
    dlg = AuditDialog(current())
    qtbot.addWidget(dlg)
    assert "intact" in dlg.status.text() and dlg.table.rowCount() == 1
    assert dlg.table.item(0, 1).text() == "import" and dlg.table.item(0, 2).text() == "import"


def test_audit_log_filters_by_kind_and_date_and_exports_csv(qtbot, tmp_path):
    import csv

    from PySide6.QtCore import QDate

    trail = current().audit
    trail.record("import", documents=2, duplicates=0)
    trail.record("sign-in-failed", reason="wrong-passphrase", via="unlock")
    trail.record("lock", reason="idle")
    dlg = AuditDialog(current())
    qtbot.addWidget(dlg)
    assert dlg.table.rowCount() == 3
    dlg.kind.setCurrentIndex(dlg.kind.findData("sign-in"))
    assert dlg.table.rowCount() == 1 and dlg.table.item(0, 2).text() == "sign-in-failed"
    assert dlg.export_to(tmp_path / "out.csv") == 1
    assert [r["event"] for r in csv.DictReader((tmp_path / "out.csv").open())] == ["sign-in-failed"]
    dlg.kind.setCurrentIndex(0)
    dlg.use_dates.setChecked(True)
    assert dlg.table.rowCount() == 3  # the last 30 days hold them all
    dlg.since.setDate(QDate.currentDate().addDays(1))
    dlg.until.setDate(QDate.currentDate().addDays(2))
    assert dlg.table.rowCount() == 0 and dlg.export_to(tmp_path / "none.csv") == 0


def test_export_dialog_enforces_the_site_expiry_cap(qtbot):
    dlg = ExportDialog([], [], max_days=5)
    qtbot.addWidget(dlg)
    assert dlg.expiry.maximum() == 5 and dlg.expiry.value() == 5
    dlg.expiry.setValue(14)
    assert dlg.expiry.value() == 5


def test_ftpsend_before_setup_opens_ftp_config(qtbot, window):
    assert window.ftpsend() is None
    dlg = next(w for w in window.findChildren(FtpConfigDialog) if w.isVisible())
    assert "Set up the servers before sending" in dlg.diagnosis.text()
