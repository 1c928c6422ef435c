"""Media types by content (not by name), and which of them are already compressed."""

from __future__ import annotations

import mimetypes

# Formats that are already compressed: zstd would only spend CPU.
COMPRESSED_TYPES = {
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/jp2",
    "application/zip",
    "application/gzip",
    "application/zstd",
    "application/x-xz",
    "application/x-bzip2",
    "video/mp4",
    "audio/mpeg",
    "application/x-7z-compressed",
}

# DICOM first: a 128-byte preamble may itself hold a TIFF header ("dual-personality" files), and such a
# file must be listed and opened as DICOM, never as TIFF.
_SIGNATURES = [
    (128, b"DICM", "application/dicom"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"GIF8", "image/gif"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
    (0, b"\x00\x00\x00\x0cjP  \r\n\x87\n", "image/jp2"),
    (0, b"PK\x03\x04", "application/zip"),
    (0, b"\x1f\x8b", "application/gzip"),
    (0, b"\x28\xb5\x2f\xfd", "application/zstd"),
    (0, b"\xfd7zXZ\x00", "application/x-xz"),
    (0, b"BZh", "application/x-bzip2"),
    (0, b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (4, b"ftyp", "video/mp4"),
]


def sniff(first_block: bytes | bytearray | memoryview, name: str) -> str:
    """The media type from the first bytes, falling back to the name's extension."""
    for offset, magic, media_type in _SIGNATURES:
        if first_block[offset : offset + len(magic)] == magic:
            return media_type
    if first_block[:4] == b"RIFF" and first_block[8:12] == b"WEBP":
        return "image/webp"
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed or "application/octet-stream"
