"""Admin settings (a site locks FTP Config keys: read-only in the dialog, refused by `sodclient config set`),
and wording: messages escaped correctly (the `&#x27;` bug), security shown as words, local times with zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument

from sodclient.cli import main as cli_main
from sodclient.config import ConfigError
from sodclient.profile import Profile
from sodclient.services.settings import change_settings
from sodclient.ui.ftp_config import FtpConfigDialog


def displayed(label) -> str:
    """What a person sees in a QLabel, whatever its text format."""
    fmt = label.textFormat()
    if fmt == Qt.PlainText or (fmt == Qt.AutoText and not Qt.mightBeRichText(label.text())):
        return label.text()
    doc = QTextDocument()
    doc.setHtml(label.text())
    return doc.toPlainText()


@pytest.fixture
def locked_profile(tmp_path, monkeypatch, profile):
    change_settings(profile, {"sftp.host": "my-own.example.org"})  # the user's value from before the lock
    site = tmp_path / "site-defaults.ini"
    site.write_text(
        "[sftp]\nhost = sftp.hospital.example\nremote_dir = /outgoing\n"
        "[lock]\nkeys = sftp.host, sftp.remote_dir, smtp.*\n"
    )
    monkeypatch.setenv("SODCLIENT_SITE_DEFAULTS", str(site))
    return Profile.from_environment()


def test_a_locked_key_keeps_the_sites_value_and_cannot_be_changed(locked_profile, capsys):
    s = locked_profile.settings()
    assert s.raw["sftp.host"] == "sftp.hospital.example" and s.origin["sftp.host"] == "site (locked)"
    assert "smtp.security" in s.locked and "sftp.username" not in s.locked
    with pytest.raises(ConfigError, match="set by your site's administrator"):
        change_settings(locked_profile, {"sftp.host": "elsewhere.example"})
    assert cli_main(["config", "set", "sftp.remote_dir=/tmp"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "SFTP remote folder is set by your site's administrator" in err
    assert cli_main(["config", "set", "sftp.username=jane"]) == 0  # unlocked keys stay the user's


def test_locked_fields_are_read_only_in_ftp_config(qtbot, locked_profile):
    dlg = FtpConfigDialog(locked_profile)
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.fields["sftp.host"].isReadOnly() and not dlg.fields["smtp.security"].isEnabled()
    assert not dlg.fields["sftp.username"].isReadOnly()
    assert "locked by your administrator" in dlg.findChild(type(dlg.diagnosis), "locked-note").text()
    dlg.fields["sftp.username"].setText("jane")
    dlg.save_button.click()
    assert not dlg.isVisible()
    assert locked_profile.settings().raw["sftp.username"] == "jane"


def test_security_is_shown_in_words_and_problems_are_escaped_once(qtbot, profile):
    dlg = FtpConfigDialog(profile)
    qtbot.addWidget(dlg)
    security = dlg.fields["smtp.security"]
    shown = [security.itemText(i) for i in range(security.count())]
    assert all(name not in shown for name in ("starttls", "ssl", "none"))
    assert shown[0].startswith("STARTTLS (") and dlg.values()["smtp.security"] == "starttls"
    dlg.fields["smtp.host"].setText("bad host's name")
    dlg.save_button.click()
    text = displayed(dlg.diagnosis)
    assert "bad host's name" in text and "&#x27;" not in text and "&amp;" not in text


def test_outbox_errors_are_plain_text(qtbot, profile):
    from sodclient.ui.outbox import OutboxDialog

    dlg = OutboxDialog(profile)
    qtbot.addWidget(dlg)
    dlg.status.setText("The server's answer: <none>")
    assert displayed(dlg.status) == "The server's answer: <none>"


def test_local_times_carry_their_zone(monkeypatch):
    import time

    from sodclient.wording import local_time

    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        assert local_time(datetime(2026, 12, 2, 9, 0, tzinfo=UTC)) == "2026-12-02 10:00 CET"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_the_contact_form_accepts_what_copy_public_key_copies(qtbot, profile):
    from PySide6.QtGui import QGuiApplication

    from sodclient.services.identity import KEYRING, create_identity
    from sodclient.ui.keys_dialog import KeysDialog

    create_identity(profile, protection=KEYRING)  # (creating it under a passphrase is the sign-in dialog's test)
    dlg = KeysDialog(profile)
    qtbot.addWidget(dlg)
    dlg.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    assert "\n" not in copied and copied.startswith("sod1") and " sodsig1" in copied
    # a colleague pastes it whole into their contact form's Public key field
    dlg.name.setText("Dr Colleague")
    dlg.key.setText(copied)
    dlg.add_button.click()
    assert dlg.error.text() == ""
    (contact,) = [c for c in profile_contacts(profile) if c.name == "Dr Colleague"]
    mine = dlg.recipient.text()
    assert contact.recipient == mine and contact.signer == dlg.signer.text()
    # the old two-line form is accepted too
    dlg.name.setText("Dr Two Lines")
    dlg.key.setText(copied.replace(" ", "\n"))
    dlg.add_button.click()
    assert dlg.error.text() == ""


def profile_contacts(profile):
    from sodclient.services import identity

    return identity.contacts(profile)
