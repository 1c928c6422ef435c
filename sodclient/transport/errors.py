"""Typed, plain-language diagnoses of what went wrong on the way to the server.

Each failure a user or admin can act on has its own class, so the UI can offer the right next
step (e.g. "Trust this server?" for UnknownHostKey) and the CLI prints one clear line.
"""

from __future__ import annotations

from sodclient.errors import TransferError

__all__ = ["TransferError"]  # the base lives in the shared error module; the diagnoses live here


class UnknownHostKey(TransferError):
    def __init__(self, host: str, fingerprint: str, key_type: str):
        self.host, self.fingerprint, self.key_type = host, fingerprint, key_type
        super().__init__(
            f"the server {host} is not yet trusted; its {key_type} key fingerprint is {fingerprint}. "
            "Compare it with the one your IT department gave you, then trust it "
            f"(sodclient trust-host --fingerprint {fingerprint})")


class HostKeyChanged(TransferError):
    def __init__(self, host: str, fingerprint: str, expected: str):
        self.host, self.fingerprint, self.expected = host, fingerprint, expected
        super().__init__(
            f"the server {host} presented a different key than before ({fingerprint}, expected {expected}). "
            "This can mean someone is intercepting the connection. Nothing was sent. "
            "Ask your IT department before trusting the new key")


class FingerprintMismatch(TransferError):
    def __init__(self, host: str, fingerprint: str, given: str):
        self.fingerprint = fingerprint
        super().__init__(f"the server {host} has fingerprint {fingerprint}, not the {given} you gave; "
                         "it was not trusted")


class AuthFailed(TransferError):
    def __init__(self, what: str = "server"):
        super().__init__(f"the {what} rejected the user name, password or key; check them in FTP Config")


class PortClosed(TransferError):
    retryable = True

    def __init__(self, host: str, port: int):
        super().__init__(f"nothing answers on {host} port {port} (connection refused): the service is down "
                         "or the port number is wrong")


class Timeout(TransferError):
    retryable = True

    def __init__(self, host: str, port: int, during: str = "connecting"):
        super().__init__(f"no answer from {host} port {port} while {during}: the network is slow or down, "
                         "or a firewall blocks the port")


class DnsFailure(TransferError):
    def __init__(self, host: str):
        super().__init__(f"the server name {host!r} cannot be found: check the spelling, or the computer's "
                         "network/DNS connection")


class ConnectionLost(TransferError):
    retryable = True

    def __init__(self, host: str):
        super().__init__(f"the connection to {host} was lost during the transfer")


class RemoteFolderMissing(TransferError):
    def __init__(self, folder: str):
        super().__init__(f"the folder {folder!r} does not exist on the server; check the SFTP remote folder in FTP Config")


class PermissionDenied(TransferError):
    def __init__(self, folder: str):
        super().__init__(f"the account may not write to {folder!r} on the server; ask the server's admin")


class DiskFull(TransferError):
    def __init__(self, needed: int | None = None, free: int | None = None):
        extra = ""
        if needed is not None and free is not None:
            extra = f" ({needed / 1e6:.1f} MB needed, {free / 1e6:.1f} MB free)"
        super().__init__("the server's disk is full" + extra + "; ask the server's admin to free space")


class ProtocolFailure(TransferError):
    retryable = True

    def __init__(self, detail: str):
        super().__init__(f"the server reported an error: {detail}")


class VerificationFailed(TransferError):
    retryable = True

    def __init__(self, detail: str):
        super().__init__(f"the uploaded file does not match what was sent ({detail}); it was not published")
