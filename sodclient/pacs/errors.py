"""What can go wrong talking to a PACS, as kinds of TransferError with one plain line each."""

from __future__ import annotations

from sodclient.errors import TransferError


class PacsError(TransferError):
    """A PACS operation did not succeed."""


class PacsUnreachable(PacsError):
    """Nothing answered at the node's address (network, firewall, wrong host or port)."""

    retryable = True


class PacsRefused(PacsError):
    """The node answered but refused us: AE titles not configured there, wrong user name or password."""


class PacsFailed(PacsError):
    """The node accepted the request but the operation failed or was incomplete."""
