"""Constant memory: packing and opening a 1 GiB document holds only a few chunks at a time.

Measured with tracemalloc (Python-level allocations, where chunk buffers live), so the bound is
independent of machine speed. The input is a sparse file: 1 GiB to read, no disk to fill.
"""

import tracemalloc

from sodformat import collect_sources, pack, verify

GIB = 1024**3
BOUND = 48 * 1024 * 1024  # a few 1 MiB chunks and blocks, with plenty of slack; far below 1 GiB


def test_pack_and_verify_1gib_in_bounded_memory(tmp_path, identity):
    big = tmp_path / "sparse.bin"
    with open(big, "wb") as f:
        f.truncate(GIB)
        f.seek(GIB - 5)
        f.write(b"tail!")
    tracemalloc.start()
    try:
        result = pack(tmp_path / "c.sod", collect_sources([big]), [identity.recipient], level=1)
        _, pack_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        contents = verify(tmp_path / "c.sod", [identity])
        _, verify_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.entries[0].size == GIB and contents.entries == result.entries
    assert pack_peak < BOUND, pack_peak
    assert verify_peak < BOUND, verify_peak
