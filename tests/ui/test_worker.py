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
    job = (
        Job(lambda progress, cancel: counting(20, progress, cancel))
        if kind == "thread"
        else ProcessJob(counting, (20,))
    )
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


def test_a_cancelled_job_nobody_listens_to_shows_no_message(qtbot):
    """The main window cancels the thumbnail job of a view it replaced: that is not news for the user."""
    job = Job(slow_until_cancelled)
    with qtbot.waitSignal(job.finished, timeout=30000):
        job.start()
        qtbot.wait(100)
        job.cancel()
    assert getattr(job, "failure_box", None) is None


def test_process_errors_keep_their_type_and_details(qtbot):
    job = ProcessJob(unknown_host)
    with qtbot.waitSignal(job.failed, timeout=30000) as blocker:
        job.start()
    exc = blocker.args[0]
    assert isinstance(exc, UnknownHostKey) and exc.fingerprint == "SHA256:abc" and "sftp.example" in str(exc)


def broken(progress, cancel):
    raise ZeroDivisionError("a bug in a worker")


@pytest.mark.parametrize("kind", ["thread", "process"])
def test_running_jobs_are_registered_until_they_end(qtbot, kind):
    from sodclient.ui.worker import running_jobs

    job = Job(slow_until_cancelled) if kind == "thread" else ProcessJob(slow_until_cancelled)
    job.failed.connect(lambda exc: None)
    job.start()
    assert job in running_jobs()
    with qtbot.waitSignal(job.finished, timeout=30000):
        job.cancel()
    assert job not in running_jobs()


@pytest.mark.parametrize("kind", ["thread", "process"])
def test_an_unhandled_failure_is_shown_and_logged_with_its_traceback(qtbot, kind, tmp_path):
    """Nobody connected `failed`: the user still gets one plain line, the log gets the worker's traceback
    (from the child process too)."""
    from sodclient.logs import setup_logging

    log_file = setup_logging(tmp_path / "logs")
    job = Job(broken) if kind == "thread" else ProcessJob(broken)
    with qtbot.waitSignal(job.finished, timeout=30000):
        job.start()
    box = job.failure_box
    qtbot.addWidget(box)
    assert "unexpected problem stopped the broken" in box.text() and "Open Log Folder" in box.text()
    text = log_file.read_text()
    assert "ZeroDivisionError" in text and "def broken" not in text and "line " in text and "broken" in text
