"""The one way sodformat runs work beside the caller (an in-order worker thread), and the test for a
cancel request."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Protocol


class CancelFlag(Protocol):
    """What sodformat accepts as `cancel`: a threading.Event, or anything read the same way
    (sodclient's CancelToken)."""

    def is_set(self) -> bool: ...


def is_cancelled(cancel: CancelFlag | None) -> bool:
    return cancel is not None and cancel.is_set()


class InOrder:
    """Runs calls in one background thread, strictly in the order they were given.

    Pack and unpack hash documents this way: the hashing (which releases the GIL) runs beside the
    thread that reads, encrypts or decrypts, and writes; a buffer handed back after its pieces were
    queued for hashing is only reused once they were hashed. At most `depth` calls wait: call() blocks beyond that,
    which bounds the memory their arguments hold. The first error is raised again by drain()."""

    def __init__(self, name: str, depth: int = 16):
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._slots: queue.SimpleQueue = queue.SimpleQueue()  # tokens: C-level, unlike threading.Semaphore
        for _ in range(depth):
            self._slots.put(None)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True, name=name)
        self._thread.start()

    def call(self, fn: Callable, *args) -> None:
        self._slots.get()
        self._queue.put((fn, args))

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            fn, args = item
            try:
                fn(*args)
            except BaseException as exc:
                self._error = self._error or exc
            finally:
                self._slots.put(None)

    def drain(self) -> None:
        """Wait until every call given so far has run."""
        done = threading.Event()
        self.call(done.set)
        done.wait()
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
