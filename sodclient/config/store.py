"""Load and save a profile's encrypted settings file, layered over the site defaults.

Order of precedence: built-in defaults < site defaults (plain INI, no secrets) < the user's
encrypted settings. A site ships `site-defaults.ini` (the profile says where it is) so users only
type their own account. The site can also lock keys (a `[lock]` section: `keys = sftp.host, smtp.*`): a
locked key always has the site's value, FTP Config shows it read-only, and saving it (in the app or with
`sodclient config set`) is refused with a sentence naming the administrator. The typed views
(`Settings.sftp()`, `.smtp()`) turn the flat keys into the targets transport and notify take, so nothing
below this layer reads settings by name.
"""

from __future__ import annotations

import configparser
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sodclient.config.key_cache import SealedKeyCache
from sodclient.config.schema import KEYS, ConfigError, label, mask, parse_value
from sodclient.files import atomic_write
from sodclient.notify.smtp import SmtpTarget
from sodclient.transport.session import SftpTarget

if TYPE_CHECKING:
    from sodclient.profile import Profile

_PURPOSE = "settings"
FORMAT_VERSION = 2  # 1: release 0.1.0 (no [format] section); 2: adds [format] version
_FORMAT_SECTION = "format"
_LOCK_SECTION = "lock"  # site defaults only: `keys = sftp.host, sftp.port, smtp.*`


def _flatten(parser: configparser.ConfigParser) -> dict[str, str]:
    return {
        f"{section}.{key}": value
        for section in parser.sections()
        for key, value in parser[section].items()
        if section not in (_FORMAT_SECTION, _LOCK_SECTION)
    }


def _site_parser(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as exc:
        raise ConfigError(f"the site defaults file {path} is malformed: {exc.message.splitlines()[0]}") from None
    return parser


def _read_site_locks(path: Path | None) -> frozenset[str]:
    """The keys the site locks: names or `section.*`, separated by commas or spaces."""
    if path is None:
        return frozenset()
    parser = _site_parser(path)
    if not parser.has_section(_LOCK_SECTION):
        return frozenset()
    locked: set[str] = set()
    for pattern in parser[_LOCK_SECTION].get("keys", "").replace(",", " ").split():
        matched = {
            k
            for k in KEYS
            if k == pattern or (pattern.endswith(".*") and k.startswith(pattern[:-1]) and not KEYS[k].secret)
        }
        if not matched and pattern not in KEYS:
            raise ConfigError(f"the site defaults file {path} locks {pattern!r}, which is not a setting")
        locked |= matched
    secret = sorted(k for k in locked if KEYS[k].secret)
    if secret:  # a secret is never in the site file, so locking it would lock it empty (`smtp.*` skips them)
        raise ConfigError(f"the site defaults file {path} must not lock secrets ({label(secret[0])})")
    return frozenset(locked)


def _read_site_defaults(path: Path | None) -> dict[str, str]:
    if path is None:
        return {}
    parser = _site_parser(path)
    values = _flatten(parser)
    for key, raw in values.items():
        if key in KEYS and KEYS[key].secret and raw:
            raise ConfigError(f"the site defaults file {path} must not hold secrets ({label(key)})")
        parse_value(key, raw)
    return values


def _read_user(profile: Profile) -> dict[str, str]:
    path = profile.paths.settings_file
    if not path.exists():
        return {}
    text = profile.vault.unseal(path.read_bytes(), _PURPOSE).decode("utf-8")
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    if parser.has_section(_FORMAT_SECTION):
        version = int(parser[_FORMAT_SECTION].get("version", "1"))
        if version > FORMAT_VERSION:
            raise ConfigError(f"the settings were written by a newer SOD Send (format {version}); update the app")
    return {k: v for k, v in _flatten(parser).items() if k in KEYS}  # unknown keys are tolerated, not kept


def _write_user(profile: Profile, values: dict[str, str]) -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.add_section(_FORMAT_SECTION)
    parser[_FORMAT_SECTION]["version"] = str(FORMAT_VERSION)
    for key in sorted(values):
        section, name = key.split(".", 1)
        if not parser.has_section(section):
            parser.add_section(section)
        parser[section][name] = values[key]
    buf = io.StringIO()
    parser.write(buf)
    atomic_write(profile.paths.settings_file, profile.vault.seal(buf.getvalue().encode("utf-8"), _PURPOSE))


@dataclass(frozen=True)
class Settings:
    """Typed, validated view of all keys: `settings["sftp.port"]` is an int."""

    raw: dict[str, str]
    origin: dict[str, str]  # key -> "default" | "site" | "user"
    known_hosts: Path  # the profile's own trust store, handed to the SFTP target
    locked: frozenset[str] = frozenset()  # keys the site locks: read-only in FTP Config, refused by config set
    key_cache: SealedKeyCache | None = field(default=None, compare=False, repr=False)  # the opened SFTP key

    def __getitem__(self, key: str) -> Any:
        return parse_value(key, self.raw[key])

    def get(self, key: str) -> Any:
        return self[key]

    def require(self, *keys: str) -> None:
        missing = [k for k in keys if not self.raw.get(k)]
        if missing:
            raise ConfigError(
                f"not configured yet: {', '.join(label(k) for k in missing)} (System → FTP Config, "
                f"or `sodclient config set {missing[0]}=...`)"
            )

    def sftp(self) -> SftpTarget:
        """Where and how to upload; ConfigError naming the missing fields as FTP Config labels them."""
        self.require("sftp.host", "sftp.username", "sftp.remote_dir")
        if not self.raw["sftp.password"] and not self.raw["sftp.key_file"]:
            raise ConfigError(f"set the {label('sftp.password')} or the {label('sftp.key_file')} in FTP Config")
        return SftpTarget(
            self["sftp.host"],
            self["sftp.port"],
            self["sftp.username"],
            self["sftp.remote_dir"],
            self["sftp.password"],
            self["sftp.key_file"],
            self["sftp.key_passphrase"],
            known_hosts=self.known_hosts,
            engine=self["sftp.engine"],
            key_cache=self.key_cache,
        )

    def sftp_host_only(self) -> SftpTarget:
        """Enough to fetch and trust the server's key (trust-host) before an account is set up."""
        self.require("sftp.host")
        return SftpTarget(
            self["sftp.host"],
            self["sftp.port"],
            self["sftp.username"],
            self["sftp.remote_dir"],
            known_hosts=self.known_hosts,
        )

    def smtp(self) -> SmtpTarget:
        self.require("smtp.host", "smtp.from")
        return SmtpTarget(
            self["smtp.host"],
            self["smtp.port"],
            self["smtp.security"],
            self["smtp.username"],
            self["smtp.password"],
            self["smtp.from"],
            self["smtp.ca_file"],
        )

    def link(self, remote_name: str) -> str:
        self.require("link.template")
        return self["link.template"].format(name=remote_name)

    def idle_minutes(self) -> int:
        """Minutes without input before the app locks: the user's choice, capped by the site maximum."""
        return min(self["session.idle_minutes"], self["site.max_idle_minutes"])

    def max_expiry_days(self) -> int:
        """The longest a delivery may stay downloadable here (the site's cap, at most the format's 14)."""
        return self["site.max_expiry_days"]

    def identity_protection(self) -> str:
        return self["site.identity_protection"]

    def preflight(self) -> tuple[SftpTarget, SmtpTarget]:
        """Everything a send needs, checked before anything is read or packed."""
        sftp, smtp = self.sftp(), self.smtp()
        self.require("link.template")
        return sftp, smtp

    def shown(self) -> list[tuple[str, str, str]]:
        """(key, printable value, origin) with secrets masked, for `config show` and the UI."""
        return [(k, mask(k, self.raw[k]), self.origin[k]) for k in KEYS]

    def __repr__(self) -> str:  # never leak secrets through a stray print or log
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v, _ in self.shown()) + ")"


