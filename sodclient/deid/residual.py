"""The last gate: search every output byte and name for the original identifying values.

One compiled bytes regex (case-insensitive) holds every value in UTF-8, Latin-1 and UTF-16 (LE/BE);
a hit blocks the file. Text spellings are matched only when not glued inside a longer word or number
(so "Anna" does not block "Annotation"); UTF-16 spellings, rare by chance, are matched anywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sodclient.deid.identifiers import IdentifierSet

# Values we write ourselves: never identifying, so never searched for.
_OWN_VALUES = {"anonymized", "peer review", "peer", "review", "yes", "no", "removed", "modified"}


@dataclass
class ResidualScanner:
    pattern: re.Pattern[bytes] | None
    categories: dict[bytes, str]
    searched: int
    skipped_short: int

    @classmethod
    def build(cls, found: IdentifierSet, min_length: int) -> "ResidualScanner":
        text_forms: dict[bytes, str] = {}
        wide_forms: dict[bytes, str] = {}
        searched = skipped = 0
        for value, category in found.values.items():
            clean = value.strip()
            if clean.lower() in _OWN_VALUES:
                continue
            if len(clean) < min_length or not any(c.isalnum() for c in clean):
                skipped += 1
                continue
            searched += 1
            for variant in {clean, clean.lower(), clean.upper()}:
                for enc in ("utf-8", "latin-1"):
                    try:
                        text_forms.setdefault(variant.encode(enc), category)
                    except UnicodeEncodeError:
                        pass
                for enc in ("utf-16-le", "utf-16-be"):
                    wide_forms.setdefault(variant.encode(enc), category)
        if not text_forms:
            return cls(None, {}, searched, skipped)
        # Longest first, so the most specific spelling is the one reported.
        text_alt = b"|".join(re.escape(v) for v in sorted(text_forms, key=len, reverse=True))
        wide_alt = b"|".join(re.escape(v) for v in sorted(wide_forms, key=len, reverse=True))
        pattern = re.compile(
            rb"(?<![A-Za-z0-9])(?:" + text_alt + rb")(?![A-Za-z0-9])|(?:" + wide_alt + rb")",
            re.IGNORECASE,
        )
        categories = {k.lower(): v for k, v in {**wide_forms, **text_forms}.items()}
        return cls(pattern, categories, searched, skipped)

    def scan(self, data: bytes | memoryview) -> str | None:
        """The category of the first identifying value found (e.g. "name part"), or None when clean."""
        if self.pattern is None:
            return None
        m = self.pattern.search(data)
        if m is None:
            return None
        return self.categories.get(m.group(0).lower(), "identifying value")

    def scan_name(self, name: str) -> str | None:
        return self.scan(name.encode("utf-8"))
