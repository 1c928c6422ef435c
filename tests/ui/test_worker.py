"""The one way background work runs: Job (thread) and ProcessJob (child process), with real calls."""

from __future__ import annotations

import time

import pytest

from sodclient.progress import ProgressReport
from sodclient.transport.errors import UnknownHostKey
from sodclient.ui.worker import Job, ProcessJob
from sodformat.errors import CancelledError


def counting(n, progress, cancel):
    for i in range(n):
        cancel.raise_if_cancelled()
        progress(ProgressReport("count", i + 1, n))
        time.sleep(0.01)
    return n * 2


def slow_until_cancelled(progress, cancel):
    for _ in range(3000):
        cancel.raise_if_cancelled()
        time.sleep(0.01)
    return "not cancelled"


def unknown_host(progress, cancel):
    raise UnknownHostKey("sftp.example", "SHA256:abc", "ssh-ed25519")


@pytest.mark.parametrize("kind", ["thread", "process"])
def test_result_and_progress_reach_the_gui_thread(qtbot, kind):
    job = Job(lambda progress, cancel: counting(20, progress, cancel)) if kind == "thread" \
        else ProcessJob(counting, (20,))
    seen = []
    job.progressed.connect(seen.append)
    with qtbot.waitSignal(job.succeeded, timeout=30000) as blocker:
        job.start()
    assert blocker.args == [40] and seen and seen[-1].done == 20 and not job.running


@pytest.mark.parametrize("kind", ["thread", "process"])
def test_cancel_stops_the_work(qtbot, kind):
    job = Job(slow_until_cancelled) if kind == "thread" else ProcessJob(slow_until_cancelled)
    with qtbot.waitSignal(job.failed, timeout=30000) as blocker:
        job.start()
        qtbot.wait(300)
        job.cancel()
    assert isinstance(blocker.args[0], CancelledError)


def test_process_errors_keep_their_type_and_details(qtbot):
    job = ProcessJob(unknown_host)
    with qtbot.waitSignal(job.failed, timeout=30000) as blocker:
        job.start()
    exc = blocker.args[0]
    assert isinstance(exc, UnknownHostKey) and exc.fingerprint == "SHA256:abc" and "sftp.example" in str(exc)
