"""The transfer-passphrase policy: long enough, mixed case and a digit; and a generator that meets it.

The container's Argon2id slows guessing, but a short or single-class passphrase is still guessable
offline by whoever obtains the file. Generated passphrases are 6 words-like chunks from `secrets`.
"""

from __future__ import annotations

import secrets
import string

MIN_LENGTH = 10


def check(passphrase: str) -> list[str]:
    """Plain-language problems with `passphrase`; an empty list means it is acceptable."""
    problems = []
    if len(passphrase) < MIN_LENGTH:
        problems.append(f"use at least {MIN_LENGTH} characters")
    if not any(c.isupper() for c in passphrase):
        problems.append("add an upper-case letter")
    if not any(c.islower() for c in passphrase):
        problems.append("add a lower-case letter")
    if not any(c.isdigit() for c in passphrase):
        problems.append("add a digit")
    if passphrase != passphrase.strip():
        problems.append("do not start or end with a space")
    return problems


def generate(groups: int = 4, group_length: int = 5) -> str:
    """E.g. 'Kq7vd-mZ3pa-...': about 110 bits, easy to read out over the phone (no 0/O, 1/l/I)."""
    alphabet = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")
    while True:
        text = "-".join("".join(secrets.choice(alphabet) for _ in range(group_length)) for _ in range(groups))
        if not check(text):
            return text
