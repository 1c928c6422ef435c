import os
from pathlib import Path

import pytest

import sodformat
from sodformat.recipients import PassphraseRecipient

# Cheap Argon2id parameters for tests that open thousands of damaged copies; the format stores them per stanza.
FAST_KDF = {"m": 64, "t": 1, "p": 1}


@pytest.fixture(scope="session")
def identity():
    return sodformat.generate_identity()


@pytest.fixture
def fast_passphrase():
    return PassphraseRecipient("Correct-Horse-42", params=dict(FAST_KDF))


def make_tree(root: Path) -> Path:
    """A small nested tree: nested folders, an empty file, an empty folder, text and binary."""
    (root / "study" / "series1").mkdir(parents=True)
    (root / "study" / "empty-folder").mkdir()
    (root / "study" / "series1" / "img1.bin").write_bytes(os.urandom(70_000))
    (root / "study" / "series1" / "img2.bin").write_bytes(b"\x00\x01" * 40_000)
    (root / "study" / "empty.txt").write_bytes(b"")
    (root / "study" / "report.txt").write_text("Findings: unremarkable.\n" * 50)
    return root / "study"


def tree_snapshot(root: Path) -> dict:
    """Relative path -> bytes (files) or None (folders): what a round trip must reproduce exactly."""
    snap = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root.parent).as_posix()
        snap[rel] = None if p.is_dir() else p.read_bytes()
    return snap


def leftovers(parent: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name not in keep)
