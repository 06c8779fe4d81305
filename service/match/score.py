"""Pure name scorers: how two tokens compare (TOKEN_RULES), how two names align, how two names in one non-Latin script
compare in that script; and the corroborating comparisons (birth date, country). Query and list values are
normalized by the same functions (service.normalize) before they meet here; service.match.features turns these
comparisons into the declared scoring table.

Name similarity aligns tokens one-to-one (order-free), weighs each token by how rare it is on the lists and by its
class (legal forms and titles barely count, particles and patronymics count little), and charges for tokens left
unmatched: fully on the query side when the listed name has a name of its own left over too (a different name in its
place), partly when the query merely adds a name (EXTRA_QUERY_COST) or drops one (UNMATCHED_LIST_COST).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import groupby, pairwise
from typing import Literal, NamedTuple

from rapidfuzz.distance import OSA

from service.model import DateSpec
from service.normalize.names import (
    IDEOGRAPHIC_SCRIPTS,
    NormalizedName,
    TokenClass,
    abjad_skeletons,
    fold_vowels,
    legal_class,
    phonetic_form,
    pinyin_syllables,
    skeletons,
)

TokenMethod = Literal[
    "exact",
    "fuzzy",
    "vowel_variant",
    "doubled_letter",
    "variant",
    "phonetic",
    "skeleton_only",
    "short_edit",
    "initial",
    "legal_form",
    "article",
]


@dataclass(frozen=True, slots=True)
class TokenRule:
    method: TokenMethod
    similarity: float | None  # None: the measured spelling similarity
    meaning: str


# Similarities of the rules below, named for the code that applies them.
TOKEN_MIN_SIMILARITY = 0.72  # spelling similarity below this is no match on its own: "carlos" ~ "nicolas" earn nothing
VOWEL_FOLD_DISCOUNT = 0.95
DOUBLED_LETTER_SIMILARITY = 0.9
VARIANT_SIMILARITY = 0.9
PHONETIC_SIMILARITY = 0.85
ABJAD_SKELETON_SIMILARITY = 0.75  # an abjad spelling and a Latin one with the same consonants, a pair never learned
SKELETON_ONLY_SIMILARITY = 0.5
# Spelling similarity under which no rule links two Latin tokens (the lowest, SKELETON_MIN_SPELLING, applies to the
# folded spelling, which vowel folding raises by less than this margin): such pairs are rejected at once.
QUICK_REJECT_SPELLING = 0.45
SKELETON_MIN_SPELLING = 0.6  # below this the skeleton is a coincidence (Putin / Potanin), not even a weak link
SHORT_EDIT_SIMILARITY = 0.6
SHORT_EDIT_MIN_SPELLING = 0.75  # "koi" ~ "koti": the one letter dropped is all that differs
# One slip in a short listed token this rare (IDF on the lists; names ~58,000: a token on fewer than ~20 of them)
# is a typo in a distinctive word ("Moku" / "Mkou"); in a common one (Wei, Jia, Ali) another name.
DISTINCTIVE_IDF = 8.0
DISTINCTIVE_EDIT_SIMILARITY = 0.75
# Two spellings sharing a skeleton are one name when, digraphs read as one letter and vowels folded, they are this
# close (one letter of five or six off): Zhukova ~ Jukova, Hossein ~ Husein; Bushra ~ Bashar, Husayn ~ Hasan are not.
PHONETIC_FORM_MIN_SIMILARITY = 0.8
INITIAL_SIMILARITY = 0.75
LEGAL_EQUIVALENT_SIMILARITY = 0.85
ARTICLE_SIMILARITY = 0.9
SHORT_TOKEN = 4  # tokens of up to this many letters are short: one substitution makes another name (Jie / Jia)

# The token-level policy, one rule per row: the first that applies wins (see TokenComparer.similarity).
TOKEN_RULES: tuple[TokenRule, ...] = (
    TokenRule("exact", 1.0, "the same token after normalization"),
    TokenRule("legal_form", LEGAL_EQUIVALENT_SIMILARITY, "two legal forms of one kind (OOO / LLC, AG / GmbH)"),
    TokenRule("initial", INITIAL_SIMILARITY, "a query initial standing for a listed name (V. / Vladimir)"),
    TokenRule("article", ARTICLE_SIMILARITY, "the Arabic article written joined (Elhalim / Halim)"),
    TokenRule(
        "variant",
        VARIANT_SIMILARITY,
        "a pair the lists themselves give as spellings of one name: aliases of one "
        "entity aligned token by token (Mohammed / Muhammad, Evgeny / Yevgeniy)",
    ),
    TokenRule(
        "doubled_letter",
        DOUBLED_LETTER_SIMILARITY,
        "the same once doubled letters are single (Jong-uun / Jong-un): a typing slip even in a short token",
    ),
    TokenRule(
        "vowel_variant",
        None,
        f"the same or close once transliteration vowels are folded (Yevgeny / Evgenii), x{VOWEL_FOLD_DISCOUNT}",
    ),
    TokenRule(
        "phonetic",
        PHONETIC_SIMILARITY,
        "one consonant skeleton and close spelling (Qaddafi / Gaddafi), or the "
        "skeleton of a name written in an abjad (mhmd / Muhammad, fdl / Fazl)",
    ),
    TokenRule(
        "fuzzy",
        None,
        f"spelling similarity (OSA, a transposition counts once) of {SHORT_TOKEN + 1}+ letter "
        f"tokens, at least {TOKEN_MIN_SIMILARITY}",
    ),
    TokenRule(
        "short_edit",
        SHORT_EDIT_SIMILARITY,
        "a letter dropped from a short token (Koi / Koti): weak; one slip in a short token that is rare on the "
        f"lists (Moku / Mkou) {DISTINCTIVE_EDIT_SIMILARITY}; a slip in a common short token is another name "
        "(Jie / Jia, Hou / Chou) and earns nothing",
    ),
    TokenRule(
        "skeleton_only",
        SKELETON_ONLY_SIMILARITY,
        "only the consonant skeleton links two spellings the lists never give for one name (Bushra / Bashar, "
        "Husayn / Hasan), or the lists write the Latin name in the abjad otherwise (بشار for Bashar, so بشرى is "
        "not it): weak, most often another name",
    ),
)
TOKEN_METHODS: frozenset[str] = frozenset(r.method for r in TOKEN_RULES)

_ARTICLES = ("al", "el")
_RULED_BY_CLASS = (TokenClass.LEGAL, TokenClass.PARTICLE)  # legal forms and articles meet by class, not spelling
# The Arabic article as Latin listings write it, assimilated to the next consonant or not.
ARABIC_ARTICLE_FORMS = frozenset({"al", "el", "ul", "ad", "ar", "as", "ash", "at", "az", "an", "ath", "adh"})
# Tokens that name the person or company (a patronymic too: another father's name is another person).
_NAME_CLASSES = (TokenClass.NORMAL, TokenClass.PATRONYMIC)
ABJAD_QUERY, ABJAD_LISTED, PINYIN = 1, 2, 4  # TokenComparer.similarity flags
_NO_MATCH: tuple[float, str] = (0.0, "")
# Token pairs recur across aliases and queries; a hit costs a hash, a miss ~4 us. One pass over the golden queries
# meets ~265,000 distinct pairs (95 % of them no match): at 2**18 the LRU evicted each pair before its next use and
# a second pass missed as often as the first; 2**19 holds that working set. The bound of each of TokenComparer's two
# memos (the LRU around `similarity`, the alignment's rows).
TOKEN_CACHE_SIZE = 1 << 19

CLASS_WEIGHT: dict[TokenClass, float] = {
    TokenClass.NORMAL: 1.0,
    TokenClass.PATRONYMIC: 0.5,
    TokenClass.PARTICLE: 0.3,
    TokenClass.LEGAL: 0.12,
    TokenClass.HONORIFIC: 0.08,
    TokenClass.INITIAL: 0.35,  # an initial says little on its own: "V." is one letter of "Vladimir"
}

Weigher = Callable[[str], float]  # token -> rarity weight (IDF on the loaded lists)


@lru_cache(maxsize=1 << 16)
def _single_letters(token: str) -> str:
    return "".join(ch for ch, _ in groupby(token))


@dataclass(frozen=True, slots=True)
class Variants:
    """Token pairs known to spell one name (learned from the lists' aliases, service.match.variants)."""

    # (a, b) with a < b -> how many entities' names gave the pair (service.match.variants: a list change then
    # counts again only the entities it changed)
    pairs: Mapping[tuple[str, str], int] = field(default_factory=dict)
    partners: Mapping[str, frozenset[str]] = field(default_factory=dict)  # token -> the tokens it pairs with
    abjad: frozenset[str] = frozenset()  # tokens learned from names written in an abjad
    abjad_counts: Mapping[str, int] = field(default_factory=dict)  # abjad token -> entities it was learned from

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str]], abjad: Iterable[str] = ()) -> Variants:
        """Each pair and abjad token counted once."""
        ordered = ((a, b) if a < b else (b, a) for a, b in pairs if a != b)
        return cls.counted(dict.fromkeys(ordered, 1), dict.fromkeys(abjad, 1))

    @classmethod
    def counted(cls, pairs: Mapping[tuple[str, str], int], abjad: Mapping[str, int]) -> Variants:
        """From counts (`pairs`' keys ordered, a < b); what counts nothing is left out."""
        kept = {pair: n for pair, n in pairs.items() if n > 0}
        partners: dict[str, set[str]] = {}
        for a, b in kept:
            partners.setdefault(a, set()).add(b)
            partners.setdefault(b, set()).add(a)
        abjad_kept = {t: n for t, n in abjad.items() if n > 0}
        learned = frozenset(abjad_kept) & partners.keys()
        return cls(kept, {t: frozenset(p) for t, p in partners.items()}, learned, abjad_kept)

    def share_partner(self, a: str, b: str) -> bool:
        """Both are the lists' Latin spellings of a third (Husain and Hossein of Husayn): one name, two steps apart.
        Not through an abjad spelling: without vowels, "bdllh" pairs with Abdul as well as Abdullah."""
        pa, pb = self.partners.get(a), self.partners.get(b)
        return bool(pa and pb and (pa & pb) - self.abjad)

    def spelt_otherwise(self, abjad_token: str, latin: str) -> bool:
        """The lists write `latin` in the abjad with another spelling of the same consonants than `abjad_token`:
        بشار (bshr) for Bashar, so بشرى (bshra) is another name (Bushra)."""
        mine = set(abjad_skeletons(abjad_token))
        return any(
            p != abjad_token and p in self.abjad and mine & set(abjad_skeletons(p))
            for p in self.partners.get(latin, ())
        )

    @property
    def known(self) -> Mapping[str, frozenset[str]]:
        """Every token in some pair (a mapping: `token in known`)."""
        return self.partners

    def __contains__(self, pair: object) -> bool:
        if not isinstance(pair, tuple) or len(pair) != 2:
            return False
        a, b = pair
        return ((a, b) if a < b else (b, a)) in self.pairs

    def __len__(self) -> int:
        return len(self.pairs)


