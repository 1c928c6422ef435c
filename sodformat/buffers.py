"""A fixed set of reusable chunk buffers, shared by the thread that fills them and the hashing thread.

A fresh bytes object per chunk costs an allocation, page faults and cache misses each time; a small
ring of recycled buffers avoids all three and bounds memory: when every buffer is in use, the filling
thread waits for the hashing thread to hand one back.
"""

from __future__ import annotations

import queue


class BufferRing:
    def __init__(self, count: int, size: int):
        self._free: queue.SimpleQueue[bytearray] = queue.SimpleQueue()
        for _ in range(count):
            self._free.put(bytearray(size))

    def acquire(self) -> bytearray:
        """A free buffer, waiting for one to be released if all are in use."""
        return self._free.get()

    def release(self, buf: bytearray) -> None:
        self._free.put(buf)
