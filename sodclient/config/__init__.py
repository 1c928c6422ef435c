"""Encrypted, typed settings (what FTP Config edits). See `store` for layering and the typed views."""

from sodclient.config.schema import KEYS, ConfigError, label
from sodclient.config.store import Settings, load_settings, save_settings

__all__ = ["KEYS", "ConfigError", "Settings", "label", "load_settings", "save_settings"]
