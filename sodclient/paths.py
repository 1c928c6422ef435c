"""Every per-user folder the app uses, in one place, so SODCLIENT_HOME can override them all."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "SODSend"


@dataclass(frozen=True)
class AppPaths:
    config: Path   # encrypted settings, known_hosts, contacts
    data: Path     # library database and managed files
    logs: Path     # logs and the audit trail
    spool: Path    # containers being built and uploaded, the outbox

    def ensure(self) -> "AppPaths":
        for p in (self.config, self.data, self.logs, self.spool):
            p.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self


def app_paths() -> AppPaths:
    """The folders for this user; SODCLIENT_HOME puts all of them under one root (tests, portable use)."""
    home = os.environ.get("SODCLIENT_HOME")
    if home:
        root = Path(home).expanduser().resolve()
        return AppPaths(root / "config", root / "data", root / "logs", root / "spool")
    return AppPaths(
        Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)) / "spool",
    )
