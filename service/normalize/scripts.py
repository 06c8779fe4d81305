"""Which writing system a name is in (ISO 15924 codes), from Unicode character names; no tables to maintain."""

from __future__ import annotations

import unicodedata
from collections import Counter
from functools import lru_cache

# Prefixes of Unicode character names -> ISO 15924 script code.
_PREFIXES: tuple[tuple[str, str], ...] = (
    ("LATIN", "Latn"),
    ("CYRILLIC", "Cyrl"),
    ("ARABIC", "Arab"),
    ("GREEK", "Grek"),
    ("HEBREW", "Hebr"),
    ("CJK", "Hani"),
    ("HIRAGANA", "Jpan"),
    ("KATAKANA", "Jpan"),
    ("HANGUL", "Hang"),
    ("THAI", "Thai"),
    ("GEORGIAN", "Geor"),
    ("ARMENIAN", "Armn"),
    ("DEVANAGARI", "Deva"),
    ("BENGALI", "Beng"),
    ("ETHIOPIC", "Ethi"),
    ("MYANMAR", "Mymr"),
    ("KHMER", "Khmr"),
    ("TAMIL", "Taml"),
    ("SYRIAC", "Syrc"),
    ("THAANA", "Thaa"),
    ("MONGOLIAN", "Mong"),
    ("TIBETAN", "Tibt"),
)


@lru_cache(maxsize=4096)
def char_script(ch: str) -> str | None:
    """Script code of one letter, or None for digits, punctuation and spaces."""
    if not ch.isalpha():
        return None
    if ch.isascii():
        return "Latn"
    name = unicodedata.name(ch, "")
    for prefix, code in _PREFIXES:
        if name.startswith(prefix):
            return code
    return "Zyyy"  # a letter of a script not listed above


def detect_script(text: str) -> str:
    """The dominant script of `text` ("Latn" for empty or letterless text)."""
    counts = Counter(s for s in map(char_script, text) if s)
    if not counts:
        return "Latn"
    return counts.most_common(1)[0][0]


def is_latin(text: str) -> bool:
    return all(char_script(ch) in (None, "Latn") for ch in text)
