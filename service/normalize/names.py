"""Name normalization shared by list values and queries: repair, fold, transliterate, tokenize, classify.

Every name goes through `normalize_name` once (at index build or query time):
  1. repair mis-encoded text (UTF-8 read as cp1252/Latin-1: "BolÃ­var" -> "Bolívar");
  2. NFKC, transliterate every script to ASCII (anyascii: Cyrillic, Greek, Arabic, Persian, Hebrew, CJK,
     Hangul, ...), case-fold; CJK syllables are split ("XiJinPing" -> "xi jin ping");
  3. canonicalize multi-word company legal forms ("Limited Liability Company", "Obshchestvo s Ogranichennoy
     Otvetstvennostyu" -> "llc") and drop apostrophes ("Qa'ida" -> "qaida"), other punctuation splits tokens.
Tokens are then classed: legal forms and honorifics are weak (they neither carry a match nor are dropped),
particles (al, bin, de, van, ...) and patronymics are light.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache
from itertools import groupby

import ftfy
from anyascii import anyascii

from service.normalize.scripts import detect_script

# Characters that almost only occur in mojibake (UTF-8 bytes decoded as cp1252/Latin-1).
_MOJIBAKE = re.compile(
    r"[ÃÂÐÑØÙ][\x80-\xbf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]|â€"
)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_ARABIC_ARTICLE = re.compile(r"(?<![\w\u0600-\u06ff])\u0627\u0644(?=[\u0621-\u064a]{2})")
_APOSTROPHES = re.compile(r"['’‘`´ʼʻ\u02bc\u02bb\u02be\u02bf]")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_SLASHED_PREFIX = re.compile(r"\b([mf])/([vtys])\b")
_DOTTED_INITIALS = re.compile(r"\b(?:[a-z]\.){2,}")


class TokenClass(IntEnum):
    NORMAL = 0
    PARTICLE = 1  # al, el, bin, ibn, de, van, von, ...: part of the name, little evidence alone
    PATRONYMIC = 2  # -ovich, -evna, ogly, ...: often dropped by whoever types the name
    LEGAL = 3  # company legal forms: llc, jsc, ltd, gmbh, ...
    HONORIFIC = 4  # mr, dr, sheikh, haji, general, ...
    INITIAL = 5  # a single letter: "V. V. Putin"


# Multi-word legal forms -> canonical short form. Order matters: longest phrases first.
_LEGAL_PHRASES: tuple[tuple[str, str], ...] = (
    (r"publichn\w* aktsionern\w* obshchestv\w*", "pao"),
    (r"otkryt\w* aktsionern\w* obshchestv\w*", "oao"),
    (r"zakryt\w* aktsionern\w* obshchestv\w*", "zao"),
    (r"nepublichn\w* aktsionern\w* obshchestv\w*", "ao"),
    (r"aktsionern\w* obshchestv\w*", "ao"),
    (r"obshchestv\w* s ogranichenn\w* otvetstvennost\w*", "llc"),
    (r"tovarystv\w* z obmezhen\w* vidpovidalnist\w*", "llc"),
    (r"public joint[ -]stock company", "pjsc"),
    (r"open joint[ -]stock company", "ojsc"),
    (r"closed joint[ -]stock company", "cjsc"),
    (r"joint[ -]stock company", "jsc"),
    (r"limited liability company", "llc"),
    (r"limited liability partnership", "llp"),
    (r"limited partnership", "lp"),
    (r"public limited company", "plc"),
    (r"private limited company", "ltd"),
    (r"private limited", "ltd"),
    (r"company limited", "co ltd"),
    (r"free zone establishment", "fze"),
    (r"free zone company", "fzco"),
    (r"gesellschaft mit beschrankter haftung", "gmbh"),
    (r"societe anonyme", "sa"),
    (r"sociedad anonima", "sa"),
    (r"societe a responsabilite limitee", "sarl"),
    (r"sociedad de responsabilidad limitada", "srl"),
    (r"societa per azioni", "spa"),
    (r"besloten vennootschap", "bv"),
    (r"naamloze vennootschap", "nv"),
    (r"sanayi ve ticaret", "sanayi ticaret"),
)
_LEGAL_RE = re.compile("|".join(rf"\b(?P<g{i}>{p})\b" for i, (p, _) in enumerate(_LEGAL_PHRASES)))
# "Abd al-Hakim", "Abdel Hakim", "Abd-ul Hakim", abjad "bd al hkym": one form, as most listings write it
_ABDUL = re.compile(r"\b(?:abd|bd)(?:\s?(?:al|el|ul|u|l))?\b|\babd(?:el|al)\b")
_ALLAH = re.compile(r"\b([a-z]+) (?:al )?allah\b")
_LEGAL_REPL = {f"g{i}": r for i, (_, r) in enumerate(_LEGAL_PHRASES)}
# Cheap pre-check: every phrase above contains one of these stems.
_LEGAL_STEMS = re.compile(
    "obshch|tovaryst|stock|limited|partnership|company|zone|gesellschaft|societ|sociedad|vennootschap|sanayi"
)


def _legal_phrase(m: re.Match[str]) -> str:
    return _LEGAL_REPL[m.lastgroup or ""]


# Single-token legal forms and their canonical class (so "ooo" ~ "llc", "oao" ~ "ojsc").
_LEGAL_TOKENS: dict[str, str] = {
    **dict.fromkeys(("llc", "ooo", "tov", "too", "mchj", "llp", "lp"), "llc"),
    **dict.fromkeys(("ltd", "limited", "plc", "pty", "pvt", "pte", "bhd", "sdn"), "ltd"),
    **dict.fromkeys(("jsc", "ao", "oao", "ojsc", "zao", "cjsc", "pao", "pjsc", "ad", "pat", "prat", "at"), "jsc"),
    **dict.fromkeys(("inc", "incorporated", "corp", "corporation", "co", "company", "cie", "cia"), "co"),
    **dict.fromkeys(("gmbh", "ag", "kg", "mbh", "ug", "se"), "gmbh"),
    **dict.fromkeys(("sa", "sas", "sarl", "srl", "spa", "sl", "sae", "sac", "saic", "sal", "de", "cv"), "sa"),
    **dict.fromkeys(("bv", "nv", "as", "ab", "oy", "aps", "kft", "zrt", "doo", "dd", "sro", "spzoo"), "bv"),
    **dict.fromkeys(("fze", "fzco", "fzc", "fz", "fzllc", "fzllc", "dmcc", "est", "establishment"), "fze"),
    **dict.fromkeys(("group", "holding", "holdings", "enterprise", "enterprises"), "group"),
    **dict.fromkeys(
        ("aviakompaniya", "aviakompania", "airlines", "airline", "airways", "aviation", "air", "avia", "aero"),
        "airline",
    ),
    **dict.fromkeys(("shipping", "maritime", "marine", "navigation", "lines"), "shipping"),
    **dict.fromkeys(("trading", "trade", "import", "export", "general", "international", "intl"), "trading"),
}
# "de" and "general" are ambiguous: they are particles / ordinary words in names; keep them out of LEGAL.
for _ambiguous in ("de", "general", "cv"):
    _LEGAL_TOKENS.pop(_ambiguous, None)

_PARTICLES = frozenset(
    "al el ul ad ar as ash at az bin bn ibn bint bent ben abu abd abdel abdul um umm "
    "de da do dos das del della di du la le van von der den ter zu mac mc st san".split()
)
_HONORIFICS = frozenset(
    "mr mrs ms miss dr prof sir sheikh shaikh shaykh sheik haji hajji hajj mullah mulla maulvi maulavi "
    "maulana mawlawi qari imam sayyid sayed syed hafiz emir amir "
    "colonel col gen lieutenant lt major maj capt captain brigadier admiral marshal sgt "
    # vessel prefixes and words people type around a ship's name ("MV OLYMPIA", "M/Y Amadea", "tanker Liberty")
    "mv mt my ss fv yacht tanker vessel".split()
)
_PATRONYMIC = re.compile(r"^\w{2,}(?:ovich|evich|ievich|yevich|ich|ovna|evna|ievna|yevna|ichna|ogly|oglu|kyzy|qizi)$")


def repair_encoding(text: str) -> str:
    """Undo UTF-8-read-as-cp1252/Latin-1 mojibake; text without its telltale pairs is returned unchanged."""
    if _MOJIBAKE.search(text):
        return str(ftfy.fix_encoding(text))
    return text


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Repaired, transliterated, lower-case ASCII with single spaces; punctuation kept (see `normalize_name`)."""
    s = unicodedata.normalize("NFKC", repair_encoding(text))
    s = _CAMEL.sub(" ", s)  # "KingRoyal" -> "King Royal" (ASCII letters only)
    if not s.isascii():
        # the Arabic article is written joined to its noun ("المجيد"); Latin listings separate it ("al-Majid")
        s = s.replace("\u0627\u0644\u0644\u0647", " allah ")  # الله is a word, not al- + lh
        s = _ARABIC_ARTICLE.sub("al ", s)
        # lower-case first: anyascii writes "ОБЩЕСТВО" as "OBShchESTVO", which must not split at "hchE"
        s = anyascii(s.lower())
        s = _CAMEL.sub(" ", s)  # anyascii joins CJK syllables as "XiJinPing"
    return " ".join(s.lower().split())


