"""A threaded reply between two profiles through the real sshd, SMTP server and download site: the
original and the reply show under one case in both libraries, and the CLI sends a reply with
`send --in-reply-to` (files from disk plus a library document)."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path

import pytest

from sodclient.cli import main as cli_main
from sodclient.profile import Profile
from sodclient.services import identity
from sodclient.services.connection import trust_host
from sodclient.services.receive import import_container, import_files
from sodclient.services.reply import reply_request, reply_target, thread
from sodclient.services.send import SendRequest, send
from sodclient.services.settings import change_settings
from tests.backend.helpers import host_fingerprint

ALICE, BOB = "alice@hospital.example", "bob@clinic.example"
ALICE_PASS = "Alice-Sign-In-2026"


def _profile(root: Path, email: str, sshd, smtp, link: str, fingerprint: str) -> Profile:
    profile = Profile.at(root).ensure()
    change_settings(profile, {**sshd.settings(), **smtp.settings(), "smtp.from": email, "link.template": link})
    trust_host(profile, fingerprint)
    return profile


def _fetch(smtp, to: str, dest: Path) -> Path:
    """The newest mail to `to`: follow its link, as the recipient would."""
    env = [e for e in smtp.messages if to in e.rcpt_tos][-1]
    link = re.search(r"http://127\.0\.0\.1:\d+/[a-z2-7]{32}\.sod", env.content.decode()).group(0)
    dest.write_bytes(urllib.request.urlopen(link, timeout=10).read())
    return dest


@pytest.fixture
def two(sshd, smtp_server, download_site, tmp_path):
    fp = host_fingerprint(sshd.host_key_pub, tmp_path)
    alice = _profile(tmp_path / "alice", ALICE, sshd, smtp_server, download_site, fp)
    bob = _profile(tmp_path / "bob", BOB, sshd, smtp_server, download_site, fp)
    a = identity.create_identity(alice, ALICE_PASS, protection="passphrase")  # a clinician's own profile
    b = identity.create_identity(bob, protection="keyring")  # a demo-style profile
    identity.add_contact(alice, "Dr Bob", BOB, str(b.recipient), b.signing_public)
    identity.add_contact(bob, "Dr Alice", ALICE, str(a.recipient), a.signing_public)
    return alice, bob


def test_reply_round_trip_is_threaded_in_both_libraries(two, smtp_server, tmp_path):
    alice, bob = two
    # Alice sends a case from her library to Bob's key, with a message.
    (tmp_path / "referral.txt").write_text("Referral letter")
    case = alice.library().create_case(alice.library().create_patient("Test Patient").id, "Knee MRI")
    import_files(alice, [tmp_path / "referral.txt"], case_id=case.id)
    original = SendRequest(
        [alice.library().documents(case_id=case.id)[0].path],
        [BOB],
        recipient_keys=[str(bob.identity.current().recipient)],
        message="Please review",
        case_id=case.id,
    )
    assert send(alice, original).notified

    # Bob opens it with his own key: filed under a new case, the sender known by her signature.
    opened, _ = import_container(
        bob, _fetch(smtp_server, BOB, tmp_path / "to-bob.sod"), identity=bob.identity.current()
    )
    assert opened.delivery.id == original.delivery_id and opened.sender_name == "Dr Alice"
    target = reply_target(bob, original.delivery_id)
    assert (target.to, target.recipient_key) == (ALICE, str(alice.identity.current().recipient))

    # Bob replies: a file from disk and a document from his library, back to Alice's key (no passphrase).
    (tmp_path / "report.txt").write_text("Findings: normal")
    received_doc = bob.library().documents(case_id=target.case_id)[0]
    staged = bob.library().stage([received_doc], tmp_path / "staged", keep_titles=True)
    reply = reply_request(bob, original.delivery_id, [tmp_path / "report.txt", *staged], message="Report attached")
    assert reply.recipient_keys and not reply.passphrases and reply.to == [ALICE]
    assert send(bob, reply).notified

    # Alice imports the reply: it lands under the original case, after her send.
    opened, result = import_container(
        alice, _fetch(smtp_server, ALICE, tmp_path / "to-alice.sod"), identity=alice.identity.current()
    )
    assert opened.delivery.in_reply_to == original.delivery_id
    assert opened.signer == bob.identity.current().signing_public
    assert result.case_ids == [case.id]
    titles = {d.title for d in alice.library().documents(case_id=case.id)}
    assert {"referral.txt", "report.txt"} <= titles
    alice_thread = thread(alice, case.id)
    assert [(m.direction, m.delivery_id) for m in alice_thread] == [
        ("sent", original.delivery_id),
        ("received", reply.delivery_id),
    ]
    assert alice_thread[1].message == "Report attached" and alice_thread[1].in_reply_to == original.delivery_id
    bob_thread = thread(bob, target.case_id)
    assert [(m.direction, m.delivery_id) for m in bob_thread] == [
        ("received", original.delivery_id),
        ("sent", reply.delivery_id),
    ]
    assert bob_thread[0].message == "Please review" and bob_thread[0].counterpart == ALICE

    # One audit story on each side, verified.
    a_events = [r["event"] for r in alice.audit.read()]
    b_events = [r["event"] for r in bob.audit.read()]
    assert {"identity-create", "send", "import"} <= set(a_events) and "reply" in b_events
    threaded = [r for r in alice.audit.read() if r["event"] == "import"][-1]["fields"]
    assert threaded["threaded"] and threaded["in_reply_to"] == original.delivery_id
    assert alice.audit.verify().ok and bob.audit.verify().ok


def test_cli_reply_with_in_reply_to(two, smtp_server, tmp_path, monkeypatch, capsys):
    alice, bob = two
    (tmp_path / "scan.txt").write_text("scan")
    first = SendRequest([tmp_path / "scan.txt"], [BOB], recipient_keys=[str(bob.identity.current().recipient)])
    send(alice, first)
    import_container(bob, _fetch(smtp_server, BOB, tmp_path / "in.sod"), identity=bob.identity.current())
    monkeypatch.setenv("SODCLIENT_HOME", str(tmp_path / "bob"))  # the CLI runs as Bob
    doc = bob.library().documents()[0]
    (tmp_path / "answer.txt").write_text("answer")
    code = cli_main(
        [
            "send",
            "--in-reply-to",
            first.delivery_id,
            "--message",
            "See attached",
            "--document",
            str(doc.id),
            str(tmp_path / "answer.txt"),
        ]
    )
    assert code == 0, capsys.readouterr().err
    opened, result = import_container(
        alice, _fetch(smtp_server, ALICE, tmp_path / "back.sod"), identity=alice.identity.current()
    )
    assert opened.delivery.in_reply_to == first.delivery_id
    assert len(result.documents) + result.duplicates == 2  # the file from disk and the library document
    assert cli_main(["thread"]) == 0
    assert first.delivery_id in capsys.readouterr().out
    # an unknown id is refused before anything is packed
    assert cli_main(["send", "--in-reply-to", "0" * 32, str(tmp_path / "answer.txt")]) == 2
