"""Name normalization shared by list values and queries: repair, fold, transliterate, tokenize, classify.

Every name goes through `normalize_name` once (at index build or query time):
  1. repair mis-encoded text (UTF-8 read as cp1252/Latin-1: "BolÃ­var" -> "Bolívar");
  2. NFKC, transliterate every script to ASCII (anyascii: Cyrillic, Greek, Arabic, Persian, Hebrew, CJK,
     Hangul, ...), case-fold; CJK syllables are split ("XiJinPing" -> "xi jin ping");
  3. dotted letters become a legal form ("L.L.C."), an acronym ("A.B.C.") or initials ("V.V."); digits typed for
     letters are read as letters ("Ig0r" -> "igor"), number words as digits ("Forty-Four" -> "44");
  4. misspelt or truncated legal words are repaired ("Comapny", a last "Compan" -> "company"), multi-word legal
     forms canonicalized ("Limited Liability Company", "Obshchestvo s Ogranichennoy Otvetstvennostyu" -> "llc");
     apostrophes are dropped ("Qa'ida" -> "qaida"), other punctuation splits tokens.
Tokens are then classed by the vocabulary (service.normalize.vocabulary): legal forms and titles are weak (they
neither carry a match nor are dropped), particles (al, bin, de, van, ...) and patronymics are light. A name in a
non-Latin script also keeps its units in that script (`NormalizedName.native`), for comparing it in its own script.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache
from itertools import groupby, product
from sys import intern

from anyascii import anyascii
from rapidfuzz import process
from rapidfuzz.distance import OSA

from service.model.pickling import pickled_by_fields
from service.normalize.scripts import detect_script
from service.normalize.vocabulary import (
    ABDUL,
    ABJAD_HONORIFICS,
    HONORIFICS,
    LEGAL_FORMS,
    LEGAL_PHRASES,
    LEGAL_STEMS,
    LEGAL_WORD_MIN_LEN,
    LEGAL_WORDS,
    LOOKALIKE_LETTERS,
    MAX_PINYIN_SYLLABLE,
    NUMBER_TENS,
    NUMBER_WORDS,
    PARTICLES,
    PINYIN_SYLLABLES,
    is_patronymic,
)

# Characters that almost only occur in mojibake (UTF-8 bytes decoded as cp1252/Latin-1).
_MOJIBAKE = re.compile(
    r"[ÃÂÐÑØÙ][\x80-\xbf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]|â€"
)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_ARABIC_ARTICLE = re.compile(r"(?<![\w\u0600-\u06ff])\u0627\u0644(?=[\u0621-\u064a]{2})")
# Urdu and Persian letter forms of heh (ہ ھ ۀ) read as the Arabic one: "اللہ" is Allah.
_ARABIC_LETTER_FORMS = str.maketrans({"\u06c1": "\u0647", "\u06be": "\u0647", "\u06c0": "\u0647"})
_APOSTROPHES = re.compile(r"['’‘`´ʼʻ\u02bc\u02bb\u02be\u02bf]")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_SLASHED_PREFIX = re.compile(r"\b([mf])/([vtys])\b")
_DOTTED_INITIALS = re.compile(r"\b(?:[a-z]\.){2,}")
_DIGIT = re.compile("[0-9]")
_MIXED = re.compile(r"(?=[a-z]*[0-9])(?=[0-9]*[a-z])[a-z0-9]+")  # a token of letters and digits


class TokenClass(IntEnum):
    NORMAL = 0
    PARTICLE = 1  # al, el, bin, ibn, de, van, von, ...: part of the name, little evidence alone
    PATRONYMIC = 2  # -ovich, -evna, ...: often dropped by whoever types the name
    LEGAL = 3  # company legal forms: llc, jsc, ltd, gmbh, ...
    HONORIFIC = 4  # mr, dr, sheikh, haji, president, general, ...: titles in any language
    INITIAL = 5  # a single letter: "V. V. Putin"


_LEGAL_RE = re.compile("|".join(rf"\b(?P<g{i}>{p})\b" for i, (p, _) in enumerate(LEGAL_PHRASES)))
_LEGAL_REPL = {f"g{i}": r for i, (_, r) in enumerate(LEGAL_PHRASES)}
_ALLAH = re.compile(r"\b([a-z]+) (?:al )?allah\b")
# "stok", "stck": the middle word of "joint stock company", too short for the word repair
_JOINT_STOCK = re.compile(r"\bjoint st[a-z]{1,3} company\b")
_TRUNCATABLE = tuple(w for w in LEGAL_WORDS if len(w) >= 7)
MIN_TRUNCATED_LEN = 6  # "compan", "limite": a field limit cut the last legal word ...
MIN_TRUNCATED_SHARE = 0.6  # ... keeping at least this share of it
LONG_LEGAL_WORD = 10  # from this length a legal word may carry two slips ("incorperated", "aktiengeselschaft")
# Dotted letters of this many make an acronym (A.B.C. Company ~ ABC Co.); fewer are initials (V.V. Putin).
MIN_ACRONYM_LETTERS = 3
_UNITS = "|".join(w for w, n in NUMBER_WORDS.items() if 0 < n < 10)
_NUMBER_RUN = re.compile(
    rf"\b(?:(?P<tens>{'|'.join(NUMBER_TENS)})(?: (?P<unit>{_UNITS}))?|(?P<word>{'|'.join(NUMBER_WORDS)}))\b"
)
_NUMBER_HINT = re.compile("one|two|thre|four|five|six|seven|eight|nine|ten|eleven|twelve|teen|ty|zero")
MIN_LOOKALIKE_LETTERS = 3  # "Ig0r": at least this many letters around the digits ...
MAX_LOOKALIKE_DIGIT_SHARE = 1.0  # ... and no more digits than letters ("a320", "imo9339325" stay codes)


def repair_encoding(text: str) -> str:
    """Undo UTF-8-read-as-cp1252/Latin-1 mojibake; text without its telltale pairs is returned unchanged."""
    if _MOJIBAKE.search(text):
        # imported here: ftfy's tables cost every process 40-50 ms at start (a tenth of a server's restart), and
        # only the rare mis-encoded name needs them
        import ftfy

        return str(ftfy.fix_encoding(text))
    return text


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Repaired, transliterated, lower-case ASCII with single spaces; punctuation kept (see `normalize_name`)."""
    s = unicodedata.normalize("NFKC", repair_encoding(text))
    s = _CAMEL.sub(" ", s)  # "KingRoyal" -> "King Royal" (ASCII letters only)
    if not s.isascii():
        s = s.translate(_ARABIC_LETTER_FORMS)
        # the Arabic article is written joined to its noun ("المجيد"); Latin listings separate it ("al-Majid")
        s = s.replace("\u0627\u0644\u0644\u0647", " allah ")  # الله is a word, not al- + lh
        s = _ARABIC_ARTICLE.sub("al ", s)
        # ض is written d, dh or z in Latin (Fadl, Fadhl, Fazl): transliterated "dh" like ذ and ظ, so that a plain
        # "d" stays the unambiguous د and only "dh" reads as z too (see `abjad_skeletons`)
        s = s.replace("\u0636", "\u0638")
        # the zero-width non-joiner keeps two Persian words apart without a space (سید‌صادق: Seyed Sadegh)
        s = s.replace("\u200c", " ")
        # lower-case first: anyascii writes "ОБЩЕСТВО" as "OBShchESTVO", which must not split at "hchE"
        s = anyascii(s.lower())
        s = _CAMEL.sub(" ", s)  # anyascii joins CJK syllables as "XiJinPing"
    return " ".join(s.lower().split())


