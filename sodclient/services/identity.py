"""The user's own key (sign-in, lock, passphrase change) and contacts, for the app, the CLI and the demo.

The app at start calls `start_status(profile)` and then, by its `state`:
  "none"       -> `create_identity(profile, passphrase)`  (first start; no passphrase where the site uses the keyring)
  "plain"      -> `migrate_identity(profile, passphrase)` (a release 0.1.0 clear key file)
  "passphrase" -> `sign_in(profile, passphrase)`      (every later start, and to unlock after `lock`)
  "keyring"    -> `sign_in(profile)`                  (no passphrase: the OS keyring holds the key)
Every step is audited (sign-in, sign-in-failed, lock, identity-create, identity-migrate, passphrase-change).
The demo's throw-away profiles call `create_identity(profile, protection="keyring")`, so nobody types a passphrase.
"""

from __future__ import annotations

from sodclient import keys
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
    try:
        profile.identity.change_passphrase(old, new)
    except WrongPassphrase:
        profile.audit.record(AuditEvent.SIGN_IN_FAILED, reason="wrong-passphrase", via="passphrase-change")
        raise
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
    "change_passphrase",
    "contacts",
    "create_identity",
    "lock",
    "migrate_identity",
    "my_identity",
    "public_key_text",
    "public_keys",
    "remove_contact",
    "sign_in",
    "site_protection",
    "start_status",
]
