"""Entries and the manifest: the signed, authenticated list of everything in the container."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import asdict, dataclass

from sodformat import limits
from sodformat.codecs import CODECS
from sodformat.errors import FormatError
from sodformat.names import check_name

# Record tags inside the decrypted payload (see SPEC.md, "Payload records").
TAG_FILE, TAG_DIR, TAG_MANIFEST, TAG_SIGNATURE, TAG_END = b"F", b"D", b"M", b"S", b"Z"


@dataclass(frozen=True)
class Entry:
    name: str  # relative POSIX path
    is_dir: bool
    size: int = 0  # bytes after decompression
    sha256: str = ""  # hex digest of the original bytes
    media_type: str = ""
    compression: str = "none"  # one of codecs.CODECS

    def to_json(self) -> dict:
        if self.is_dir:
            return {"name": self.name, "type": "dir"}
        d = asdict(self)
        d.pop("is_dir")
        d["type"] = "file"
        return d


MAX_MESSAGE_BYTES = 65536
_DELIVERY_ID = re.compile(r"[0-9a-f]{32}")
_ADDRESS = re.compile(r"[^@\s<>,;\"]{1,64}@[^@\s<>,;\"]{1,255}")


@dataclass(frozen=True)
class Delivery:
    """What makes a container one delivery of a conversation (SPEC.md §6, manifest `delivery`): its own
    random id, the id of the delivery it answers, and the sender's message. Encrypted, authenticated and
    (when signed) signed with the manifest, so nobody can re-thread or re-word a delivery."""

    id: str
    in_reply_to: str = ""
    message: str = ""
    reply_to: str = ""  # the sender's e-mail address, where a reply goes

    def to_json(self) -> dict:
        out = {"id": self.id}
        for key in ("in_reply_to", "message", "reply_to"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        return out


def new_delivery_id() -> str:
    """128 random bits as 32 lowercase hex digits."""
    return secrets.token_hex(16)


def check_delivery_id(value: object, what: str = "delivery id") -> str:
    if not isinstance(value, str) or not _DELIVERY_ID.fullmatch(value):
        raise FormatError(f"the {what} is malformed (expected 32 lowercase hex digits)")
    return value


def _parse_delivery(raw: object) -> Delivery:
    if not isinstance(raw, dict) or "id" not in raw or not set(raw) <= {"id", "in_reply_to", "message", "reply_to"}:
        raise FormatError("the manifest's delivery is malformed")
    address = raw.get("reply_to", "")
    if not isinstance(address, str) or ("reply_to" in raw and not _ADDRESS.fullmatch(address)):
        raise FormatError("the manifest's delivery reply address is malformed")
    message = raw.get("message", "")
    too_long = isinstance(message, str) and len(message.encode("utf-8")) > MAX_MESSAGE_BYTES
    if not isinstance(message, str) or too_long or ("message" in raw and not message):
        raise FormatError("the manifest's delivery message is malformed")
    reply = raw.get("in_reply_to")
    reply_id = check_delivery_id(reply, "in-reply-to id") if reply is not None else ""
    return Delivery(check_delivery_id(raw["id"]), reply_id, message, address)


def dumps(obj: dict) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode("utf-8")


def loads_object(data: bytes, what: str) -> dict:
    def no_dupes(pairs):
        if len({k for k, _ in pairs}) != len(pairs):
            raise FormatError(f"the {what} repeats a field")
        return dict(pairs)

    try:
        obj = json.loads(data.decode("utf-8"), object_pairs_hook=no_dupes)
    except (UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, FormatError):
            raise
        raise FormatError(f"the {what} is malformed") from None
    if not isinstance(obj, dict):
        raise FormatError(f"the {what} is malformed")
    return obj


def file_meta(name: str, media_type: str, compression: str) -> bytes:
    return dumps({"name": name, "media_type": media_type, "compression": compression})


def parse_file_meta(data: bytes) -> tuple[str, str, str]:
    meta = loads_object(data, "entry record")
    if set(meta) != {"name", "media_type", "compression"}:
        raise FormatError("an entry record has unexpected fields")
    if meta["compression"] not in CODECS or not isinstance(meta["media_type"], str) or len(meta["media_type"]) > 255:
        raise FormatError("an entry record is malformed")
    return check_name(meta["name"]), meta["media_type"], meta["compression"]


def parse_dir_meta(data: bytes) -> str:
    meta = loads_object(data, "folder record")
    if set(meta) != {"name"}:
        raise FormatError("a folder record has unexpected fields")
    return check_name(meta["name"])


def encode_manifest(entries: list[Entry], delivery: Delivery | None = None) -> bytes:
    obj: dict = {"entries": [e.to_json() for e in entries]}
    if delivery is not None:
        check_delivery_id(delivery.id)
        if delivery.in_reply_to:
            check_delivery_id(delivery.in_reply_to, "in-reply-to id")
        if len(delivery.message.encode("utf-8")) > MAX_MESSAGE_BYTES:
            raise FormatError(f"the message is longer than {MAX_MESSAGE_BYTES} bytes")
        if delivery.reply_to and not _ADDRESS.fullmatch(delivery.reply_to):
            raise FormatError("the reply address is not an e-mail address")
        obj["delivery"] = delivery.to_json()
    return dumps(obj)


def parse_delivery(data: bytes) -> Delivery | None:
    """The manifest's delivery object, or None for containers without one (every container before it)."""
    obj = loads_object(data, "manifest")
    return _parse_delivery(obj["delivery"]) if "delivery" in obj else None


def parse_manifest(data: bytes) -> list[Entry]:
    obj = loads_object(data, "manifest")
    raw = obj.get("entries")
    if (
        not {"entries"} <= set(obj) <= {"entries", "delivery"}
        or not isinstance(raw, list)
        or len(raw) > limits.MAX_ENTRIES
    ):
        raise FormatError("the manifest is malformed")
    entries = []
    for item in raw:
        if not isinstance(item, dict):
            raise FormatError("the manifest is malformed")
        if item.get("type") == "dir" and set(item) == {"name", "type"}:
            entries.append(Entry(check_name(item["name"]), True))
            continue
        if item.get("type") != "file" or set(item) != {"name", "type", "size", "sha256", "media_type", "compression"}:
            raise FormatError("the manifest has a malformed entry")
        size, digest = item["size"], item["sha256"]
        if type(size) is not int or size < 0 or not isinstance(digest, str) or len(digest) != 64:
            raise FormatError("the manifest has a malformed entry")
        if item["compression"] not in CODECS:
            raise FormatError("the manifest has a malformed entry")
        entries.append(Entry(check_name(item["name"]), False, size, digest, item["media_type"], item["compression"]))
    return entries


def signature_message(header_bytes: bytes, manifest_bytes: bytes) -> bytes:
    """What the sender signs: the exact header (with its MAC) and the exact manifest."""
    return b"sod-v1 signature\x00" + hashlib.sha256(header_bytes).digest() + hashlib.sha256(manifest_bytes).digest()
