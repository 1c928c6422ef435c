"""A profile: one user's folders, secrets, audit trail and library, passed explicitly to every service.

Nothing below the edge reads the environment: `Profile.from_environment()` is called once by the
command line and once by the app (SODCLIENT_HOME still selects a profile there), and tests or the demo
build their own with `Profile.at(folder)`. Two profiles in one process never share state.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sodclient.audit import AuditTrail
from sodclient.identity_store import IdentityStore
from sodclient.paths import AppPaths
from sodclient.vault import Vault

if TYPE_CHECKING:
    from sodclient.config.store import Settings
    from sodclient.library import Library

SYSTEM_SITE_DEFAULTS = Path("/etc/sodsend/site-defaults.ini")


@dataclass
class Profile:
    paths: AppPaths
    site_defaults: Path | None = None  # plain INI without secrets, shipped by the site's installer
    local_secrets: Path | None = None  # the demo's throw-away profiles: keys in a file, not the OS keyring
    vault: Vault = field(init=False)
    audit: AuditTrail = field(init=False)
    identity: IdentityStore = field(init=False)  # the user's key: sealed on disk, held here while signed in
    _library: Library | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.vault = Vault(self.paths.config, self.local_secrets)
        self.audit = AuditTrail(self.paths.audit_file, self.vault)
        self.identity = IdentityStore(self.paths, self.vault)

    @classmethod
    def at(cls, root: Path, site_defaults: Path | None = None, *, throw_away: bool = False) -> Profile:
        """A profile whose folders all live under `root` (tests, portable use, the demo). A `throw_away`
        profile (the demo's) keeps its keys in a file under `root`, never in the OS keyring."""
        paths = AppPaths.under(root)
        return cls(
            paths,
            site_defaults or _first_file(paths.config / "site-defaults.ini"),
            paths.config / "demo-keys.json" if throw_away else None,
        )

    @classmethod
    def from_environment(cls, environ: os._Environ[str] | dict[str, str] | None = None) -> Profile:
        """The edge's choice: SODCLIENT_HOME (one folder) or the platform's per-user folders;
        SODCLIENT_SITE_DEFAULTS, else the profile's config folder, else the frozen app's folder, else
        /etc/sodsend, for site defaults."""
        env = os.environ if environ is None else environ
        home = env.get("SODCLIENT_HOME")
        paths = AppPaths.under(Path(home)) if home else AppPaths.platform_default()
        site = env.get("SODCLIENT_SITE_DEFAULTS")
        if site:
            return cls(paths, _first_file(Path(site)))
        return cls(paths, _first_file(paths.config / "site-defaults.ini") or installed_site_defaults())

    def ensure(self) -> Profile:
        self.paths.ensure()
        return self

    def settings(self) -> Settings:
        """The current settings (site defaults under the user's encrypted file), read fresh each time."""
        from sodclient.config.store import load_settings

        return load_settings(self)

    def library(self) -> Library:
        """The profile's library, opened on first use and kept."""
        if self._library is None:
            from sodclient.library import Library

            self._library = Library(self.paths.library_root)
        return self._library

    def __getstate__(self) -> dict[str, object]:
        """Crosses to worker processes (over the pipe to the UI's own child) without the open database;
        a signed-in identity comes along, so a send in a child process can sign, and so does an open key
        file's derived key (never the passphrase), so the child can read the settings and audit."""
        return {
            "paths": self.paths,
            "site_defaults": self.site_defaults,
            "local_secrets": self.local_secrets,
            "identity": self.identity.export_for_worker(),
            "vault": self.vault.export_for_worker(),
        }

    def __setstate__(self, state: dict[str, object]) -> None:
        self.paths = state["paths"]  # type: ignore[assignment]
        self.site_defaults = state["site_defaults"]  # type: ignore[assignment]
        self.local_secrets = state.get("local_secrets")  # type: ignore[assignment]
        self._library = None
        self.__post_init__()
        self.vault.adopt_from_parent(state.get("vault"))  # type: ignore[arg-type]
        self.identity.adopt_from_parent(state.get("identity"))  # type: ignore[arg-type]


def installed_site_defaults() -> Path | None:
    """The site defaults installed with the app: in a frozen app's own folder (installer/sodsend.spec bundles
    them), else /etc/sodsend (install.sh --system). A user's config folder comes first; see from_environment."""
    bundle = getattr(sys, "_MEIPASS", None)
    bundled = [Path(bundle) / "site-defaults.ini"] if getattr(sys, "frozen", False) and bundle else []
    return _first_file(*bundled, SYSTEM_SITE_DEFAULTS)


def _first_file(*candidates: Path) -> Path | None:
    return next((p for p in candidates if p.is_file()), None)
