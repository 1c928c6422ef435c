"""SFTP transport: host-key trust, resumable verified upload, and plain-language diagnoses."""

from sodclient.transport.errors import *  # noqa: F401,F403  (the diagnosis classes are the public API)
from sodclient.transport.session import ConfirmHostKey, SftpSession, SftpTarget
from sodclient.transport.upload import FileSource, GrowingFile, UploadResult, new_remote_name, upload
