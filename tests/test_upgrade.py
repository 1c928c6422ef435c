"""Opening a profile written by release 0.1.0 (committed fixture): every store reads, upgrades on its next
write, and a file from a newer release is refused with a plain message instead of being damaged."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from sodclient.config.store import FORMAT_VERSION as SETTINGS_VERSION
from sodclient.deliveries import FORMAT_VERSION as LEDGER_VERSION
from sodclient.deliveries import Ledger
from sodclient.errors import LibraryError
from sodclient.files import NewerFormat
from sodclient.keys import add_contact, load_contacts, validate_contact
from sodclient.library.schema import VERSION as LIBRARY_VERSION
from sodclient.profile import Profile
from sodclient.services.outbox import pending
from sodclient.services.settings import change_settings
from sodformat import generate_identity

FIXTURE = Path(__file__).parent / "fixtures" / "release-0.1.0"


@pytest.fixture
def old_profile(tmp_path) -> Profile:
    """The 0.1.0 profile copied into this test, with its keyring entries put under this profile's scope
    (as if the same user's keyring had come along)."""
    shutil.copytree(FIXTURE / "home", tmp_path / "home")
    profile = Profile.at(tmp_path / "home")
    for name, value in json.loads((FIXTURE / "keyring.json").read_text()).items():
        profile.vault.set_secret(name, value)
    return profile


def test_every_store_of_release_0_1_0_reads(old_profile):
    settings = old_profile.settings()
    assert settings["sftp.host"] == "sftp.example.org" and settings["sftp.port"] == 2222
    assert settings["sftp.password"] == "Example-Passw0rd"
    assert [c.name for c in load_contacts(old_profile.paths)] == ["Dr Example"]
    assert old_profile.identity.status().state == "plain" and old_profile.identity.current() is not None
    (delivery,) = Ledger(old_profile.paths.ledger_file).load()
    assert delivery.size == 1234 and not delivery.purged
    (entry,) = pending(old_profile)
    assert entry.to == ["dr@example.org"] and entry.last_error == "mail server down"
    assert old_profile.audit.verify().ok
    library = old_profile.library()
    assert len(library.documents()) == 2 and len(library.patients()) == 2


def test_stores_upgrade_on_first_write_and_keep_reading(old_profile):
    db = old_profile.paths.library_root / "library.sqlite3"
    old_profile.library()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LIBRARY_VERSION
    change_settings(old_profile, {"sftp.port": "22"})
    raw = old_profile.vault.unseal(old_profile.paths.settings_file.read_bytes(), "settings").decode()
    assert f"version = {SETTINGS_VERSION}" in raw and old_profile.settings()["sftp.host"] == "sftp.example.org"
    ledger = Ledger(old_profile.paths.ledger_file)
    ledger.mark_purged(ledger.load()[0].remote_name)
    assert json.loads(old_profile.paths.ledger_file.read_text())["version"] == LEDGER_VERSION
    assert ledger.load()[0].purged
    other = generate_identity()
    add_contact(old_profile.paths, validate_contact("Dr Two", "", str(other.recipient)))
    assert json.loads(old_profile.paths.contacts_file.read_text())["kind"] == "sodsend-contacts"
    assert len(load_contacts(old_profile.paths)) == 2
    assert old_profile.audit.verify().ok  # config-change appended to the old chain


def test_unknown_fields_from_a_newer_minor_release_are_tolerated(old_profile):
    path = old_profile.paths.ledger_file
    document = json.loads(path.read_text())
    items = document if isinstance(document, list) else document["items"]
    items[0]["shared_with"] = "a field this release does not know"
    path.write_text(json.dumps({"kind": "sodsend-deliveries", "version": 2, "items": items}))
    assert Ledger(path).load()[0].size == 1234


def test_files_from_a_newer_release_are_refused_not_damaged(old_profile):
    path = old_profile.paths.ledger_file
    path.write_text(json.dumps({"kind": "sodsend-deliveries", "version": 99, "items": []}))
    with pytest.raises(NewerFormat, match="newer SOD Send"):
        Ledger(path).load()
    db = old_profile.paths.library_root / "library.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(LibraryError, match="newer SOD Send"):
        old_profile.library()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 99  # left as it was