def _dotted(m: re.Match[str]) -> str:
    """Dotted letters: a legal form when they spell one ("s.a.", "l.l.c." -> "sa", "llc"), an acronym when there
    are three or more ("a.b.c." -> "abc"), else initials ("v.v. putin" -> "v v putin")."""
    joined = m.group(0).replace(".", "")
    if joined in LEGAL_FORMS or len(joined) >= MIN_ACRONYM_LETTERS:
        return f" {joined} "
    return " ".join(joined) + " "


def _lookalike(m: re.Match[str]) -> str:
    """Digits typed for letters inside a word ("ig0r sech1n" -> "igor sechin"); codes ("a320", "9k") stay."""
    token = m.group(0)
    digits = [ch for ch in token if ch.isdigit()]
    letters = len(token) - len(digits)
    if (
        letters < MIN_LOOKALIKE_LETTERS
        or len(digits) > letters * MAX_LOOKALIKE_DIGIT_SHARE
        or any(d not in LOOKALIKE_LETTERS for d in digits)
    ):
        return token
    return "".join(LOOKALIKE_LETTERS.get(ch, ch) for ch in token)


def _legal_phrase(m: re.Match[str]) -> str:
    return _LEGAL_REPL[m.lastgroup or ""]


def _number(m: re.Match[str]) -> str:
    if m.group("word"):
        return str(NUMBER_WORDS[m.group("word")])
    return str(NUMBER_TENS[m.group("tens")] + (NUMBER_WORDS[m.group("unit")] if m.group("unit") else 0))