def _dotted(m: re.Match[str]) -> str:
    """Dotted letters: a legal form when they spell one ("s.a.", "l.l.c." -> "sa", "llc"), else initials
    ("v.v. putin" -> "v v putin")."""
    joined = m.group(0).replace(".", "")
    return joined if joined in _LEGAL_TOKENS else " ".join(joined) + " "


@lru_cache(maxsize=65536)
def normalize_name(text: str) -> str:
    """The canonical comparable form of a name: tokens of [a-z0-9] separated by single spaces."""
    s = fold(text)
    s = _DOTTED_INITIALS.sub(_dotted, s)
    s = _SLASHED_PREFIX.sub(r"\1\2", s)  # "m/v", "m/y", "m/t" -> "mv", "my", "mt"
    s = _APOSTROPHES.sub("", s)
    s = _NON_ALNUM.sub(" ", s).strip()
    if _LEGAL_STEMS.search(s):
        s = _LEGAL_RE.sub(_legal_phrase, s)
    if "allah" in s:
        s = _ALLAH.sub(r"\1allah", s)  # "Khayr Allah" / "خير الله" -> "khayrallah", as most listings write it
    if "bd" in s:
        s = _ABDUL.sub("abdul", s)
    return s


def tokens(text: str) -> tuple[str, ...]:
    return tuple(normalize_name(text).split())