_NOT_IN_ROW: dict[str, tuple[float, str]] = {}  # a query token without a row (a legal form): every lookup misses
# a query token's memo row (None for a legal form) and its lookup: TokenComparer.rows
Row = tuple[dict[str, tuple[float, str]] | None, Callable[[str], tuple[float, str] | None]]


class TokenComparer:
    """Token similarity under TOKEN_RULES, with the lists' own variant pairs; memoized per comparer (an LRU cache
    around `similarity`, and rows by query token for the alignment: token pairs recur across aliases and queries),
    safe to share across threads."""

    def __init__(self, variants: Variants | None = None, rarity: Weigher | None = None) -> None:
        # The rules live in an object of their own, which the memo below refers to: an LRU cache around one of this
        # object's own methods would refer back to it, and an index holding a comparer would then be a reference
        # cycle, kept until a full collection (see service.api.heap).
        rules = TokenRules(variants or Variants(), rarity)
        self.variants = rules.variants
        self.rarity = rarity  # IDF on the lists: a short token's one slip counts when the listed token is rare
        self._similarity = rules.similarity
        # `similarity` is the hot call of every screening: a C-level LRU cache around the rules
        self.similarity: Callable[[str, str, TokenClass, TokenClass, int], tuple[float, str]] = lru_cache(
            maxsize=TOKEN_CACHE_SIZE
        )(rules.similarity)
        # The alignment's memo, one row per query token (and class and flags) keyed by the listed token alone: a
        # lookup hashes one string instead of building and hashing a five-field key, the cost of half an alignment.
        # Bounded: past TOKEN_CACHE_SIZE entries every row is dropped at once (the count is approximate under
        # threads, as `+=` is not atomic; a dict write is, so a reader never sees a torn row).
        self._rows: dict[tuple[str, TokenClass, int], dict[str, tuple[float, str]]] = {}
        self._row_entries = 0

    def __getstate__(self) -> dict[str, object]:
        return {"variants": self.variants, "rarity": self.rarity}  # the cache is rebuilt, not copied

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(state["variants"], state["rarity"])  # type: ignore[misc]

    def row(self, a: str, ca: TokenClass, flags: int) -> dict[str, tuple[float, str]] | None:
        """The memo of `similarity(a, b, ca, cb, flags)` by listed token b, for `remember` to fill; None when a is a
        legal form, the one case where b's class counts (two legal forms of one kind: see TokenRules.similarity)."""
        if ca == TokenClass.LEGAL:
            return None
        key = (a, ca, flags)
        row = self._rows.get(key)
        if row is None:
            row = self._rows[key] = {}
        return row

    def rows(self, q: NormalizedName, flags: int) -> list[Row]:
        """`row` of each token of `q`, with the row's lookup: what an alignment of `q` reads, kept by the caller
        while it aligns `q` with many listed names (a call and a key per token saved on each one)."""
        out: list[Row] = []
        for a, ca in zip(q.tokens, q.classes, strict=True):
            row = self.row(a, ca, flags)
            out.append((row, row.get if row is not None else _NOT_IN_ROW.get))
        return out

    def remember(
        self, row: dict[str, tuple[float, str]] | None, a: str, b: str, ca: TokenClass, cb: TokenClass, *, flags: int
    ) -> tuple[float, str]:
        """`similarity(a, b, ca, cb, flags)`, computed and written into `row` (from `row(a, ca, flags)`)."""
        if row is None:
            return self.similarity(a, b, ca, cb, flags)
        if self._row_entries >= TOKEN_CACHE_SIZE:
            self._rows = {}
            self._row_entries = 0
        found = row[b] = self._similarity(a, b, ca, cb, flags)
        self._row_entries += 1
        return found


