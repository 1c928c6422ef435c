"""No OS keyring (keyring's own `fail` backend, as on a Linux machine without GNOME Keyring or KWallet):
the profile's keys live in a file sealed under the SOD Send passphrase, never in clear; it opens only with
that passphrase, says so in one line when wrong or damaged, refuses while locked, crosses to a worker
process opened, and the command line never ends in EOFError."""

from __future__ import annotations

import base64
import json
import multiprocessing
import os
import pickle
import subprocess
import sys

import keyring
import keyring.backends.fail
import pytest

from sodclient.errors import SecureStoreError
from sodclient.key_file import KeyFileDamaged, KeyFileLocked, WrongPassphrase
from sodclient.profile import Profile
from sodclient.services import identity
from sodclient.services.settings import change_settings
from sodclient.vault import KeyringUnavailable, keyring_help

PASS, NEW = "Keyfile-Passphrase-1", "Another-Passphrase-2"


def _key_file(profile: Profile):
    return profile.vault.key_file.path


def test_settings_round_trip_through_the_key_file(profile, no_keyring):
    assert identity.key_store(profile) == "none"
    with pytest.raises(KeyringUnavailable):
        change_settings(profile, {"sftp.host": "files.example.org"})
    identity.create_key_file(profile, PASS)
    assert identity.key_store(profile) == "key-file-open"
    change_settings(profile, {"sftp.host": "files.example.org"})
    assert (_key_file(profile).stat().st_mode & 0o777) == 0o600

    later = Profile.from_environment()  # the next start: nothing opened yet
    assert identity.key_store(later) == "key-file"
    with pytest.raises(KeyFileLocked, match="sign in"):
        later.settings()
    identity.open_key_file(later, PASS)
    assert later.settings().raw["sftp.host"] == "files.example.org"
    assert [r["event"] for r in later.audit.read()][:2] == ["identity-key-file", "config-change"]
    assert later.audit.verify().ok


def test_the_file_never_holds_a_secret_in_clear(profile, no_keyring):
    identity.create_key_file(profile, PASS)
    change_settings(profile, {"sftp.host": "files.example.org"})
    data = _key_file(profile).read_bytes()
    secrets = [profile.vault.get_secret(name) for name in ("config-key", "audit-key", "audit-head")]
    assert all(secrets)
    for secret in secrets:
        assert secret.encode() not in data
    for name in ("config-key", "audit-key"):
        raw = profile.vault.get_key(name)
        assert raw not in data and base64.b64encode(raw) not in data and raw.hex().encode() not in data
    assert PASS.encode() not in data and b"config-key" not in data
    assert json.loads(data)["kind"] == "sodsend-key-file" and json.loads(data)["version"] == 1


def test_a_wrong_passphrase_is_refused_in_one_line(profile, no_keyring):
    identity.create_key_file(profile, PASS)
    later = Profile.from_environment()
    with pytest.raises(WrongPassphrase) as wrong:
        identity.open_key_file(later, "Not-The-Passphrase-9")
    assert "\n" not in str(wrong.value) and "wrong passphrase" in str(wrong.value)
    assert identity.key_store(later) == "key-file"  # still locked
    with pytest.raises(KeyFileLocked):
        later.vault.get_secret("config-key")


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # cut short
        lambda data: b"not json at all",
        lambda data: data.replace(b'"sealed": "', b'"sealed": "AAAA'),  # ciphertext altered
        lambda data: data.replace(b'"t": 3', b'"t": 99'),  # costs out of range
    ],
    ids=["cut-short", "garbage", "ciphertext-altered", "costs-altered"],
)
def test_a_damaged_file_says_so_in_one_line(profile, no_keyring, damage):
    identity.create_key_file(profile, PASS)
    change_settings(profile, {"sftp.host": "files.example.org"})
    path = _key_file(profile)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(KeyFileDamaged) as damaged:
        identity.open_key_file(Profile.from_environment(), PASS)
    assert "\n" not in str(damaged.value) and "damaged" in str(damaged.value)


def test_a_profile_pickled_to_a_child_process_keeps_working(profile, no_keyring):
    identity.create_key_file(profile, PASS)
    copy = pickle.loads(pickle.dumps(profile))
    assert copy.vault.key_file.is_open
    with multiprocessing.get_context("spawn").Pool(1) as pool:  # as the UI's ProcessJob starts its child
        pool.apply(change_settings, (profile, {"sftp.host": "from-the-child.example.org"}))
        locked = Profile.from_environment()
        with pytest.raises(KeyFileLocked):
            pool.apply(change_settings, (locked, {"sftp.host": "never.example.org"}))
    assert profile.settings().raw["sftp.host"] == "from-the-child.example.org"
    assert profile.audit.verify().ok