def legal_class(token: str) -> str | None:
    """Canonical legal-form class of a token ("ooo" -> "llc"), None for ordinary tokens."""
    return _LEGAL_TOKENS.get(token)


@lru_cache(maxsize=131072)
def classify(token: str) -> TokenClass:
    if len(token) == 1 and token.isalpha():
        return TokenClass.INITIAL
    if token in _LEGAL_TOKENS:
        return TokenClass.LEGAL
    if token in _HONORIFICS:
        return TokenClass.HONORIFIC
    if token in _PARTICLES:
        return TokenClass.PARTICLE
    if _PATRONYMIC.match(token):
        return TokenClass.PATRONYMIC
    return TokenClass.NORMAL


# Transliteration-robust consonant skeleton: digraphs first, then letters that transliterations swap.
_SKELETON_DIGRAPHS = (
    ("shch", "s"),
    ("sch", "s"),
    ("tch", "c"),
    ("dzh", "j"),
    ("zh", "j"),
    ("dj", "j"),
    ("kh", "h"),
    ("gh", "k"),
    ("ph", "f"),
    ("th", "t"),
    ("dh", "d"),
    ("v", "b"),  # Hebrew bet/vet ("Ben" ~ "vn"), Spanish b/v
    ("p", "f"),  # Hebrew pe/fe ("Pazi" ~ "fzy"); Arabic has no p
    ("sh", "s"),
    ("ch", "h"),  # German/Dutch "Achmed", Russian "Chernov" (both sides alike): closer to kh than to k
    ("ck", "k"),
    ("ks", "x"),
    ("ts", "c"),
    ("tz", "c"),
)
_SKELETON_LETTERS = str.maketrans({"q": "k", "g": "k", "c": "k", "z": "s", "x": "k"})
_VOWELS = re.compile(r"[aeiouyw]+")


