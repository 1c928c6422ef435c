"""The demo, as one use case: two throw-away profiles (a sender and a recipient) wired to the demo's own
servers on loopback, with synthetic sample studies in the sender's library.

`start_demo()` builds everything under one temporary folder and `Demo.stop()` stops the servers and
deletes that folder. It never reads the environment and never builds the user's own profile: each demo
profile is `Profile.at(<demo folder>/...)`, with its keys in a file there rather than the OS keyring,
so a newcomer types no secret and nothing is left behind.

Configuration goes the way a site's would: the non-secret server settings in each profile's
`site-defaults.ini` (the file a site's installer ships, see installer/README.md), the generated SFTP
password through `services.settings.change_settings`, and the server's host key trusted by its
fingerprint through `services.connection.trust_host` (known before the first connection, because the
demo made the key).
"""

from __future__ import annotations

import configparser
import io
import logging
import secrets
import shutil
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sodclient.demo.mail_catcher import CaughtMail, MailCatcher
from sodclient.demo.samples import generate
from sodclient.demo.web import DownloadSite
from sodclient.errors import InputError, TransferError
from sodclient.files import atomic_write
from sodclient.identity_store import KEYRING
from sodclient.profile import Profile
from sodclient.progress import CancelToken, ProgressReport, ProgressSink, no_progress
from sodclient.services.connection import trust_host
from sodclient.services.identity import add_contact, create_identity
from sodclient.services.receive import import_files
from sodclient.services.settings import change_settings
from sodclient.transport.embedded_server import EmbeddedSftpServer

log = logging.getLogger("sodclient.demo")

TITLE = "Demo — local only"
SENDER = ("Dr Demo Sender", "dr.sender@demo.example")
RECIPIENT = ("Dr Demo Recipient", "dr.recipient@demo.example")
_DOWNLOAD_LIMIT = 512 * 1024 * 1024  # the demo's sample sends are a few hundred KB


# AES-GCM first (what the uploader prefers), chacha20 and CTR as on a hardened server; never CBC
DEMO_CIPHERS = ("aes256-gcm@openssh.com", "aes128-gcm@openssh.com", "chacha20-poly1305@openssh.com", "aes256-ctr")


@dataclass
class Demo:
    root: Path
    sender: Profile
    recipient: Profile
    sftp: EmbeddedSftpServer
    mail: MailCatcher
    web: DownloadSite
    stopped: bool = field(default=False, init=False)

    def mails(self) -> list[CaughtMail]:
        return self.mail.mails()

    @property
    def downloads(self) -> Path:
        """The recipient's download folder (inside the demo folder, deleted with it)."""
        return self.root / "recipient-downloads"

    def download(self, link: str) -> Path:
        """Follows a link from a demo mail, as the recipient's browser would; only the demo's own site."""
        parts = urllib.parse.urlsplit(link)
        if parts.scheme != "http" or parts.hostname != self.web.host or parts.port != self.web.port:
            raise InputError("the demo only follows links to its own download site")
        name = Path(urllib.parse.unquote(parts.path)).name
        if not name.lower().endswith(".sod"):
            raise InputError("the link does not name a .sod file")
        self.downloads.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = self.downloads / name
        try:
            with urllib.request.urlopen(link, timeout=30) as response:
                data = response.read(_DOWNLOAD_LIMIT + 1)
        except OSError as exc:
            raise TransferError(f"the demo download failed ({type(exc).__name__})") from None
        if len(data) > _DOWNLOAD_LIMIT:
            raise TransferError("the demo download is larger than the demo allows")
        atomic_write(target, data)
        return target

    def stop(self) -> None:
        """Stops the servers and deletes the demo folder (both profiles, the uploads, the mails)."""
        if self.stopped:
            return
        self.stopped = True
        for server in (self.web, self.mail, self.sftp):
            try:
                server.stop()
            except Exception:  # one server failing to stop must not keep the folder
                log.exception("a demo server did not stop cleanly")
        shutil.rmtree(self.root, ignore_errors=True)
        log.info("demo stopped and its folder deleted")


