"""The `sodclient deid` command and the all-or-nothing promise of run_peer_review."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sodclient.deid import run_peer_review
from sodclient.errors import UserError
from sodclient.progress import CancelToken
from sodformat.errors import CancelledError
from tests.deid.conftest import FAMILY, copy_sample, make_pdf


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "sodclient", "deid", *map(str, args)], capture_output=True, text=True, timeout=120
    )


def test_cli_exit_0_when_all_safe(tmp_path):
    copy_sample("CT_small.dcm", tmp_path / "a.dcm")
    result = _cli("-o", tmp_path / "out", tmp_path / "a.dcm")
    assert result.returncode == 0, result.stderr
    assert "1 de-identified output" in result.stdout
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["00001.dcm"]


def test_cli_exit_5_lists_left_out_on_stderr(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    copy_sample("CT_small.dcm", src / "a.dcm")
    make_pdf(src / f"{FAMILY}.pdf", with_text=True)
    result = _cli("-o", tmp_path / "out", src)
    assert result.returncode == 5  # Peer Review left inputs out (the exit-code table)
    left = [line for line in result.stderr.splitlines() if line.startswith("left out:")]
    assert len(left) == 1 and "text" in left[0]
    assert FAMILY not in result.stdout  # the report itself names no one


def test_cli_errors_are_one_line(tmp_path):
    result = _cli("-o", tmp_path / "out", tmp_path / "missing")
    assert result.returncode not in (0, 3)
    assert result.stderr.strip().count("\n") == 0 and result.stderr.startswith("sodclient: error:")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    copy_sample("CT_small.dcm", tmp_path / "a.dcm")
    result = _cli("-o", tmp_path / "full", tmp_path / "a.dcm")
    assert result.returncode == 2 and "empty" in result.stderr


class _CancelAfter(CancelToken):
    """A real token that the 'user' cancels after `n` checks, i.e. mid-run, deterministically."""

    def __init__(self, n: int):
        super().__init__()
        self.n = n

    def raise_if_cancelled(self) -> None:
        self.n -= 1
        if self.n < 0:
            self.cancel()
        super().raise_if_cancelled()


@pytest.mark.parametrize("checks", [1, 3, 4, 5, 6])  # while cleaning; during and after the final scan
def test_cancel_leaves_nothing_behind(tmp_path, checks):
    for i in range(3):
        copy_sample("CT_small.dcm", tmp_path / f"{i}.dcm")
    seen = []
    out = tmp_path / "out"
    with pytest.raises(CancelledError):
        run_peer_review(
            [tmp_path / f"{i}.dcm" for i in range(3)], out, progress=seen.append, cancel=_CancelAfter(checks)
        )
    assert not out.exists()  # created by the run, so removed again
    assert seen and all(r.stage == "deidentify" for r in seen)


def test_existing_empty_out_dir_kept_empty_on_cancel(tmp_path):
    copy_sample("CT_small.dcm", tmp_path / "a.dcm")
    out = tmp_path / "out"
    out.mkdir()
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        run_peer_review([tmp_path / "a.dcm"], out, cancel=token)
    assert list(out.iterdir()) == []


def test_output_folder_inside_input_folder_is_not_read_back(tmp_path):
    copy_sample("CT_small.dcm", tmp_path / "a.dcm")
    report = run_peer_review([tmp_path], tmp_path / "out")
    assert report.inputs == 1 and report.all_safe


def test_non_empty_out_dir_refused(tmp_path):
    copy_sample("CT_small.dcm", tmp_path / "a.dcm")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("x")
    with pytest.raises(UserError):
        run_peer_review([tmp_path / "a.dcm"], tmp_path / "out")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["keep.txt"]


def test_damaged_and_hostile_inputs_are_left_out_not_fatal(tmp_path):
    from tests.deid.conftest import make_jpeg, sample

    good = copy_sample("CT_small.dcm", tmp_path / "good.dcm")
    data = sample("CT_small.dcm").read_bytes()
    (tmp_path / "truncated.dcm").write_bytes(data[:700])
    (tmp_path / "garbage.dcm").write_bytes(b"\x00" * 50 + b"nonsense" * 40)
    (tmp_path / "empty").write_bytes(b"")
    jpeg = make_jpeg(tmp_path / "x.jpg")
    (tmp_path / "x.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    (tmp_path / "fake.pdf").write_bytes(b"%PDF-1.7\n garbage")
    inputs = [
        good,
        tmp_path / "truncated.dcm",
        tmp_path / "garbage.dcm",
        tmp_path / "empty",
        tmp_path / "x.jpg",
        tmp_path / "fake.pdf",
    ]
    report = run_peer_review(inputs, tmp_path / "out")
    assert [c.label for c in report.changes] == ["input 1"]
    assert len(report.left_out) == 5
    assert all(item.reason for item in report.left_out)


def test_system_files_in_folders_are_skipped_and_noted(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    copy_sample("CT_small.dcm", src / "a.dcm")
    (src / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (src / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
    (src / "._a.dcm").write_bytes(b"\x00\x05\x16\x07")
    report = run_peer_review([src], tmp_path / "out")
    assert report.all_safe and report.inputs == 1
    assert "3 operating-system file(s)" in report.to_text()
    # given explicitly, such a file is an input like any other, and is left out
    report = run_peer_review([src / "Thumbs.db"], tmp_path / "out2")
    assert len(report.left_out) == 1
