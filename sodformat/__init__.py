"""The .SOD container: authenticated encryption of many documents for one or more recipients.

Pure Python over `cryptography` and `zstandard`: no Qt, no network. The byte-level format is
specified in SPEC.md beside this file.

The names below load on first use (PEP 562), so importing a light submodule such as
`sodformat.errors` or `sodformat.limits` does not pull in cryptography and zstandard: the
command lines' `--help` and the app's first window stay fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_WHERE = {
    "AuthenticationError": "errors",
    "CancelledError": "errors",
    "ExpiredError": "errors",
    "FormatError": "errors",
    "LimitError": "errors",
    "NoMatchingIdentityError": "errors",
    "SodError": "errors",
    "HeaderInfo": "header",
    "Identity": "keys",
    "X25519Recipient": "keys",
    "generate_identity": "keys",
    "load_identity": "keys",
    "parse_recipient": "keys",
    "Delivery": "manifest",
    "Entry": "manifest",
    "new_delivery_id": "manifest",
    "Contents": "reader",
    "inspect": "reader",
    "unpack": "reader",
    "verify": "reader",
    "PassphraseIdentity": "recipients",
    "PassphraseRecipient": "recipients",
    "PackResult": "writer",
    "Source": "writer",
    "collect_sources": "writer",
    "pack": "writer",
}

__all__ = [
    "AuthenticationError",
    "CancelledError",
    "Contents",
    "Delivery",
    "Entry",
    "ExpiredError",
    "FormatError",
    "HeaderInfo",
    "Identity",
    "LimitError",
    "NoMatchingIdentityError",
    "PackResult",
    "PassphraseIdentity",
    "PassphraseRecipient",
    "SodError",
    "Source",
    "X25519Recipient",
    "collect_sources",
    "generate_identity",
    "inspect",
    "load_identity",
    "new_delivery_id",
    "pack",
    "parse_recipient",
    "unpack",
    "verify",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'sodformat' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"sodformat.{module}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    from sodformat.errors import (
        AuthenticationError,
        CancelledError,
        ExpiredError,
        FormatError,
        LimitError,
        NoMatchingIdentityError,
        SodError,
    )
    from sodformat.header import HeaderInfo
    from sodformat.keys import Identity, X25519Recipient, generate_identity, load_identity, parse_recipient
    from sodformat.manifest import Delivery, Entry, new_delivery_id
    from sodformat.reader import Contents, inspect, unpack, verify
    from sodformat.recipients import PassphraseIdentity, PassphraseRecipient
    from sodformat.writer import PackResult, Source, collect_sources, pack
