"""The user's own key (sign-in, lock, passphrase change) and contacts, for the app, the CLI and the demo.

The app at start calls `start_status(profile)` and then, by its `state`:
  "none"       -> `create_identity(profile, passphrase)`  (first start; no passphrase where the site uses the keyring)
  "plain"      -> `migrate_identity(profile, passphrase)` (a release 0.1.0 clear key file)
  "passphrase" -> `sign_in(profile, passphrase)`      (every later start, and to unlock after `lock`)
  "keyring"    -> `sign_in(profile)`                  (no passphrase: the OS keyring holds the key)
Every step is audited (sign-in, sign-in-failed, lock, identity-create, identity-migrate, passphrase-change).
The demo's throw-away profiles call `create_identity(profile, protection="keyring")`, so nobody types a passphrase.

Before any of that (every step is audited, and the audit key is in the vault) the profile's key store must be
usable: `key_store(profile)` says "keyring" (the OS keeps the keys), "key-file" (a passphrase-sealed file,
not opened yet), "key-file-open", "none" (no OS keyring and no key file: `create_key_file`), or "local"
(the demo). The key file uses the same SOD Send passphrase as a passphrase-protected identity, so the user
types it once; a passphrase change re-wraps both.
"""

from __future__ import annotations

from collections.abc import Callable

from sodclient import keys, vault
from sodclient.audit_events import AuditEvent
from sodclient.identity_store import (
    KEYRING,
    PASSPHRASE,
    IdentityStatus,
    SignInRequired,
    WrongPassphrase,
    check_passphrase,
)
from sodclient.keys import Contact
from sodclient.profile import Profile
from sodformat import Identity


def site_protection(profile: Profile) -> str:
    """How this site wants new keys protected: "passphrase" (default) or "keyring" (site defaults key
    `site.identity_protection`)."""
    return profile.settings().identity_protection()


def start_status(profile: Profile) -> IdentityStatus:
    return profile.identity.status()


def key_store(profile: Profile) -> str:
    """Where the profile's keys are: "keyring", "key-file" (locked), "key-file-open", "none" or "local"."""
    store = profile.vault.store()
    return "key-file-open" if store == "key-file" and profile.vault.key_file.is_open else store


def keyring_help() -> str:
    """What gives this computer an OS keyring (GNOME Keyring or KWallet on Linux; built in elsewhere)."""
    return vault.keyring_help()


def create_key_file(profile: Profile, passphrase: str) -> None:
    """No OS keyring: keeps the profile's keys in a file sealed under the SOD Send passphrase. Where a
    passphrase already protects the user's key, it must be that one (checked first), so one passphrase opens both."""
    check_passphrase(passphrase)
    if profile.identity.status().state == PASSPHRASE:
        profile.identity.unlock(passphrase)  # WrongPassphrase before anything is written
    profile.vault.create_key_file(passphrase)
    profile.audit.record(AuditEvent.IDENTITY_KEY_FILE)


def open_key_file(profile: Profile, passphrase: str) -> None:
    """Opens the key file for this process (and the worker processes it starts); WrongPassphrase if not.
    (A failure cannot be audited: the audit key is in that file.)"""
    profile.vault.key_file.open(passphrase)


def ask_for_key_file_passphrase_with(profile: Profile, source: Callable[[], str]) -> None:
    """The command line's way to give the passphrase when a locked key file is first needed (the app asks
    in its sign-in dialog instead). `source` reads an option or a variable, or asks on a terminal."""
    profile.vault.passphrase_source = source


def create_identity(profile: Profile, passphrase: str | None = None, protection: str | None = None) -> Identity:
    """First start: a new key, protected as the site chose (or as `protection` says: the demo and tests)."""
    protection = protection or site_protection(profile)
    identity = profile.identity.create(protection, passphrase)
    profile.audit.record(AuditEvent.IDENTITY_CREATE, protection=protection, recipient=str(identity.recipient))
    return identity


def migrate_identity(profile: Profile, passphrase: str | None = None, protection: str | None = None) -> Identity:
    """A clear release 0.1.0 key file, sealed (and the clear file removed)."""
    protection = protection or site_protection(profile)
    identity = profile.identity.migrate(protection, passphrase)
    profile.audit.record(AuditEvent.IDENTITY_MIGRATE, protection=protection, recipient=str(identity.recipient))
    return identity


