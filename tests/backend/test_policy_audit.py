"""Passphrase policy and the tamper-evident audit trail."""

import json

import pytest

from sodclient import passphrase_policy
from sodclient.cli import main as cli_main
from tests.profiles import current


@pytest.mark.parametrize("weak", ["short1A", "alllowercase12", "ALLUPPERCASE12", "NoDigitsHereAtAll", ""])
def test_weak_passphrases_have_problems(weak):
    assert passphrase_policy.check(weak)


def test_generated_passphrases_pass_and_differ():
    a, b = passphrase_policy.generate(), passphrase_policy.generate()
    assert passphrase_policy.check(a) == [] and a != b and len(a) >= 20


def _fill(n=4):
    for i in range(n):
        current().audit.record("upload", remote_name=f"r{i}.sod", size=i)


def test_chain_verifies():
    _fill()
    result = current().audit.verify()
    assert result.ok and result.records == 4
    assert cli_main(["audit", "--verify"]) == 0


def _lines():
    return current().paths.audit_file.read_text().splitlines(keepends=True)


def _write(lines):
    current().paths.audit_file.write_text("".join(lines))


def test_edit_is_detected():
    _fill()
    lines = _lines()
    rec = json.loads(lines[1])
    rec["fields"]["size"] = 999
    lines[1] = json.dumps(rec, sort_keys=True) + "\n"
    _write(lines)
    assert not current().audit.verify().ok
    assert cli_main(["audit", "--verify"]) == 6


def test_deletion_reorder_and_truncation_are_detected():
    _fill()
    lines = _lines()
    _write(lines[:1] + lines[2:])
    assert "out of order" in current().audit.verify().problem
    _write([lines[1], lines[0]] + lines[2:])
    assert not current().audit.verify().ok
    _write(lines[:-1])  # tail cut: chain is valid, the head pointer in the keyring is not
    result = current().audit.verify()
    assert not result.ok and "removed" in result.problem
    _write(lines)
    assert current().audit.verify().ok


def test_secret_looking_fields_are_refused():
    with pytest.raises(ValueError):
        current().audit.record("send", passphrase="x")
    with pytest.raises(ValueError):
        current().audit.record("send", smtp_password="x")


class _Report:
    left_out = ["input 1"]


def test_errors_survive_a_process_boundary():
    """The UI runs sends in a child process: diagnoses must pickle with their details."""
    import pickle

    from sodclient.errors import PeerReviewLeftOut, UploadPending
    from sodclient.exit_codes import exit_code_for
    from sodclient.transport import errors
    from sodclient.vault import KeyringUnavailable

    samples = [
        errors.UnknownHostKey("h", "SHA256:abc", "ssh-ed25519"),
        errors.HostKeyChanged("h", "a", "b"),
        errors.AuthFailed(),
        errors.PortClosed("h", 22),
        errors.Timeout("h", 22),
        errors.DnsFailure("h"),
        errors.RemoteFolderMissing("/x"),
        errors.PermissionDenied("/x"),
        errors.DiskFull(10, 1),
        UploadPending(errors.ConnectionLost("h"), "id1"),
        KeyringUnavailable(),
        PeerReviewLeftOut(_Report()),
    ]
    for exc in samples:
        back = pickle.loads(pickle.dumps(exc))
        assert type(back) is type(exc) and str(back) == str(exc) and exit_code_for(back) == exit_code_for(exc)
    back = pickle.loads(pickle.dumps(samples[0]))
    assert back.fingerprint == "SHA256:abc" and back.key_type == "ssh-ed25519"
