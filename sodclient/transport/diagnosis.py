"""`test_connection`: check SFTP and SMTP settings end to end and say what is wrong in plain words."""

from __future__ import annotations

from dataclasses import dataclass, field

from sodclient.errors import UserError
from sodclient.transport.capabilities import check_account
from sodclient.transport.session import ConfirmHostKey, SftpSession, SftpTarget


@dataclass(frozen=True)
class Check:
    name: str            # "SFTP" | "SMTP" | "download link"
    ok: bool
    message: str         # what worked, or the diagnosis
    error: UserError | None = None


@dataclass(frozen=True)
class Diagnosis:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def to_text(self) -> str:
        return "\n".join(f"{c.name}: {'OK' if c.ok else 'PROBLEM'} - {c.message}" for c in self.checks)


def _check_sftp(settings, confirm_host_key) -> Check:
    try:
        target = SftpTarget.from_settings(settings)
        with SftpSession(target, confirm_host_key) as s:
            report = check_account(s)
            extra = f", {report.free / 1e9:.1f} GB free" if report.free is not None else ""
            return Check("SFTP", True, f"logged in to {target.host} ({s.cipher}); folder {target.remote_dir} "
                                       f"is writable{extra}\n{report.text()}")
    except UserError as exc:
        return Check("SFTP", False, str(exc), exc)


def _check_smtp(settings) -> Check:
    from sodclient.notify.smtp import SmtpTarget, check

    try:
        target = SmtpTarget.from_settings(settings)
        check(target)
        login = "logged in" if target.username else "connected (no login configured)"
        return Check("SMTP", True, f"{login} to {target.host}:{target.port} over {target.security}")
    except UserError as exc:
        return Check("SMTP", False, str(exc), exc)


def _check_link(settings) -> Check:
    if not settings.raw.get("link.template"):
        return Check("download link", False, "link.template is not set: the recipient would get no link")
    return Check("download link", True, settings["link.template"].format(name="EXAMPLE.sod"))


def test_connection(settings=None, confirm_host_key: ConfirmHostKey | None = None) -> Diagnosis:
    if settings is None:
        from sodclient.config import load_settings

        settings = load_settings()
    return Diagnosis([_check_sftp(settings, confirm_host_key), _check_smtp(settings), _check_link(settings)])


test_connection.__test__ = False  # not a pytest test despite its name
