"""Progress and cancellation shared by every long operation (Peer Review, pack, upload, import).

Core services take a `ProgressSink` callable and a `CancelToken`; the CLI prints the reports,
the Qt UI forwards them to the GUI thread. This is the one way background work reports back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sodformat.errors import CancelledError


@dataclass(frozen=True)
class ProgressReport:
    stage: str  # "deidentify", "pack", "upload", "notify", "import", ...
    done: int  # units done (bytes unless the stage says otherwise)
    total: int | None  # None when unknown
    rate: float | None = None  # units per second, smoothed
    eta_s: float | None = None  # seconds left, when total and rate are known
    detail: str = ""  # short, PHI-free text (never a patient name or file name)


ProgressSink = Callable[[ProgressReport], None]


def no_progress(_report: ProgressReport) -> None:
    """The sink used when nobody is listening."""


class CancelToken:
    """Set by the user (Cancel button, Ctrl-C) or by a failing sibling stage; checked by workers between chunks.

    `child()` gives a token that is cancelled with its parent but can also be cancelled alone, so one stage
    of a pipeline can stop the others without cancelling what the user asked for. It has the
    `threading.Event` reading interface (`is_set()`), which is what `sodformat` accepts.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._children: list[CancelToken] = []
        self._lock = threading.Lock()

    def cancel(self) -> None:
        with self._lock:
            self._event.set()
            children = list(self._children)
        for child in children:
            child.cancel()

    def child(self) -> CancelToken:
        token = CancelToken()
        with self._lock:
            self._children.append(token)
            cancelled = self._event.is_set()
        if cancelled:
            token.cancel()
        return token

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise CancelledError("cancelled by the user")

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds` (for retry backoff); True if cancelled meanwhile."""
        return self._event.wait(seconds)


class RateMeter:
    """Turns (done, total) samples into a report with a smoothed rate and time left."""

    def __init__(self, stage: str, total: int | None, sink: ProgressSink, min_interval: float = 0.1):
        self.stage, self.total, self.sink = stage, total, sink
        self._t0 = self._last_emit = time.monotonic()
        self._rate: float | None = None
        self._last_done = 0
        self._last_t = self._t0
        self._min_interval = min_interval

    def update(self, done: int, detail: str = "", force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_emit < self._min_interval:
            return
        dt = now - self._last_t
        if dt > 0:
            inst = (done - self._last_done) / dt
            self._rate = inst if self._rate is None else 0.7 * self._rate + 0.3 * inst
        self._last_done, self._last_t, self._last_emit = done, now, now
        eta = None
        if self.total is not None and self._rate:
            eta = max(0.0, (self.total - done) / self._rate)
        self.sink(ProgressReport(self.stage, done, self.total, self._rate, eta, detail))
