"""The command lines as a new user meets them (issue 15): --version, help for every option, one-line errors for
bad paths, the passphrase policy and overwrite rule of `sod pack`, `sod unpack -o`, `sodclient key show` and
`sodclient audit` in sentences."""

from __future__ import annotations

import argparse
import subprocess
import sys
from datetime import UTC

import pytest

from sodclient.cli import build_parser
from sodclient.cli import main as sodclient_main
from sodformat.cli import build_parser as sod_parser


def sod(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "sodformat.cli", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def one_line_error(proc) -> str:
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sod: error:"), proc.stderr
    return lines[0]


def _options_without_help(parser, name):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                yield from _options_without_help(sub, f"{name} {sub_name}")
        elif not action.help and action.dest != "help":
            yield f"{name} {action.option_strings or action.dest}"


def test_every_option_of_both_commands_has_help_and_both_print_their_version():
    assert list(_options_without_help(sod_parser(), "sod")) == []
    assert list(_options_without_help(build_parser(), "sodclient")) == []
    version = sod("--version")
    assert version.returncode == 0 and version.stdout.startswith("sod 0.")


def test_bad_paths_are_one_line_errors(tmp_path):
    assert "/missing/dir/k" in one_line_error(sod("keygen", "-o", tmp_path / "missing/dir/k"))
    (tmp_path / "pw").write_text("Sunny-Day-2026")
    (tmp_path / "a.txt").write_text("x")
    one_line_error(sod("pack", "-o", tmp_path / "nope/c.sod", "--passphrase-file", tmp_path / "pw", tmp_path / "a.txt"))
    one_line_error(sod("pack", "-o", tmp_path / "c.sod", "--passphrase-file", tmp_path / "nopw", tmp_path / "a.txt"))
    one_line_error(sod("unpack", "-o", tmp_path / "out", "--identity", tmp_path / "nokey", tmp_path / "none.sod"))
    one_line_error(sod("inspect", tmp_path / "none.sod"))


def test_pack_applies_the_passphrase_policy_and_never_overwrites_silently(tmp_path):
    (tmp_path / "weak").write_text("hello")
    (tmp_path / "pw").write_text("Sunny-Day-2026")
    (tmp_path / "a.txt").write_text("x")
    out = tmp_path / "c.sod"
    refused = one_line_error(sod("pack", "-o", out, "--passphrase-file", tmp_path / "weak", tmp_path / "a.txt"))
    assert "too weak" in refused and "--allow-weak-passphrase" in refused and not out.exists()
    weak = sod("pack", "-o", out, "--allow-weak-passphrase", "--passphrase-file", tmp_path / "weak", tmp_path / "a.txt")
    assert weak.returncode == 0 and "warning" in weak.stderr and out.exists()
    before = out.read_bytes()
    assert "--force" in one_line_error(sod("pack", "-o", out, "--passphrase-file", tmp_path / "pw", tmp_path / "a.txt"))
    assert out.read_bytes() == before
    assert sod("pack", "-o", out, "--force", "--passphrase-file", tmp_path / "pw", tmp_path / "a.txt").returncode == 0
    assert out.read_bytes() != before


def test_unpack_creates_only_the_last_folder(tmp_path):
    (tmp_path / "pw").write_text("Sunny-Day-2026")
    (tmp_path / "a.txt").write_text("x")
    pw = tmp_path / "pw"
    assert sod("pack", "-o", tmp_path / "c.sod", "--passphrase-file", pw, tmp_path / "a.txt").returncode == 0
    one_line_error(
        sod("unpack", "-o", tmp_path / "typo/deep/out", "--passphrase-file", tmp_path / "pw", tmp_path / "c.sod")
    )
    assert not (tmp_path / "typo").exists()
    assert sod("unpack", "-o", tmp_path / "out", "--passphrase-file", pw, tmp_path / "c.sod").returncode == 0
    assert (tmp_path / "out" / "a.txt").read_text() == "x"


def test_key_show_prints_the_line_the_contact_form_accepts(profile, capsys):
    assert sodclient_main(["key", "show"]) == 2  # no key yet: says how to make one
    assert "--create" in capsys.readouterr().err
    phrase = profile.paths.config.parent / "new-passphrase.txt"
    phrase.write_text("Signing-Passphrase-2026\n")
    assert sodclient_main(["key", "show", "--create", "--new-passphrase-file", str(phrase)]) == 0
    printed = capsys.readouterr().out.strip()
    assert "\n" not in printed
    from sodclient.services import identity

    contact = identity.add_contact(profile, "Me", "me@example.org", printed)[0]
    assert (contact.recipient, contact.signer) == identity.public_keys(profile)


def test_audit_prints_sentences_and_says_when_it_is_empty(profile, capsys):
    assert sodclient_main(["audit"]) == 0
    assert "empty" in capsys.readouterr().out
    profile.audit.record("import-own", documents=3, duplicates=2)
    profile.audit.record("send-failed", reason="TransferError", to=["dr@example.org"], cc=[])
    assert sodclient_main(["audit"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "Imported 3 documents into the library (2 were already there)." in out[0]
    assert out[1].endswith("A send to dr@example.org failed: the server could not be reached or refused the upload.")
    assert "TransferError" not in "".join(out)


@pytest.mark.parametrize(
    "size,text",
    [(0, "0 bytes"), (13_500, "13.5 KB"), (999, "999 bytes"), (4_200_000_000, "4.20 GB"), (123_456_789, "123 MB")],
)
def test_sizes_read_as_people_say_them(size, text):
    from sodclient.wording import human_size

    assert human_size(size) == text


def test_the_mail_says_13_5_kb_not_0_0_mb():
    from datetime import datetime

    from sodclient.notify.mail import Notification, compose

    body = compose(
        Notification(["a@b.example"], [], "https://x.example/f", datetime(2026, 1, 1, tzinfo=UTC), 13_500),
        "me@example.org",
    ).get_content()
    assert "(13.5 KB)" in body and "0.0 MB" not in body


def test_generated_passphrases_are_words_that_meet_the_policy():
    from sodclient import passphrase_policy

    assert len(passphrase_policy.words()) == 7772 and passphrase_policy.bits() > 80
    for _ in range(20):
        phrase = passphrase_policy.generate()
        *words, number = phrase.split("-")
        assert passphrase_policy.check(phrase) == [] and len(words) == 6 and number.isdigit()
        assert all(w.lower() in passphrase_policy.words() and w[0].isupper() for w in words)


def test_the_word_list_is_the_published_one_with_its_licence():
    import hashlib
    from importlib import resources

    data = resources.files("sodclient").joinpath("data")
    text = data.joinpath("eff_large_wordlist.txt").read_bytes()
    assert hashlib.sha256(text).hexdigest() == "6d557f0693958fb5e650b68b5bee585eb82cf4da32965505c789e924743bc522"
    notice = data.joinpath("eff_large_wordlist.README.md").read_text()
    assert "CC BY 3.0" in notice and "eff.org" in notice


def test_every_audit_event_the_services_write_reads_as_a_sentence():
    """No internal names: each event the services record (found in their source) has its own sentence, and
    failure kinds are words, not exception class names."""
    import re
    from pathlib import Path

    from sodclient import audit_text
    from sodclient.audit_events import AuditEvent

    root = Path(__file__).resolve().parents[2] / "sodclient" / "services"
    written = {m for p in root.glob("*.py") for m in re.findall(r"AuditEvent\.([A-Z_]+)", p.read_text())}
    events = {AuditEvent[name].value for name in written}
    assert {"send", "upload", "import", "revoke", "documents-saved"} <= events
    for event in sorted(events):
        text = audit_text.sentence(
            {
                "event": event,
                "fields": {"reason": "TransferError", "documents": 2, "to": ["dr@example.org"], "remote_name": "x.sod"},
            }
        )
        assert text.endswith(".") and "TransferError" not in text and "(" + "documents:" not in text, (event, text)
        assert "-" not in event or event not in text, (event, text)  # no internal names such as notify-queued