class TokenRules:
    """TOKEN_RULES over the lists' own variant pairs and token rarity, unmemoized: TokenComparer memoizes them."""

    __slots__ = ("_partners", "rarity", "variants")

    def __init__(self, variants: Variants, rarity: Weigher | None) -> None:
        self.variants = variants
        self._partners = variants.partners
        self.rarity = rarity

    def similarity(self, a: str, b: str, ca: TokenClass, cb: TokenClass, flags: int = 0) -> tuple[float, str]:
        """(similarity, method) of query token `a` and listed token `b` (memoized by TokenComparer.similarity).

        `flags`: ABJAD_QUERY / ABJAD_LISTED when that token was written in an abjad (Arabic, Hebrew, Persian script),
        whose transliteration carries few vowels ("bhja" for Bahaji), so the consonant skeleton is the evidence;
        PINYIN when both names are Chinese names in Pinyin, where another syllable is another name.
        """
        if a == b:
            return 1.0, "exact"
        abjad = flags & (ABJAD_QUERY | ABJAD_LISTED)
        sim = OSA.normalized_similarity(a, b)
        if (
            sim < QUICK_REJECT_SPELLING
            and not abjad
            and ca not in _RULED_BY_CLASS
            and len(a) > 1
            and b not in self._partners.get(a, ())
        ):
            return _NO_MATCH  # most pairs screening meets: no rule below links spellings this far apart
        if ca == TokenClass.LEGAL and cb == TokenClass.LEGAL:
            la, lb = legal_class(a), legal_class(b)
            if la is not None and la == lb:
                # "ooo" ~ "llc" is the same form; "navigation" ~ "shipping" only the same kind of word
                return LEGAL_EQUIVALENT_SIMILARITY, "legal_form"
        if abjad and (len(a) == 1 or len(b) == 1) and a.isalpha() and b.isalpha():
            return self._abjad(a, b, flags, sim, "fuzzy")
        if len(a) == 1 or len(b) == 1:
            # an initial typed in the query stands for a listed name ("V. Putin"); a listed single letter ("S&D
            # Solutions") is part of the name, not the initial of whatever word the query has there
            if len(a) == 1 and a.isalpha() and b[0] == a:
                return INITIAL_SIMILARITY, "initial"
            return _NO_MATCH
        if not (a.isalpha() and b.isalpha()):
            return _NO_MATCH  # numbers and codes in names ("Vessel 12", "A320") must agree exactly
        if a in ARABIC_ARTICLE_FORMS and b in ARABIC_ARTICLE_FORMS:
            return ARTICLE_SIMILARITY, "article"  # "al" ~ "el" ~ "ash" (the article assimilated: ash-Shami)
        if len(a) > 4 and len(b) > 4 and (a[2:] == b or b[2:] == a) and (a[:2] in _ARTICLES or b[:2] in _ARTICLES):
            return ARTICLE_SIMILARITY, "article"  # "elhalim" ~ "halim", "alansar" ~ "ansar": the article joined
        if sim < QUICK_REJECT_SPELLING and not abjad and ((a, b) if a < b else (b, a)) not in self.variants.pairs:
            return _NO_MATCH
        method = "fuzzy"
        fa, fb = fold_vowels(a), fold_vowels(b)
        if fa != a or fb != b:
            folded = OSA.normalized_similarity(fa, fb) * VOWEL_FOLD_DISCOUNT
            if folded > sim:
                sim, method = folded, "vowel_variant"
        if sim < DOUBLED_LETTER_SIMILARITY and len(a) != len(b) and _single_letters(a) == _single_letters(b):
            sim, method = DOUBLED_LETTER_SIMILARITY, "doubled_letter"
        if abjad:
            return self._abjad(a, b, flags, sim, method)
        if flags & PINYIN and method != "doubled_letter":
            pa, pb = pinyin_syllables(a), pinyin_syllables(b)
            if pa is not None and pb is not None and pa != pb:
                return _NO_MATCH  # another syllable of a Chinese name is another name, not a slip
        if (a, b) in self.variants and sim < VARIANT_SIMILARITY:
            return VARIANT_SIMILARITY, "variant"
        shorter = min(len(a), len(b))
        if shorter < SHORT_TOKEN or (shorter == SHORT_TOKEN and len(a) == len(b)):
            # a short token, or a substitution in a four-letter one: another name more often than a slip
            if method in ("vowel_variant", "doubled_letter") and sim >= PHONETIC_SIMILARITY:
                return sim, method  # "aly" ~ "ali", "uun" ~ "un"
            if _consonant_swap(a, b):
                return PHONETIC_SIMILARITY, "phonetic"  # "kim" ~ "gim", "kang" ~ "gang": one sound, two romanizations
            if shorter == SHORT_TOKEN - 1 and abs(len(a) - len(b)) == 1 and sim >= SHORT_EDIT_MIN_SPELLING:
                return SHORT_EDIT_SIMILARITY, "short_edit"  # "koi" ~ "koti": one letter dropped
            if shorter >= SHORT_TOKEN - 1 and self._distinctive(b) and OSA.distance(a, b) == 1:
                return DISTINCTIVE_EDIT_SIMILARITY, "short_edit"  # "Moku" ~ "Mkou", "Gulf" ~ "Gulv": a rare word
            return _NO_MATCH
        shared = _shares_skeleton(a, b)
        if sim >= TOKEN_MIN_SIMILARITY:
            if shared and sim < PHONETIC_SIMILARITY:
                return PHONETIC_SIMILARITY, "phonetic"
            return sim, method
        if shared and self.variants.share_partner(a, b):
            return VARIANT_SIMILARITY, "variant"  # Husain ~ Hossein: both the lists' spellings of Husayn
        if shared and sim >= SKELETON_MIN_SPELLING:
            if _phonetic_similarity(a, b) >= PHONETIC_FORM_MIN_SIMILARITY:
                return PHONETIC_SIMILARITY, "phonetic"  # Zhukova ~ Jukova, Hossein ~ Husein
            return SKELETON_ONLY_SIMILARITY, "skeleton_only"
        return _NO_MATCH

    def _distinctive(self, token: str) -> bool:
        return self.rarity is not None and self.rarity(token) >= DISTINCTIVE_IDF

    def _abjad(self, a: str, b: str, flags: int, sim: float, method: str) -> tuple[float, str]:
        """A token written in an abjad against another: their skeletons (every Latin reading of the abjad's letters)
        are the evidence; a pair of tokens each known to the lists as spellings of other names is weak."""
        if (a, b) in self.variants:
            return max(sim, VARIANT_SIMILARITY), "variant"
        ska = abjad_skeletons(a) if flags & ABJAD_QUERY else skeletons(a)
        skb = abjad_skeletons(b) if flags & ABJAD_LISTED else skeletons(b)
        if not set(ska) & set(skb):
            return (sim, method) if sim >= TOKEN_MIN_SIMILARITY and min(len(a), len(b)) > SHORT_TOKEN else _NO_MATCH
        if len(ska[0]) < 2 and len(skb[0]) < 2 and sim < PHONETIC_SIMILARITY:
            # one consonant in common ("ly" / Aly) and a spelling the lists never gave for it: weak
            return SKELETON_ONLY_SIMILARITY, "skeleton_only"
        abjad_token, latin = (a, b) if flags & ABJAD_QUERY else (b, a)
        if self.variants.spelt_otherwise(abjad_token, latin):
            # the lists write that Latin name in the abjad, with the same consonants but not this spelling
            return SKELETON_ONLY_SIMILARITY, "skeleton_only"
        # consonants alone, for a pair the lists never gave: evidence, but less than a known spelling
        return max(sim, ABJAD_SKELETON_SIMILARITY), "phonetic"


