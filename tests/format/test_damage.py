"""Every damage is refused cleanly: bit flips anywhere, truncation at any point, appended bytes,
swapped chunks, wrong keys and expiry. None may leave anything behind in the target's folder."""

from datetime import UTC, datetime, timedelta

import pytest

import sodformat
from sodformat import PassphraseIdentity, SodError, collect_sources, pack, unpack, verify
from sodformat.errors import AuthenticationError, ExpiredError, NoMatchingIdentityError

from .conftest import leftovers


def _small_container(tmp_path, recipients, signer=None):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("alpha " * 20)
    (tmp_path / "in" / "b.bin").write_bytes(bytes(range(200)))
    pack(tmp_path / "c.sod", collect_sources([tmp_path / "in"]), recipients, signer=signer, chunk=65536)
    return (tmp_path / "c.sod").read_bytes()


def _assert_refused_cleanly(tmp_path, data: bytes, identities, **kw):
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    (work / "bad.sod").write_bytes(data)
    with pytest.raises(SodError) as err:
        unpack(work / "bad.sod", work / "out", identities, **kw)
    assert "\n" not in str(err.value)
    assert leftovers(work, {"bad.sod"}) == []
    return err.value


EDGE = 64  # bytes at each end of the payload whose every bit is flipped (chunk nonces, tags, the end)


def _bits_to_flip(data: bytes, header_len: int, exhaustive: bool) -> list[int]:
    """Every bit of the header and of the payload's first and last EDGE bytes; elsewhere one bit per byte
    (rotating through the bit positions), unless `exhaustive`."""
    if exhaustive:
        return list(range(len(data) * 8))
    bits = list(range(header_len * 8))
    for byte in range(header_len, len(data)):
        edge = byte < header_len + EDGE or byte >= len(data) - EDGE
        bits += [byte * 8 + b for b in range(8)] if edge else [byte * 8 + byte % 8]
    return bits


