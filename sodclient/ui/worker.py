"""The one way the UI runs long work: a core call on a pool thread, reporting back through signals.

The core call takes `progress` and `cancel` (sodclient.progress). Reports are forwarded to the GUI
thread by a queued signal and coalesced, so a fast producer can never flood the event loop.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

from sodclient.progress import CancelToken, ProgressReport

_POOL: QThreadPool | None = None


def pool() -> QThreadPool:
    global _POOL
    if _POOL is None:
        _POOL = QThreadPool()
        _POOL.setMaxThreadCount(4)
    return _POOL


class _Bridge(QObject):
    """Lives in the GUI thread; the pool thread emits, Qt queues the calls to here."""

    done = Signal(object)
    error = Signal(object)


class _Runnable(QRunnable):
    def __init__(self, job: "Job"):
        super().__init__()
        self.job = job
        self.setAutoDelete(True)

    def run(self) -> None:
        job = self.job
        try:
            result = job.fn(progress=job._report, cancel=job.cancel_token)
        except BaseException as exc:  # delivered to the GUI as a failure, never swallowed
            job._bridge.error.emit(exc)
        else:
            job._bridge.done.emit(result)


class Job(QObject):
    """One background call. Connect to progressed/succeeded/failed, then start()."""

    progressed = Signal(object)   # ProgressReport, at most ~20 per second per stage
    succeeded = Signal(object)
    failed = Signal(object)       # the exception
    finished = Signal()           # after succeeded or failed

    def __init__(self, fn: Callable[..., Any], parent: QObject | None = None):
        super().__init__(parent)
        self.fn = fn
        self.cancel_token = CancelToken()
        self.running = False
        self._latest: dict[str, ProgressReport] = {}   # newest report per stage (pack and upload overlap)
        self._lock = threading.Lock()
        self._bridge = _Bridge()
        self._bridge.done.connect(self._on_done)
        self._bridge.error.connect(self._on_error)
        self._tick = QTimer(self)
        self._tick.setInterval(50)
        self._tick.timeout.connect(self._flush)

    def _report(self, report: ProgressReport) -> None:  # called on the worker thread
        with self._lock:
            self._latest[report.stage] = report

    @Slot()
    def _flush(self) -> None:
        with self._lock:
            reports, self._latest = list(self._latest.values()), {}
        for report in reports:
            self.progressed.emit(report)

    def start(self) -> "Job":
        self.running = True
        self._tick.start()
        pool().start(_Runnable(self))
        return self

    def cancel(self) -> None:
        self.cancel_token.cancel()

    def _end(self) -> None:
        self._tick.stop()
        self._flush()
        self.running = False

    @Slot(object)
    def _on_done(self, result: object) -> None:
        self._end()
        self.succeeded.emit(result)
        self.finished.emit()

    @Slot(object)
    def _on_error(self, exc: object) -> None:
        self._end()
        self.failed.emit(exc)
        self.finished.emit()


def run_job(fn: Callable[..., Any], parent: QObject | None = None, *, on_progress=None, on_success=None,
            on_failure=None) -> Job:
    """Convenience: build, connect and start a Job."""
    job = Job(fn, parent)
    if on_progress:
        job.progressed.connect(on_progress)
    if on_success:
        job.succeeded.connect(on_success)
    if on_failure:
        job.failed.connect(on_failure)
    return job.start()