_VOWEL_LETTERS = re.compile("[aeiouy]+")


def _phonetic_similarity(a: str, b: str) -> float:
    """Spelling similarity once digraphs are read as one letter, with "ch" read as in French too (Cherif ~ Sharif)."""
    best = OSA.normalized_similarity(phonetic_form(a), phonetic_form(b))
    if "ch" in a or "ch" in b:
        best = max(
            best, OSA.normalized_similarity(phonetic_form(a.replace("ch", "sh")), phonetic_form(b.replace("ch", "sh")))
        )
    return best


def _consonant_swap(a: str, b: str) -> bool:
    """Short tokens that differ only in consonants their skeleton merges (k/g/q/c, s/z, v/b), with the same vowels
    and a skeleton of two consonants or more: romanizations of one syllable (Kim / Gim), not another syllable."""
    if len(a) != len(b):
        return False
    sa = skeletons(a)[0]
    return len(sa) >= 2 and sa == skeletons(b)[0] and _VOWEL_LETTERS.findall(a) == _VOWEL_LETTERS.findall(b)


def _shares_skeleton(a: str, b: str) -> bool:
    """The consonant skeletons of a and b agree (either reading of "ch") and span two consonants or more."""
    sa, sb = skeletons(a), skeletons(b)
    return any(x in sb and len(x) >= 2 for x in sa)