def test_the_key_file_takes_the_sign_in_passphrase_and_follows_its_change(profile, no_keyring, tmp_path, monkeypatch):
    # A key made while a keyring was there; then the keyring went away (the profile keeps its key file).
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    keyring.set_keyring(keyring.core.load_keyring("keyrings.alt.file.PlaintextKeyring"))
    identity.create_identity(profile, PASS, protection="passphrase")
    keyring.set_keyring(keyring.backends.fail.Keyring())
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    fresh = Profile.from_environment()
    with pytest.raises(WrongPassphrase):
        identity.create_key_file(fresh, NEW)  # not the passphrase that opens the key: refused, nothing written
    assert not _key_file(fresh).exists()
    identity.create_key_file(fresh, PASS)
    identity.sign_in(fresh, PASS)
    identity.change_passphrase(fresh, PASS, NEW)
    later = Profile.from_environment()
    with pytest.raises(WrongPassphrase):
        identity.open_key_file(later, PASS)
    identity.open_key_file(later, NEW)
    assert identity.sign_in(later, NEW)
    # (the audit key went with the keyring: records from before the key file no longer verify, as before)
    events = [r["event"] for r in later.audit.read()]
    assert events[-4:] == ["identity-key-file", "sign-in", "passphrase-change", "sign-in"]


def test_a_prompting_keyring_counts_as_none(profile):
    from keyrings.alt.file import EncryptedKeyring

    before = keyring.get_keyring()
    # It asks for its password with getpass: EOFError without a terminal. (Built without __init__, which
    # wants pycryptodome; only its kind matters here.)
    keyring.set_keyring(EncryptedKeyring.__new__(EncryptedKeyring))
    try:
        assert identity.key_store(profile) == "none"
        with pytest.raises(KeyringUnavailable, match="asks on a terminal"):
            profile.vault.get_secret("config-key")
    finally:
        keyring.set_keyring(before)


def test_a_cleartext_keyring_picked_by_default_counts_as_none(profile, monkeypatch):
    """keyring picks keyrings.alt's PlaintextKeyring by itself wherever that package is installed; the app's
    secrets must not land in its clear-text file unless PYTHON_KEYRING_BACKEND chose it outright."""
    from keyrings.alt.file import PlaintextKeyring

    before = keyring.get_keyring()
    keyring.set_keyring(PlaintextKeyring())
    try:
        monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
        assert identity.key_store(profile) == "none"
        with pytest.raises(KeyringUnavailable, match="in clear"):
            profile.vault.get_secret("config-key")
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
        assert identity.key_store(profile) == "keyring"
    finally:
        keyring.set_keyring(before)


def test_the_message_names_what_to_install_on_each_platform():
    assert "GNOME Keyring" in keyring_help("linux") and "KWallet" in keyring_help("linux")
    assert "Credential Manager" in keyring_help("win32") and "Keychain" in keyring_help("darwin")
    message = str(KeyringUnavailable())
    assert "\n" not in message and "keyrings.alt" not in message and "EncryptedKeyring" not in message
    assert "file protected by your SOD Send passphrase" in message


def _sodclient(args, home, **env):
    environ = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SODCLIENT_HOME": str(home),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "QT_QPA_PLATFORM": "offscreen",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "sodclient", *args],
        env=environ,
        stdin=subprocess.DEVNULL,  # no terminal, as under cron or a service
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_command_line_without_a_terminal_gives_one_line_never_eoferror(tmp_path):
    home = tmp_path / "home"
    proc = _sodclient(["config", "set", "sftp.host=a.example.org"], home)
    assert proc.returncode == 3 and "sodclient identity key-file" in proc.stderr
    assert "EOFError" not in proc.stderr and "Traceback" not in proc.stderr

    proc = _sodclient(["identity", "key-file"], home)  # no passphrase file and nobody to ask
    assert proc.returncode != 0 and "--new-passphrase-file" in proc.stderr and "EOFError" not in proc.stderr
    secret = tmp_path / "pass.txt"
    secret.write_text(PASS + "\n")
    proc = _sodclient(["identity", "key-file", "--new-passphrase-file", str(secret)], home)
    assert proc.returncode == 0, proc.stderr
    assert (home / "config" / "keys.sealed").exists()

    proc = _sodclient(["config", "set", "sftp.host=a.example.org"], home)
    assert proc.returncode == 3 and proc.stderr.count("\n") == 1
    assert "SODCLIENT_PASSPHRASE_FILE" in proc.stderr and "EOFError" not in proc.stderr

    proc = _sodclient(["config", "set", "sftp.host=a.example.org"], home, SODCLIENT_PASSPHRASE_FILE=str(secret))
    assert proc.returncode == 0, proc.stderr
    proc = _sodclient(["config", "show"], home, SODCLIENT_PASSPHRASE_FILE=str(secret))
    assert proc.returncode == 0 and "a.example.org" in proc.stdout

    wrong = tmp_path / "wrong.txt"
    wrong.write_text("Not-The-Passphrase-9\n")
    proc = _sodclient(["config", "show"], home, SODCLIENT_PASSPHRASE_FILE=str(wrong))
    assert proc.returncode == 3 and "wrong passphrase" in proc.stderr and proc.stderr.count("\n") == 1


def test_key_file_is_refused_where_there_is_a_keyring(profile):
    with pytest.raises(SecureStoreError, match="already kept"):
        identity.create_key_file(profile, PASS)
