"""The two ways one input can fail in Peer Review, kept apart on purpose.

`NotSafe`: the input cannot be released (its reason, PHI-free, goes into the report); the run goes on.
`StagingWriteError`: writing our own cleaned copy failed (disk full); not the input's fault, so the whole
run fails and nothing is left behind.
"""


class NotSafe(Exception):
    """The input cannot be released; the message is a PHI-free reason for the report."""


class StagingWriteError(Exception):
    """Writing a cleaned copy into the staging folder failed."""
