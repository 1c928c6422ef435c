"""What OCR'd text must be blanked: the send's identifying values, plus patterns that look like dates and
record numbers (as Presidio's DICOM image redactor does with its recognisers).

OCR is imperfect, so a word matches a deny-list value when, after case folding and the usual OCR confusions
(0/O, 1/l/I, 5/S, 8/B), it equals it, differs by one character (two for long values), or is a clipped piece
of it at least five characters long (text cut off by the image edge).
"""

from __future__ import annotations

import re

from sodclient.deid.residual import normalize

_CONFUSIONS = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l", "5": "s", "8": "b", "$": "s"})
_DATE = re.compile(
    r"\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}|(?:19|20)\d{6}|\d{1,2}[a-z]{3}(?:19|20)?\d{2}|"
    r"[a-z]{3,9}\d{1,2}(?:19|20)\d{2}"
)
_RECORD_NUMBER = re.compile(r"(?=.*\d)[a-z0-9]*\d{5,}[a-z0-9]*")
_TOKEN = re.compile(r"\w+", re.UNICODE)


def _canon(token: str) -> str:
    return normalize(token).translate(_CONFUSIONS)


def _close(a: str, b: str) -> bool:
    """Levenshtein distance within 1 (2 for 9+ characters), without building the full table."""
    limit = 2 if max(len(a), len(b)) >= 9 else 1
    if abs(len(a) - len(b)) > limit:
        return False
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return False
        previous = current
    return previous[-1] <= limit


class DenyList:
    """Built lazily: most images have no text, so most deny-lists are never consulted."""

    def __init__(self, values: list[str]):
        self._values = values
        self._tokens: set[str] | None = None

    @property
    def tokens(self) -> set[str]:
        if self._tokens is None:
            self._tokens = self._build(self._values)
        return self._tokens

    @staticmethod
    def _build(values: list[str]) -> set[str]:
        tokens: set[str] = set()
        for value in values:
            for token in _TOKEN.findall(value):
                if len(token) >= 3 or (token and not token.isascii()):
                    tokens.add(_canon(token))
            glued = "".join(_TOKEN.findall(value))
            if len(glued) >= 5:
                tokens.add(_canon(glued))
        return tokens

    def why(self, word: str) -> str | None:
        """A PHI-free reason when this OCR'd word must be blanked, else None."""
        plain = normalize(word)
        for token in _TOKEN.findall(plain):
            canon = _canon(token)
            if len(canon) < 3 and canon.isascii():
                continue
            for deny in self.tokens:
                if (
                    canon == deny
                    or (len(canon) >= 4 and _close(canon, deny))
                    or (len(canon) >= 5 and (deny.startswith(canon) or deny.endswith(canon) or canon in deny))
                    or (len(deny) >= 5 and deny in canon)
                ):
                    return "identifying value"
        compact = re.sub(r"\s+", "", plain)
        if _DATE.search(compact):
            return "date"
        if _RECORD_NUMBER.fullmatch(re.sub(r"\W", "", compact)):
            return "record number"
        return None
