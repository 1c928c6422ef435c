"""Which SSH algorithms the app will use, with which library, and a plain diagnosis when a server shares none.

paramiko (the main SSH library) has no chacha20-poly1305@openssh.com, a common hardening choice; asyncssh
has it. When paramiko and a server share no cipher, key exchange or host-key type but asyncssh does, the
session runs on asyncssh instead (see `asyncssh_backend`). Legacy ciphers (CBC, arcfour) are refused by both,
on purpose, with a message saying why and what the admin should enable.
"""

from __future__ import annotations

from dataclasses import dataclass

import paramiko

from sodclient.transport.errors import LegacyCipherOnly, NoCommonAlgorithm

CHACHA = "chacha20-poly1305@openssh.com"
# What an admin should enable, best first: all authenticated, all widely available.
RECOMMENDED_CIPHERS = (CHACHA, "aes256-gcm@openssh.com", "aes128-gcm@openssh.com", "aes256-ctr")
# Host-key types both libraries handle and the app's known_hosts (paramiko's format) can store.
HOST_KEY_TYPES = (
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "rsa-sha2-512",
    "rsa-sha2-256",
)


def is_legacy_cipher(name: str) -> bool:
    return "-cbc" in name or name.startswith("arcfour") or name.startswith("3des") or name == "none"


def _weak_kex(name: str) -> bool:
    return name.endswith("-sha1") or name.startswith("gss-") or name.startswith("rsa1024")


@dataclass(frozen=True)
class Algorithms:
    """What one SSH library will negotiate: ciphers, key exchanges, host-key types."""

    ciphers: tuple[str, ...]
    kex: tuple[str, ...]
    host_keys: tuple[str, ...] = HOST_KEY_TYPES

    def agrees_with(self, offer: ServerOffer) -> bool:
        return bool(
            set(self.ciphers) & set(offer.ciphers)
            and set(self.kex) & set(offer.kex)
            and set(self.host_keys) & set(offer.host_keys)
        )


# AES-GCM needs no separate MAC pass: fewest CPU cycles per byte in paramiko (measured in bench/).
_PARAMIKO_FIRST = ("aes256-gcm@openssh.com", "aes128-gcm@openssh.com", "aes256-ctr", "aes128-ctr")
PARAMIKO = Algorithms(
    tuple(
        [c for c in _PARAMIKO_FIRST if c in paramiko.Transport._preferred_ciphers]
        + [c for c in paramiko.Transport._preferred_ciphers if c not in _PARAMIKO_FIRST and not is_legacy_cipher(c)]
    ),
    tuple(k for k in paramiko.Transport._preferred_kex if not _weak_kex(k)),
)


def asyncssh_algorithms() -> Algorithms | None:
    """asyncssh's safe defaults, or None when asyncssh is not installed (it is an ordinary dependency, but
    the app still works with paramiko alone)."""
    try:
        from asyncssh.encryption import get_default_encryption_algs
        from asyncssh.kex import get_default_kex_algs
    except ImportError:
        return None
    ciphers = [c.decode() for c in get_default_encryption_algs()]
    kex = [k.decode() for k in get_default_kex_algs()]
    return Algorithms(tuple(c for c in ciphers if not is_legacy_cipher(c)), tuple(k for k in kex if not _weak_kex(k)))


@dataclass(frozen=True)
class ServerOffer:
    """The algorithm lists from the server's KEXINIT (client-to-server direction)."""

    kex: tuple[str, ...]
    host_keys: tuple[str, ...]
    ciphers: tuple[str, ...]

    @classmethod
    def from_kexinit(cls, parsed: dict) -> ServerOffer:
        kex = [k for k in parsed["kex_algo_list"] if not k.startswith(("ext-info-", "kex-strict-"))]
        return cls(tuple(kex), tuple(parsed["server_key_algo_list"]), tuple(parsed["client_encrypt_algo_list"]))


def supported() -> Algorithms:
    """Everything the app can negotiate with some library, for diagnoses."""
    alt = asyncssh_algorithms()
    merged = lambda a, b: tuple(dict.fromkeys(a + b))
    if alt is None:
        return PARAMIKO
    return Algorithms(merged(alt.ciphers, PARAMIKO.ciphers), merged(PARAMIKO.kex, alt.kex), HOST_KEY_TYPES)


def mismatch(host: str, offer: ServerOffer) -> NoCommonAlgorithm | None:
    """The diagnosis when no library of the app can talk to this server; None if one can."""
    ours = supported()
    if not set(ours.ciphers) & set(offer.ciphers):
        if offer.ciphers and all(is_legacy_cipher(c) for c in offer.ciphers):
            return LegacyCipherOnly(host, list(offer.ciphers), list(RECOMMENDED_CIPHERS[:3]))
        return NoCommonAlgorithm(host, "cipher", list(offer.ciphers), list(ours.ciphers))
    if not set(ours.kex) & set(offer.kex):
        return NoCommonAlgorithm(host, "key exchange", list(offer.kex), list(ours.kex))
    if not set(ours.host_keys) & set(offer.host_keys):
        return NoCommonAlgorithm(host, "host key type", list(offer.host_keys), list(ours.host_keys))
    return None
