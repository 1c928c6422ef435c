"""The command line's exit codes, in one table: each code means one thing, and only the CLI maps
errors to codes (the core raises kinds of error, never numbers). README lists the same table."""

from __future__ import annotations

from enum import IntEnum

from sodclient.errors import (
    AuditDamaged,
    InputError,
    LibraryError,
    PeerReviewLeftOut,
    SecureStoreError,
    TransferError,
    UserError,
)
from sodformat.errors import CancelledError, SodError


class Exit(IntEnum):
    OK = 0
    FAILED = 1  # an unexpected failure (a bug): see the log
    BAD_INPUT = 2  # a bad argument, path, address or setting
    SECURE_STORE = 3  # no OS keyring, or the encrypted files do not open with it
    SERVER = 4  # connection, server or upload problem (the message says which)
    LEFT_OUT = 5  # Peer Review left inputs out; nothing was sent
    AUDIT_DAMAGED = 6  # the audit trail does not verify
    MAIL_QUEUED = 7  # uploaded; the notification waits in the outbox
    CONTAINER_REFUSED = 8  # a .sod that is damaged, expired, or does not open with the key given
    LIBRARY = 9  # the library could not file or find documents
    CANCELLED = 130  # cancelled (Ctrl-C); nothing was left half-done


# Most specific first: the first class an error is an instance of decides its code.
_TABLE: list[tuple[type[BaseException], Exit]] = [
    (CancelledError, Exit.CANCELLED),
    (KeyboardInterrupt, Exit.CANCELLED),
    (PeerReviewLeftOut, Exit.LEFT_OUT),
    (AuditDamaged, Exit.AUDIT_DAMAGED),
    (SecureStoreError, Exit.SECURE_STORE),
    (TransferError, Exit.SERVER),
    (InputError, Exit.BAD_INPUT),
    (LibraryError, Exit.LIBRARY),
    (SodError, Exit.CONTAINER_REFUSED),
    (UserError, Exit.FAILED),
]


def exit_code_for(exc: BaseException) -> Exit:
    return next((code for kind, code in _TABLE if isinstance(exc, kind)), Exit.FAILED)


def table() -> list[tuple[int, str]]:
    """(code, meaning) for `sodclient --help` and the README."""
    return [(int(code), code.name.lower().replace("_", " ")) for code in Exit]
