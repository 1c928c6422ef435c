"""Builds containers by hand, record by record, so tests can hand the reader hostile input that the
writer would never produce (traversal names, bombs, oversized fields, broken manifests)."""

from __future__ import annotations

import json
import os
import struct

import zstandard

from sodformat import limits
from sodformat.header import encode_header, hkdf
from sodformat.manifest import signature_message
from sodformat.recipients import b64encode, make_stanza
from sodformat.stream import ChunkFiller, ChunkSealer


def record(tag: bytes, body: bytes) -> bytes:
    return tag + struct.pack(">I", len(body)) + body


def file_record(
    name: str, data: bytes, compression: str = "none", media_type: str = "text/plain", blocks: list[bytes] | None = None
) -> bytes:
    meta = json.dumps({"name": name, "media_type": media_type, "compression": compression}).encode()
    if blocks is None:
        payload = zstandard.ZstdCompressor().compress(data) if compression == "zstd" else data
        blocks = [payload] if payload else []
    body = b"".join(struct.pack(">I", len(b)) + b for b in blocks)
    return record(b"F", meta) + body + b"\x00\x00\x00\x00"


def manifest_for(entries: list[dict]) -> bytes:
    return json.dumps({"entries": entries}).encode()


def file_entry(name: str, data: bytes, compression: str = "none", media_type: str = "text/plain") -> dict:
    import hashlib

    return {
        "name": name,
        "type": "file",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "media_type": media_type,
        "compression": compression,
    }


def build(
    path,
    recipient,
    payload: bytes | None = None,
    *,
    files: list[tuple[str, bytes]] | None = None,
    header_overrides: dict | None = None,
    chunk: int = limits.MIN_CHUNK,
    signer=None,
    sign_with=None,
    stanzas: list[dict] | None = None,
    created: int | None = None,
    expires: int | None = None,
):
    """Write a container whose payload plaintext is `payload` (or made from `files`), properly encrypted."""
    file_key, nonce = os.urandom(32), os.urandom(16)
    now = created if created is not None else int(__import__("time").time())
    fields = {
        "sod": 1,
        "created": now,
        "expires": expires if expires is not None else now + 86400,
        "aead": "aes-256-gcm",
        "chunk": chunk,
        "nonce": b64encode(nonce),
        "recipients": stanzas if stanzas is not None else [make_stanza(recipient, file_key)],
    }
    if signer is not None:
        fields["signer"] = signer.signing_public
    fields.update(header_overrides or {})
    header = encode_header(fields, file_key)
    if payload is None:
        body = b"".join(file_record(n, d) for n, d in files)
        manifest = manifest_for([file_entry(n, d) for n, d in files])
        payload = body + record(b"M", manifest)
        if sign_with is not None:
            payload += b"S" + sign_with.ed25519.sign(signature_message(header, manifest))
        payload += b"Z"
    with open(path, "wb") as f:
        f.write(header)
        sealer = ChunkSealer(f, hkdf(file_key, b"sod-v1 payload", salt=nonce), "aes-256-gcm", chunk)
        buf = bytearray(chunk)  # filled and sealed in turn: one buffer is enough in one thread
        filler = ChunkFiller(chunk, lambda: buf, lambda b, n, last: sealer.seal(memoryview(b)[:n], last))
        filler.write(payload)
        filler.close()
    return path