def _site_defaults(sftp: EmbeddedSftpServer, mail: MailCatcher, web: DownloadSite, sender_email: str) -> str:
    """The demo's site-defaults.ini: the same file and keys a site's installer ships, no secrets."""
    parser = configparser.ConfigParser(interpolation=None)
    parser["sftp"] = {"host": sftp.host, "port": str(sftp.port), "username": sftp.username, "remote_dir": "/"}
    parser["smtp"] = {
        "host": mail.host,
        "port": str(mail.port),
        "security": "none",
        "username": "",
        "from": sender_email,
    }
    parser["link"] = {"template": web.link_template}
    buf = io.StringIO()
    buf.write("# Written by the SOD Send demo: its own servers on 127.0.0.1 (see installer/site-defaults.ini)\n")
    parser.write(buf)
    return buf.getvalue()


def _profile(root: Path, text: str) -> Profile:
    config = root / "config"
    config.mkdir(parents=True, mode=0o700)
    atomic_write(config / "site-defaults.ini", text.encode())
    return Profile.at(root, throw_away=True).ensure()


def start_demo(
    root: Path | None = None,
    on_mail: Callable[[CaughtMail], None] | None = None,
    progress: ProgressSink = no_progress,
    cancel: CancelToken | None = None,
) -> Demo:
    """Starts the demo's servers and builds both profiles; on any failure or cancel everything started is
    undone and the folder deleted."""
    cancel = cancel or CancelToken()
    root = Path(root) if root else Path(tempfile.mkdtemp(prefix="sodsend-demo-"))
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    # the same embedded server the transport tests use: one generated account, chrooted to the upload folder
    sftp = EmbeddedSftpServer(
        root / "server" / "uploads", "demo", password=secrets.token_urlsafe(18), encryption_algs=DEMO_CIPHERS
    )
    mail = MailCatcher(on_mail=on_mail)
    web = DownloadSite(sftp.root)
    started: list = []
    try:
        progress(ProgressReport("servers", 0, 3))
        servers: tuple[Any, ...] = (sftp, mail, web)
        for n, server in enumerate(servers, 1):
            cancel.raise_if_cancelled()
            server.start()
            started.append(server)
            progress(ProgressReport("servers", n, 3))
        sender = _profile(root / "sender", _site_defaults(sftp, mail, web, SENDER[1]))
        recipient = _profile(root / "recipient", _site_defaults(sftp, mail, web, RECIPIENT[1]))
        demo = Demo(root, sender, recipient, sftp, mail, web)
        for profile in (sender, recipient):
            change_settings(profile, {"sftp.password": sftp.password})
            trust_host(profile, fingerprint=sftp.host_fingerprint())
        _introduce(sender, recipient)
        cancel.raise_if_cancelled()
        progress(ProgressReport("samples", 0, 1))
        _fill_library(sender, root / "samples")
        progress(ProgressReport("samples", 1, 1))
        cancel.raise_if_cancelled()
    except BaseException:
        for server in reversed(started):
            try:
                server.stop()
            except Exception:
                pass
        shutil.rmtree(root, ignore_errors=True)
        raise
    log.info("demo started")
    return demo


def _introduce(sender: Profile, recipient: Profile) -> None:
    """Each has a key and knows the other's, so the sender can send to the recipient's key and the
    recipient sees a verified sender (and Reply knows the address). The keys are held by the throw-away
    profiles' own vault (never the OS keyring), so nobody types a passphrase in the demo."""
    a = create_identity(sender, protection=KEYRING)
    b = create_identity(recipient, protection=KEYRING)
    add_contact(sender, RECIPIENT[0], RECIPIENT[1], str(b.recipient), b.signing_public)
    add_contact(recipient, SENDER[0], SENDER[1], str(a.recipient), a.signing_public)


def _fill_library(profile: Profile, folder: Path) -> None:
    samples = generate(folder)
    result = import_files(profile, samples.dicom_folders[:1])
    import_files(profile, samples.attachments, case_id=result.case_ids[0])
    import_files(profile, samples.dicom_folders[1:])
    shutil.rmtree(folder, ignore_errors=True)


__all__ = ["RECIPIENT", "SENDER", "TITLE", "CaughtMail", "Demo", "start_demo"]
