"""The .SOD container: authenticated encryption of many documents for one or more recipients.

Pure Python over `cryptography` and `zstandard`: no Qt, no network. The byte-level format is
specified in SPEC.md beside this file.
"""

from sodformat.errors import (AuthenticationError, CancelledError, ExpiredError, FormatError, LimitError,
                              NoMatchingIdentityError, SodError)
from sodformat.header import HeaderInfo
from sodformat.keys import Identity, X25519Recipient, generate_identity, load_identity, parse_recipient
from sodformat.manifest import Delivery, Entry, new_delivery_id
from sodformat.reader import Contents, inspect, unpack, verify
from sodformat.recipients import PassphraseIdentity, PassphraseRecipient
from sodformat.writer import PackResult, Source, collect_sources, pack

__all__ = [
    "AuthenticationError", "CancelledError", "Contents", "Delivery", "Entry", "ExpiredError", "FormatError",
    "HeaderInfo",
    "Identity", "LimitError", "NoMatchingIdentityError", "PackResult", "PassphraseIdentity", "PassphraseRecipient",
    "SodError", "Source", "X25519Recipient", "collect_sources", "generate_identity", "inspect", "load_identity",
    "new_delivery_id", "pack", "parse_recipient", "unpack", "verify",
]
