"""Receiving: a real .SOD is decrypted, verified and filed all-or-nothing; every attempt is audited."""

from __future__ import annotations

import time

import pytest

from sodclient import keys
from sodclient.cli import main as cli_main
from sodclient.services.identity import create_identity
from sodclient.services.receive import import_container, open_container
from sodformat import PassphraseRecipient, collect_sources, generate_identity, pack
from sodformat.errors import ExpiredError, SodError
from tests.library.dicom_factory import make_study
from tests.profiles import current

PASS = "correct horse battery staple"


def _container(tmp_path, recipients, signer=None, created=None, days=14):
    src = tmp_path / "send"
    make_study(src / "study", n=2)
    (src / "letter.txt").write_text("Dear colleague")
    out = tmp_path / "out.sod"
    pack(
        out,
        collect_sources([src / "study", src / "letter.txt"]),
        recipients,
        signer=signer,
        expires_in_days=days,
        created=created,
    )
    return out


def test_passphrase_import_files_everything_and_audits(tmp_path):
    sender = generate_identity()
    sod = _container(tmp_path, [PassphraseRecipient(PASS)], signer=sender)
    keys.add_contact(
        current().paths,
        keys.validate_contact("Dr Sender", "sender@example.org", str(sender.recipient), sender.signing_public),
    )
    lib = current().library()
    opened, result = import_container(current(), sod, passphrase=PASS)
    assert opened.sender_name == "Dr Sender" and opened.signer == sender.signing_public
    assert len(result.documents) == 3
    kinds = sorted(d.media_type for d in lib.documents())
    assert kinds == ["application/dicom", "application/dicom", "text/plain"]
    unfiled = [c for p in lib.patients() if p.name == "Unfiled" for c in lib.cases(p.id)]
    assert unfiled and unfiled[0].description.endswith("from Dr Sender")
    assert all(lib.case(cid).reply_to == "sender@example.org" for cid in result.case_ids)
    assert not opened.workdir.exists()
    events = [r["event"] for r in current().audit.read()]
    assert events[-1] == "import" and current().audit.verify().ok


def test_wrong_passphrase_imports_nothing_and_is_audited(tmp_path):
    sod = _container(tmp_path, [PassphraseRecipient(PASS)])
    lib = current().library()
    with pytest.raises(SodError):
        open_container(current(), sod, passphrase="wrong passphrase entirely")
    assert lib.counts() == (0, 0, 0)
    assert current().audit.read()[-1]["event"] == "import-failed"
    assert list((current().paths.spool / "incoming").glob("*")) == []


def test_expired_container_is_refused(tmp_path):
    sod = _container(tmp_path, [PassphraseRecipient(PASS)], created=time.time() - 3 * 86400, days=1)
    with pytest.raises(ExpiredError):
        open_container(current(), sod, passphrase=PASS)
    assert current().library().counts() == (0, 0, 0)


def test_own_key_and_cli_import(tmp_path, capsys):
    me = create_identity(current(), protection="keyring")
    assert (current().identity.sealed_file.stat().st_mode & 0o777) == 0o600
    assert current().identity.current().signing_public == me.signing_public  # loaded, not regenerated
    sod = _container(tmp_path, [me.recipient])
    assert cli_main(["import", str(sod)]) == 0
    assert "Imported 3 document(s)" in capsys.readouterr().out
    assert len(current().library().documents()) == 3


def test_cli_import_with_passphrase_file_and_wrong_one(tmp_path, capsys):
    sod = _container(tmp_path, [PassphraseRecipient(PASS)])
    bad = tmp_path / "bad.txt"
    bad.write_text("not it\n")
    assert cli_main(["import", "--passphrase-file", str(bad), str(sod)]) == 8  # container refused
    assert "Nothing was imported" in capsys.readouterr().err
    good = tmp_path / "good.txt"
    good.write_text(PASS + "\n")
    assert cli_main(["import", "--passphrase-file", str(good), str(sod)]) == 0
    assert len(current().library().documents()) == 3


def test_contacts_validate_and_persist():
    other = generate_identity()
    with pytest.raises(Exception, match="public key is not valid"):
        keys.validate_contact("X", "x@example.org", "sod1garbage")
    keys.add_contact(current().paths, keys.validate_contact("Zed", "z@example.org", str(other.recipient)))
    assert [c.name for c in keys.load_contacts(current().paths)] == ["Zed"]
    keys.remove_contact(current().paths, str(other.recipient))
    assert keys.load_contacts(current().paths) == []


def test_an_import_that_cannot_be_audited_is_not_kept(tmp_path):
    sod = _container(tmp_path, [PassphraseRecipient(PASS)])
    lib = current().library()
    current().paths.audit_file.mkdir(parents=True)  # the audit file cannot be written: a real I/O failure
    with pytest.raises(OSError):
        import_container(current(), sod, passphrase=PASS)
    assert lib.counts() == (0, 0, 0)
    assert [p for p in lib.files_dir.rglob("*") if p.is_file()] == []