DEFAULT_COMPARER = TokenComparer()


def token_similarity(
    a: str, b: str, ca: TokenClass, cb: TokenClass, *, abjad: bool = False, comparer: TokenComparer | None = None
) -> tuple[float, str]:
    """Similarity of two normalized tokens and the rule that found it (TOKEN_RULES); `abjad`: `a` was written in an
    abjad. Without a `comparer`, no variant pairs are known."""
    return (comparer or DEFAULT_COMPARER).similarity(a, b, ca, cb, ABJAD_QUERY if abjad else 0)


# --- names ---------------------------------------------------------------------------------------------------

NameMethod = Literal["exact", "token_alignment", "compact", "same_script", "none"]
# Share of a listed token's weight charged when the query leaves it unmatched (dropped middle names).
UNMATCHED_LIST_COST = 0.25
# Share of a query token's weight charged when it matches nothing and the listed name has no name left over (the
# query adds a given name: "Ahmed Ali El Tilemsi" for "EL TILEMSI, Ahmed").
EXTRA_QUERY_COST = 0.35
# A name whose listed counterpart has a different name in one place (a sibling, a father's name in a long name,
# another patronymic) scores at most this, below the default threshold of 0.8 whatever else agrees.
REPLACED_NAME_CEILING = 0.7
# Joined/split tokens ("ALQAEDA" vs "Al Qa'ida") compared as one string, slightly discounted.
COMPACT_MIN_SIMILARITY = 0.88
COMPACT_DISCOUNT = 0.97
# Ceiling of a name score when the query covers a share c of the listed name's distinctive weight: BASE + (1-BASE)c.
COVERAGE_BASE = 0.6
# Two adjacent tokens written as one (Hamid Reza / Hamidreza) count when the joined form is this similar, discounted.
JOINED_MIN_SIMILARITY_ABJAD = TOKEN_MIN_SIMILARITY  # an abjad joined form is matched by its consonants; a Latin one
# must be spelt as the two parts ("Sun Yin" is not "Senin")
JOINED_DISCOUNT = 0.97
# Two words of one abjad name count as one when this similar in that script (a letter off: spelling, not a name).
NATIVE_WORD_MIN_SIMILARITY = 0.75


class NameScore(NamedTuple):
    """A name comparison's outcome. A NamedTuple, not a frozen dataclass: one is made per listed name scored (60,000
    in a pass over the golden set), and a frozen dataclass's __init__ sets each field through object.__setattr__."""

    score: float
    method: NameMethod
    detail: str  # the alignment, for the reviewer
    weak_links: int = 0  # token pairs linked only by a skeleton (skeleton_only): the evidence says so


def token_weights(n: NormalizedName, weigh: Weigher) -> tuple[float, ...]:
    """Each token's weight in a name: its rarity times its class weight."""
    return tuple(weigh(t) * CLASS_WEIGHT[k] for t, k in zip(n.tokens, n.classes, strict=True))