@lru_cache(maxsize=65536)
def repair_legal_word(token: str, last: bool) -> str:
    """A misspelt legal word ("comapny", "liabilty", "incorperated") as written correctly, and the last token of a
    name cut short by a field limit ("compan", "corporatio"); any other token unchanged."""
    if len(token) <= LEGAL_WORD_MIN_LEN or token in LEGAL_FORMS or not token.isalpha():
        return token
    slips = 2 if len(token) >= LONG_LEGAL_WORD else 1
    found = process.extractOne(token, LEGAL_WORDS, scorer=OSA.distance, score_cutoff=slips)
    if found is not None and found[1] > 0:
        return str(found[0])
    if last and len(token) >= MIN_TRUNCATED_LEN:
        for word in _TRUNCATABLE:
            if word.startswith(token) and len(token) >= MIN_TRUNCATED_SHARE * len(word) and word != token:
                return word
    return token


@lru_cache(maxsize=65536)
def normalize_name(text: str) -> str:
    """The canonical comparable form of a name: tokens of [a-z0-9] separated by single spaces."""
    s = fold(text)
    s = _DOTTED_INITIALS.sub(_dotted, s)
    s = _SLASHED_PREFIX.sub(r"\1\2", s)  # "m/v", "m/y", "m/t" -> "mv", "my", "mt"
    s = _APOSTROPHES.sub("", s)
    s = _NON_ALNUM.sub(" ", s).strip()
    if _DIGIT.search(s):
        s = _MIXED.sub(_lookalike, s)
    if _NUMBER_HINT.search(s):
        s = _NUMBER_RUN.sub(_number, s)
    toks = s.split()
    toks = [repair_legal_word(t, i == len(toks) - 1) for i, t in enumerate(toks)]
    s = " ".join(toks)
    if LEGAL_STEMS.search(s):
        s = _JOINT_STOCK.sub("joint stock company", s)
        s = _LEGAL_RE.sub(_legal_phrase, s)
    if "allah" in s:
        s = _ALLAH.sub(r"\1allah", s)  # "Khayr Allah" / "خير الله" -> "khayrallah", as most listings write it
    if "bd" in s:
        s = ABDUL.sub("abdul", s)
    return s


def tokens(text: str) -> tuple[str, ...]:
    return tuple(normalize_name(text).split())


def legal_class(token: str) -> str | None:
    """Canonical legal-form class of a token ("ooo" -> "llc"), None for ordinary tokens."""
    return LEGAL_FORMS.get(token)


@lru_cache(maxsize=131072)
def classify(token: str) -> TokenClass:
    if len(token) == 1 and token.isalpha():
        return TokenClass.INITIAL
    if token in LEGAL_FORMS:
        return TokenClass.LEGAL
    if token in HONORIFICS:
        return TokenClass.HONORIFIC
    if token in PARTICLES:
        return TokenClass.PARTICLE
    if is_patronymic(token):
        return TokenClass.PATRONYMIC
    return TokenClass.NORMAL


