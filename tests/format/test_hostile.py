"""Hostile containers, built by hand with valid encryption, that the writer would never produce.
Each is refused with one line and leaves nothing behind."""

import json
import struct

import pytest
import zstandard

import sodformat
from sodformat import SodError, unpack
from sodformat.errors import AuthenticationError, FormatError, LimitError

from . import craft
from .conftest import leftovers


def _refuse(tmp_path, identity, path, match=None):
    with pytest.raises(SodError, match=match) as err:
        unpack(path, tmp_path / "out", [identity])
    assert "\n" not in str(err.value)
    assert not (tmp_path / "out").exists()
    assert [n for n in leftovers(tmp_path, set()) if n.startswith(".")] == []
    return err.value


def test_well_formed_crafted_container_opens(tmp_path, identity):
    craft.build(tmp_path / "c.sod", identity.recipient, files=[("a/b.txt", b"fine")])
    unpack(tmp_path / "c.sod", tmp_path / "out", [identity])
    assert (tmp_path / "out" / "a" / "b.txt").read_bytes() == b"fine"


@pytest.mark.parametrize(
    "name",
    [
        "../evil.txt",
        "a/../../evil.txt",
        "/etc/passwd",
        "C:/evil.txt",
        "a//b",
        "./a",
        "a\\..\\b",
        "nul",
        "COM1.txt",
        "a\x00b",
        "a\nb",
        "dir/..",
    ],
)
def test_path_traversal_and_unsafe_names_are_refused(tmp_path, identity, name):
    craft.build(tmp_path / "c.sod", identity.recipient, files=[(name, b"pwned")])
    _refuse(tmp_path, identity, tmp_path / "c.sod", match="path|name")
    assert not (tmp_path.parent / "evil.txt").exists()


@pytest.mark.parametrize("names", [["a.txt", "A.TXT"], ["x", "x/y"], ["d/f", "d/f"]])
def test_colliding_names_are_refused(tmp_path, identity, names):
    craft.build(tmp_path / "c.sod", identity.recipient, files=[(n, b"1") for n in names])
    _refuse(tmp_path, identity, tmp_path / "c.sod", match="duplicate or conflicting")


def test_decompression_bomb_is_refused(tmp_path, identity):
    bomb = zstandard.ZstdCompressor(level=19).compress(bytes(64 * 1024 * 1024))
    payload = craft.file_record("bomb.bin", b"", "zstd", blocks=[bomb]) + b"M" + struct.pack(">I", 2) + b"{}" + b"Z"
    craft.build(tmp_path / "c.sod", identity.recipient, payload)
    err = _refuse(tmp_path, identity, tmp_path / "c.sod")
    assert isinstance(err, LimitError) and "decompression bomb" in str(err)


@pytest.mark.parametrize("after", [b"junk", zstandard.ZstdCompressor().compress(b"second frame")])
def test_anything_after_a_blocks_zstd_frame_is_refused(tmp_path, identity, after):
    block = zstandard.ZstdCompressor().compress(b"report " * 100) + after
    payload = craft.file_record("r.txt", b"", "zstd", blocks=[block]) + b"M" + struct.pack(">I", 2) + b"{}" + b"Z"
    craft.build(tmp_path / "c.sod", identity.recipient, payload)
    err = _refuse(tmp_path, identity, tmp_path / "c.sod")
    assert isinstance(err, FormatError) and "compressed block is damaged" in str(err)


def test_oversized_block_and_meta_lengths_are_refused(tmp_path, identity):
    meta = json.dumps({"name": "a", "media_type": "x", "compression": "none"}).encode()
    huge_block = b"F" + struct.pack(">I", len(meta)) + meta + struct.pack(">I", 0xFFFFFFF0) + b"Z"
    craft.build(tmp_path / "c.sod", identity.recipient, huge_block)
    assert isinstance(_refuse(tmp_path, identity, tmp_path / "c.sod"), LimitError)
    craft.build(tmp_path / "d.sod", identity.recipient, b"F" + struct.pack(">I", 0x7FFFFFFF) + b"{}")
    assert isinstance(_refuse(tmp_path, identity, tmp_path / "d.sod"), LimitError)


def test_oversized_header_is_refused_before_reading_it(tmp_path, identity):
    (tmp_path / "c.sod").write_bytes(b"\x89SOD\r\n\x1a\n" + struct.pack(">I", 0xFFFFFFFF) + b"{")
    _refuse(tmp_path, identity, tmp_path / "c.sod", match="header size")


def test_costly_kdf_is_refused_before_deriving(tmp_path, identity):
    stanza = {
        "type": "argon2id",
        "salt": "AAAAAAAAAAAAAAAAAAAAAA==",
        "m": 8 * 1024 * 1024,
        "t": 3,
        "p": 4,
        "body": "A" * 64,
    }
    craft.build(tmp_path / "c.sod", identity.recipient, files=[("a", b"1")], stanzas=[stanza])
    with pytest.raises(LimitError, match="costlier"):
        unpack(tmp_path / "c.sod", tmp_path / "out", [sodformat.PassphraseIdentity("Whatever123")])


def test_too_many_stanzas_are_refused(tmp_path, identity):
    stanzas = [{"type": "future-kind"}] * 40
    craft.build(tmp_path / "c.sod", identity.recipient, files=[("a", b"1")], stanzas=stanzas)
    _refuse(tmp_path, identity, tmp_path / "c.sod", match="too many")


def test_unknown_header_field_is_refused(tmp_path, identity):
    craft.build(tmp_path / "c.sod", identity.recipient, files=[("a", b"1")], header_overrides={"extra": 1})
    _refuse(tmp_path, identity, tmp_path / "c.sod", match="unexpected fields")


def test_manifest_that_lies_about_a_hash_is_refused(tmp_path, identity):
    entry = craft.file_entry("a.txt", b"other bytes")
    payload = craft.file_record("a.txt", b"real bytes") + craft.record(b"M", craft.manifest_for([entry])) + b"Z"
    craft.build(tmp_path / "c.sod", identity.recipient, payload)
    assert isinstance(_refuse(tmp_path, identity, tmp_path / "c.sod"), AuthenticationError)


def test_missing_manifest_or_end_is_refused(tmp_path, identity):
    craft.build(tmp_path / "c.sod", identity.recipient, craft.file_record("a", b"x"))
    _refuse(tmp_path, identity, tmp_path / "c.sod", match="middle of a record")
    manifest = craft.record(b"M", craft.manifest_for([craft.file_entry("a", b"x")]))
    craft.build(tmp_path / "d.sod", identity.recipient, craft.file_record("a", b"x") + manifest + b"Z" + b"junk")
    _refuse(tmp_path, identity, tmp_path / "d.sod", match="after the end")


def test_signature_from_another_key_is_refused(tmp_path, identity):
    claimed, actual = sodformat.generate_identity(), sodformat.generate_identity()
    craft.build(tmp_path / "c.sod", identity.recipient, files=[("a", b"1")], signer=claimed, sign_with=actual)
    _refuse(tmp_path, identity, tmp_path / "c.sod", match="signature does not verify")
    craft.build(tmp_path / "d.sod", identity.recipient, files=[("a", b"1")], signer=claimed)
    _refuse(tmp_path, identity, tmp_path / "d.sod", match="signature is missing")


def test_existing_output_folder_is_never_touched(tmp_path, identity):
    craft.build(tmp_path / "c.sod", identity.recipient, files=[("a", b"1")])
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(SodError, match="not an empty folder"):
        unpack(tmp_path / "c.sod", tmp_path / "out", [identity])
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["keep.txt"]
