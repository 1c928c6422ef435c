"""Pack and unpack each run a hashing thread beside the caller, and packing reads documents that may
still be changing: a document that shrinks or grows mid-pack, a cancel in the middle of one large
document, or a progress report must each behave exactly, and the container file (reserved up front)
must end at exactly the bytes written."""

import os
import threading

import pytest

from sodformat import CancelledError, SodError, collect_sources, pack, unpack, verify

SIZE = 24 * 1024 * 1024  # many blocks and chunks: the reading thread is far from done at the first report


@pytest.fixture
def big(tmp_path):
    path = tmp_path / "in" / "series.raw"
    path.parent.mkdir()
    path.write_bytes(os.urandom(SIZE))
    return path


def _only_inputs_left(tmp_path):
    return sorted(p.name for p in tmp_path.iterdir()) == ["in"]


@pytest.mark.parametrize("change", ["shrink", "grow"])
def test_a_document_changing_while_packed_is_refused(tmp_path, identity, big, change):
    changed = threading.Event()

    def progress(done, total):
        if not changed.is_set():
            changed.set()
            if change == "shrink":
                os.truncate(big, SIZE // 2)
            else:
                with open(big, "ab") as f:
                    f.write(b"late slice")

    with pytest.raises(SodError, match="changed while it was being packed"):
        pack(tmp_path / "c.sod", collect_sources([big]), [identity.recipient], progress=progress)
    assert changed.is_set()
    assert _only_inputs_left(tmp_path)


def test_cancel_stops_both_threads_and_leaves_nothing(tmp_path, identity, big):
    cancel = threading.Event()
    before = threading.active_count()
    with pytest.raises(CancelledError):
        pack(
            tmp_path / "c.sod",
            collect_sources([big]),
            [identity.recipient],
            cancel=cancel,
            progress=lambda done, total: cancel.set(),
        )
    assert _only_inputs_left(tmp_path)
    assert threading.active_count() == before


def test_progress_rises_to_the_total_and_the_file_is_exactly_the_container(tmp_path, identity, big):
    (big.parent / "small.txt").write_text("note\n" * 100)
    reports = []
    result = pack(
        tmp_path / "c.sod",
        collect_sources([big.parent]),
        [identity.recipient],
        progress=lambda done, total: reports.append((done, total)),
    )
    done = [d for d, _ in reports]
    assert done == sorted(done) and len(reports) >= SIZE // (1024 * 1024) // 2
    assert reports[-1] == (SIZE + 500, SIZE + 500)
    assert (tmp_path / "c.sod").stat().st_size == result.bytes_written  # the reservation was given back
    assert verify(tmp_path / "c.sod", [identity]).entries == result.entries


def test_a_large_document_emptied_after_listing_packs_as_empty(tmp_path, identity, big):
    sources = collect_sources([big])
    os.truncate(big, 0)
    result = pack(tmp_path / "c.sod", sources, [identity.recipient])
    assert [(e.name, e.size) for e in verify(tmp_path / "c.sod", [identity]).entries] == [("series.raw", 0)]
    assert result.entries[0].size == 0


def test_cancel_in_the_middle_of_one_large_document_unpacks_nothing(tmp_path, identity, big):
    pack(tmp_path / "c.sod", collect_sources([big]), [identity.recipient])
    cancel = threading.Event()
    seen = []

    def progress(done, total):
        seen.append(done)
        if done > 4 * 1024 * 1024:
            cancel.set()

    before = threading.active_count()
    with pytest.raises(CancelledError):
        unpack(tmp_path / "c.sod", tmp_path / "out", [identity], cancel=cancel, progress=progress)
    assert seen[-1] < SIZE // 2  # stopped soon after the request, not at the end of the document
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.sod", "in"]
    assert threading.active_count() == before
