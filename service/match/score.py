"""Pure scorers: each returns a score and the evidence a reviewer reads. Query and list values are normalized
by the same functions (service.normalize) before they meet here.

Name similarity aligns tokens one-to-one (order-free), weighs each token by how rare it is on the lists and by
its class (legal forms and honorifics barely count, particles and patronymics count little), and charges for
tokens left unmatched: fully on the query side, partly (UNMATCHED_LIST_COST) on the listed side, because
whoever types a name often drops middle names and patronymics but rarely adds words that are not in it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA

from service.model import DateSpec
from service.normalize.names import NormalizedName, TokenClass, fold_vowels, legal_class, skeletons

# A token pair below this similarity counts as unmatched: "carlos" ~ "nicolas" must not earn partial credit.
TOKEN_MIN_SIMILARITY = 0.72
# Same consonant skeleton (transliteration variants: Muhammad/Mohammed, Qaddafi/Gaddafi).
SKELETON_SIMILARITY = 0.85
SKELETON_SIMILARITY_SHORT = 0.85  # skeletons of two consonants ("km": Kim/Kam) say less
# A shared skeleton only counts when the spellings are this close (Putin/Potanin share "ptn" but are not).
PHONETIC_MIN = 0.65
LEGAL_EQUIVALENT_SIMILARITY = 0.85
VOWEL_FOLD_DISCOUNT = 0.95  # Yevgeny ~ Evgenii once vowels are folded: near-equal, not equal
PHONETIC_MIN_ABJAD = 0.25
_VOWELS = re.compile("[aeiou]")
_ARTICLES = ("al", "el")
ARTICLE_SIMILARITY = 0.9
INITIAL_SIMILARITY = 0.75  # "N." for "Nicolas"
# Share of a listed token's weight charged when the query leaves it unmatched (dropped middle names).
UNMATCHED_LIST_COST = 0.25
# Joined/split tokens ("ALQAEDA" vs "Al Qa'ida") compared as one string, slightly discounted.
COMPACT_MIN_SIMILARITY = 0.88
# Ceiling of a name score when the query covers a share c of the listed name's distinctive weight: BASE + (1-BASE)c.
COVERAGE_BASE = 0.6
COMPACT_DISCOUNT = 0.97

CLASS_WEIGHT: dict[TokenClass, float] = {
    TokenClass.NORMAL: 1.0,
    TokenClass.PATRONYMIC: 0.5,
    TokenClass.PARTICLE: 0.3,
    TokenClass.LEGAL: 0.12,
    TokenClass.HONORIFIC: 0.08,
    TokenClass.INITIAL: 0.35,  # an initial says little on its own: "V." is one letter of "Vladimir"
}

Weigher = Callable[[str], float]  # token -> rarity weight (IDF on the loaded lists)


@lru_cache(maxsize=1 << 18)  # pairs recur across aliases and queries; a hit costs a hash, a miss ~5 us
def token_similarity(a: str, b: str, ca: TokenClass, cb: TokenClass, abjad: bool = False) -> tuple[float, str]:
    """Similarity of two normalized tokens and the method that found it ("exact", "fuzzy", "phonetic", ...).

    `abjad`: one of the names was written in Arabic, Hebrew or Persian script, whose transliteration carries
    few or no vowels ("bhja" for Bahaji), so the consonant skeleton is the evidence and spelling distance isn't.
    """
    if a == b:
        return 1.0, "exact"
    if ca == TokenClass.LEGAL and cb == TokenClass.LEGAL:
        la, lb = legal_class(a), legal_class(b)
        if la is not None and la == lb:
            # "ooo" ~ "llc" is the same form; "navigation" ~ "shipping" only the same kind of word
            return LEGAL_EQUIVALENT_SIMILARITY, "legal_form"
    if len(a) == 1 or len(b) == 1:
        # an initial typed in the query stands for a listed name ("V. Putin"); a listed single letter ("S&D
        # Solutions") is part of the name, not the initial of whatever word the query has there
        if len(a) == 1 and a.isalpha() and b[0] == a:
            return INITIAL_SIMILARITY, "initial"
        return 0.0, ""
    sim = OSA.normalized_similarity(a, b, score_cutoff=PHONETIC_MIN_ABJAD)
    if sim == 0.0 or a.isdigit() or b.isdigit():
        return 0.0, ""  # numbers in names ("Vessel 12") must agree exactly
    method = "fuzzy"
    if (
        sim < 1.0
        and len(a) > 4
        and len(b) > 4
        and (a[2:] == b or b[2:] == a)
        and (a[:2] in _ARTICLES or b[:2] in _ARTICLES)
    ):
        return ARTICLE_SIMILARITY, "article"  # "elhalim" ~ "halim", "alansar" ~ "ansar": the article written joined
    if sim < 1.0:
        fa, fb = fold_vowels(a), fold_vowels(b)
        if fa != a or fb != b:
            folded = OSA.normalized_similarity(fa, fb) * VOWEL_FOLD_DISCOUNT
            if folded > sim:
                sim, method = folded, "vowel_variant"
    # Abjad transliterations (Arabic, Hebrew, Persian) carry no vowels: "mhmd", "bn", "smh", "ly".
    vowelless = abjad  # the script says so; a Latin token without vowels is an acronym (HMS, VTB), not an abjad
    if sim < 1.0 and (min(len(a), len(b)) >= 3 or vowelless):
        ska, skb = _shared_skeleton(a, b)
        # one-consonant skeletons (Ali/Aly, Aziz/Azeez) need the spellings themselves to be close
        long_enough = (
            len(ska) >= 2
            or (vowelless and sim >= PHONETIC_MIN_ABJAD)
            or (min(len(a), len(b)) >= 3 and sim >= PHONETIC_MIN)
        )
        if ska == skb and long_enough and sim >= (PHONETIC_MIN_ABJAD if vowelless else PHONETIC_MIN):
            floor = SKELETON_SIMILARITY if len(ska) >= 3 else SKELETON_SIMILARITY_SHORT
            if floor > sim:
                sim, method = floor, "phonetic"
    if len(a) <= 3 or len(b) <= 3:
        # one substitution in a three-letter token is a different word ("ali"/"ala"); a letter dropped from a
        # longer one is a typo ("koi"/"koti")
        if method in ("phonetic", "vowel_variant") or (
            min(len(a), len(b)) == 3 and abs(len(a) - len(b)) == 1 and sim >= 0.75
        ):
            return sim, method
        return 0.0, ""
    return (sim, method) if sim >= TOKEN_MIN_SIMILARITY else (0.0, "")


@dataclass(frozen=True, slots=True)
class NameScore:
    score: float
    method: str  # "exact", "token_alignment", "compact"
    detail: str  # the alignment, for the reviewer


def _shared_skeleton(a: str, b: str) -> tuple[str, str]:
    """The skeletons of a and b, choosing the readings of "ch" that agree when there is a choice."""
    sa, sb = skeletons(a), skeletons(b)
    if len(sa) == 1 and len(sb) == 1:
        return sa[0], sb[0]
    for x in sa:
        if x in sb:
            return x, x
    return sa[0], sb[0]


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
) -> NameScore:
    """Similarity of a query name and a listed name, 0..1, with the token alignment that produced it.

    `qw`/`cw` are the names' token weights when the caller has them precomputed (see `token_weights`);
    `explain=False` skips writing the alignment out (the screening hot path explains only the winners).
    """
    if not q.tokens or not c.tokens:
        return NameScore(0.0, "none", "")
    if q.text == c.text:
        return NameScore(1.0, "exact", "identical after normalization")
    qw = qw if qw is not None else token_weights(q, weigh)
    cw = cw if cw is not None else token_weights(c, weigh)
    # the hot loop of every screening: plain indexes and a native tuple sort (negated similarity first)
    pairs: list[tuple[float, int, int, str]] = []
    qt, qk, ct, ck = q.tokens, q.classes, c.tokens, c.classes
    nq, nc = len(qt), len(ct)
    abjad = q.abjad or c.abjad
    for i in range(nq):
        ta, ka = qt[i], qk[i]
        for j in range(nc):
            sim, method = token_similarity(ta, ct[j], ka, ck[j], abjad)
            if sim > 0.0:
                pairs.append((-sim, i, j, method))
    pairs.sort()
    used_q = [False] * nq
    used_c = [False] * nc
    num = 0.0
    den = 0.0
    parts: list[str] = []
    for neg_sim, i, j, method in pairs:
        if used_q[i] or used_c[j]:
            continue
        sim = -neg_sim
        used_q[i] = used_c[j] = True
        w = (qw[i] + cw[j]) / 2
        num += w * sim
        den += w
        if not explain:
            continue
        if method == "exact":
            parts.append(q.tokens[i])
        else:
            parts.append(f"{q.tokens[i]}~{c.tokens[j]} ({method} {sim:.2f})")
    missing_q = [i for i in range(nq) if not used_q[i]]
    missing_c = [j for j in range(nc) if not used_c[j]]
    for i in missing_q:
        den += qw[i]
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
            den += UNMATCHED_LIST_COST * cw[j]
            if ck[j] == TokenClass.NORMAL:
                normal_total += cw[j]
    aligned = num / den if den > 0 else 0.0
    if normal_total > 0:
        aligned = min(aligned, COVERAGE_BASE + (1 - COVERAGE_BASE) * normal_covered / normal_total)
    if missing_q and explain:
        parts.append("query only: " + " ".join(q.tokens[i] for i in missing_q))
    if missing_c and explain:
        parts.append("list only: " + " ".join(c.tokens[j] for j in missing_c))
    best = NameScore(aligned, "token_alignment", "; ".join(parts))
    if len(q.tokens) != len(c.tokens):
        qc, cc = q.compact, c.compact
        if len(qc) >= 5 and len(cc) >= 5:
            sim = OSA.normalized_similarity(qc, cc)
            if sim >= COMPACT_MIN_SIMILARITY and sim * COMPACT_DISCOUNT > best.score:
                best = NameScore(sim * COMPACT_DISCOUNT, "compact", f"joined: {qc} ~ {cc} ({sim:.2f})")
    return best


# --- corroborating features ------------------------------------------------------------------------------

BIRTH_DATE_EXACT_BONUS = 0.05
BIRTH_YEAR_BONUS = 0.02
BIRTH_DATE_CONTRADICTION = -0.15
COUNTRY_BONUS = 0.02
COUNTRY_CONTRADICTION = -0.04


def _year(iso: str) -> int | None:
    try:
        return int(iso[:4])
    except ValueError:
        return None


def compare_birth_date(query: str, listed: Sequence[DateSpec]) -> tuple[float, str, DateSpec | None]:
    """(weight, method, the listed date) for a query birth date against the listed ones; weight 0 when unknown."""
    qy = _year(query)
    if qy is None or not listed:
        return 0.0, "", None
    best: tuple[float, str, DateSpec | None] = (BIRTH_DATE_CONTRADICTION, "birth_date_differs", listed[0])
    for spec in listed:
        if spec.end is None and len(query) >= 10 and spec.start == query[:10]:
            return BIRTH_DATE_EXACT_BONUS, "birth_date_exact", spec
        if spec.end is None and len(query) >= 7 and len(spec.start) >= 7 and spec.start[:7] == query[:7]:
            best = (BIRTH_DATE_EXACT_BONUS / 2, "birth_month_match", spec)
            continue
        lo, hi = _year(spec.start), _year(spec.end or spec.start)
        if lo is None or hi is None:
            continue
        slack = 1 if spec.circa else 0
        if lo - slack <= qy <= hi + slack:
            if len(spec.start) >= 10 and len(query) >= 10 and spec.end is None:
                # same year, different day: a typo or another person; neither confirms nor refutes much
                if best[0] < 0:
                    best = (0.0, "birth_year_match_day_differs", spec)
            elif best[0] < BIRTH_YEAR_BONUS:
                best = (BIRTH_YEAR_BONUS, "birth_year_match", spec)
        elif (abs(qy - lo) <= 1 or abs(qy - hi) <= 1) and best[0] < 0:
            best = (0.0, "birth_year_near", spec)
    return best


def compare_countries(query: Sequence[str], listed: Sequence[str]) -> tuple[float, str]:
    if not query or not listed:
        return 0.0, ""
    if set(query) & set(listed):
        return COUNTRY_BONUS, "country_match"
    return COUNTRY_CONTRADICTION, "country_differs"