def _bit_flips_are_refused(tmp_path, identity, exhaustive: bool) -> None:
    sender = sodformat.generate_identity()
    data = _small_container(tmp_path, [identity.recipient], signer=sender)
    verify(tmp_path / "c.sod", [identity])  # the undamaged file opens
    header_len = sodformat.inspect(tmp_path / "c.sod").header_bytes
    for i in _bits_to_flip(data, header_len, exhaustive):
        damaged = bytearray(data)
        damaged[i // 8] ^= 1 << (i % 8)
        _assert_refused_cleanly(tmp_path, bytes(damaged), [identity])


def test_bit_flips_are_refused(tmp_path, identity):
    """The header and the payload's ends bit by bit, every other payload byte once (fast, always run)."""
    _bit_flips_are_refused(tmp_path, identity, exhaustive=False)


@pytest.mark.slow
def test_every_bit_flip_is_refused(tmp_path, identity):
    """The full sweep: every bit of the file (CI runs it; `-m "not slow"` skips it locally)."""
    _bit_flips_are_refused(tmp_path, identity, exhaustive=True)


def test_every_bit_flip_in_passphrase_header_is_refused(tmp_path, fast_passphrase):
    data = _small_container(tmp_path, [fast_passphrase])
    header_len = sodformat.inspect(tmp_path / "c.sod").header_bytes
    ident = [PassphraseIdentity(fast_passphrase.passphrase)]
    for i in range(header_len * 8):
        damaged = bytearray(data)
        damaged[i // 8] ^= 1 << (i % 8)
        _assert_refused_cleanly(tmp_path, bytes(damaged), ident)


def test_every_truncation_is_refused(tmp_path, identity):
    data = _small_container(tmp_path, [identity.recipient])
    for cut in range(len(data)):
        err = _assert_refused_cleanly(tmp_path, data[:cut], [identity])
        assert "truncated" in str(err) or "damaged" in str(err) or "signature bytes" in str(err)


def test_appended_bytes_are_refused(tmp_path, identity):
    data = _small_container(tmp_path, [identity.recipient])
    for extra in (b"\x00", b"Z", data[-100:], bytes(65536 + 16)):
        _assert_refused_cleanly(tmp_path, data + extra, [identity])


def test_swapped_dropped_and_duplicated_chunks_are_refused(tmp_path, identity):
    import os

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "big.bin").write_bytes(os.urandom(5 * 65536))
    pack(tmp_path / "c.sod", collect_sources([tmp_path / "in"]), [identity.recipient], chunk=65536)
    data = (tmp_path / "c.sod").read_bytes()
    start = sodformat.inspect(tmp_path / "c.sod").header_bytes
    size = 65536 + 16
    chunks = [data[start + i : start + i + size] for i in range(0, len(data) - start, size)]
    assert len(chunks) >= 5
    head = data[:start]
    variants = [
        chunks[1:2] + chunks[0:1] + chunks[2:],  # swapped
        chunks[:2] + chunks[3:],  # dropped
        chunks[:3] + chunks[2:],  # duplicated
        chunks[:-1],  # last chunk removed (truncation at a boundary)
    ]
    for v in variants:
        _assert_refused_cleanly(tmp_path, head + b"".join(v), [identity])


def test_splicing_payload_from_another_container_is_refused(tmp_path, identity):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = _small_container(tmp_path / "a", [identity.recipient])
    b = _small_container(tmp_path / "b", [identity.recipient])
    ha = sodformat.inspect(tmp_path / "a" / "c.sod").header_bytes
    hb = sodformat.inspect(tmp_path / "b" / "c.sod").header_bytes
    _assert_refused_cleanly(tmp_path, a[:ha] + b[hb:], [identity])


def test_wrong_key_and_wrong_passphrase(tmp_path, identity, fast_passphrase):
    data = _small_container(tmp_path, [identity.recipient, fast_passphrase])
    err = _assert_refused_cleanly(tmp_path, data, [sodformat.generate_identity()])
    assert isinstance(err, NoMatchingIdentityError)
    err = _assert_refused_cleanly(tmp_path, data, [PassphraseIdentity("Wrong-Horse-42")])
    assert isinstance(err, NoMatchingIdentityError) and "wrong passphrase" in str(err)


def test_expired_container_is_refused_unless_overridden(tmp_path, identity):
    (tmp_path / "a.txt").write_text("old news")
    created = (datetime.now(UTC) - timedelta(days=15)).timestamp()
    pack(tmp_path / "c.sod", collect_sources([tmp_path / "a.txt"]), [identity.recipient], created=created)
    info = sodformat.inspect(tmp_path / "c.sod")
    assert info.expired()
    err = _assert_refused_cleanly(tmp_path, (tmp_path / "c.sod").read_bytes(), [identity])
    assert isinstance(err, ExpiredError) and "expired on" in str(err)
    unpack(tmp_path / "c.sod", tmp_path / "ok", [identity], allow_expired=True)
    assert (tmp_path / "ok" / "a.txt").read_text() == "old news"


def test_shorter_expiry_is_honoured_and_longer_refused(tmp_path, identity):
    (tmp_path / "a.txt").write_text("x")
    r = pack(tmp_path / "c.sod", collect_sources([tmp_path / "a.txt"]), [identity.recipient], expires_in_days=3)
    assert r.header.expires - r.header.created == timedelta(days=3)
    with pytest.raises(SodError, match="at most 14 days"):
        pack(tmp_path / "d.sod", collect_sources([tmp_path / "a.txt"]), [identity.recipient], expires_in_days=15)
    assert not (tmp_path / "d.sod").exists()
    assert leftovers(tmp_path, {"a.txt", "c.sod"}) == []


def test_header_mac_covers_expiry(tmp_path, identity):
    """Pushing the expiry forward by editing the header breaks authentication."""
    import json
    import struct

    data = _small_container(tmp_path, [identity.recipient])
    (length,) = struct.unpack(">I", data[8:12])
    header = json.loads(data[12 : 12 + length])
    header["expires"] += 86400 * 365
    body = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    forged = data[:8] + struct.pack(">I", len(body)) + body + data[12 + length :]
    err = _assert_refused_cleanly(tmp_path, forged, [identity])
    assert isinstance(err, AuthenticationError)