def score_names(
    q: NormalizedName,
    c: NormalizedName,
    weigh: Weigher,
    qw: Sequence[float] | None = None,
    cw: Sequence[float] | None = None,
    *,
    explain: bool = True,
    comparer: TokenComparer | None = None,
    rows: dict[int, list[Row]] | None = None,
) -> NameScore:
    """Similarity of a query name and a listed name, 0..1, with the token alignment that produced it.

    `qw`/`cw` are the names' token weights when the caller has them precomputed (see `token_weights`);
    `explain=False` skips writing the alignment out (the screening hot path explains only the winners); `rows`, a
    dict the caller keeps for one query name while it compares it with many listed names, keeps the comparer's memo
    rows of its tokens (`TokenComparer.rows`) from one comparison to the next.
    When both names are in one script that transliteration flattens (NATIVE_SCRIPTS), the score is at most their
    similarity in that script.
    """
    if not q.tokens or not c.tokens:
        return NameScore(0.0, "none", "")
    if q.text == c.text and q.native == c.native:
        return NameScore(1.0, "exact", "identical after normalization")
    comparer = comparer or DEFAULT_COMPARER
    qw = qw if qw is not None else token_weights(q, weigh)
    cw = cw if cw is not None else token_weights(c, weigh)
    best = _align(q, c, qw, cw, explain=explain, comparer=comparer, rows=rows)
    if len(q.tokens) != len(c.tokens):
        qc, cc = q.compact, c.compact
        if len(qc) >= 5 and len(cc) >= 5:
            sim = OSA.normalized_similarity(qc, cc)
            if sim >= COMPACT_MIN_SIMILARITY and sim * COMPACT_DISCOUNT > best.score:
                best = NameScore(sim * COMPACT_DISCOUNT, "compact", f"joined: {qc} ~ {cc} ({sim:.2f})")
    if q.native and c.native and q.script == c.script:
        native = native_similarity(q.native, c.native, q.script in IDEOGRAPHIC_SCRIPTS)
        if native < best.score:
            detail = f"in {q.script} script: {' '.join(q.native)} ~ {' '.join(c.native)} ({native:.2f})"
            best = NameScore(native, "same_script", f"{detail}; {best.detail}" if explain else "", best.weak_links)
    return best


def _align(
    q: NormalizedName,
    c: NormalizedName,
    qw: Sequence[float],
    cw: Sequence[float],
    *,
    explain: bool,
    comparer: TokenComparer,
    rows: dict[int, list[Row]] | None = None,
) -> NameScore:
    # the hot loop of every screening: plain indexes and a native tuple sort (negated similarity first)
    pairs: list[tuple[float, int, int, str]] = []
    qt, qk, ct, ck = q.tokens, q.classes, c.tokens, c.classes
    nq, nc = len(qt), len(ct)
    flags = (
        (ABJAD_QUERY if q.abjad else 0) | (ABJAD_LISTED if c.abjad else 0) | (PINYIN if q.pinyin and c.pinyin else 0)
    )
    token_rows = rows.get(flags) if rows is not None else None
    if token_rows is None:
        token_rows = comparer.rows(q, flags)
        if rows is not None:
            rows[flags] = token_rows
    remember = comparer.remember
    for i in range(nq):
        ta, ka = qt[i], qk[i]
        row, get = token_rows[i]
        for j, tb in enumerate(ct):
            if ta == tb:  # the first rule, answered here: no memo entry for a pair that needs no rule
                pairs.append((-1.0, i, j, "exact"))
                continue
            found = get(tb)
            if found is None:
                found = remember(row, ta, tb, ka, ck[j], flags=flags)
            if found[0] > 0.0:
                pairs.append((-found[0], i, j, found[1]))
    abjad = flags & (ABJAD_QUERY | ABJAD_LISTED)
    if not pairs and not explain and not abjad and not _shares_joined(q, c):
        return _NOTHING_SHARED  # no token in common, and no two written as one: nothing to align
    pairs.sort()
    used_q = [False] * nq
    used_c = [False] * nc
    num = 0.0
    den = 0.0
    weak = 0
    parts: list[str] = []
    to_pair = min(nq, nc)  # pairs still to make: once none is, the rest of the list is all taken tokens
    for neg_sim, i, j, method in pairs:
        if used_q[i] or used_c[j]:
            continue
        sim = -neg_sim
        used_q[i] = used_c[j] = True
        to_pair -= 1
        w = (qw[i] + cw[j]) / 2
        num += w * sim
        den += w
        if method == "skeleton_only":
            weak += 1
        if explain:
            parts.append(qt[i] if method == "exact" else f"{qt[i]}~{ct[j]} ({method} {sim:.2f})")
        if not to_pair:
            break
    extra_q = [i for i in range(nq) if not used_q[i]]
    extra_c = [j for j in range(nc) if not used_c[j]]
    joined: Sequence[tuple[int, int, int, int, float]] = ()
    if extra_q and extra_c and (len(extra_q) > 1 or len(extra_c) > 1):
        if abjad:
            joined = _joined(q, c, used_q, used_c, flags=flags, comparer=comparer)
        elif _shares_joined(q, c):
            joined = _joined_exact(qt, ct, extra_q, extra_c, used=(used_q, used_c))
    if joined:
        extra_q = [i for i in range(nq) if not used_q[i]]
        extra_c = [j for j in range(nc) if not used_c[j]]
        for i1, i2, j1, j2, sim in joined:
            w = (qw[i1] + (qw[i2] if i2 != i1 else 0.0) + cw[j1] + (cw[j2] if j2 != j1 else 0.0)) / 2
            num += w * sim
            den += w
            if explain:
                left = qt[i1] + (f" {qt[i2]}" if i2 != i1 else "")
                right = ct[j1] + (f" {ct[j2]}" if j2 != j1 else "")
                parts.append(f"{left}~{right} (joined {sim:.2f})")
    # A query name left over while the listed name has a name of its own left over too is a different name in its
    # place ("Carlos Maduro" for "Nicolas Maduro"): both cost in full. A query name alone left over is an added
    # name (EXTRA_QUERY_COST); a listed name alone left over a dropped one (UNMATCHED_LIST_COST).
    replaced: set[int] = set()
    if extra_q:
        q_names = [i for i in extra_q if qk[i] in _NAME_CLASSES]
        c_names = [j for j in extra_c if ck[j] in _NAME_CLASSES]
        if q_names and c_names:
            if len(c_names) > len(q_names):
                c_names.sort(key=lambda j: -cw[j])
            replaced = set(c_names[: len(q_names)])
        # an added name needs the listed name itself matched, two of its names at least: "Anastasia Volfovich"
        # does not merely add a name to a listed "Anastasiia"; and a syllable of a Korean name typed in Hangul
        # is no name of its own ("인철 광수", In-chol Kwang-su, does not add a name to "KANG Chol Su")
        added_name = (
            bool(q_names)
            and not c_names
            and q.script != "Hang"
            and sum(1 for j in range(nc) if used_c[j] and ck[j] in _NAME_CLASSES) >= 2
        )
        for i in extra_q:
            den += qw[i] * (EXTRA_QUERY_COST if added_name and qk[i] in _NAME_CLASSES else 1.0)
    # A match must be carried by the listed name's distinctive words: "Silver Maritime Co" shares one word
    # with "SILVER BRIDGE SHIPPING CO" and may not score as if the rest were just dropped middle names.
    normal_total = 0.0
    normal_covered = 0.0
    for j in range(nc):
        if used_c[j]:
            if ck[j] == TokenClass.NORMAL:
                normal_covered += cw[j]
                normal_total += cw[j]
        else:
            den += cw[j] * (1.0 if j in replaced else UNMATCHED_LIST_COST)
            if ck[j] == TokenClass.NORMAL:
                normal_total += cw[j]
    aligned = num / den if den > 0 else 0.0
    if replaced:
        aligned = min(aligned, REPLACED_NAME_CEILING)
    if normal_total > 0:
        aligned = min(aligned, COVERAGE_BASE + (1 - COVERAGE_BASE) * normal_covered / normal_total)
    if explain:
        if extra_q:
            parts.append("query only: " + " ".join(qt[i] for i in extra_q))
        if extra_c:
            parts.append("list only: " + " ".join(ct[j] for j in extra_c))
        if replaced:
            parts.append("a different name in place of: " + " ".join(ct[j] for j in sorted(replaced)))
        if weak:
            parts.append("linked only by consonant skeleton, weak")
    return NameScore(aligned, "token_alignment", "; ".join(parts), weak)


