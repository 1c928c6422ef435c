"""The user's own key and contacts, for the Keys dialog and the command line."""

from __future__ import annotations

from sodformat import Identity

from sodclient import keys
from sodclient.keys import Contact
from sodclient.profile import Profile


def my_identity(profile: Profile, create: bool = False) -> Identity | None:
    return keys.own_identity(profile.paths, create=create)


def public_key_text(profile: Profile) -> str | None:
    """The user's public keys on one line, as the contact form (theirs and ours) accepts them; None without a key."""
    ident = my_identity(profile)
    return keys.public_key_text(ident) if ident else None


def contacts(profile: Profile) -> list[Contact]:
    return keys.load_contacts(profile.paths)


def add_contact(profile: Profile, name: str, email: str, recipient: str, signer: str = "") -> list[Contact]:
    """Checks the fields (InputError naming the wrong one), then adds or replaces the contact."""
    return keys.add_contact(profile.paths, keys.validate_contact(name, email, recipient, signer))


def remove_contact(profile: Profile, recipient: str) -> list[Contact]:
    return keys.remove_contact(profile.paths, recipient)


__all__ = ["Contact", "add_contact", "contacts", "my_identity", "public_key_text", "remove_contact"]
