"""A small contact list of recipients' public keys (the user's own key lives in `identity_store`).

Contacts are public keys only, so they are kept as plain JSON next to it, in a versioned
envelope (release 0.1.0 wrote a bare list; that still reads). A contact may also carry the sender's
signing key, so a received container's signature can be shown as a name rather than a key.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from sodclient.errors import InputError, UserError
from sodclient.files import atomic_write, known_fields, locked, read_json, upgrade, versioned
from sodclient.paths import AppPaths
from sodformat import parse_recipient
from sodformat.errors import SodError
from sodformat.keys import parse_signer


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    recipient: str  # "sod1..." public encryption key
    signer: str = ""  # "sodsig1..." public signing key, optional


CONTACTS_KIND = "sodsend-contacts"
CONTACTS_VERSION = 2  # 1: a bare list (release 0.1.0); 2: the versioned envelope


def load_contacts(paths: AppPaths) -> list[Contact]:
    path = paths.contacts_file
    if not path.exists():
        return []
    try:
        items = upgrade(read_json(path), CONTACTS_KIND, CONTACTS_VERSION, {1: lambda items: items})
        return [Contact(**{k: str(v) for k, v in known_fields(Contact, item).items()}) for item in items]
    except (OSError, ValueError, TypeError) as exc:
        raise UserError(f"The contact list cannot be read ({exc}).") from None


def _write_contacts(paths: AppPaths, contacts: list[Contact]) -> None:
    document = versioned(CONTACTS_KIND, CONTACTS_VERSION, [asdict(c) for c in contacts])
    atomic_write(paths.contacts_file, json.dumps(document, indent=2).encode("utf-8"))


def public_key_text(recipient: str, signer: str) -> str:
    """What "Copy public key" and `sodclient key show` give out: one line, the encryption key then the signing
    key ("sod1... sodsig1..."). The contact form takes it whole in its Public key field."""
    return f"{recipient} {signer}".strip()


def split_public_keys(text: str) -> tuple[str, str]:
    """(recipient, signer) from what a person pasted: one key, or both in any order on one or several lines,
    with or without labels ("Public key: sod1..."). Unrecognised text comes back as the recipient, to be refused."""
    tokens = text.replace(",", " ").split()
    recipient = next((t for t in tokens if t.lower().startswith("sod1")), "")
    signer = next((t for t in tokens if t.lower().startswith("sodsig1")), "")
    return (recipient or text.strip()), signer


def validate_contact(name: str, email: str, recipient: str, signer: str = "") -> Contact:
    """A checked contact, or UserError naming the field that is wrong."""
    name, email, recipient, signer = name.strip(), email.strip(), recipient.strip(), signer.strip()
    recipient, pasted_signer = split_public_keys(recipient)  # "Copy public key" gives both on one line
    signer = signer or pasted_signer
    if not name:
        raise InputError("Enter a name for the contact.")
    if email and ("@" not in email or " " in email):
        raise InputError("The e-mail address does not look right.")
    try:
        parse_recipient(recipient)
    except (SodError, ValueError):
        raise InputError("The public key is not valid (it starts with sod1...).") from None
    if signer:
        try:
            parse_signer(signer)
        except (SodError, ValueError):
            raise InputError("The signing key is not valid (it starts with sodsig1...).") from None
    return Contact(name, email, recipient, signer)


def add_contact(paths: AppPaths, contact: Contact) -> list[Contact]:
    """Adds or replaces (same public key) a contact; returns the new list."""
    with locked(paths.contacts_file):
        contacts = [c for c in load_contacts(paths) if c.recipient != contact.recipient]
        contacts.append(contact)
        contacts.sort(key=lambda c: c.name.lower())
        _write_contacts(paths, contacts)
    return contacts


def remove_contact(paths: AppPaths, recipient: str) -> list[Contact]:
    with locked(paths.contacts_file):
        contacts = [c for c in load_contacts(paths) if c.recipient != recipient]
        _write_contacts(paths, contacts)
    return contacts


def contact_for_signer(paths: AppPaths, signer: str | None) -> Contact | None:
    """The contact whose signing key matches a verified container signature."""
    if not signer:
        return None
    return next((c for c in load_contacts(paths) if c.signer and c.signer == signer), None)
