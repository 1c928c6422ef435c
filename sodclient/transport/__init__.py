"""SFTP transport (a leaf: it never imports config, audit, library or services): host-key trust,
resumable verified upload, the purge of expired deliveries, and plain-language diagnoses."""

from sodclient.transport import no_invoke  # noqa: F401  (first: before any module imports paramiko)
from sodclient.transport.errors import (
    AuthFailed,
    ConnectionLost,
    DiskFull,
    DnsFailure,
    FingerprintMismatch,
    HostKeyChanged,
    LegacyCipherOnly,
    NoCommonAlgorithm,
    PermissionDenied,
    PortClosed,
    ProtocolFailure,
    RemoteFileLocked,
    RemoteFolderMissing,
    Timeout,
    TransferError,
    UnknownHostKey,
    VerificationFailed,
)
from sodclient.transport.session import ConfirmHostKey, SftpSession, SftpTarget
from sodclient.transport.upload import FileSource, GrowingFile, UploadResult, new_remote_name, upload

__all__ = [
    "AuthFailed",
    "ConnectionLost",
    "DiskFull",
    "DnsFailure",
    "FingerprintMismatch",
    "HostKeyChanged",
    "LegacyCipherOnly",
    "NoCommonAlgorithm",
    "RemoteFileLocked",
    "PermissionDenied",
    "PortClosed",
    "ProtocolFailure",
    "RemoteFolderMissing",
    "Timeout",
    "TransferError",
    "UnknownHostKey",
    "VerificationFailed",
    "ConfirmHostKey",
    "SftpSession",
    "SftpTarget",
    "FileSource",
    "GrowingFile",
    "UploadResult",
    "new_remote_name",
    "upload",
]