@lru_cache(maxsize=131072)
def skeleton(token: str) -> str:
    """Consonant skeleton robust to transliteration: Muhammad/Mohammed/محمد -> "mhmd", Qaddafi/Gaddafi -> "kdf".

    Vowels (and w/y, which Arabic and Cyrillic transliterations use for long vowels) are dropped, letters that
    systems swap (q/k/g/c, z/s) are merged, doubled letters collapse, and a final h is dropped.
    """
    s = token
    for a, b in _SKELETON_DIGRAPHS:
        if a in s:
            s = s.replace(a, b)
    s = s.translate(_SKELETON_LETTERS)
    s = _VOWELS.sub("", s)
    s = "".join(ch for ch, _ in groupby(s))
    if len(s) > 2 and s.endswith("h"):
        s = s[:-1]
    return s or token[:1]


@lru_cache(maxsize=131072)
def skeletons(token: str) -> tuple[str, ...]:
    """The skeleton, plus a second one where "ch" is read as French and Maghreb transliterations write it:
    "sh" (Cherif ~ Sharif, Chouman ~ Shuman) rather than the German/Russian "kh"/"h" of the first."""
    first = skeleton(token)
    if "ch" not in token or "tch" in token:
        return (first,)
    second = skeleton(token.replace("ch", "sh"))
    return (first,) if second == first else (first, second)


_ABJADS = frozenset({"Arab", "Hebr", "Syrc", "Thaa"})
# ("eo", "o") and a leading "eu": Korean Revised Romanization against the McCune-Reischauer forms lists use
# (Jeong-eun ~ Jong Un). Not "eu" inside a syllable: Seung ~ Sung would meet Sang.
_VOWEL_FOLDS = (("ee", "i"), ("oo", "u"), ("ou", "u"), ("ii", "i"), ("ae", "a"), ("eo", "o"))


@lru_cache(maxsize=131072)
def fold_vowels(token: str) -> str:
    """Transliteration-neutral vowels: Yevgeny/Evgenii -> "evgeni", Areef/Arif -> "arif", Saeed/Sayd -> "said".

    y is a vowel after the first letter, doubled and digraph vowels collapse, a leading "ye" is "e" and a
    leading "eu" is "u".
    """
    s = token
    if (s.startswith("ye") and len(s) > 3) or s.startswith("eu"):
        s = s[1:]
    s = s[:1] + s[1:].replace("y", "i")
    for a, b in _VOWEL_FOLDS:
        if a in s:
            s = s.replace(a, b)
    return s


@dataclass(frozen=True, slots=True)
class NormalizedName:
    text: str  # normalized string
    tokens: tuple[str, ...]
    classes: tuple[TokenClass, ...]
    compact: str  # tokens joined without spaces, minus honorifics ("Al Qa'ida" -> "alqaida")
    abjad: bool = False  # written in a script whose transliteration drops vowels (Arabic, Hebrew, Syriac, Thaana)


@lru_cache(maxsize=65536)
def analyze(text: str) -> NormalizedName:
    norm = normalize_name(text)
    toks = tuple(norm.split())
    classes = tuple(map(classify, toks))
    compact = "".join(t for t, c in zip(toks, classes, strict=True) if c != TokenClass.HONORIFIC)
    abjad = not text.isascii() and detect_script(text) in _ABJADS
    return NormalizedName(text=norm, tokens=toks, classes=classes, compact=compact, abjad=abjad)