_JOINABLE = (TokenClass.NORMAL, TokenClass.PARTICLE, TokenClass.PATRONYMIC)
_NOTHING_SHARED = NameScore(0.0, "token_alignment", "")


def _shares_joined(q: NormalizedName, c: NormalizedName) -> bool:
    """Two adjacent tokens of one name are one token of the other ("abdul rahman" / "abdulrahman")."""
    # The pairs are joined here rather than kept with each name: kept, they were a third of the listed names'
    # memory (a new string for every two adjacent tokens); joined, they cost about 0.1 microsecond a pair.
    ct, qt = c.tokens, q.tokens
    for a, b in pairwise(qt):
        if a + b in ct:
            return True
    for a, b in pairwise(ct):  # noqa: SIM110 - a plain loop: this runs for every candidate name
        if a + b in qt:
            return True
    return False


def _joined_exact(
    qt: tuple[str, ...],
    ct: tuple[str, ...],
    extra_q: list[int],
    extra_c: list[int],
    *,
    used: tuple[list[bool], list[bool]],
) -> list[tuple[int, int, int, int, float]]:
    """Latin names: two adjacent leftover tokens on one side spelt as one leftover token on the other (Abdul Rahman /
    Abdulrahman, Hamid Reza / Hamidreza); set lookups only, as most candidates have leftovers."""
    out: list[tuple[int, int, int, int, float]] = []
    used_q, used_c = used
    sim = JOINED_DISCOUNT
    left_c = {ct[j]: j for j in extra_c}
    for i in extra_q[:-1]:
        j = left_c.get(qt[i] + qt[i + 1], -1) if not used_q[i + 1] else -1
        if j >= 0 and not used_c[j]:
            used_q[i] = used_q[i + 1] = used_c[j] = True
            out.append((i, i + 1, j, j, sim))
    left_q = {qt[i]: i for i in extra_q if not used_q[i]}
    for j in extra_c[:-1]:
        i = left_q.get(ct[j] + ct[j + 1], -1) if not (used_c[j] or used_c[j + 1]) else -1
        if i >= 0 and not used_q[i]:
            used_q[i] = used_c[j] = used_c[j + 1] = True
            out.append((i, i, j, j + 1, sim))
    return out