# Transliteration-robust consonant skeleton: digraphs first, then letters that transliterations swap.
_SKELETON_DIGRAPHS = (
    ("shch", "s"),
    ("tsch", "h"),  # German for the Russian ч (Janowitsch ~ Janovich), read as "ch" is below
    ("sch", "s"),
    ("tch", "h"),  # French for the same sound (Vyatcheslav ~ Vyacheslav)
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
_ANY_DIGRAPH = re.compile("|".join(re.escape(a) for a, _ in _SKELETON_DIGRAPHS))
_DOUBLED = re.compile(r"(.)\1", re.DOTALL)


@lru_cache(maxsize=131072)
def skeleton(token: str, collapse: bool = True) -> str:
    """Consonant skeleton robust to transliteration: Muhammad/Mohammed/محمد -> "mhmd", Qaddafi/Gaddafi -> "kdf".

    Vowels (and w/y, which Arabic and Cyrillic transliterations use for long vowels) are dropped, letters that
    systems swap (q/k/g/c, z/s) are merged, doubled letters collapse (before the vowels go), and a final h is
    dropped. `collapse=False` keeps doubled letters (an abjad writes a doubled consonant once: two letters in its
    transliteration are two consonants).
    """
    s = token
    if _ANY_DIGRAPH.search(s):  # (most tokens have none: one search instead of a test per digraph)
        for a, b in _SKELETON_DIGRAPHS:
            if a in s:
                s = s.replace(a, b)
    s = s.translate(_SKELETON_LETTERS)
    # doubled letters collapse before the vowels go: "Hassan" is "hsn", but "Aziz" keeps both its z ("ss")
    if collapse and _DOUBLED.search(s):
        s = "".join(ch for ch, _ in groupby(s))
    s = _VOWELS.sub("", s)
    if len(s) > 2 and s.endswith("h"):
        s = s[:-1]
    return s or token[:1]


@lru_cache(maxsize=131072)
def skeletons(token: str) -> tuple[str, ...]:
    """The skeleton, plus the readings French and Maghreb transliterations give: "ch" as "sh" (Cherif ~ Sharif,
    Chouman ~ Shuman) rather than the German/Russian "kh"/"h" of the first, a soft "c" as "s" (Cesar ~ Sezar,
    Mercedes ~ Mersedes), and a "w" as the consonant v (Janowitsch ~ Janovich) rather than a long vowel."""
    out = [skeleton(token)]
    if "ch" in token and "tch" not in token:
        out.append(skeleton(token.replace("ch", "sh")))
    if _SOFT_C.search(token):
        out.append(skeleton(_SOFT_C.sub("s", token)))
    if "w" in token:
        out.append(skeleton(token.replace("w", "v")))  # German and Polish w (Janowitsch, Wladimir)
    return tuple(dict.fromkeys(out))


_SOFT_C = re.compile("c(?=[eiy])")


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


# How the Latin spellings of abjad letters vary where the transliteration writes one reading: ض ذ ظ (all "dh", see
# `fold`) are also written z (Fazl, Reza, Zahir), ث (th) s, ج (j) g (Egyptian Gamal); a final ة (h) is written t
# (Asbat) or not at all; "th", "dh", "ts", "ks" may be two letters (ت ه in تهران, Tehran; ت ص in المتصدق); و (w)
# is a vowel or the consonant v (Rezvani).
_ABJAD_READINGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("dh", ("dh", "z", "dah")),
    ("th", ("th", "s", "tah")),
    ("ts", ("tas",)),
    ("tz", ("taz",)),
    ("ks", ("kas",)),
    ("j", ("j", "g")),
    ("w", ("w", "v")),
)
MAX_ABJAD_READINGS = 5  # ambiguous letters expanded per token (2^5 readings at most)


@lru_cache(maxsize=131072)
def abjad_skeletons(token: str) -> tuple[str, ...]:
    """The skeletons of an abjad transliteration under every Latin spelling of its ambiguous letters
    ("fdl" for فضل -> "fdl", "fsl": Fazl; "sbh" for عصبة -> "sb", "sbt": Asbat)."""
    segments: list[tuple[str, ...]] = []
    i = ambiguous = 0
    while i < len(token):
        for src, readings in _ABJAD_READINGS:
            if token.startswith(src, i) and ambiguous < MAX_ABJAD_READINGS:
                segments.append(readings)
                ambiguous += 1
                i += len(src)
                break
        else:
            segments.append((token[i],))
            i += 1
    if len(token) > 2 and segments[-1] == ("h",):
        segments[-1] = ("h", "t")
    out: dict[str, None] = {}
    for parts in product(*segments):
        # two letters are two consonants (هلال "hll": Hilal, the alif between them unwritten) ...
        sk = skeleton("".join(parts), collapse=False)
        out[sk] = None
        # ... though a letter written twice across a long vowel may be one in Latin (چوہدری: Chaudhry)
        out["".join(ch for ch, _ in groupby(sk))] = None
    return tuple(out)