def load_settings(profile: Profile) -> Settings:
    raw = {k: spec.default for k, spec in KEYS.items()}
    origin = {k: "default" for k in KEYS}
    locked = _read_site_locks(profile.site_defaults)
    for layer, values in (("site", _read_site_defaults(profile.site_defaults)), ("user", _read_user(profile))):
        for key, value in values.items():
            if key in KEYS and not (layer == "user" and key in locked):  # a locked key keeps the site's value
                raw[key], origin[key] = value, layer
    for key in locked:
        origin[key] = "site (locked)"
    key_cache = SealedKeyCache(profile.vault, profile.paths.sftp_key_cache)
    return Settings(raw, origin, profile.paths.known_hosts, locked, key_cache)


def refuse_locked(profile: Profile, keys) -> None:
    """ConfigError when any of `keys` is locked by the site."""
    locked = sorted(set(keys) & _read_site_locks(profile.site_defaults))
    if locked:
        names = ", ".join(label(k) for k in locked)
        raise ConfigError(
            f"{names} {'is' if len(locked) == 1 else 'are'} set by your site's administrator "
            f"(locked in {profile.site_defaults}); ask them to change "
            f"{'it' if len(locked) == 1 else 'them'}"
        )


def save_settings(profile: Profile, changes: dict[str, str]) -> list[str]:
    """Validate every change first, then write all of them at once (never a half-applied set).
    Returns the keys written; auditing the change is the caller's (services.settings) job."""
    refuse_locked(profile, changes)
    normalized = {}
    for key, value in changes.items():
        if key in KEYS and KEYS[key].site_only:
            raise ConfigError(f"{label(key)} is set by your site (site defaults), not per user")
        parsed = parse_value(key, value)
        normalized[key] = str(parsed) if not isinstance(parsed, str) else parsed
    values = _read_user(profile)
    values.update(normalized)
    _write_user(profile, values)
    if {"sftp.key_file", "sftp.key_passphrase"} & set(normalized):
        SealedKeyCache(profile.vault, profile.paths.sftp_key_cache).clear()
    return sorted(normalized)
