"""Format constants and the caps a reader enforces, so a hostile file cannot exhaust memory or disk."""

MAGIC = b"\x89SOD\r\n\x1a\n"  # PNG-style: catches text-mode transfers and truncated downloads
FORMAT_VERSION = 1

MAX_HEADER_BYTES = 64 * 1024  # the JSON header; real ones are well under 2 KiB
MAX_STANZAS = 32  # recipients per file
FILE_KEY_BYTES = 32
PAYLOAD_NONCE_BYTES = 16
TAG_BYTES = 16

DEFAULT_CHUNK = (
    1024 * 1024
)  # plaintext bytes per STREAM chunk: fewest hand-offs before cache misses cost more (measured)
MIN_CHUNK = 64 * 1024
MAX_CHUNK = 4 * 1024 * 1024

BLOCK_INPUT = 1024 * 1024  # a writer reads documents in blocks of this size
MAX_BLOCK_BYTES = 4 * 1024 * 1024  # a stored data block, and a block after decompression
MAX_META_BYTES = 64 * 1024  # an entry's metadata record
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
MAX_ENTRIES = 200_000
MAX_NAME_BYTES = 4096
MAX_NAME_COMPONENT_BYTES = 255
MAX_NAME_DEPTH = 64

DEFAULT_EXPIRY_DAYS = 14
MAX_EXPIRY_DAYS = 14  # managed-transfer rule: senders may choose fewer, never more

# Argon2id: RFC 9106 section 4, second recommended option (t=3, 64 MiB, p=4).
ARGON2_DEFAULT = {"m": 64 * 1024, "t": 3, "p": 4}
ARGON2_MAX_M = 1024 * 1024  # KiB: a reader refuses to spend more than 1 GiB ...
ARGON2_MAX_T = 10  # ... or more than this many passes ...
ARGON2_MAX_P = 16  # ... or lanes.

DISK_RESERVE_BYTES = 256 * 1024 * 1024  # unpack stops before the target disk has less than this free