# Scripts whose transliteration loses what tells names apart, so two names in one of them are also compared in it:
# homophone characters (高石 / 高市 both "gao shi"), Hangul syllables, abjad letters that share one Latin letter.
# Alphabets that anyascii transliterates letter for letter (Cyrillic, Greek, Armenian, Georgian) are not here.
NATIVE_SCRIPTS = frozenset({"Hani", "Hang", "Jpan", "Arab", "Hebr", "Syrc", "Thaa", "Thai", "Ethi"})
IDEOGRAPHIC_SCRIPTS = frozenset({"Hani", "Hang", "Jpan"})  # compared character by character
# Arabic-script letters written interchangeably (hamza seats, taa marbuta, alif maqsura, Persian forms).
_ARABIC_UNIFY = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ی": "ي", "ک": "ك", "ؤ": "و", "ئ": "ي", "ء": None}
)
_ARABIC_ARTICLE_PREFIX = "ال"
MIN_ARTICLED_WORD = 4  # "ال" + two letters or more: an article joined to its noun


@lru_cache(maxsize=65536)
def native_units(text: str, script: str) -> tuple[str, ...]:
    """The name in its own script, as comparable units: characters for CJK and Hangul, words without vowel signs,
    tatweel, article or spelling variants of letters for abjads; () for scripts not in NATIVE_SCRIPTS."""
    if script not in NATIVE_SCRIPTS:
        return ()
    s = unicodedata.normalize("NFKC", text).lower()
    if script in IDEOGRAPHIC_SCRIPTS:
        return tuple(ch for ch in s if ch.isalpha() and not ch.isascii())
    s = "".join(ch for ch in s if unicodedata.category(ch) != "Mn" and ch != "\u0640").translate(_ARABIC_UNIFY)
    words = re.findall(r"[^\W\d_]+", s)
    out = []
    for w in words:
        if w.isascii():
            continue  # a Latin word inside the name ("(Tigrinya)") is compared in transliteration only
        articled = w.startswith(_ARABIC_ARTICLE_PREFIX) and len(w) >= MIN_ARTICLED_WORD
        out.append(w[len(_ARABIC_ARTICLE_PREFIX) :] if articled else w)
    return tuple(out)


@lru_cache(maxsize=131072)
def pinyin_syllables(token: str) -> tuple[str, ...] | None:
    """The token cut into Pinyin syllables ("xiuying" -> ("xiu", "ying")), or None when it is not Pinyin; the cut
    with the fewest syllables wins ("xian" stays one syllable)."""
    n = len(token)
    best: list[tuple[str, ...] | None] = [None] * (n + 1)
    best[0] = ()
    for i in range(n):
        done = best[i]
        if done is None:
            continue
        for j in range(i + 2, min(n, i + MAX_PINYIN_SYLLABLE) + 1):
            if token[i:j] in PINYIN_SYLLABLES:
                cut = (*done, token[i:j])
                if best[j] is None or len(cut) < len(best[j] or ()):
                    best[j] = cut
    return best[n] if n else None


def is_pinyin_name(toks: tuple[str, ...], classes: tuple[TokenClass, ...]) -> bool:
    """A name of two or more ordinary tokens that are all Pinyin: a Chinese name written in Hanyu Pinyin."""
    normal = [t for t, c in zip(toks, classes, strict=True) if c == TokenClass.NORMAL]
    return len(normal) >= 2 and all(pinyin_syllables(t) is not None for t in normal)


# Legal-form classes that name the kind of company (not its trade: "group", "airline", "shipping", "trading" stay
# in the joined form, or "Mahan Air" and "Mahan Shipping" would join to one word).
_CORPORATE_FORMS = frozenset({"llc", "ltd", "jsc", "co", "gmbh", "sa", "bv", "fze", "gup", "npp"})


# Digraphs that transliteration systems write for one sound, read as one letter, vowels kept ("zhukova" ~ "jukova",
# "khaled" ~ "haled", "tchaikovsky" ~ "chaikovsky").
_PHONETIC_DIGRAPHS = (
    ("shch", "sh"),
    ("tsch", "ch"),
    ("sch", "sh"),
    ("tch", "ch"),
    ("dzh", "j"),
    ("zh", "j"),
    ("dj", "j"),
    ("kh", "h"),
    ("gh", "g"),
    ("ph", "f"),
    ("th", "t"),
    ("dh", "d"),
    ("ck", "k"),
    ("ks", "x"),
    ("tz", "ts"),
)
_PHONETIC_LETTERS = str.maketrans({"w": "v", "q": "k"})


