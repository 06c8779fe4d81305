"""Which token pairs the lists themselves give as spellings of one name: the names of one entity (its strong aliases
and original-script names) aligned token by token. Mohammed / Muhammad, Evgeny / Yevgeniy, Qaddafi / Qadhafi and
بشار (bshr) / Bashar come out of this; Bushra / Bashar never do, because no entity is listed under both.

The scorer (score.TokenComparer) trusts a link between two tokens that only share a consonant skeleton when the
pair is learned here, and scores it as weak otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from itertools import combinations

from rapidfuzz.distance import OSA

from service.match.score import SKELETON_MIN_SPELLING, TOKEN_MIN_SIMILARITY, Variants
from service.normalize.names import NormalizedName, TokenClass, abjad_skeletons, fold_vowels, skeletons

MAX_NAMES = 12  # names per entity aligned pairwise (a few entities carry 50+ aliases: the first ones suffice)
MIN_TOKEN_LEN = 2
_VOWEL = re.compile("[aeiou]")
JOINED_PART_MIN = 3  # letters two Latin tokens differ by in length, for one to be a part of a joined form
_LEARNABLE = (TokenClass.NORMAL, TokenClass.PATRONYMIC)


def _tokens(norm: NormalizedName) -> list[str]:
    shortest = 1 if norm.abjad else MIN_TOKEN_LEN  # an abjad writes Alaa as one consonant ("l")
    return [
        t
        for t, c in zip(norm.tokens, norm.classes, strict=True)
        if c in _LEARNABLE and len(t) >= shortest and t.isalpha()
    ]


def _linked(a: str, b: str, abjad_a: bool, abjad_b: bool) -> float:
    """How plausibly a and b spell one name (0 when they do not): a shared consonant skeleton (every Latin reading
    of an abjad's letters), or close spelling once vowels are folded, with the same first consonant."""
    short, long_ = sorted((a, b), key=len)
    joined_part = long_.startswith(short) and len(long_) - len(short) >= JOINED_PART_MIN
    # spellings with vowels (Latin ones, and the "abdul" the normalizer writes for عبد) differ by a letter or two;
    # more is a joined form (Abdul / Abdallah), not a spelling
    voweled = _VOWEL.search(a) is not None and _VOWEL.search(b) is not None
    if joined_part or (voweled and abs(len(a) - len(b)) >= JOINED_PART_MIN):
        return 0.0
    spelling = OSA.normalized_similarity(fold_vowels(a), fold_vowels(b))
    if spelling < SKELETON_MIN_SPELLING and not (abjad_a or abjad_b):
        return 0.0  # the scorer never links Latin spellings this far apart, not even weakly
    sa = set(abjad_skeletons(a) if abjad_a else skeletons(a))
    sb = set(abjad_skeletons(b) if abjad_b else skeletons(b))
    # one consonant is enough between an abjad and a Latin spelling of one entity's name (علي "ly" / Ali)
    if sa & sb and max(len(s) for s in sa & sb) >= (1 if abjad_a != abjad_b else 2):
        return max(spelling, 0.01)
    if spelling >= TOKEN_MIN_SIMILARITY and skeletons(a)[0][:1] == skeletons(b)[0][:1]:
        return spelling
    return 0.0


def learn_variants(names_by_entity: Iterable[Sequence[NormalizedName]]) -> Variants:
    """Variant pairs from every entity's names: for each two names of one entity, each token of one that the other
    lacks is paired with the other's most similar lacking token, when the two plausibly spell one name."""
    pairs: set[tuple[str, str]] = set()
    abjad: set[str] = set()
    # _linked is pure, and the same two spellings meet in many entities (Mohammed / Muhammad): on the real lists
    # 148,000 distinct pairs of 346,000 comparisons. Remembered for this one call only (freed with it).
    linked: dict[tuple[str, str, bool, bool], float] = {}
    for names in names_by_entity:
        if len(names) < 2:
            continue
        toks = [(set(_tokens(n)), n.abjad) for n in names[:MAX_NAMES]]
        for t, is_abjad in toks:
            if is_abjad:
                abjad.update(t)
        for (ta, abjad_a), (tb, abjad_b) in combinations(toks, 2):
            only_a, only_b = ta - tb, tb - ta
            if not only_a or not only_b:
                continue
            for a in only_a:
                best, best_b = 0.0, ""
                for b in sorted(only_b):  # of two equally good spellings the first in order, whatever the hash seed
                    key = (a, b, abjad_a, abjad_b)
                    s = linked.get(key)
                    if s is None:
                        s = linked[key] = _linked(a, b, abjad_a, abjad_b)
                    if s > best:
                        best, best_b = s, b
                if best_b:
                    pairs.add((a, best_b))
    return Variants.of(pairs, abjad)
