"""Block codecs: the shuffle is exactly reversible, and the writer picks the codec that fits the data."""

import os

import pytest
import zstandard

from sodformat import codecs, collect_sources, pack, unpack


@pytest.mark.parametrize("n", [0, 1, 2, 3, 1000, 1001])
def test_shuffle_round_trips_every_length(n):
    block = os.urandom(n)
    assert bytes(codecs.unshuffle2(codecs.shuffle2(block))) == block


def test_shuffle_layout_is_even_then_odd_then_tail():
    assert codecs.shuffle2(b"abcdefg") == b"acebdfg"


def _compress(block: bytes) -> bytes:
    return zstandard.ZstdCompressor(level=1).compress(block)


def test_choice_follows_the_data():
    samples16 = b"".join((1000 + (i * 7919) % 23).to_bytes(2, "little") for i in range(200_000))
    text = ("Findings: no acute abnormality. " * 20_000).encode()
    assert codecs.choose("application/dicom", samples16, _compress)[0] == "zstd+shuffle2"
    assert codecs.choose("text/plain", text, _compress)[0] == "zstd"
    assert codecs.choose("application/octet-stream", os.urandom(100_000), _compress)[0] == "none"
    assert codecs.choose("image/jpeg", bytes(100_000), _compress) == ("none", bytes(100_000))


def test_sixteen_bit_samples_round_trip_through_the_shuffle(tmp_path, identity):
    data = b"".join((i % 4096).to_bytes(2, "little") for i in range(1_500_001)) + b"!"  # odd length, 3 blocks
    (tmp_path / "ct.raw").write_bytes(data)
    result = pack(tmp_path / "c.sod", collect_sources([tmp_path / "ct.raw"]), [identity.recipient])
    assert result.entries[0].compression == "zstd+shuffle2"
    unpack(tmp_path / "c.sod", tmp_path / "out", [identity])
    assert (tmp_path / "out" / "ct.raw").read_bytes() == data


def test_incompressible_data_is_decided_without_numpy(tmp_path):
    """numpy costs ~60 ms and ~13 MB to import: random, encrypted or packed documents must not need it."""
    import subprocess
    import sys

    (tmp_path / "random.bin").write_bytes(os.urandom(3 * 1024 * 1024))
    script = (
        "import sys, sodformat\n"
        f"r = sodformat.pack({str(tmp_path / 'c.sod')!r}, "
        f"sodformat.collect_sources([{str(tmp_path / 'random.bin')!r}]),"
        " [sodformat.generate_identity().recipient])\n"
        "assert r.entries[0].compression == 'none'\n"
        "print('numpy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
