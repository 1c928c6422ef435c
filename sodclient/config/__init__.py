"""Encrypted, typed settings (what FTP Config edits). See `store` for file locations."""

from sodclient.config.schema import KEYS, ConfigError
from sodclient.config.store import Settings, load_settings, save_settings, settings_path, site_defaults_path
from sodclient.config.vault import KeyringUnavailable, VaultDamaged

__all__ = ["KEYS", "ConfigError", "Settings", "load_settings", "save_settings", "settings_path",
           "site_defaults_path", "KeyringUnavailable", "VaultDamaged"]
