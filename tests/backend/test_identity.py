"""The protected identity: created sealed, opened only with the passphrase, re-wrapped on a passphrase
change, migrated from release 0.1.0's clear file; the keyring protection for sites (and the demo) that
choose it; the CLI asks for the passphrase only when it needs the key."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sodclient.cli import main as cli_main
from sodclient.config import ConfigError
from sodclient.errors import InputError, SecureStoreError
from sodclient.profile import Profile
from sodclient.services import identity
from sodclient.services.send import SendRequest, validate
from sodclient.services.settings import change_settings
from sodformat import collect_sources, pack, parse_recipient

FIXTURE = Path(__file__).parent.parent / "fixtures" / "release-0.1.0"
PASS, NEW = "First-Passphrase-1", "Second-Passphrase-2"


def _events(profile: Profile) -> list[str]:
    return [r["event"] for r in profile.audit.read()]


def test_created_key_is_sealed_and_opens_only_with_the_passphrase(profile):
    me = identity.create_identity(profile, PASS, protection="passphrase")
    text = profile.identity.sealed_file.read_text()
    assert me.secret_string() not in text and "SOD-SECRET" not in text
    assert (profile.identity.sealed_file.stat().st_mode & 0o777) == 0o600
    assert not profile.paths.identity_file.exists()
    fresh = Profile.from_environment()  # a later start: nothing decrypted yet
    status = identity.start_status(fresh)
    assert status.state == "passphrase" and status.needs_passphrase and status.recipient == str(me.recipient)
    with pytest.raises(identity.SignInRequired):
        fresh.identity.current()
    with pytest.raises(identity.WrongPassphrase):
        identity.sign_in(fresh, "Not-The-Passphrase-9")
    assert identity.sign_in(fresh, PASS).signing_public == me.signing_public
    identity.lock(fresh)
    with pytest.raises(identity.SignInRequired):
        fresh.identity.current()
    assert _events(fresh)[-4:] == ["identity-create", "sign-in-failed", "sign-in", "lock"]
    assert PASS not in profile.paths.audit_file.read_text()


def test_weak_passphrase_is_refused_and_nothing_is_written(profile):
    with pytest.raises(InputError, match="stronger"):
        identity.create_identity(profile, "short1A", protection="passphrase")
    assert identity.start_status(profile).state == "none"


def test_passphrase_change_rewraps_the_same_key(profile):
    me = identity.create_identity(profile, PASS, protection="passphrase")
    before = profile.identity.sealed_file.read_text()
    with pytest.raises(identity.WrongPassphrase):
        identity.change_passphrase(profile, "Wrong-Passphrase-3", NEW)
    assert profile.identity.sealed_file.read_text() == before  # a failed change leaves the file alone
    identity.change_passphrase(profile, PASS, NEW)
    assert profile.identity.sealed_file.read_text() != before
    fresh = Profile.from_environment()
    with pytest.raises(identity.WrongPassphrase):
        identity.sign_in(fresh, PASS)
    assert str(identity.sign_in(fresh, NEW).recipient) == str(me.recipient)
    assert "passphrase-change" in _events(fresh)


def test_release_0_1_0_clear_key_is_migrated(tmp_path):
    shutil.copytree(FIXTURE / "home", tmp_path / "home")
    old = Profile.at(tmp_path / "home")
    for name, value in json.loads((FIXTURE / "keyring.json").read_text()).items():  # the same user's keyring
        old.vault.set_secret(name, value)
    clear = old.paths.identity_file
    expected = clear.read_text().split("# recipient: ")[1].split()[0]
    assert identity.start_status(old).state == "plain"
    assert str(old.identity.current().recipient) == expected  # still usable before the first start
    with pytest.raises(InputError):
        identity.migrate_identity(old, "weak", protection="passphrase")
    assert clear.exists()  # a refused migration keeps the old file
    identity.migrate_identity(old, PASS, protection="passphrase")
    assert not clear.exists() and identity.start_status(old).state == "passphrase"
    assert "SOD-SECRET" not in old.identity.sealed_file.read_text()
    again = Profile.at(tmp_path / "home")
    assert str(identity.sign_in(again, PASS).recipient) == expected
    assert "identity-migrate" in _events(again) and again.audit.verify().ok


def test_keyring_protection_needs_no_passphrase(tmp_path):
    site = tmp_path / "site.ini"
    site.write_text("[site]\nidentity_protection = keyring\n")
    demo = Profile.at(tmp_path / "demo", site_defaults=site)
    assert identity.site_protection(demo) == "keyring"
    me = identity.create_identity(demo)  # the demo's call: no passphrase anywhere
    fresh = Profile.at(tmp_path / "demo", site_defaults=site)
    assert fresh.identity.current().signing_public == me.signing_public
    assert json.loads(fresh.identity.sealed_file.read_text())["items"]["protection"] == "keyring"
    shutil.copytree(tmp_path / "demo", tmp_path / "copied")  # a copied folder is useless without the keyring
    with pytest.raises(SecureStoreError):
        Profile.at(tmp_path / "copied", site_defaults=site).identity.current()


def test_altered_public_key_is_detected(profile):
    identity.create_identity(profile, PASS, protection="passphrase")
    path = profile.identity.sealed_file
    document = json.loads(path.read_text())
    document["items"]["recipient"] = "sod1" + "q" * 58
    path.write_text(json.dumps(document))
    with pytest.raises(SecureStoreError, match="altered"):
        identity.sign_in(Profile.from_environment(), PASS)


def test_cli_asks_for_the_passphrase_only_when_it_needs_the_key(profile, tmp_path, capsys):
    good, bad = tmp_path / "good.txt", tmp_path / "bad.txt"
    good.write_text(PASS + "\n")
    bad.write_text("Wrong-Passphrase-4\n")
    assert cli_main(["identity", "create", "--new-passphrase-file", str(good)]) == 0
    me = Profile.from_environment()
    recipient = identity.start_status(me).recipient
    (tmp_path / "doc.txt").write_text("x")
    sod = tmp_path / "in.sod"
    pack(sod, collect_sources([tmp_path / "doc.txt"]), [parse_recipient(recipient)])
    assert cli_main(["import", str(sod)]) == 3  # no terminal, no passphrase file
    assert "identity-passphrase-file" in capsys.readouterr().err
    assert cli_main(["import", "--identity-passphrase-file", str(bad), str(sod)]) == 3
    assert cli_main(["import", "--identity-passphrase-file", str(good), str(sod)]) == 0
    assert cli_main(["config", "show"]) == 0  # commands without the key never ask
    events = _events(Profile.from_environment())
    assert events.count("sign-in-failed") == 1 and "sign-in" in events and events[-1] == "import"  # wrong one only
    new = tmp_path / "new.txt"
    new.write_text(NEW + "\n")
    assert (
        cli_main(
            [
                "identity",
                "change-passphrase",
                "--identity-passphrase-file",
                str(good),
                "--new-passphrase-file",
                str(new),
            ]
        )
        == 0
    )
    with pytest.raises(identity.WrongPassphrase):
        identity.sign_in(Profile.from_environment(), PASS)


def test_site_policies_are_not_user_settings(tmp_path):
    site = tmp_path / "site.ini"
    site.write_text("[site]\nmax_expiry_days = 3\nmax_idle_minutes = 10\n")
    profile = Profile.at(tmp_path / "p", site_defaults=site)
    change_settings(profile, {"session.idle_minutes": "45"})
    settings = profile.settings()
    assert settings.max_expiry_days() == 3 and settings.idle_minutes() == 10  # the site's maximum wins
    with pytest.raises(ConfigError, match="site"):
        change_settings(profile, {"site.max_expiry_days": "14"})
    assert cli_main(["config", "set", "site.max_idle_minutes=600"]) == 2


def test_expiry_is_capped_at_the_site_maximum(tmp_path, monkeypatch, capsys):
    site = tmp_path / "site.ini"
    site.write_text("[site]\nmax_expiry_days = 3\n")
    monkeypatch.setenv("SODCLIENT_SITE_DEFAULTS", str(site))
    (tmp_path / "doc.txt").write_text("x")
    (tmp_path / "pass.txt").write_text("Good-Passphrase-1\n")
    args = [
        "send",
        "--to",
        "a@clinic.example",
        "--passphrase-file",
        str(tmp_path / "pass.txt"),
        str(tmp_path / "doc.txt"),
    ]
    assert cli_main([*args, "--expires-in-days", "5"]) == 2
    assert "1 to 3 days (your site's maximum)" in capsys.readouterr().err
    with pytest.raises(InputError, match="site"):
        validate(
            SendRequest(
                [tmp_path / "doc.txt"], ["a@clinic.example"], passphrases=["Good-Passphrase-1"], expires_in_days=4
            ),
            3,
        )
    assert validate(
        SendRequest([tmp_path / "doc.txt"], ["a@clinic.example"], passphrases=["Good-Passphrase-1"], expires_in_days=3),
        3,
    )