def sign_in(profile: Profile, passphrase: str | None = None, via: str = "app") -> Identity:
    """Opens the key; a wrong passphrase is audited as sign-in-failed and raises WrongPassphrase."""
    try:
        identity = profile.identity.unlock(passphrase)
    except WrongPassphrase:
        profile.audit.record(AuditEvent.SIGN_IN_FAILED, reason="wrong-passphrase", via=via)
        raise
    except SignInRequired:
        profile.audit.record(AuditEvent.SIGN_IN_FAILED, reason="no-passphrase", via=via)
        raise
    profile.audit.record(AuditEvent.SIGN_IN, protection=profile.identity.status().state, via=via)
    return identity


def lock(profile: Profile, reason: str = "user") -> None:
    """Drops the decrypted key (reason: "user" from the menu/shortcut, "idle" after the idle time)."""
    profile.identity.lock()
    profile.audit.record(AuditEvent.LOCK, reason=reason)


def change_passphrase(profile: Profile, old: str, new: str) -> None:
    """Re-wraps the key under `new` (policy-checked). A wrong `old` is audited as a failed sign-in."""
    check_passphrase(new)
    if profile.vault.store() == "key-file" and not profile.vault.key_file.is_open:
        profile.vault.key_file.open(old)
    try:
        profile.identity.change_passphrase(old, new)
    except WrongPassphrase:
        profile.audit.record(AuditEvent.SIGN_IN_FAILED, reason="wrong-passphrase", via="passphrase-change")
        raise
    if profile.vault.store() == "key-file":  # one passphrase opens both
        profile.vault.key_file.rewrap(new)
    profile.audit.record(AuditEvent.PASSPHRASE_CHANGE, recipient=profile.identity.status().recipient)


def my_identity(profile: Profile, create: bool = False) -> Identity | None:
    """The signed-in key (None if the user has none). With `create`, a missing key is created with the
    site's protection: only valid where that needs no passphrase (keyring); otherwise SignInRequired
    tells the caller to ask for one first."""
    status = profile.identity.status()
    if status.state == "none" and create:
        if site_protection(profile) == PASSPHRASE:
            raise SignInRequired("choose a SOD Send passphrase first: it protects your new key")
        return create_identity(profile, protection=KEYRING)
    return profile.identity.current()


def public_keys(profile: Profile) -> tuple[str, str]:
    """(sod1... recipient, sodsig1... signer), readable while locked; empty strings without a key."""
    status = profile.identity.status()
    if status.recipient:
        return status.recipient, status.signer
    identity = profile.identity.current() if status.state == "plain" else None
    return (str(identity.recipient), identity.signing_public) if identity else ("", "")


def public_key_text(profile: Profile) -> str | None:
    """The user's public keys on one line, as the contact form (theirs and ours) accepts them; None without a key."""
    recipient, signer = public_keys(profile)  # readable while signed out: they are public
    return keys.public_key_text(recipient, signer) if recipient else None


def contacts(profile: Profile) -> list[Contact]:
    return keys.load_contacts(profile.paths)


def add_contact(profile: Profile, name: str, email: str, recipient: str, signer: str = "") -> list[Contact]:
    """Checks the fields (InputError naming the wrong one), then adds or replaces the contact."""
    return keys.add_contact(profile.paths, keys.validate_contact(name, email, recipient, signer))


def remove_contact(profile: Profile, recipient: str) -> list[Contact]:
    return keys.remove_contact(profile.paths, recipient)


__all__ = [
    "KEYRING",
    "PASSPHRASE",
    "Contact",
    "IdentityStatus",
    "SignInRequired",
    "WrongPassphrase",
    "add_contact",
    "ask_for_key_file_passphrase_with",
    "change_passphrase",
    "contacts",
    "create_identity",
    "create_key_file",
    "key_store",
    "keyring_help",
    "lock",
    "migrate_identity",
    "my_identity",
    "open_key_file",
    "public_key_text",
    "public_keys",
    "remove_contact",
    "sign_in",
    "site_protection",
    "start_status",
]
