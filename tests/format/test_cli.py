"""The `sod` command as scripts use it: exact arguments, exit codes, one-line errors, nothing left behind."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import make_tree, tree_snapshot


def sod(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "sodformat.cli", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def _assert_one_line_error(proc):
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sod: error:"), proc.stderr


def test_keygen_pack_inspect_verify_unpack(tmp_path):
    keygen = sod("keygen", "-o", tmp_path / "me.key")
    assert keygen.returncode == 0
    recipient = keygen.stdout.strip().splitlines()[-1]
    assert recipient.startswith("sod1")
    assert stat.S_IMODE((tmp_path / "me.key").stat().st_mode) == 0o600
    assert sod("keygen", "-o", tmp_path / "me.key").returncode != 0  # never overwrites a key

    src = make_tree(tmp_path / "in")
    (tmp_path / "pw").write_text("Sunny-Day-2026\n")
    packed = sod(
        "pack",
        "-o",
        tmp_path / "c.sod",
        "--passphrase-file",
        tmp_path / "pw",
        "--recipient",
        recipient,
        "--expires-in-days",
        "3",
        "--sign",
        tmp_path / "me.key",
        src,
    )
    assert packed.returncode == 0, packed.stderr

    inspected = sod("inspect", tmp_path / "c.sod")
    assert inspected.returncode == 0
    assert "argon2id" in inspected.stdout and "x25519" in inspected.stdout and "sodsig1" in inspected.stdout
    assert "report.txt" not in inspected.stdout  # names stay encrypted

    verified = sod("verify", "--identity", tmp_path / "me.key", tmp_path / "c.sod")
    assert (
        verified.returncode == 0 and "study/report.txt" in verified.stdout and "signed by: sodsig1" in verified.stdout
    )

    unpacked = sod("unpack", "-o", tmp_path / "out", "--passphrase-file", tmp_path / "pw", tmp_path / "c.sod")
    assert unpacked.returncode == 0, unpacked.stderr
    assert tree_snapshot(tmp_path / "out" / "study") == tree_snapshot(src)


def test_wrong_passphrase_is_one_line_and_leaves_nothing(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "pw").write_text("Sunny-Day-2026")
    (tmp_path / "bad").write_text("Rainy-Day-2026")
    assert (
        sod("pack", "-o", tmp_path / "c.sod", "--passphrase-file", tmp_path / "pw", tmp_path / "a.txt").returncode == 0
    )
    before = sorted(os.listdir(tmp_path))
    proc = sod("unpack", "-o", tmp_path / "out", "--passphrase-file", tmp_path / "bad", tmp_path / "c.sod")
    _assert_one_line_error(proc)
    assert "wrong passphrase" in proc.stderr
    assert sorted(os.listdir(tmp_path)) == before


def test_truncated_file_is_one_line_and_leaves_nothing(tmp_path):
    (tmp_path / "a.bin").write_bytes(os.urandom(300_000))
    sod("keygen", "-o", tmp_path / "k")
    recipient = Path(tmp_path / "k").read_text().split("recipient: ")[1].split()[0]
    assert sod("pack", "-o", tmp_path / "c.sod", "--recipient", recipient, tmp_path / "a.bin").returncode == 0
    data = (tmp_path / "c.sod").read_bytes()
    (tmp_path / "c.sod").write_bytes(data[: len(data) // 2])
    before = sorted(os.listdir(tmp_path))
    for command in (["unpack", "-o", tmp_path / "out"], ["verify"]):
        proc = sod(*command, "--identity", tmp_path / "k", tmp_path / "c.sod")
        _assert_one_line_error(proc)
        assert "truncated" in proc.stderr or "damaged" in proc.stderr
    assert sorted(os.listdir(tmp_path)) == before


@pytest.mark.parametrize(
    "args",
    [
        ["inspect", "/nonexistent.sod"],
        ["pack", "-o", "{tmp}/x.sod", "{tmp}/missing.txt", "--recipient", "sod1notakey"],
        ["pack", "-o", "{tmp}/x.sod", "{tmp}"],
        ["unpack", "-o", "{tmp}/o", "--identity", "{tmp}/nokey", "{tmp}/none.sod"],
    ],
)
def test_bad_input_is_one_line(tmp_path, args):
    _assert_one_line_error(sod(*[a.format(tmp=tmp_path) for a in args]))
    assert not (tmp_path / "x.sod").exists() and not (tmp_path / "o").exists()


def test_symlinks_are_refused_at_pack_time(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "link").symlink_to("/etc/passwd")
    (tmp_path / "pw").write_text("Sunny-Day-2026")
    proc = sod("pack", "-o", tmp_path / "c.sod", "--passphrase-file", tmp_path / "pw", tmp_path / "d")
    _assert_one_line_error(proc)
    assert "symbolic link" in proc.stderr and not (tmp_path / "c.sod").exists()


def test_passphrase_files_lose_only_their_final_newline(tmp_path):
    """One rule for every --passphrase-file (sod, sodclient send, sodclient import)."""
    from sodformat import SodError
    from sodformat.recipients import read_passphrase_file

    for written, meant in (
        ("Sunny-Day-2026\n", "Sunny-Day-2026"),
        ("Sunny-Day-2026\r\n", "Sunny-Day-2026"),
        (" spaced  pass 1A ", " spaced  pass 1A "),
    ):
        (tmp_path / "pw").write_bytes(written.encode())
        assert read_passphrase_file(tmp_path / "pw") == meant
    (tmp_path / "pw").write_text("\n")
    with pytest.raises(SodError, match="empty"):
        read_passphrase_file(tmp_path / "pw")
