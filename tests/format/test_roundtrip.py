"""Round trips must be exact: nested folders, empty files and folders, large files, many recipients."""

import hashlib
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sodformat
from sodformat import PassphraseIdentity, SodError, collect_sources, pack, unpack, verify
from sodformat.names import check_name

from .conftest import make_tree, tree_snapshot


def test_nested_tree_round_trip_x25519(tmp_path, identity):
    src = make_tree(tmp_path / "in")
    result = pack(tmp_path / "c.sod", collect_sources([src]), [identity.recipient])
    contents = unpack(tmp_path / "c.sod", tmp_path / "out", [identity])
    assert tree_snapshot(tmp_path / "out" / "study") == tree_snapshot(src)
    assert contents.entries == result.entries
    names = {e.name: e for e in contents.entries}
    assert names["study/empty-folder"].is_dir
    assert names["study/empty.txt"].size == 0
    assert names["study/report.txt"].compression == "zstd"
    assert names["study/series1/img1.bin"].compression == "none"  # random bytes do not compress
    assert names["study/report.txt"].sha256 == hashlib.sha256((src / "report.txt").read_bytes()).hexdigest()


def test_passphrase_and_several_recipients(tmp_path, identity, fast_passphrase):
    other = sodformat.generate_identity()
    src = make_tree(tmp_path / "in")
    pack(tmp_path / "c.sod", collect_sources([src]), [fast_passphrase, other.recipient, identity.recipient])
    for ident in (PassphraseIdentity("Correct-Horse-42"), other, identity):
        out = tmp_path / f"out-{id(ident)}"
        unpack(tmp_path / "c.sod", out, [ident])
        assert tree_snapshot(out / "study") == tree_snapshot(src)


def test_default_passphrase_kdf_round_trip(tmp_path):
    (tmp_path / "a.txt").write_text("hello")
    pack(tmp_path / "c.sod", collect_sources([tmp_path / "a.txt"]), [sodformat.PassphraseRecipient("Abcdefgh12")])
    info = sodformat.inspect(tmp_path / "c.sod")
    assert info.recipients == ["argon2id"]
    verify(tmp_path / "c.sod", [PassphraseIdentity("Abcdefgh12")])


@pytest.mark.parametrize("aead", ["aes-256-gcm", "chacha20-poly1305"])
@pytest.mark.parametrize("size", [0, 1, 65536 - 30, 65536, 3 * 65536 + 7, 5 * 1024 * 1024 + 3])
def test_sizes_across_chunk_and_block_boundaries(tmp_path, identity, aead, size):
    data = os.urandom(size)
    (tmp_path / "f.bin").write_bytes(data)
    pack(tmp_path / "c.sod", collect_sources([tmp_path / "f.bin"]), [identity.recipient], aead=aead, chunk=65536)
    unpack(tmp_path / "c.sod", tmp_path / "out", [identity])
    assert (tmp_path / "out" / "f.bin").read_bytes() == data


def test_large_compressible_file(tmp_path, identity):
    data = (b"DICM" + bytes(range(256)) * 300) * 1200  # ~92 MB, many blocks, compressible
    (tmp_path / "big.dcm").write_bytes(data)
    pack(tmp_path / "c.sod", collect_sources([tmp_path / "big.dcm"]), [identity.recipient])
    assert (tmp_path / "c.sod").stat().st_size < len(data) // 10
    unpack(tmp_path / "c.sod", tmp_path / "out", [identity])
    assert hashlib.sha256((tmp_path / "out" / "big.dcm").read_bytes()).digest() == hashlib.sha256(data).digest()


def test_signature_is_verified_and_reported(tmp_path, identity):
    sender = sodformat.generate_identity()
    (tmp_path / "a.txt").write_text("x")
    pack(tmp_path / "c.sod", collect_sources([tmp_path / "a.txt"]), [identity.recipient], signer=sender)
    assert sodformat.inspect(tmp_path / "c.sod").signer == sender.signing_public
    assert verify(tmp_path / "c.sod", [identity]).signer == sender.signing_public


def test_pack_to_a_stream_matches_pack_to_a_path(tmp_path, identity):
    (tmp_path / "a.txt").write_text("stream me")
    with open(tmp_path / "s.sod", "wb") as f:
        result = pack(f, collect_sources([tmp_path / "a.txt"]), [identity.recipient])
    assert result.bytes_written == (tmp_path / "s.sod").stat().st_size
    assert verify(tmp_path / "s.sod", [identity]).entries == result.entries


def test_media_types_are_sniffed_from_content(tmp_path, identity):
    (tmp_path / "scan").write_bytes(b"\x00" * 128 + b"DICM" + b"\x02\x00" * 100)
    (tmp_path / "doc").write_bytes(b"%PDF-1.7\n...")
    (tmp_path / "photo").write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(1000))
    result = pack(
        tmp_path / "c.sod", collect_sources([tmp_path / n for n in ("scan", "doc", "photo")]), [identity.recipient]
    )
    types = {e.name: (e.media_type, e.compression) for e in result.entries}
    assert types["scan"][0] == "application/dicom"
    assert types["doc"][0] == "application/pdf"
    assert types["photo"] == ("image/jpeg", "none")


def _portable(name: str) -> bool:
    try:
        check_name(name)  # Windows device names such as "nul" are refused at pack time, by design
        return True
    except SodError:
        return False


_name = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=12).filter(_portable)
_tree = st.recursive(
    st.binary(max_size=3000) | st.just(b"A" * 5000),
    lambda children: st.dictionaries(_name, children, max_size=5),
    max_leaves=12,
)


def _materialise(node, path: Path) -> None:
    if isinstance(node, dict):
        path.mkdir()
        for name, child in node.items():
            _materialise(child, path / name)
    else:
        path.write_bytes(node)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tree=st.dictionaries(_name, _tree, min_size=1, max_size=4))
def test_property_random_trees_round_trip(tmp_path_factory, identity, tree):
    base = tmp_path_factory.mktemp("prop")
    _materialise(tree, base / "root")
    pack(base / "c.sod", collect_sources([base / "root"]), [identity.recipient], chunk=65536)
    unpack(base / "c.sod", base / "out", [identity])
    assert tree_snapshot(base / "out" / "root") == tree_snapshot(base / "root")
