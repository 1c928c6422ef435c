"""Entries and the manifest: the signed, authenticated list of everything in the container."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from sodformat import limits
from sodformat.errors import FormatError
from sodformat.codecs import CODECS
from sodformat.names import check_name

# Record tags inside the decrypted payload (see SPEC.md, "Payload records").
TAG_FILE, TAG_DIR, TAG_MANIFEST, TAG_SIGNATURE, TAG_END = b"F", b"D", b"M", b"S", b"Z"


@dataclass(frozen=True)
class Entry:
    name: str                  # relative POSIX path
    is_dir: bool
    size: int = 0              # bytes after decompression
    sha256: str = ""           # hex digest of the original bytes
    media_type: str = ""
    compression: str = "none"    # one of codecs.CODECS

    def to_json(self) -> dict:
        if self.is_dir:
            return {"name": self.name, "type": "dir"}
        d = asdict(self)
        d.pop("is_dir")
        d["type"] = "file"
        return d


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


def encode_manifest(entries: list[Entry]) -> bytes:
    return dumps({"entries": [e.to_json() for e in entries]})


def parse_manifest(data: bytes) -> list[Entry]:
    obj = loads_object(data, "manifest")
    raw = obj.get("entries")
    if set(obj) != {"entries"} or not isinstance(raw, list) or len(raw) > limits.MAX_ENTRIES:
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
