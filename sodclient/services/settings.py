"""Changing the settings FTP Config edits: validated all at once, written encrypted, and audited
(key names only, never values)."""

from __future__ import annotations

from sodclient.audit_events import AuditEvent
from sodclient.config.store import Settings, save_settings
from sodclient.profile import Profile


def change_settings(profile: Profile, changes: dict[str, str]) -> Settings:
    written = save_settings(profile, changes)
    profile.audit.record(AuditEvent.CONFIG_CHANGE, keys=written)
    return profile.settings()


def site_default_keys(profile: Profile) -> list[str]:
    """The keys the site's defaults file sets (reading it also checks it: no secrets, valid values)."""
    return sorted(k for k, origin in profile.settings().origin.items() if origin == "site")
