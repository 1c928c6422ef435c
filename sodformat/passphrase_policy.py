"""The transfer-passphrase policy, shared by `sod pack` and the app: long enough, mixed case and a digit.

The container's Argon2id slows guessing, but a short or single-class passphrase is still guessable offline by
whoever obtains the file.
"""

from __future__ import annotations

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
