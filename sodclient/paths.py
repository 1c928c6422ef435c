"""Every per-user folder a profile uses, in one place.

Only the edge (`Profile.from_environment`) decides where a profile lives; everything below takes the
`AppPaths` it is given, so two profiles (the demo's sender and recipient, or tests) never share state.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

APP_NAME = "SODSend"


@dataclass(frozen=True)
class AppPaths:
    config: Path  # encrypted settings, known_hosts, contacts, identity
    data: Path  # library database and managed files, the delivery ledger
    logs: Path  # the audit trail and the support log
    spool: Path  # containers being built and uploaded, the outbox

    @classmethod
    def under(cls, root: Path) -> AppPaths:
        """One folder for everything (a portable profile, tests, the demo's throw-away profiles)."""
        root = Path(root).expanduser().resolve()
        return cls(root / "config", root / "data", root / "logs", root / "spool")

    @classmethod
    def platform_default(cls) -> AppPaths:
        import platformdirs

        return cls(
            Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)) / "spool",
        )

    def ensure(self) -> AppPaths:
        for p in (self.config, self.data, self.logs, self.spool):
            p.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self

    # Named files, so no module builds a path of its own.
    @property
    def settings_file(self) -> Path:
        return self.config / "settings.ini.enc"

    @property
    def known_hosts(self) -> Path:
        return self.config / "known_hosts"

    @property
    def sftp_key_cache(self) -> Path:
        """The SFTP client key, opened (no passphrase KDF per connection), sealed by the vault."""
        return self.config / "sftp-key.sealed"

    @property
    def identity_file(self) -> Path:
        return self.config / "identity.key"

    @property
    def contacts_file(self) -> Path:
        return self.config / "contacts.json"

    @property
    def pacs_nodes_file(self) -> Path:
        """PACS nodes (System → PACS Nodes), sealed by the vault: DICOMweb passwords live in it."""
        return self.config / "pacs-nodes.json.enc"

    @property
    def audit_file(self) -> Path:
        return self.logs / "audit.jsonl"

    @property
    def log_dir(self) -> Path:
        return self.logs / "support"

    @property
    def ledger_file(self) -> Path:
        return self.data / "deliveries.json"

    @property
    def library_root(self) -> Path:
        return self.data / "library"

    @property
    def outbox_dir(self) -> Path:
        return self.spool / "outbox"

    @property
    def pending_dir(self) -> Path:
        """Finished, encrypted containers whose upload did not complete (the outbox retry resumes them)."""
        return self.spool / "pending"

    @property
    def incoming_dir(self) -> Path:
        return self.spool / "incoming"

    @property
    def opened_dir(self) -> Path:
        """Copies of documents handed to another program ("Open with the system viewer"); cleared as they age."""
        return self.spool / "opened"
