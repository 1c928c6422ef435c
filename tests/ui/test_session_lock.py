"""Forced logout: after a (shortened) idle time the app locks while an upload runs over a slow link.
Patient data and settings leave the screen, the key leaves memory, the upload finishes with PHI-free
progress on the lock screen, and only the right passphrase unlocks."""

from __future__ import annotations

import os

import paramiko
import shiboken6
from PySide6.QtWidgets import QApplication, QLabel, QListWidget

from sodclient.services import identity
from sodclient.services.settings import change_settings
from sodclient.transport import hostkeys
from sodclient.ui.main_window import MainWindow
from sodclient.ui.session_lock import LockScreen
from tests.profiles import current
from tests.ui.conftest import close_when_idle, import_and_wait

PASS = "Ward-Sign-In-2026"


def _visible_windows() -> list:
    return [
        w
        for w in QApplication.topLevelWidgets()
        if w.isVisible() and w.isWindow() and type(w).__name__ not in ("QMenu", "QTipLabel")
    ]


def _texts(widget) -> str:
    parts = [label.text() for label in widget.findChildren(QLabel)]
    for lst in widget.findChildren(QListWidget):
        parts += [lst.item(i).text() for i in range(lst.count())]
    return "\n".join(parts)


def test_idle_lock_hides_patient_data_keeps_the_upload_and_needs_the_passphrase(
    qtbot, tmp_path, sshd, smtp_server, download_site, slow_link
):
    profile = current()
    identity.create_identity(profile, PASS, protection="passphrase")  # signed in, as after the sign-in dialog
    link = slow_link(bytes_per_s=3_000_000)  # ~3 s for the upload below
    change_settings(
        profile, {**sshd.settings(port=link.port), **smtp_server.settings(), "link.template": download_site}
    )
    hostkeys.trust(
        profile.paths.known_hosts,
        "127.0.0.1",
        link.port,
        paramiko.Ed25519Key.from_private_key_file(str(sshd.client_key.parent / "host_ed25519")),
    )
    window = MainWindow(profile)
    window.show()
    patient = window.library.create_patient("Doe Jane")
    case = window.library.create_case(patient.id, "Chest CT Doe")
    window.refresh(select_case=case.id)
    scan = tmp_path / "DOE_JANE_scan.bin"
    scan.write_bytes(os.urandom(8 << 20))
    import_and_wait(qtbot, window, [scan])
    window.open_series_of_case(case.id)  # the study browser lists instances of an open series
    qtbot.waitUntil(lambda: window.table.rowCount() == 1)
    assert "Doe Jane" in window.tree.topLevelItem(0).text(0)

    # An upload is running ...
    window.select_rows([0])
    flow = window.ftpsend()
    flow.export_dialog.generate_button.click()
    flow.export_dialog.next_button.click()
    qtbot.waitUntil(lambda: flow.email_dialog is not None and flow.email_dialog.isVisible(), timeout=30000)
    flow.email_dialog.to.setText("colleague@clinic.example")
    flow.email_dialog.send_button.click()
    progress = flow.progress_dialog
    qtbot.waitUntil(lambda: progress.marks["upload"].text() == "▶", timeout=60000)
    settings_dialog = window.ftp_config()  # ... and FTP Config shows the settings' secrets
    qtbot.waitUntil(settings_dialog.isVisible)

    # ... when the (shortened) idle time passes.
    window.session_lock.set_idle_ms(300)
    qtbot.waitUntil(lambda: window.session_lock.locked, timeout=10000)
    assert flow.job.running, "the upload must still be running when the app locks"
    screen = window.session_lock.screen
    assert _visible_windows() == [screen] and isinstance(screen, LockScreen)
    assert not window.isVisible() and not progress.isVisible()
    assert window.tree.topLevelItemCount() == 0 and window.table.rowCount() == 0 and window.thread_list.count() == 0
    assert not shiboken6.isValid(settings_dialog) or not settings_dialog.isVisible()
    assert not profile.identity.is_unlocked  # the decrypted key is gone
    qtbot.waitUntil(lambda: "send: upload" in _texts(screen), timeout=10000)
    assert "Doe" not in _texts(screen) and "DOE" not in _texts(screen) and "colleague" not in _texts(screen)

    # The upload finishes while locked; its result window waits behind the lock.
    qtbot.waitUntil(lambda: not flow.job.running, timeout=120000)
    assert [p for p in sshd.upload_dir.iterdir() if p.name.endswith(".sod")] and len(smtp_server.messages) == 1
    qtbot.wait(50)
    assert _visible_windows() == [screen]

    # A wrong passphrase keeps it locked; the right one brings everything back.
    screen.passphrase.setText("Wrong-Passphrase-1")
    screen.unlock_button.click()
    assert window.session_lock.locked and "wrong passphrase" in screen.error.text().lower()
    assert not window.isVisible()
    screen.passphrase.setText(PASS)
    screen.unlock_button.click()
    assert not window.session_lock.locked and window.isVisible() and progress.isVisible()
    assert profile.identity.is_unlocked and window.tree.topLevelItemCount() == 1 and window.table.rowCount() == 1
    assert progress.link.text()
    events = [r["event"] for r in profile.audit.read()]
    assert [e for e in events if e in ("lock", "sign-in-failed", "sign-in")] == ["lock", "sign-in-failed", "sign-in"]
    close_when_idle(qtbot, window)


def test_lock_from_the_menu_shortcut_in_keyring_mode(qtbot, tmp_path):
    profile = current()
    identity.create_identity(profile, protection="keyring")
    window = MainWindow(profile)
    window.show()
    assert window.lock_action.shortcut().toString() == "Ctrl+L"
    window.lock_action.trigger()
    screen = window.session_lock.screen
    assert window.session_lock.locked and not window.isVisible() and not screen.passphrase.isVisible()
    opened = []
    window.session_lock.after_unlock(lambda: opened.append("a .sod handed over while locked"))
    assert opened == []
    screen.unlock_button.click()  # the OS keyring holds the key: no passphrase
    assert not window.session_lock.locked and window.isVisible() and len(opened) == 1
    close_when_idle(qtbot, window)
