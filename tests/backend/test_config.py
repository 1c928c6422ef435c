"""Encrypted settings: typed keys, validation, secrets never in clear, atomic writes, keyring failures."""

import subprocess
import sys

import pytest

from sodclient.cli import main as cli_main
from sodclient.config import ConfigError
from sodclient.services.settings import change_settings
from sodclient.vault import KeyringUnavailable, VaultDamaged
from tests.profiles import current


def test_set_show_roundtrip_with_types_and_masked_secrets(capsys):
    assert (
        cli_main(
            [
                "config",
                "set",
                "sftp.host=files.example.org",
                "sftp.port=2222",
                "sftp.password=S3cret-Pw-xyz",
                "link.template=https://dl.example.org/{name}",
            ]
        )
        == 0
    )
    s = current().settings()
    assert s["sftp.port"] == 2222 and s["sftp.host"] == "files.example.org"
    assert s["smtp.security"] == "starttls" and s["smtp.port"] == 587  # defaults
    capsys.readouterr()
    assert cli_main(["config", "show"]) == 0
    out = capsys.readouterr().out
    assert "files.example.org" in out and "(set)" in out and "S3cret-Pw-xyz" not in out
    assert "S3cret-Pw-xyz" not in repr(s)


def test_file_on_disk_is_ciphertext():
    change_settings(current(), {"smtp.password": "Very-Secret-42", "smtp.host": "mail.example.org"})
    blob = current().paths.settings_file.read_bytes()
    assert b"Very-Secret-42" not in blob and b"mail.example.org" not in blob
    assert current().settings()["smtp.password"] == "Very-Secret-42"


@pytest.mark.parametrize(
    "pair",
    [
        "sftp.port=99999",
        "sftp.port=abc",
        "smtp.security=tls",
        "link.template=https://x.org/file",
        "link.template=ftp://x.org/{name}",
        "smtp.from=not-an-address",
        "nosuch.key=1",
    ],
)
def test_invalid_values_are_refused_and_nothing_is_written(pair, capsys):
    change_settings(current(), {"sftp.host": "before.example.org"})
    before = current().paths.settings_file.read_bytes()
    assert cli_main(["config", "set", "sftp.host=after.example.org", pair]) == 2
    assert "error:" in capsys.readouterr().err
    assert current().paths.settings_file.read_bytes() == before  # all-or-nothing


def test_site_defaults_layer_and_override(tmp_path, monkeypatch):
    site = tmp_path / "site-defaults.ini"
    site.write_text(
        "[sftp]\nhost = sftp.hospital.example\nport = 2022\n[link]\ntemplate = https://dl.hospital.example/{name}\n"
    )
    monkeypatch.setenv("SODCLIENT_SITE_DEFAULTS", str(site))
    s = current().settings()
    assert s["sftp.host"] == "sftp.hospital.example" and s.origin["sftp.port"] == "site"
    s = change_settings(current(), {"sftp.port": "22"})
    assert s["sftp.port"] == 22 and s.origin["sftp.port"] == "user" and s.origin["sftp.host"] == "site"


def test_site_defaults_must_not_hold_secrets(tmp_path, monkeypatch):
    site = tmp_path / "site.ini"
    site.write_text("[sftp]\npassword = oops\n")
    monkeypatch.setenv("SODCLIENT_SITE_DEFAULTS", str(site))
    with pytest.raises(ConfigError, match="must not hold secrets"):
        current().settings()


def test_tampered_file_is_detected():
    change_settings(current(), {"sftp.host": "a.example.org"})
    blob = bytearray(current().paths.settings_file.read_bytes())
    blob[-5] ^= 1
    current().paths.settings_file.write_bytes(bytes(blob))
    with pytest.raises(VaultDamaged):
        current().settings()


def test_write_is_atomic_no_temp_files_left():
    for i in range(3):
        change_settings(current(), {"sftp.host": f"h{i}.example.org"})
    assert [p.name for p in current().paths.settings_file.parent.iterdir() if p.name.startswith(".")] == []


def test_no_keyring_backend_gives_clear_message(monkeypatch, capsys):
    import keyring.backends.fail

    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring.backends.fail.Keyring())
    with pytest.raises(KeyringUnavailable, match="GNOME Keyring.*file protected by your SOD Send passphrase"):
        change_settings(current(), {"sftp.host": "x.example.org"})
    assert cli_main(["config", "set", "sftp.host=x.example.org"]) == 3
    err = capsys.readouterr().err
    assert "has no OS keyring" in err and "keyrings.alt" not in err and "Traceback" not in err


def test_no_keyring_backend_in_a_real_process(tmp_path):
    env = {
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "SODCLIENT_HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "sodclient", "config", "show"], env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0  # nothing stored yet: defaults are shown without needing a key
    proc = subprocess.run(
        [sys.executable, "-m", "sodclient", "config", "set", "sftp.host=a.example.org"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 3 and "has no OS keyring" in proc.stderr and "Traceback" not in proc.stderr
