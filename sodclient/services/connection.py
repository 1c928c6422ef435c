"""Checking and trusting the servers, as FTP Config's Test Connection and `sodclient test-connection` /
`trust-host` do: each check says what worked or what is wrong in plain words, so an admin can tell a
changed host key from rejected credentials from a blocked port."""

from __future__ import annotations

from dataclasses import dataclass, field

from sodclient.audit_events import AuditEvent
from sodclient.config.store import Settings
from sodclient.errors import UserError
from sodclient.notify.smtp import check as check_smtp_login
from sodclient.profile import Profile
from sodclient.transport.capabilities import check_account
from sodclient.transport.errors import FingerprintMismatch, UnknownHostKey
from sodclient.transport.hostkeys import same_fingerprint
from sodclient.transport.session import ConfirmHostKey, SftpSession


@dataclass(frozen=True)
class Check:
    name: str  # "SFTP" | "upload engine" | "SMTP" | "download link"
    ok: bool
    message: str  # what worked, or the diagnosis
    error: UserError | None = None


@dataclass(frozen=True)
class Diagnosis:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def to_text(self) -> str:
        return "\n".join(f"{c.name}: {'OK' if c.ok else 'PROBLEM'} - {c.message}" for c in self.checks)


def _check_sftp(settings: Settings, confirm_host_key: ConfirmHostKey | None) -> Check:
    try:
        target = settings.sftp()
        with SftpSession(target, confirm_host_key) as s:
            report = check_account(s)
            extra = f", {report.free / 1e9:.1f} GB free" if report.free is not None else ""
            return Check(
                "SFTP",
                True,
                f"logged in to {target.host} ({s.cipher}); folder {target.remote_dir} "
                f"is writable{extra}\n{report.text()}",
            )
    except UserError as exc:
        return Check("SFTP", False, str(exc), exc)


def _check_engine(settings: Settings) -> Check:
    """Which SSH carries uploads: a key file ssh refuses (too open, a format it lacks) would otherwise only
    show as slower large uploads, since the upload falls back to the built-in engine on its own."""
    from sodclient.transport import openssh_backend
    from sodclient.transport.upload import OPENSSH_MIN_BYTES

    target = settings.sftp()
    if target.engine == "builtin":
        return Check("upload engine", True, "built-in SSH (Upload engine in FTP Config)")
    which = "every upload" if target.engine == "openssh" else f"uploads of {OPENSSH_MIN_BYTES // 2**20} MiB and more"
    try:
        cipher = openssh_backend.try_login(target)
    except openssh_backend.NotCarried as exc:
        return Check(
            "upload engine",
            True,
            f"built-in SSH for every upload: this computer's OpenSSH client could not be used ({exc}); "
            "large uploads may be slower",
        )
    except UserError as exc:
        return Check("upload engine", False, str(exc), exc)
    return Check("upload engine", True, f"{which} use this computer's OpenSSH client (logged in, {cipher})")


def _check_smtp(settings: Settings) -> Check:
    try:
        target = settings.smtp()
        check_smtp_login(target)
        login = "logged in" if target.username else "connected (no login configured)"
        how = {"starttls": "with STARTTLS encryption", "ssl": "with TLS encryption", "none": "without encryption"}.get(
            target.security, target.security
        )
        return Check("SMTP", True, f"{login} to {target.host} port {target.port} {how}")
    except UserError as exc:
        return Check("SMTP", False, str(exc), exc)


def _check_link(settings: Settings) -> Check:
    if not settings.raw.get("link.template"):
        return Check("download link", False, "the Download link template is not set: the recipient would get no link")
    return Check("download link", True, settings.link("EXAMPLE.sod"))


def test_connection(
    profile: Profile, settings: Settings | None = None, confirm_host_key: ConfirmHostKey | None = None
) -> Diagnosis:
    """All three checks, with `settings` (the dialog's unsaved values) or the profile's saved ones."""
    settings = settings or profile.settings()
    confirm = audited(profile, confirm_host_key, settings["sftp.port"])
    sftp = _check_sftp(settings, confirm)
    engine = [_check_engine(settings)] if sftp.ok else []
    return Diagnosis([sftp, *engine, _check_smtp(settings), _check_link(settings)])


__all__ = ["Check", "Diagnosis", "HostKeyStatus", "audited", "same_fingerprint", "test_connection", "trust_host"]

test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test despite its name


@dataclass(frozen=True)
class HostKeyStatus:
    host: str
    port: int
    fingerprint: str
    key_type: str
    trusted: bool  # False: shown for comparison, not trusted yet


def trust_host(profile: Profile, fingerprint: str | None = None) -> HostKeyStatus:
    """Without `fingerprint`: report the server's key (trusted or not). With it: trust the key only if it
    has exactly that fingerprint (audited); a changed key is always refused."""
    target = profile.settings().sftp_host_only()
    try:
        with SftpSession(target, accept_fingerprint=fingerprint, host_key_only=True) as s:
            fp, kind = s.server_fingerprint, s.server_key_type
    except UnknownHostKey as exc:
        if fingerprint:
            raise FingerprintMismatch(target.host, exc.fingerprint, fingerprint) from None
        return HostKeyStatus(target.host, target.port, exc.fingerprint, exc.key_type, False)
    if fingerprint and not same_fingerprint(fingerprint, fp):
        raise FingerprintMismatch(target.host, fp, fingerprint)
    if fingerprint:
        profile.audit.record(AuditEvent.TRUST, host=target.host, port=target.port, fingerprint=fp)
    return HostKeyStatus(target.host, target.port, fp, kind, True)


class AuditedConfirm:
    """Wraps the user's host-key confirmation (the UI's dialog answer) so a key trusted during a send or a
    Test Connection is recorded like `trust_host` records it. Picklable: it crosses to the send's process."""

    def __init__(self, profile: Profile, confirm: ConfirmHostKey, port: int):
        self.profile, self.confirm, self.port = profile, confirm, port

    def __call__(self, host: str, fingerprint: str, key_type: str) -> bool:
        trusted = bool(self.confirm(host, fingerprint, key_type))
        if trusted:
            self.profile.audit.record(AuditEvent.TRUST, host=host, port=self.port, fingerprint=fingerprint)
        return trusted


def audited(profile: Profile, confirm: ConfirmHostKey | None, port: int) -> ConfirmHostKey | None:
    return AuditedConfirm(profile, confirm, port) if confirm is not None else None
