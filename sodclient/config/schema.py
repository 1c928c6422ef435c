"""The settings FTP Config edits: every key, its type, default and check, in one table.

Keeping the schema as data (not scattered getattr calls) is what lets `config set`, `config show`,
the UI form and the site-defaults file agree on names, types and which values are secret.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sodclient.errors import InputError


class ConfigError(InputError):
    """A setting is unknown, malformed, or missing for the operation asked."""


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise ConfigError(f"a port must be a number, not {value!r}") from None
    if not 1 <= port <= 65535:
        raise ConfigError(f"a port must be between 1 and 65535, not {port}")
    return port


def _text(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ConfigError("settings are single lines")
    return value.strip()


def _host(value: str) -> str:
    value = _text(value)
    if value and not re.fullmatch(r"[A-Za-z0-9.\-:\[\]_]+", value):
        raise ConfigError(f"{value!r} is not a host name or address")
    return value


def _remote_dir(value: str) -> str:
    value = _text(value)
    return value.rstrip("/") or ("/" if value else "")


def _security(value: str) -> str:
    value = _text(value).lower()
    if value not in ("starttls", "ssl", "none"):
        raise ConfigError("Mail security must be STARTTLS, SSL/TLS or none")
    return value


def _engine(value: str) -> str:
    value = _text(value).lower() or "auto"
    if value not in ("auto", "openssh", "builtin"):
        raise ConfigError("the Upload engine is auto, openssh or builtin")
    return value


def _email(value: str) -> str:
    value = _text(value)
    if value and not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", value):
        raise ConfigError(f"{value!r} is not an email address")
    return value


def _link_template(value: str) -> str:
    value = _text(value)
    if not value:
        return value
    if "{name}" not in value:
        raise ConfigError("the Download link template must contain {name} where the uploaded file's name goes")
    parts = urlsplit(value.replace("{name}", "x"))
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ConfigError("the Download link template must be an http(s) URL, e.g. https://files.example.org/{name}")
    try:
        value.format(name="x")
    except (KeyError, IndexError, ValueError):
        raise ConfigError("the Download link template may contain no other {...} than {name}") from None
    return value


def _int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise ConfigError(f"must be a whole number, not {value!r}") from None
        if not low <= number <= high:
            raise ConfigError(f"must be between {low} and {high}, not {number}")
        return number

    return parse


def _protection(value: str) -> str:
    value = _text(value).lower()
    if value not in ("passphrase", "keyring"):
        raise ConfigError("the key protection is passphrase or keyring")
    return value


@dataclass(frozen=True)
class Key:
    name: str
    parse: Callable[[str], Any]
    default: str
    secret: bool
    label: str  # as FTP Config labels the field; every message to users names fields this way
    help: str
    site_only: bool = False  # a site policy: set in site defaults only, never by the user


KEYS: dict[str, Key] = {
    k.name: k
    for k in [
        Key("sftp.host", _host, "", False, "SFTP host", "SFTP server name or address"),
        Key("sftp.port", _port, "22", False, "SFTP port", "SFTP server port"),
        Key("sftp.username", _text, "", False, "SFTP user name", "SFTP account name"),
        Key("sftp.password", _text, "", True, "SFTP password", "SFTP password (or leave empty and use a key file)"),
        Key("sftp.key_file", _text, "", False, "SFTP key file", "private key file for SFTP (OpenSSH format)"),
        Key(
            "sftp.key_passphrase",
            _text,
            "",
            True,
            "SFTP key passphrase",
            "passphrase of the SFTP key file, if it has one",
        ),
        Key(
            "sftp.remote_dir",
            _remote_dir,
            "",
            False,
            "SFTP remote folder",
            "folder on the server that the download site publishes",
        ),
        Key(
            "sftp.engine",
            _engine,
            "auto",
            False,
            "Upload engine",
            "auto: large uploads to a trusted server ride this computer's OpenSSH client when present; "
            "openssh: every upload; builtin: none",
        ),
        Key("smtp.host", _host, "", False, "Mail host", "mail server name or address"),
        Key("smtp.port", _port, "587", False, "Mail port", "mail server port (587 for starttls, 465 for ssl)"),
        Key("smtp.security", _security, "starttls", False, "Mail security", "starttls, ssl or none"),
        Key("smtp.username", _text, "", False, "Mail user name", "mail account name (empty: no login)"),
        Key("smtp.password", _text, "", True, "Mail password", "mail account password"),
        Key("smtp.from", _email, "", False, "Mail from address", "sender address of notification mails"),
        Key(
            "smtp.ca_file",
            _text,
            "",
            False,
            "Mail extra CA file",
            "extra CA certificate file for a site's own mail server CA",
        ),
        Key(
            "link.template",
            _link_template,
            "",
            False,
            "Download link template",
            "download URL with {name} for the uploaded file",
        ),
        Key(
            "session.idle_minutes",
            _int_between(1, 24 * 60),
            "30",
            False,
            "Lock after idle minutes",
            "minutes without input before the app locks (at most the site's maximum)",
        ),
        Key(
            "site.max_idle_minutes",
            _int_between(1, 24 * 60),
            "30",
            False,
            "Site maximum idle minutes",
            "the longest idle time before the app locks that users may choose",
            site_only=True,
        ),
        Key(
            "site.max_expiry_days",
            _int_between(1, 14),
            "14",
            False,
            "Site maximum expiry days",
            "the longest a delivery may stay downloadable (at most 14)",
            site_only=True,
        ),
        Key(
            "site.identity_protection",
            _protection,
            "passphrase",
            False,
            "Key protection",
            "passphrase (the user's app passphrase) or keyring (the OS keyring holds the key)",
            site_only=True,
        ),
    ]
}


def label(key: str) -> str:
    """The field's name as users see it ("SFTP host"), for messages."""
    return KEYS[key].label if key in KEYS else key


def parse_value(key: str, raw: str) -> Any:
    if key not in KEYS:
        raise ConfigError(f"unknown setting {key!r}; known settings: {', '.join(KEYS)}")
    try:
        return KEYS[key].parse(raw)
    except ConfigError as exc:
        raise ConfigError(f"{KEYS[key].label}: {exc}") from None


def mask(key: str, raw: str) -> str:
    """What `config show` and logs print: secrets only say whether they are set."""
    if KEYS[key].secret:
        return "(set)" if raw else "(not set)"
    return raw