@lru_cache(maxsize=131072)
def phonetic_form(token: str) -> str:
    """The token with transliteration digraphs read as one letter, vowels folded and doubled letters single: spelling
    that keeps the vowels ("husayn" -> "husain", "hossein" -> "hosein"), for telling a transliteration variant
    from another name that shares its consonants (Hossein ~ Husein, not Husayn ~ Hasan)."""
    s = token
    for a, b in _PHONETIC_DIGRAPHS:
        if a in s:
            s = s.replace(a, b)
    s = fold_vowels(s.translate(_PHONETIC_LETTERS))
    return "".join(ch for ch, _ in groupby(s))


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class NormalizedName:
    text: str  # normalized string
    tokens: tuple[str, ...]
    classes: tuple[TokenClass, ...]
    compact: str  # tokens joined without spaces, minus titles and legal forms ("Al Qa'ida LLC" -> "alqaida")
    abjad: bool = False  # written in a script whose transliteration drops vowels (Arabic, Hebrew, Syriac, Thaana)
    script: str = "Latn"  # dominant script (ISO 15924)
    native: tuple[str, ...] = ()  # units in that script when it is one of NATIVE_SCRIPTS (see `native_units`)
    pinyin: bool = False  # a Chinese name in Hanyu Pinyin (see `is_pinyin_name`)


# Equal class patterns share one tuple (a few hundred on the lists); bounded, as queries can make new ones.
_CLASS_PATTERNS: dict[tuple[TokenClass, ...], tuple[TokenClass, ...]] = {}
_MAX_CLASS_PATTERNS = 4096


def _shared_pattern(classes: tuple[TokenClass, ...]) -> tuple[TokenClass, ...]:
    if len(_CLASS_PATTERNS) < _MAX_CLASS_PATTERNS:
        return _CLASS_PATTERNS.setdefault(classes, classes)
    return _CLASS_PATTERNS.get(classes, classes)


def reshared(norm: NormalizedName) -> NormalizedName:
    """An analysis made in another process (service.match.analysis), with its strings interned and its class pattern
    shared as `analyze` makes them in this one."""
    return NormalizedName(
        text=intern(norm.text),
        tokens=tuple(map(intern, norm.tokens)),
        classes=_shared_pattern(norm.classes),
        compact=intern(norm.compact),
        abjad=norm.abjad,
        script=intern(norm.script),
        native=tuple(map(intern, norm.native)),
        pinyin=norm.pinyin,
    )


@lru_cache(maxsize=65536)
def analyze(text: str) -> NormalizedName:
    norm = normalize_name(text)
    # Tokens are interned: "mohammad" is one string in every name that has it, not one each, which is a quarter
    # of the names' memory on the lists (and of the matcher cache entry: pickle writes a shared object once).
    toks = tuple(map(intern, norm.split()))
    script = "Latn" if text.isascii() else detect_script(text)
    classes = tuple(map(classify, toks))
    if script in _ABJADS:
        # a one-letter word of an abjad is a name without its vowels (علاء: "l", Alaa), not an initial; titles
        # are spelt without vowels too (حاجی: "hjy")
        classes = tuple(
            TokenClass.HONORIFIC if t in ABJAD_HONORIFICS else TokenClass.NORMAL if c == TokenClass.INITIAL else c
            for t, c in zip(toks, classes, strict=True)
        )
    compact = "".join(
        t
        for t, c in zip(toks, classes, strict=True)
        if c != TokenClass.HONORIFIC and not (c == TokenClass.LEGAL and LEGAL_FORMS[t] in _CORPORATE_FORMS)
    )
    return NormalizedName(
        text=intern(norm),  # a one-word name's text is then its token
        tokens=toks,
        classes=_shared_pattern(classes),
        compact=intern(compact),
        abjad=script in _ABJADS,
        script=script,
        native=tuple(map(intern, native_units(text, script))),
        pinyin=is_pinyin_name(toks, classes),
    )
