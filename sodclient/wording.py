"""How the app says sizes, times and settings to a person: one place, so the mail, the windows and the command
line say "13.5 KB" (never "0.0 MB"), local times with their zone, and words instead of internal names."""

from __future__ import annotations

from datetime import UTC, datetime

# What the settings' internal values mean, in the words a user sees (FTP Config, audit sentences, messages).
SECURITY_WORDS = {
    "starttls": "STARTTLS (encryption after connecting, usually port 587)",
    "ssl": "TLS from the start (usually port 465)",
    "none": "no encryption (only for a server on this computer)",
}
ENGINE_WORDS = {
    "auto": "this computer's OpenSSH for large uploads, when available (fastest)",
    "openssh": "this computer's OpenSSH for every upload, when available",
    "builtin": "built-in SSH only",
}
AUTH_WORDS = {"key": "SSH key", "password": "password", "agent": "SSH agent"}


def human_size(size: int | float) -> str:
    """Bytes in decimal units with about three significant figures: 512 bytes, 13.5 KB, 4.20 GB."""
    size = float(size)
    if size < 1000:
        return f"{int(size)} byte{'' if int(size) == 1 else 's'}"
    for unit in ("KB", "MB", "GB", "TB"):
        size /= 1000
        if size < 999.5 or unit == "TB":
            return f"{size:.0f} {unit}" if size >= 100 else f"{size:.1f} {unit}" if size >= 10 else f"{size:.2f} {unit}"
    raise AssertionError("unreachable")


def local_time(when: datetime | str, seconds: bool = False) -> str:
    """A moment in the computer's own time zone, with the zone: "2026-12-02 10:15 CET". Naive values are UTC."""
    if isinstance(when, str):
        when = datetime.fromisoformat(when.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    local = when.astimezone()
    zone = local.tzname() or local.strftime("%z")
    return local.strftime("%Y-%m-%d %H:%M" + (":%S" if seconds else "")) + f" {zone}"


def human_duration(seconds: float) -> str:
    """ "45 s", "3 min 05 s", "2 h 10 min"."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
