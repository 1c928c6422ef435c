"""services.demo without Qt: what it configures, what it leaves alone, and what it refuses. The servers are
the real ones (asyncssh, aiosmtpd, http.server) on loopback; one demo is shared by the module's tests."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import keyring
import paramiko
import pytest

from sodclient.errors import InputError
from sodclient.services.connection import test_connection
from sodclient.services.demo import SENDER, start_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Started while a real file keyring is the process's keyring, to see that nothing lands in it."""
    from keyrings.alt.file import PlaintextKeyring

    ring = PlaintextKeyring()
    ring.file_path = str(tmp_path_factory.mktemp("keyring") / "keyring_pass.cfg")
    previous = keyring.get_keyring()
    keyring.set_keyring(ring)
    try:
        d = start_demo(tmp_path_factory.mktemp("demo") / "root")
    finally:
        keyring.set_keyring(previous)
    d.test_keyring_file = Path(ring.file_path)
    yield d
    d.stop()


def test_profiles_are_configured_through_site_defaults_and_work(demo):
    settings = demo.sender.settings()
    assert settings.origin["sftp.host"] == settings.origin["link.template"] == "site"
    assert settings.origin["sftp.password"] == "user"  # the only secret, kept encrypted
    assert (demo.sender.paths.config / "site-defaults.ini").is_file()
    assert settings["smtp.from"] == SENDER[1]
    assert test_connection(demo.sender).ok  # SFTP, SMTP and the link, for real
    events = [r["event"] for r in demo.sender.audit.read()]
    assert "trust" in events and "config-change" in events and "import-own" in events


def test_keys_stay_in_the_demo_folder_not_the_keyring(demo):
    for profile in (demo.sender, demo.recipient):
        keys = profile.paths.config / "demo-keys.json"
        assert keys.is_file() and stat.S_IMODE(keys.stat().st_mode) == 0o600
        entries = json.loads(keys.read_text())
        scope = profile.vault.scope
        assert {f"config-key:{scope}", f"audit-key:{scope}", f"audit-head:{scope}"} <= set(entries)
    ring = demo.test_keyring_file  # the keyring the process had while the demo started: untouched
    assert not ring.exists() or "SODSend" not in ring.read_text()


def test_servers_listen_on_loopback_only_and_refuse_a_wrong_password(demo):
    for port in (demo.sftp.port, demo.mail.port, demo.web.port):
        assert port > 0
    assert demo.sftp.host == demo.mail.host == demo.web.host == "127.0.0.1"
    transport = paramiko.Transport(("127.0.0.1", demo.sftp.port))
    try:
        transport.connect()
        with pytest.raises(paramiko.AuthenticationException):
            transport.auth_password(demo.sftp.username, "not-the-password")
    finally:
        transport.close()


def test_download_follows_only_the_demo_sites_links(demo):
    for link in (
        "https://example.org/x.sod",
        f"http://127.0.0.1:{demo.web.port + 1 or 1}/x.sod",
        f"http://127.0.0.1:{demo.web.port}/notes.txt",
    ):
        with pytest.raises(InputError):
            demo.download(link)


def test_stop_deletes_everything(tmp_path):
    d = start_demo(tmp_path / "root")
    root: Path = d.root
    assert any(root.rglob("*.dcm")) is False  # samples were imported, their scratch copies removed
    assert len(d.sender.library().documents()) == 13
    d.stop()
    d.stop()  # twice is harmless
    assert not root.exists()


def test_a_cancelled_start_leaves_nothing(tmp_path):
    from sodclient.progress import CancelToken, ProgressReport
    from sodformat.errors import CancelledError

    token = CancelToken()

    def cancel_once_servers_run(report: ProgressReport) -> None:
        if report.stage == "servers" and report.done == report.total:
            token.cancel()

    with pytest.raises(CancelledError):
        start_demo(tmp_path / "root", progress=cancel_once_servers_run, cancel=token)
    assert not (tmp_path / "root").exists()
