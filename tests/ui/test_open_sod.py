"""Receiving in the app: passphrase or own key, sender and contents shown, all-or-nothing import."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from sodclient import keys
from sodclient.services.identity import create_identity
from sodclient.ui.single_instance import InstanceServer
from sodformat import PassphraseRecipient, collect_sources, generate_identity, pack
from tests.library.dicom_factory import make_study
from tests.profiles import current

PASS = "Tr0ub4dor-and-3"


def _sod(tmp_path, recipients, signer=None, **kw):
    make_study(tmp_path / "src" / "study", n=2)
    out = tmp_path / "in.sod"
    pack(out, collect_sources([tmp_path / "src" / "study"]), recipients, signer=signer, **kw)
    return out


def test_wrong_then_right_passphrase_then_import(qtbot, window, tmp_path):
    sender = generate_identity()
    keys.add_contact(
        current().paths,
        keys.validate_contact("Dr Who", "who@example.org", str(sender.recipient), sender.signing_public),
    )
    dlg = window.open_sod(_sod(tmp_path, [PassphraseRecipient(PASS)], signer=sender))
    qtbot.addWidget(dlg)
    assert "available until" in dlg.header.text()
    dlg.passphrase.setText("Wrong-passphrase-1")
    dlg.open_button.click()
    qtbot.waitUntil(lambda: "Nothing was imported" in dlg.status.text(), timeout=20000)
    assert dlg.pages.currentIndex() == 0 and window.library.counts() == (0, 0, 0)
    dlg.passphrase.setText(PASS)
    dlg.open_button.click()
    qtbot.waitUntil(lambda: dlg.pages.currentIndex() == 1, timeout=20000)
    assert "Signed by Dr Who" in dlg.sender_label.text() and dlg.table.rowCount() == 2
    assert window.library.counts() == (0, 0, 0)  # nothing filed before Import
    with qtbot.waitSignal(dlg.imported, timeout=20000):
        dlg.import_button.click()
    assert len(window.library.documents()) == 2
    case = window.library.case(window.current_case_id())
    assert case.reply_to == "who@example.org"


def test_expired_container_cannot_be_opened(qtbot, window, tmp_path):
    sod = _sod(tmp_path, [PassphraseRecipient(PASS)], created=time.time() - 5 * 86400, expires_in_days=1)
    dlg = window.open_sod(sod)
    qtbot.addWidget(dlg)
    assert "expired" in dlg.status.text() and not dlg.open_button.isEnabled()


def test_own_key_is_used_automatically(qtbot, window, tmp_path):
    me = create_identity(window.profile, protection="keyring")
    dlg = window.open_sod(_sod(tmp_path, [me.recipient]))
    qtbot.addWidget(dlg)
    assert dlg.use_key.isChecked()
    dlg.open_button.click()
    qtbot.waitUntil(lambda: dlg.pages.currentIndex() == 1, timeout=20000)
    assert "Not signed" in dlg.sender_label.text()
    with qtbot.waitSignal(dlg.imported, timeout=20000):
        dlg.import_button.click()
    assert len(current().library().documents()) == 2


def test_damaged_file_gives_one_line(qtbot, window, tmp_path):
    bad = tmp_path / "bad.sod"
    bad.write_bytes(b"not a container at all" * 10)
    dlg = window.open_sod(bad)
    qtbot.addWidget(dlg)
    assert dlg.status.text() and "\n" not in dlg.status.text() and not dlg.open_button.isEnabled()


def test_second_launch_hands_the_file_to_the_running_instance(qtbot, window, tmp_path):
    server = InstanceServer(current().paths.data, window)
    assert server.listen()
    sod = _sod(tmp_path, [PassphraseRecipient(PASS)])
    received = []
    server.message_received.connect(received.append)
    proc = subprocess.Popen(
        [sys.executable, "-m", "sodclient", str(sod)],
        env={**os.environ},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        qtbot.waitUntil(lambda: bool(received), timeout=30000)
        qtbot.waitUntil(lambda: proc.poll() is not None, timeout=30000)
    finally:
        if proc.poll() is None:  # it opened its own window instead of handing over: fail, leave nothing running
            proc.kill()
            proc.wait()
    assert received == [str(sod.resolve())] and proc.returncode == 0


def test_app_starts_and_shows_its_window(tmp_path):
    """First start where the site keeps keys in the OS keyring: the key is made without a question."""
    site = tmp_path / "site-defaults.ini"
    site.write_text("[site]\nidentity_protection = keyring\n")
    env = {**os.environ, "SODCLIENT_STARTUP_PROBE": "1", "SODCLIENT_SITE_DEFAULTS": str(site)}
    out = subprocess.run([sys.executable, "-m", "sodclient"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "first-window-shown" in out.stdout
    assert current().identity.status().state == "keyring"
