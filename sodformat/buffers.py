"""A fixed set of reusable buffers passed between the I/O thread and the crypto thread.

Fresh 1 MiB bytes objects per chunk cost an allocation, page faults and a cache miss each time; a
small ring of recycled buffers avoids all three and bounds memory: when every buffer is in use, the
producer waits for the consumer to hand one back.
"""

from __future__ import annotations

import queue
import threading


class BufferRing:
    def __init__(self, count: int, size: int):
        self.size = size
        self._free: queue.SimpleQueue[bytearray] = queue.SimpleQueue()
        for _ in range(count):
            self._free.put(bytearray(size))

    def acquire(self, stop: threading.Event | None = None) -> bytearray | None:
        """A free buffer; None if `stop` is set while waiting (the consumer has gone away)."""
        while True:
            try:
                return self._free.get(timeout=0.1)
            except queue.Empty:
                if stop is not None and stop.is_set():
                    return None

    def release(self, buf: bytearray) -> None:
        self._free.put(buf)
