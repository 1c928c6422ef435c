"""The user's own key pair and a small contact list of recipients' public keys.

The identity file lives in app_paths().config with mode 0600 (written by sodformat, never overwritten).
Contacts are public keys only, so they are kept as plain JSON next to it. A contact may also carry the
sender's signing key, so a received container's signature can be shown as a name rather than a key.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from sodclient.errors import UserError
from sodclient.paths import app_paths
from sodformat import Identity, generate_identity, load_identity, parse_recipient
from sodformat.errors import SodError
from sodformat.keys import parse_signer


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    recipient: str       # "sod1..." public encryption key
    signer: str = ""     # "sodsig1..." public signing key, optional


def identity_path() -> Path:
    return app_paths().config / "identity.key"


def contacts_path() -> Path:
    return app_paths().config / "contacts.json"


def has_identity() -> bool:
    return identity_path().exists()


def own_identity(create: bool = False) -> Identity | None:
    """The user's identity; created on first use when `create` is set."""
    path = identity_path()
    if not path.exists():
        if not create:
            return None
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            generate_identity().save(path)
        except SodError:
            if not path.exists():  # another process may have created it first: use theirs
                raise
    try:
        return load_identity(path)
    except SodError as exc:
        raise UserError(f"Your key file cannot be read: {exc}") from None


def load_contacts() -> list[Contact]:
    path = contacts_path()
    if not path.exists():
        return []
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return [Contact(**{k: str(v) for k, v in item.items() if k in Contact.__dataclass_fields__})
                for item in raw]
    except (OSError, ValueError, TypeError) as exc:
        raise UserError(f"The contact list cannot be read ({exc}).") from None


def _write_contacts(contacts: list[Contact]) -> None:
    path = contacts_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump([asdict(c) for c in contacts], f, indent=2)
    os.replace(tmp, path)


def validate_contact(name: str, email: str, recipient: str, signer: str = "") -> Contact:
    """A checked contact, or UserError naming the field that is wrong."""
    name, email, recipient, signer = name.strip(), email.strip(), recipient.strip(), signer.strip()
    if not name:
        raise UserError("Enter a name for the contact.")
    if email and ("@" not in email or " " in email):
        raise UserError("The e-mail address does not look right.")
    try:
        parse_recipient(recipient)
    except (SodError, ValueError):
        raise UserError("The public key is not valid (it starts with sod1...).") from None
    if signer:
        try:
            parse_signer(signer)
        except (SodError, ValueError):
            raise UserError("The signing key is not valid (it starts with sodsig1...).") from None
    return Contact(name, email, recipient, signer)


def add_contact(contact: Contact) -> list[Contact]:
    """Adds or replaces (same public key) a contact; returns the new list."""
    contacts = [c for c in load_contacts() if c.recipient != contact.recipient]
    contacts.append(contact)
    contacts.sort(key=lambda c: c.name.lower())
    _write_contacts(contacts)
    return contacts


def remove_contact(recipient: str) -> list[Contact]:
    contacts = [c for c in load_contacts() if c.recipient != recipient]
    _write_contacts(contacts)
    return contacts


def contact_for_signer(signer: str | None) -> Contact | None:
    """The contact whose signing key matches a verified container signature."""
    if not signer:
        return None
    return next((c for c in load_contacts() if c.signer and c.signer == signer), None)