def _joined(
    q: NormalizedName, c: NormalizedName, used_q: list[bool], used_c: list[bool], *, flags: int, comparer: TokenComparer
) -> list[tuple[int, int, int, int, float]]:
    """Names in an abjad: two adjacent tokens left over on one side that are one token left over on the other, by
    consonants (حمید رضا / Hamidreza): (query token(s) i1, i2, listed token(s) j1, j2, similarity); marks them used."""
    out: list[tuple[int, int, int, int, float]] = []
    least = JOINED_MIN_SIMILARITY_ABJAD
    for side, side_classes, side_used, other_side, other_classes, other_used, query_side in (
        (q.tokens, q.classes, used_q, c.tokens, c.classes, used_c, True),
        (c.tokens, c.classes, used_c, q.tokens, q.classes, used_q, False),
    ):
        others = [m for m, used in enumerate(other_used) if not used and other_classes[m] in _JOINABLE]
        if not others:
            continue
        for k in range(len(side) - 1):
            if side_used[k] or side_used[k + 1] or side_classes[k] not in _JOINABLE:
                continue
            if side_classes[k + 1] not in _JOINABLE:
                continue
            joined = side[k] + side[k + 1]
            for m in others:
                other = other_side[m]
                if other_used[m]:
                    continue
                a, b = (joined, other) if query_side else (other, joined)
                sim = comparer.similarity(a, b, TokenClass.NORMAL, TokenClass.NORMAL, flags)[0] * JOINED_DISCOUNT
                if sim >= least:
                    side_used[k] = side_used[k + 1] = other_used[m] = True
                    out.append((k, k + 1, m, m, sim) if query_side else (m, m, k, k + 1, sim))
                    break
    return out


def native_similarity(a: Sequence[str], b: Sequence[str], ideographic: bool) -> float:
    """Two names compared in their own script: characters in order for CJK and Hangul (one character of two off
    is 0.5); for abjads, words aligned one-to-one by spelling, weighed by length, with the alignment's costs."""
    if ideographic:
        return OSA.normalized_similarity("".join(a), "".join(b))
    pairs = sorted(
        ((-s, i, j) for i, x in enumerate(a) for j, y in enumerate(b) if (s := _native_word(x, y)) > 0.0),
    )
    used_a: set[int] = set()
    used_b: set[int] = set()
    num = den = 0.0
    for neg, i, j in pairs:
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        w = (len(a[i]) + len(b[j])) / 2
        num += -neg * w
        den += w
    left_a = [i for i in range(len(a)) if i not in used_a]
    left_b = sorted((j for j in range(len(b)) if j not in used_b), key=lambda j: -len(b[j]))
    replaced = set(left_b[: len(left_a)])
    den += sum(len(a[i]) * (1.0 if left_b else EXTRA_QUERY_COST) for i in left_a)
    den += sum(len(b[j]) * (1.0 if j in replaced else UNMATCHED_LIST_COST) for j in left_b)
    return num / den if den else 0.0


def _native_word(x: str, y: str) -> float:
    if x == y:
        return 1.0
    s = OSA.normalized_similarity(x, y)
    return s if s >= NATIVE_WORD_MIN_SIMILARITY else 0.0


# --- corroborating comparisons -------------------------------------------------------------------------------

DateMethod = Literal[
    "birth_date_exact",
    "birth_month_match",
    "birth_year_match",
    "birth_year_match_day_differs",
    "birth_year_near",
    "birth_date_differs",
]
# How strongly each outcome corroborates (1.0 = an exact date; the feature table weighs it).
DATE_MATCH_STRENGTH: dict[str, float] = {"birth_date_exact": 1.0, "birth_month_match": 0.5, "birth_year_match": 0.4}


def _year(iso: str) -> int | None:
    try:
        return int(iso[:4])
    except ValueError:
        return None


def compare_birth_date(query: str, listed: Sequence[DateSpec]) -> tuple[DateMethod | None, DateSpec | None]:
    """How a query birth date stands to the listed ones: the best outcome and the listed date it came from; None
    when the query date is unreadable or nothing is listed."""
    qy = _year(query)
    if qy is None or not listed:
        return None, None
    rank = {"birth_date_differs": 0, "birth_year_near": 1, "birth_year_match_day_differs": 1, "birth_year_match": 2}
    best: tuple[DateMethod, DateSpec] = ("birth_date_differs", listed[0])
    for spec in listed:
        if spec.end is None and len(query) >= 10 and spec.start == query[:10]:
            return "birth_date_exact", spec
        if spec.end is None and len(query) >= 7 and len(spec.start) >= 7 and spec.start[:7] == query[:7]:
            best = ("birth_month_match", spec)
            continue
        if best[0] == "birth_month_match":
            continue
        lo, hi = _year(spec.start), _year(spec.end or spec.start)
        if lo is None or hi is None:
            continue
        slack = 1 if spec.circa else 0
        if lo - slack <= qy <= hi + slack:
            if len(spec.start) >= 10 and len(query) >= 10 and spec.end is None:
                # same year, different day: a typo or another person; neither confirms nor refutes much
                if rank[best[0]] < 1:
                    best = ("birth_year_match_day_differs", spec)
            elif rank[best[0]] < 2:
                best = ("birth_year_match", spec)
        elif (abs(qy - lo) <= 1 or abs(qy - hi) <= 1) and rank[best[0]] < 1:
            best = ("birth_year_near", spec)
    return best


def countries_agree(query: Sequence[str], listed: Sequence[str]) -> bool | None:
    """True when a query country is among the listed ones, False when none is, None when either side has none."""
    if not query or not listed:
        return None
    return bool(set(query) & set(listed))
