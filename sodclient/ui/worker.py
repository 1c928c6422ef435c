"""The one way the UI runs long work: a service call on a pool thread (or a child process), reporting
back through signals.

The call takes `progress` and `cancel` (sodclient.progress). Reports are forwarded to the GUI thread by a
queued signal and coalesced, so a fast producer can never flood the event loop. Every running job is in
`running_jobs()` (the main window asks before quitting; tests ask it too). A failure nobody handles still
reaches the user (a plain message) and the support log (with the traceback, from a child process too).
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import pickle
import threading
import traceback
from collections.abc import Callable
from queue import Empty
from typing import Any

from PySide6.QtCore import SIGNAL, QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

from sodclient.errors import UserError
from sodclient.progress import CancelToken, ProgressReport
from sodformat.errors import CancelledError, SodError

log = logging.getLogger("sodclient.ui.jobs")
_POOL: QThreadPool | None = None
_RUNNING: set[Job] = set()


def running_jobs() -> list[Job]:
    """The jobs started and not yet finished, oldest first."""
    return sorted(_RUNNING, key=lambda j: j.serial)


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
    def __init__(self, job: Job):
        super().__init__()
        self.job = job
        self.setAutoDelete(True)

    def run(self) -> None:
        job = self.job
        try:
            result = job.fn(progress=job._report, cancel=job.cancel_token)
        except BaseException as exc:  # delivered to the GUI as a failure, never swallowed
            job.trace = traceback.format_exc()
            job._bridge.error.emit(exc)
        else:
            job._bridge.done.emit(result)


class Job(QObject):
    """One background call. Connect to progressed/succeeded/failed, then start()."""

    progressed = Signal(object)  # ProgressReport, at most ~20 per second per stage
    succeeded = Signal(object)
    failed = Signal(object)  # the exception
    finished = Signal()  # after succeeded or failed

    _serials = 0

    def __init__(self, fn: Callable[..., Any], parent: QObject | None = None, *, title: str = ""):
        super().__init__(parent)
        Job._serials += 1
        self.serial = Job._serials
        self.fn = fn
        self.title = title or getattr(fn, "__name__", "background task")  # PHI-free: names the task, not data
        self.cancel_token = CancelToken()
        self.running = False
        self.trace = ""  # the worker's traceback when it failed (for the support log)
        self._latest: dict[str, ProgressReport] = {}  # newest report per stage (pack and upload overlap)
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

    def _begin(self) -> None:
        self.running = True
        _RUNNING.add(self)
        self._tick.start()
        log.info("job %d started: %s", self.serial, self.title)

    def start(self) -> Job:
        self._begin()
        pool().start(_Runnable(self))
        return self

    def cancel(self) -> None:
        self.cancel_token.cancel()

    def _end(self) -> None:
        self._tick.stop()
        self._flush()
        self.running = False
        _RUNNING.discard(self)

    @Slot(object)
    def _on_done(self, result: object) -> None:
        self._end()
        self.succeeded.emit(result)
        self.finished.emit()

    @Slot(object)
    def _on_error(self, exc: object) -> None:
        self._end()
        if isinstance(exc, (UserError, SodError)):  # expected: a diagnosis the user acts on, or a cancel
            log.info("job %d ended: %s", self.serial, type(exc).__name__)
        else:
            log.error("job %d failed: %s\n%s", self.serial, type(exc).__name__, self.trace)
        if self.receivers(SIGNAL("failed(PyObject)")) == 0 and not isinstance(exc, CancelledError):
            _default_failure(self, exc)  # a cancel was asked for (a thumbnail job the view replaced): no news
        self.failed.emit(exc)
        self.finished.emit()


def _default_failure(job: Job, exc: object) -> None:
    """Nobody handles this job's failure: tell the user in one plain line rather than lose it."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    from sodclient.ui.common import plain_error

    parent = QApplication.activeWindow()
    if isinstance(exc, (UserError, SodError)):
        text = plain_error(exc)
    else:  # a bug: its own words would mean nothing to a clinician
        text = f"An unexpected problem stopped the {job.title}. Details are in the log (Help → Open Log Folder)."
    box = QMessageBox(QMessageBox.Warning, "SOD Send", text, QMessageBox.Ok, parent)
    box.setObjectName("job-failure")
    box.open()
    job.failure_box = box


