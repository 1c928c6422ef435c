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
            f"(sodclient trust-host --fingerprint {fingerprint})"
        )


class HostKeyChanged(TransferError):
    def __init__(self, host: str, fingerprint: str, expected: str):
        self.host, self.fingerprint, self.expected = host, fingerprint, expected
        super().__init__(
            f"the server {host} presented a different key than before ({fingerprint}, expected {expected}). "
            "This can mean someone is intercepting the connection. Nothing was sent. "
            "Ask your IT department before trusting the new key"
        )


class FingerprintMismatch(TransferError):
    def __init__(self, host: str, fingerprint: str, given: str):
        self.fingerprint = fingerprint
        super().__init__(
            f"the server {host} has fingerprint {fingerprint}, not the {given} you gave; it was not trusted"
        )


class AuthFailed(TransferError):
    def __init__(self, what: str = "server"):
        super().__init__(f"the {what} rejected the user name, password or key; check them in FTP Config")


class PortClosed(TransferError):
    retryable = True

    def __init__(self, host: str, port: int):
        super().__init__(
            f"nothing answers on {host} port {port} (connection refused): the service is down "
            "or the port number is wrong"
        )


class Timeout(TransferError):
    retryable = True

    def __init__(self, host: str, port: int, during: str = "connecting"):
        super().__init__(
            f"no answer from {host} port {port} while {during}: the network is slow or down, "
            "or a firewall blocks the port"
        )


class DnsFailure(TransferError):
    def __init__(self, host: str):
        super().__init__(
            f"the server name {host!r} cannot be found: check the spelling, or the computer's network/DNS connection"
        )


class ConnectionLost(TransferError):
    retryable = True

    def __init__(self, host: str):
        super().__init__(f"the connection to {host} was lost during the transfer")


class RemoteFolderMissing(TransferError):
    def __init__(self, folder: str):
        super().__init__(
            f"the folder {folder!r} does not exist on the server; check the SFTP remote folder in FTP Config"
        )


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


def _names(names: list[str], most: int = 6) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


class NoCommonAlgorithm(TransferError):
    """The server and the app share no cipher / key exchange / host-key type: name both sides' lists, so the
    admin knows what to enable (instead of "is this really an SFTP port?")."""

    def __init__(self, host: str, what: str, offered: list[str], supported: list[str]):
        self.host, self.what, self.offered, self.supported = host, what, list(offered), list(supported)
        super().__init__(
            f"the server {host} and this app have no {what} in common: the server offers "
            f"{_names(offered) or 'none'}; this app supports {_names(supported)}. "
            f"Ask the server's admin to enable one of the app's {what}s"
        )


class LegacyCipherOnly(NoCommonAlgorithm):
    """Only CBC-mode (or older) ciphers: refused on purpose, they are not safe."""

    def __init__(self, host: str, offered: list[str], recommended: list[str]):
        self.host, self.what, self.offered, self.supported = host, "cipher", list(offered), list(recommended)
        TransferError.__init__(
            self,
            f"the server {host} only offers legacy ciphers ({', '.join(offered)}), which are unsafe (CBC mode in "
            "SSH lets an attacker on the network recover parts of the traffic); nothing was sent. "
            f"Ask the server's admin to enable {' or '.join(recommended)}",
        )


class RemoteFileLocked(TransferError):
    """An earlier partial upload exists that the account can neither continue nor replace."""

    def __init__(self, folder: str):
        super().__init__(
            f"an earlier partial upload in {folder!r} can be neither continued nor replaced by this "
            "account (no permission); ask the server's admin to remove it or allow overwriting"
        )
