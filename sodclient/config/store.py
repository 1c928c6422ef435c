"""Load and save the encrypted settings file, layered over the site defaults.

Order of precedence: built-in defaults < site defaults (plain INI, no secrets) < the user's
encrypted settings. A site ships `site-defaults.ini` (path: $SODCLIENT_SITE_DEFAULTS, else
`site-defaults.ini` in the config folder, else /etc/sodsend/site-defaults.ini) so users only type
their own account; any key can be overridden with `sodclient config set`.
"""

from __future__ import annotations

import configparser
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sodclient.config.schema import KEYS, ConfigError, mask, parse_value
from sodclient.config.vault import atomic_write, seal, unseal
from sodclient.paths import app_paths

_PURPOSE = "settings"


def settings_path() -> Path:
    return app_paths().config / "settings.ini.enc"


def site_defaults_path() -> Path | None:
    env = os.environ.get("SODCLIENT_SITE_DEFAULTS")
    candidates = [Path(env)] if env else [app_paths().config / "site-defaults.ini",
                                         Path("/etc/sodsend/site-defaults.ini")]
    return next((p for p in candidates if p.is_file()), None)


def _flatten(parser: configparser.ConfigParser) -> dict[str, str]:
    return {f"{section}.{key}": value for section in parser.sections() for key, value in parser[section].items()}


def _read_site_defaults() -> dict[str, str]:
    path = site_defaults_path()
    if path is None:
        return {}
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as exc:
        raise ConfigError(f"the site defaults file {path} is malformed: {exc.message.splitlines()[0]}") from None
    values = _flatten(parser)
    for key, raw in values.items():
        if key in KEYS and KEYS[key].secret and raw:
            raise ConfigError(f"the site defaults file {path} must not hold secrets ({key})")
        parse_value(key, raw)
    return values


def _read_user() -> dict[str, str]:
    path = settings_path()
    if not path.exists():
        return {}
    text = unseal(path.read_bytes(), _PURPOSE).decode("utf-8")
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    return {k: v for k, v in _flatten(parser).items() if k in KEYS}


def _write_user(values: dict[str, str]) -> None:
    parser = configparser.ConfigParser(interpolation=None)
    for key in sorted(values):
        section, name = key.split(".", 1)
        if not parser.has_section(section):
            parser.add_section(section)
        parser[section][name] = values[key]
    buf = io.StringIO()
    parser.write(buf)
    atomic_write(settings_path(), seal(buf.getvalue().encode("utf-8"), _PURPOSE))


@dataclass(frozen=True)
class Settings:
    """Typed, validated view of all keys: `settings["sftp.port"]` is an int."""

    raw: dict[str, str]
    origin: dict[str, str]  # key -> "default" | "site" | "user"

    def __getitem__(self, key: str) -> Any:
        return parse_value(key, self.raw[key])

    def get(self, key: str) -> Any:
        return self[key]

    def require(self, *keys: str) -> None:
        missing = [k for k in keys if not self.raw.get(k)]
        if missing:
            raise ConfigError(f"not configured yet: {', '.join(missing)} (use FTP Config or "
                              f"`sodclient config set {missing[0]}=...`)")

    def shown(self) -> list[tuple[str, str, str]]:
        """(key, printable value, origin) with secrets masked, for `config show` and the UI."""
        return [(k, mask(k, self.raw[k]), self.origin[k]) for k in KEYS]

    def __repr__(self) -> str:  # never leak secrets through a stray print or log
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v, _ in self.shown()) + ")"


def load_settings() -> Settings:
    raw = {k: spec.default for k, spec in KEYS.items()}
    origin = {k: "default" for k in KEYS}
    for layer, values in (("site", _read_site_defaults()), ("user", _read_user())):
        for key, value in values.items():
            if key in KEYS:
                raw[key], origin[key] = value, layer
    return Settings(raw, origin)


def save_settings(changes: dict[str, str]) -> Settings:
    """Validate every change first, then write all of them at once (never a half-applied set)."""
    normalized = {}
    for key, value in changes.items():
        parsed = parse_value(key, value)
        normalized[key] = str(parsed) if not isinstance(parsed, str) else parsed
    values = _read_user()
    values.update(normalized)
    _write_user(values)
    from sodclient import audit  # every change is audited (key names only, never values)

    audit.record("config-change", keys=sorted(normalized))
    return load_settings()
