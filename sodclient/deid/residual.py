"""The last gate: search every output byte and name for the original identifying values.

One compiled bytes regex holds every value in UTF-8, Latin-1 and UTF-16 (LE and BE); a hit blocks the
file. Case-insensitive by lower-casing the buffer once (much faster than re.IGNORECASE over many
alternatives), and the alternatives are merged into a prefix tree so the engine tries one branch per byte
instead of one per value. UTF-16BE is found through the UTF-16LE needle minus its last byte. Text
spellings count only when not glued inside a longer word or number ("Anna" does not block "Annotation");
UTF-16 spellings, rare by chance, count anywhere. Non-ASCII values are also searched in every legacy
character set DICOM allows (ISO 8859-x, GB18030, EUC-KR, Shift-JIS, ISO 2022 JP), when long enough to be rare.

`TextScanner` is the second half: it searches *decoded* text (DICOM values decoded with their Specific
Character Set, ISO 2022 code extensions included) after NFKC normalisation and case folding, so a name in
full-width letters, in half-width katakana or in Cyrillic bytes is found whatever its encoding. Ideographic
and phonetic names (CJK, kana, hangul) are searched whatever their length.
"""

from __future__ import annotations

import re
import unicodedata
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
# Python codecs for the DICOM Specific Character Sets beyond UTF-8/Latin-1 (PS3.3 C.12.1.1.2).
LEGACY_CODECS = (
    "iso8859_2",
    "iso8859_3",
    "iso8859_4",
    "iso8859_5",
    "iso8859_6",
    "iso8859_7",
    "iso8859_8",
    "iso8859_9",
    "tis_620",
    "gb18030",
    "gbk",
    "euc_kr",
    "shift_jis",
    "iso2022_jp",
    "iso2022_jp_2",
    "iso2022_kr",
    "cp1251",
)
_MIN_LEGACY_BYTES = 6


def is_ideographic(text: str) -> bool:
    """CJK ideographs, kana or hangul: names written this way are short but specific."""
    return any(
        unicodedata.name(c, "").startswith(("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "HALFWIDTH KATAKANA"))
        for c in text
    )


def normalize(text: str) -> str:
    """Compatibility-normalised, case-folded text: full-width and half-width forms become one."""
    return unicodedata.normalize("NFKC", text).casefold()


def _trie_pattern(needles: list[bytes]) -> re.Pattern[bytes]:
    """A regex equivalent to needle1|needle2|..., factored by common prefixes."""
    trie: dict = {}
    for needle in needles:
        node = trie
        for byte in needle:
            node = node.setdefault(byte, {})
        node[None] = True

    def build(node: dict) -> bytes:
        branches = [
            re.escape(bytes([b])) + build(child)
            for b, child in sorted((k, v) for k, v in node.items() if k is not None)
        ]
        if not branches:
            return b""
        if len(branches) == 1 and None not in node:
            return branches[0]
        return b"(?:" + b"|".join(branches) + b")" + (b"?" if None in node else b"")

    return re.compile(build(trie))


@dataclass
class ResidualScanner:
    pattern: re.Pattern[bytes] | None
    text_needles: dict[bytes, str] = field(default_factory=dict)  # needle -> category (boundary-checked)
    wide_needles: dict[bytes, str] = field(default_factory=dict)  # UTF-16 needle -> category
    searched: int = 0
    skipped_short: int = 0

    @classmethod
    def build(cls, found: IdentifierSet, min_length: int) -> ResidualScanner:
        text: dict[bytes, str] = {}
        wide: dict[bytes, str] = {}
        searched = skipped = 0
        for value, category in found.values.items():
            clean = value.strip()
            if clean.lower() in OWN_VALUES:
                continue
            ideographic = is_ideographic(clean)
            too_short = not ideographic and (len(clean) < min_length or (clean.isdigit() and len(clean) < _MIN_DIGITS))
            if too_short or not any(c.isalnum() for c in clean):
                skipped += 1
                continue
            searched += 1
            # the buffer is lower-cased bytewise (ASCII); these spellings cover non-ASCII letters
            spellings = {clean, clean.lower(), clean.upper(), clean.title(), clean.capitalize(), clean.casefold()}
            for variant in spellings:
                for enc in ("utf-8", "latin-1"):
                    try:
                        encoded = variant.encode(enc).lower()
                    except UnicodeEncodeError:
                        continue
                    if len(encoded) >= (_MIN_LEGACY_BYTES if ideographic else 1):
                        text.setdefault(encoded, category)
                utf16 = variant.encode("utf-16-le").lower()[:-1]
                if len(utf16) >= (_MIN_LEGACY_BYTES if ideographic else 1):
                    wide.setdefault(utf16, category)
                if not variant.isascii():
                    for codec in LEGACY_CODECS:
                        try:
                            encoded = variant.encode(codec)
                        except (UnicodeEncodeError, LookupError):
                            continue
                        if encoded.endswith((b"\x1b(B", b"\x1b(J")):  # ISO 2022: the switch back may differ
                            encoded = encoded[:-3]
                        if len(encoded) >= _MIN_LEGACY_BYTES and (not encoded.isascii() or b"\x1b" in encoded):
                            wide.setdefault(encoded.lower(), category)
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


@dataclass
class TextScanner:
    """Searches decoded, NFKC-normalised, case-folded text for the send's identifying values."""

    pattern: re.Pattern[str] | None
    categories: dict[str, str] = field(default_factory=dict)
    # Needles that are ASCII only after normalising (full-width letters): the raw byte search cannot find
    # them in ASCII text. Without any, ASCII text is left to the raw search, which sees the same bytes.
    folds_to_ascii: bool = False

    @classmethod
    def build(cls, found: IdentifierSet, min_length: int) -> TextScanner:
        words: dict[str, str] = {}
        anywhere: dict[str, str] = {}
        folds = False
        for value, category in found.values.items():
            norm = normalize(value.strip())
            folds = folds or (norm.isascii() and not value.isascii())
            if not norm or norm in OWN_VALUES or not any(c.isalnum() for c in norm):
                continue
            if is_ideographic(norm):
                anywhere.setdefault(norm, category)
            elif len(norm) >= min_length and not (norm.isdigit() and len(norm) < _MIN_DIGITS):
                words.setdefault(norm, category)
        parts = [r"(?<!\w)" + re.escape(w) + r"(?!\w)" for w in sorted(words, key=len, reverse=True)]
        parts += [re.escape(w) for w in sorted(anywhere, key=len, reverse=True)]
        if not parts:
            return cls(None)
        return cls(re.compile("|".join(parts)), {**words, **anywhere}, folds)

    def find(self, text: str) -> str | None:
        """The category of the first identifying value in `text`, or None."""
        if self.pattern is None or not text or (text.isascii() and not self.folds_to_ascii):
            return None
        m = self.pattern.search(normalize(text))
        return self.categories.get(m.group(0), "identifying value") if m else None

    def redact(self, text: str, mask: str = "***") -> tuple[str, int]:
        """`text` with every identifying value replaced by `mask` (on the normalised text), and the count."""
        if self.pattern is None or not text:
            return text, 0
        norm = normalize(text)
        if len(norm) != len(text):  # normalisation changed lengths: redact on the normalised text
            text = norm
        out, count, pos = [], 0, 0
        for m in self.pattern.finditer(norm):
            out.append(text[pos : m.start()])
            out.append(mask)
            pos = m.end()
            count += 1
        out.append(text[pos:])
        return "".join(out), count
