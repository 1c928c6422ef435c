"""The client's one error vocabulary: every failure a user can act on derives from `UserError`.

Each subclass names a *kind* of failure, never an exit code: the command line maps kinds to exit codes
in one table (`sodclient.commands.exit_codes`), the UI shows the message. Every error can cross a
process boundary (the UI runs sends in a child process), which is why `UserError` pickles itself.
"""

from __future__ import annotations

from typing import Any


def _rebuild(cls: type[Exception], message: str, state: dict[str, Any]) -> Exception:
    exc = cls.__new__(cls)
    Exception.__init__(exc, message)
    exc.__dict__.update(state)
    return exc


class Picklable:
    """Lets errors with their own __init__ cross a process boundary: rebuilt from message and attributes."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), str(self), dict(self.__dict__)))


class UserError(Picklable, Exception):
    """A failure the user can understand and act on: one plain-language line."""


class InputError(UserError):
    """The request itself is wrong: a bad argument, path, address or setting. Fix the input and retry."""


class SecureStoreError(UserError):
    """The OS keyring (or what it protects) is missing or does not open the user's files."""


class TransferError(UserError):
    """Base class of every connection, server and upload diagnosis (see `sodclient.transport.errors`)."""

    retryable = False  # whether waiting and trying again may help
    # Set by an upload that failed after writing: every byte below it was acknowledged written, so a later
    # retry resumes from at most here (a hole may lie below the size the server reports). None: not known.
    resume_below: int | None = None


class PeerReviewLeftOut(UserError):
    """Peer Review could not make every input safe; the sender must look at the report first."""

    def __init__(self, report: Any):
        self.report = report
        super().__init__(
            f"Peer Review left {len(report.left_out)} input(s) out as not safe to send; nothing was "
            "sent. Review the report, then send the rest anyway (--yes) or fix the inputs"
        )


class AuditDamaged(UserError):
    """The audit trail's chain does not verify: records were edited, removed or reordered."""


class LibraryError(UserError):
    """The local library could not file, find or write documents."""


class UploadPending(TransferError):
    """The upload could not finish; the encrypted container is kept and the outbox retry resumes it."""

    def __init__(self, cause: TransferError, outbox_id: str):
        self.cause, self.outbox_id = cause, outbox_id
        self.retryable = cause.retryable
        super().__init__(
            f"{cause} - the encrypted container is kept; `sodclient outbox retry` (or Retry in the "
            "app) resumes the upload where it stopped and then sends the mail"
        )
