"""Reserving a container's disk space before writing it.

On ext4 a file whose blocks are already allocated takes writes with less work per page than a growing
one (writing 1 GiB in 256 KiB pieces: 0.37 -> 0.27 s of kernel time here). The reservation is only an
optimisation: where it cannot be made, the file grows as it is written, and a disk that really is too
full fails the write itself, which pack reports.
"""

from __future__ import annotations

import sys


def _linux_fallocate():
    """The fallocate(2) call itself. Not os.posix_fallocate: where a file system cannot allocate
    (network shares, FAT), glibc emulates it by writing into every block, which is slow and pointless."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    call = getattr(libc, "fallocate64", None) or libc.fallocate  # 64-bit offsets on every ABI
    call.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
    return call


def preallocate(fd: int, nbytes: int) -> None:
    """Reserve up to `nbytes` for the file open at `fd`; the caller truncates to the real size at the
    end. `nbytes` is an upper bound (documents may compress), so a refusal (a disk too full for the
    bound, or no support) is not an error: writing goes on without the reservation."""
    if not sys.platform.startswith("linux") or nbytes <= 0:
        return
    try:
        _linux_fallocate()(fd, 0, 0, nbytes)
    except (OSError, AttributeError):
        return
