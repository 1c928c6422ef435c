"""The one way sodformat runs work beside the caller: a producer thread that stays a few items ahead
of the consumer, with bounded memory, its errors handed over, and a clean stop when the consumer
gives up early."""

from __future__ import annotations

import queue
import threading
from typing import Callable


class Stopped(Exception):
    """Raised inside the producer when the consumer has closed: the producer just unwinds."""


def is_cancelled(cancel) -> bool:
    """`cancel` is None, a threading.Event, or anything with a `cancelled` attribute (sodclient's token)."""
    if cancel is None:
        return False
    return cancel.is_set() if hasattr(cancel, "is_set") else bool(cancel.cancelled)


class Prefetch:
    """Runs `produce(put, stop)` in a thread; iterating yields what it put, in order.

    The queue between the two is unbounded because every producer here is already bounded by the
    buffers it takes from a BufferRing (which waits for the consumer to hand them back); a C-level
    SimpleQueue then costs about a microsecond per item where a bounded queue.Queue costs several.
    `put(item)` raises Stopped once the consumer has closed; a producer that waits for anything
    (a free buffer) should give up when the event `stop` is set."""

    _DONE = object()

    def __init__(self, produce: Callable[[Callable[[object], None], threading.Event], None], *, name: str):
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self.stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(produce,), daemon=True, name=name)
        self._thread.start()

    def _put(self, item) -> None:
        if self.stop.is_set():
            raise Stopped
        self._queue.put(item)

    def _run(self, produce) -> None:
        try:
            produce(self._put, self.stop)
        except Stopped:
            return
        except BaseException as exc:  # handed to the consumer, which raises it
            self._queue.put(exc)
            return
        self._queue.put(self._DONE)

    def __iter__(self):
        while True:
            item = self._queue.get()
            if item is self._DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        self.stop.set()
        self._thread.join()


class InOrder:
    """Runs calls in one background thread, strictly in the order they were given.

    Unpack hashes documents this way: the hashing (which releases the GIL) then runs beside the
    thread that parses and writes, and a buffer handed back after its pieces were queued for hashing
    is only reused once they were hashed. The first error is raised again by drain()."""

    def __init__(self, name: str):
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True, name=name)
        self._thread.start()

    def call(self, fn: Callable, *args) -> None:
        self._queue.put((fn, args))

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            fn, args = item
            try:
                fn(*args)
            except BaseException as exc:
                self._error = self._error or exc

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
