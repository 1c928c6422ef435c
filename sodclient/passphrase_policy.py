"""The transfer-passphrase policy (shared with `sod pack`: `sodformat.passphrase_policy`) and a generator
of passphrases that meet it and read well aloud over the phone.

Generated passphrases are six words of the EFF Large Wordlist (`sodclient/data/`, CC BY 3.0, source and
licence beside it), each starting with a capital, joined by dashes, then a two-digit number:
"Velvet-Harbor-Gravy-Sprain-Unmasked-Atlas-47". 6 x log2(7772) + log2(90) = about 84 bits, chosen with
`secrets`; the container's Argon2id adds its cost on top.
"""

from __future__ import annotations

import math
import secrets
from functools import lru_cache
from importlib import resources

from sodformat.passphrase_policy import MIN_LENGTH, check

WORDS_IN_A_PASSPHRASE = 6


@lru_cache(maxsize=1)
def words() -> tuple[str, ...]:
    """The EFF Large Wordlist, without its four hyphenated words (a dash is our separator)."""
    text = resources.files("sodclient").joinpath("data/eff_large_wordlist.txt").read_text("utf-8")
    return tuple(w for w in text.split() if w.isalpha())


def generate(count: int = WORDS_IN_A_PASSPHRASE) -> str:
    """E.g. 'Velvet-Harbor-Gravy-Sprain-Unmasked-Atlas-47': words to read out, a number to type."""
    pool = words()
    chosen = [secrets.choice(pool).capitalize() for _ in range(count)]
    text = "-".join([*chosen, str(10 + secrets.randbelow(90))])
    assert not check(text), text  # always true by construction; the policy must never reject our own suggestion
    return text


def bits(count: int = WORDS_IN_A_PASSPHRASE) -> float:
    return count * math.log2(len(words())) + math.log2(90)


__all__ = ["MIN_LENGTH", "bits", "check", "generate", "words"]
