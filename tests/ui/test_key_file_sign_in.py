"""The app's start without an OS keyring: the sign-in dialog explains it, names what to install, and keeps
SOD Send's keys in a file under the passphrase typed there (once: the same one protects the user's key);
the next start opens both with one passphrase; a wrong one leaves the dialog open with a one-line error;
Cancel ends the start cleanly. Real dialogs, driven as a user would while `exec()` runs."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLineEdit

from sodclient.profile import Profile
from sodclient.services import identity
from sodclient.services.settings import change_settings
from sodclient.ui.sign_in import SignInDialog, ensure_signed_in
from tests.profiles import current

PASS = "Keyfile-Passphrase-1"


def _dialog() -> SignInDialog | None:
    return next((w for w in QApplication.topLevelWidgets() if isinstance(w, SignInDialog) and w.isVisible()), None)


def _type(dialog: SignInDialog, name: str, text: str) -> None:
    dialog.findChild(QLineEdit, name).setText(text)


def _start(qtbot, profile: Profile, user) -> bool:
    """ensure_signed_in as the app calls it; `user(dialog, seen)` answers the dialog while exec() runs."""
    seen: dict = {}

    def answer() -> None:
        dialog = _dialog()
        if dialog is None:
            QTimer.singleShot(20, answer)
            return
        seen.setdefault("note", dialog.key_file_note.text())
        seen.setdefault("title", dialog.windowTitle())
        try:
            user(dialog, seen)
        except BaseException as exc:  # never leave exec() waiting for an answer nobody gives
            seen["failed"] = exc
            dialog.reject()

    QTimer.singleShot(0, answer)
    result = ensure_signed_in(profile)
    _start.seen = seen  # type: ignore[attr-defined]
    if "failed" in seen:
        raise seen["failed"]
    return result


def test_first_start_creates_the_key_file_and_the_key_with_one_passphrase(qtbot, no_keyring):
    profile = current()

    def user(dialog, seen):
        assert dialog.mode == "none" and dialog.key_file == "create"
        _type(dialog, "new-passphrase", PASS)
        _type(dialog, "repeat-passphrase", PASS + "x")
        dialog.ok_button.click()
        seen["mismatch"] = dialog.error.text()
        assert dialog.isVisible()  # still asking
        _type(dialog, "new-passphrase", PASS)
        _type(dialog, "repeat-passphrase", PASS)
        dialog.ok_button.click()

    assert _start(qtbot, profile, user) is True
    seen = _start.seen  # type: ignore[attr-defined]
    assert "no keyring" in seen["note"] and "GNOME Keyring" in seen["note"] and "KWallet" in seen["note"]
    assert "file protected by your SOD Send passphrase" in seen["note"]
    assert "differ" in seen["mismatch"]
    assert identity.key_store(profile) == "key-file-open" and identity.start_status(profile).unlocked
    change_settings(profile, {"sftp.host": "files.example.org"})  # settings can be saved now
    assert [r["event"] for r in profile.audit.read()] == ["identity-key-file", "identity-create", "config-change"]

    # The next start: one passphrase opens the key file and signs in; a wrong one keeps the dialog open.
    later = current()

    def sign_in(dialog, seen):
        assert dialog.mode == "passphrase" and dialog.key_file == "open"
        _type(dialog, "current-passphrase", "Not-The-Passphrase-9")
        dialog.ok_button.click()
        seen["wrong"] = dialog.error.text()
        assert dialog.isVisible()
        _type(dialog, "current-passphrase", PASS)
        dialog.ok_button.click()

    assert _start(qtbot, later, sign_in) is True
    seen = _start.seen  # type: ignore[attr-defined]
    assert "wrong passphrase" in seen["wrong"].lower() and "\n" not in seen["wrong"]
    assert "keeps its keys in a file" in seen["note"]
    assert later.settings().raw["sftp.host"] == "files.example.org"
    assert identity.start_status(later).unlocked and later.audit.verify().ok


def test_cancel_ends_the_start_and_writes_nothing(qtbot, no_keyring):
    profile = current()
    assert _start(qtbot, profile, lambda dialog, seen: dialog.reject()) is False
    assert identity.key_store(profile) == "none" and not profile.vault.key_file.exists()


def test_a_key_the_keyring_held_gets_a_key_file_dialog_of_its_own(qtbot, no_keyring, tmp_path):
    # A site that keeps the user's key without a passphrase ("keyring" protection): only the key file asks.
    (current().paths.config).mkdir(parents=True, exist_ok=True)
    (current().paths.config / "site-defaults.ini").write_text("[site]\nidentity_protection = keyring\n")
    profile = current()

    def user(dialog, seen):
        assert dialog.mode == "key-file" and dialog.key_file == "create"
        _type(dialog, "new-passphrase", "short")
        _type(dialog, "repeat-passphrase", "short")
        dialog.ok_button.click()
        seen["weak"] = dialog.error.text()
        _type(dialog, "new-passphrase", PASS)
        _type(dialog, "repeat-passphrase", PASS)
        dialog.ok_button.click()

    assert _start(qtbot, profile, user) is True
    seen = _start.seen  # type: ignore[attr-defined]
    assert seen["title"] == "Protect SOD Send's keys" and "stronger" in seen["weak"]
    assert identity.start_status(profile).state == "keyring" and identity.start_status(profile).unlocked

    later = current()

    def unlock(dialog, seen):
        assert dialog.mode == "key-file" and dialog.key_file == "open"
        _type(dialog, "current-passphrase", PASS)
        dialog.ok_button.click()

    assert _start(qtbot, later, unlock) is True
    assert identity.start_status(later).unlocked and later.audit.verify().ok
