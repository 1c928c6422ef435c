"""The last gate: search every output byte and name for the original identifying values.

One compiled bytes regex holds every value in UTF-8, Latin-1 and UTF-16 (LE and BE); a hit blocks the
file. Case-insensitive by lower-casing the buffer once (much faster than re.IGNORECASE over many
alternatives), and the alternatives are merged into a prefix tree so the engine tries one branch per byte
instead of one per value. UTF-16BE is found through the UTF-16LE needle minus its last byte. Text
spellings count only when not glued inside a longer word or number ("Anna" does not block "Annotation");
UTF-16 spellings, rare by chance, count anywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sodclient.deid.identifiers import IdentifierSet

# Placeholder words (ours, and what earlier anonymizers leave as a "name"): not identifying, so not searched
# for; otherwise re-sending already anonymized data would block every file. Real surnames are not listed:
# a patient called "Peer" or "Review" blocks the files that carry our pseudonym, erring on the safe side.
OWN_VALUES = frozenset({"anonymized", "anonymous", "anonymised", "removed", "modified", "unknown", "yes", "no"})
# All-digit values shorter than this (a 4-digit study ID) equal ordinary numbers in the header
# (exposure time, window width) too often; they are counted as skipped instead.
_MIN_DIGITS = 6
_ALNUM = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789")


def _trie_pattern(needles: list[bytes]) -> re.Pattern[bytes]:
    """A regex equivalent to needle1|needle2|..., factored by common prefixes."""
    trie: dict = {}
    for needle in needles:
        node = trie
        for byte in needle:
            node = node.setdefault(byte, {})
        node[None] = True

    def build(node: dict) -> bytes:
        branches = [re.escape(bytes([b])) + build(child) for b, child in sorted(
            (k, v) for k, v in node.items() if k is not None)]
        if not branches:
            return b""
        if len(branches) == 1 and None not in node:
            return branches[0]
        return b"(?:" + b"|".join(branches) + b")" + (b"?" if None in node else b"")

    return re.compile(build(trie))


@dataclass
class ResidualScanner:
    pattern: re.Pattern[bytes] | None
    text_needles: dict[bytes, str] = field(default_factory=dict)   # needle -> category (boundary-checked)
    wide_needles: dict[bytes, str] = field(default_factory=dict)   # UTF-16 needle -> category
    searched: int = 0
    skipped_short: int = 0

    @classmethod
    def build(cls, found: IdentifierSet, min_length: int) -> "ResidualScanner":
        text: dict[bytes, str] = {}
        wide: dict[bytes, str] = {}
        searched = skipped = 0
        for value, category in found.values.items():
            clean = value.strip()
            if clean.lower() in OWN_VALUES:
                continue
            too_short = len(clean) < min_length or (clean.isdigit() and len(clean) < _MIN_DIGITS)
            if too_short or not any(c.isalnum() for c in clean):
                skipped += 1
                continue
            searched += 1
            # the buffer is lower-cased bytewise (ASCII); these spellings cover non-ASCII letters
            spellings = {clean, clean.lower(), clean.upper(), clean.title(), clean.capitalize(), clean.casefold()}
            for variant in spellings:
                for enc in ("utf-8", "latin-1"):
                    try:
                        text.setdefault(variant.encode(enc).lower(), category)
                    except UnicodeEncodeError:
                        pass
                wide.setdefault(variant.encode("utf-16-le").lower()[:-1], category)
        if not text:
            return cls(None, searched=searched, skipped_short=skipped)
        pattern = _trie_pattern(sorted(set(text) | set(wide)))
        return cls(pattern, text, wide, searched, skipped)

    def scan(self, data: bytes | memoryview, *, at_start: bool = True, at_end: bool = True) -> str | None:
        """The category of the first identifying value found (e.g. "name part"), or None when clean.
        `at_start`/`at_end` say whether the buffer edges are the file's edges (word boundaries)."""
        if self.pattern is None:
            return None
        buf = bytes(data).lower()
        pos = 0
        while True:
            m = self.pattern.search(buf, pos)
            if m is None:
                return None
            hit = self._accept(buf, m.start(), at_start, at_end)
            if hit is not None:
                return hit
            pos = m.start() + 1

    def _accept(self, buf: bytes, start: int, at_start: bool, at_end: bool) -> str | None:
        """Check every needle that matches at `start`: UTF-16 always counts, text only on word boundaries."""
        for needle, category in self.wide_needles.items():
            if buf.startswith(needle, start):
                return category
        before_ok = buf[start - 1] not in _ALNUM if start > 0 else at_start
        if not before_ok:
            return None
        for needle, category in self.text_needles.items():
            end = start + len(needle)
            if buf.startswith(needle, start) and (buf[end] not in _ALNUM if end < len(buf) else at_end):
                return category
        return None

    def scan_file(self, path, chunk_size: int = 16 << 20) -> str | None:
        """Scan a file in chunks (large studies never sit in memory twice). Windows overlap by the
        longest needle plus one byte, so no value can hide across a chunk border."""
        if self.pattern is None:
            return None
        overlap = max(map(len, (*self.text_needles, *self.wide_needles))) + 1
        tail = b""
        first = True
        with open(path, "rb") as fh:
            chunk = fh.read(chunk_size)
            while chunk:
                following = fh.read(chunk_size)
                window = tail + chunk
                hit = self.scan(window, at_start=first, at_end=not following)
                if hit is not None:
                    return hit
                tail, chunk, first = window[-overlap:], following, False
        return None

    def scan_name(self, name: str) -> str | None:
        return self.scan(name.encode("utf-8"))