def run_job(
    fn: Callable[..., Any],
    parent: QObject | None = None,
    *,
    on_progress=None,
    on_success=None,
    on_failure=None,
    title: str = "",
) -> Job:
    """Convenience: build, connect and start a Job."""
    job = Job(fn, parent, title=title)
    if on_progress:
        job.progressed.connect(on_progress)
    if on_success:
        job.succeeded.connect(on_success)
    if on_failure:
        job.failed.connect(on_failure)
    return job.start()


# -- work that must not share the GIL with the GUI ---------------------------------------------------------
# Some core steps hold Python's GIL for a long time inside C code: the Argon2id key derivation of a
# passphrase blocks every Python thread for ~0.3 s, which would freeze the window. Those run as a
# ProcessJob: the same signals, but the call runs in a spawned child process and sends its progress,
# result or error back through a queue. Cancel reaches the child through an Event.


def _freeze_error(exc: BaseException) -> tuple:
    attrs: dict[str, Any] = {"_trace": traceback.format_exc()}
    for k, v in vars(exc).items():
        try:
            pickle.dumps(v)
        except Exception:
            continue
        attrs[k] = v
    return type(exc).__module__, type(exc).__qualname__, str(exc), attrs


def _thaw_error(frozen: tuple) -> BaseException:
    module, qualname, message, attrs = frozen
    try:
        cls = getattr(importlib.import_module(module), qualname)
        exc = cls.__new__(cls)
        Exception.__init__(exc, message)
        exc.__dict__.update(attrs)
        return exc
    except Exception:
        exc = UserError(message)
        exc._trace = attrs.get("_trace", "")  # type: ignore[attr-defined]
        return exc


def _child_main(fn, args, kwargs, queue, cancel_event) -> None:
    token = CancelToken()

    def watch() -> None:
        cancel_event.wait()
        token.cancel()

    threading.Thread(target=watch, daemon=True).start()
    try:
        result = fn(*args, progress=lambda r: queue.put(("progress", r)), cancel=token, **kwargs)
    except BaseException as exc:
        queue.put(("error", _freeze_error(exc)))
    else:
        try:
            queue.put(("ok", result))
        except Exception as exc:  # an unpicklable result is a programming error: say so, do not hang
            queue.put(("error", _freeze_error(RuntimeError(f"result could not be returned: {exc}"))))


class _ProcessRunnable(QRunnable):
    def __init__(self, job: ProcessJob):
        super().__init__()
        self.job = job
        self.setAutoDelete(True)

    def run(self) -> None:
        job = self.job
        ctx = multiprocessing.get_context("spawn")
        queue, cancel_event = ctx.Queue(), ctx.Event()
        proc = ctx.Process(
            target=_child_main,
            args=(job.fn, job.args, job.kwargs, queue, cancel_event),
            daemon=True,
            name="sodsend-worker",
        )
        proc.start()
        outcome = None
        while outcome is None:
            if job.cancel_token.cancelled:
                cancel_event.set()
            try:
                kind, payload = queue.get(timeout=0.1)
            except Empty:
                if not proc.is_alive():
                    try:
                        kind, payload = queue.get(timeout=0.5)
                    except Empty:
                        outcome = (
                            "error",
                            UserError(
                                "The background task stopped unexpectedly; nothing was "
                                f"changed (exit code {proc.exitcode})."
                            ),
                        )
                        break
                else:
                    continue
            if kind == "progress":
                job._report(payload)
            elif kind == "ok":
                outcome = ("ok", payload)
            else:
                outcome = ("error", _thaw_error(payload))
                job.trace = getattr(outcome[1], "_trace", "")  # the child's traceback, for the support log
        proc.join(10)
        if outcome[0] == "ok":
            job._bridge.done.emit(outcome[1])
        else:
            job._bridge.error.emit(outcome[1])


class ProcessJob(Job):
    """A Job whose call runs in a child process: `fn` must be a module-level function and its
    arguments and result picklable; it is called as fn(*args, progress=..., cancel=..., **kwargs)."""

    def __init__(
        self,
        fn: Callable[..., Any],
        args: tuple = (),
        kwargs: dict | None = None,
        parent: QObject | None = None,
        *,
        title: str = "",
    ):
        super().__init__(fn, parent, title=title)
        self.args, self.kwargs = args, kwargs or {}

    def start(self) -> ProcessJob:
        self._begin()
        pool().start(_ProcessRunnable(self))
        return self
