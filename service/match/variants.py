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


Learned = tuple[Variants, Sequence[Sequence[NormalizedName]]]  # a learn_variants result and the names it read


def learn_variants(names_by_entity: Iterable[Sequence[NormalizedName]], previous: Learned | None = None) -> Variants:
    """Variant pairs from every entity's names: for each two names of one entity, each token of one that the other
    lacks is paired with the other's most similar lacking token, when the two plausibly spell one name.

    `previous`: the variants learned from an earlier set of entities, and those entities' names. Each pair is counted
    by the entities that give it, so only what changed is aligned again: the names an entity no longer has take
    their counts away, new ones add theirs (a list change: the whole 0.8 s on all lists, for a few entities). The
    result equals learning from scratch."""
    groups = _counted_groups(names_by_entity)
    linked: dict[tuple[str, str, bool, bool], float] = {}
    if previous is None:
        pairs: dict[tuple[str, str], int] = {}
        abjad: dict[str, int] = {}
        _tally(groups, 1, pairs, abjad, linked)
        return Variants.counted(pairs, abjad)
    variants, earlier = previous
    old = _counted_groups(earlier)
    pairs, abjad = dict(variants.pairs), dict(variants.abjad_counts)
    _tally({k: (g, n - old.get(k, (g, 0))[1]) for k, (g, n) in groups.items()}, 1, pairs, abjad, linked)
    _tally({k: (g, n) for k, (g, n) in old.items() if k not in groups}, -1, pairs, abjad, linked)
    return Variants.counted(pairs, abjad)


# An entity's names as alignment reads them (its first MAX_NAMES names): what `_tokens` reads of each, so that equal
# keys give equal pairs
_Key = tuple[tuple[str, bool, tuple[TokenClass, ...]], ...]
_Groups = dict[_Key, tuple[Sequence[NormalizedName], int]]  # key -> (the names, entities that have them)


def _counted_groups(names_by_entity: Iterable[Sequence[NormalizedName]]) -> _Groups:
    """Each distinct group of two names or more (fewer align nothing), with how many entities have it."""
    groups: _Groups = {}
    for all_names in names_by_entity:
        if len(all_names) < 2:
            continue
        names = all_names[:MAX_NAMES]
        key = tuple((n.text, n.abjad, n.classes) for n in names)
        found = groups.get(key)
        groups[key] = (names, found[1] + 1 if found is not None else 1)
    return groups


def _tally(
    groups: _Groups,
    sign: int,
    pairs: dict[tuple[str, str], int],
    abjad: dict[str, int],
    linked: dict[tuple[str, str, bool, bool], float],
) -> None:
    """Add (sign 1) or take away (-1) each group's pairs and abjad tokens, times the group's count (which may be
    negative: entities that lost the group)."""
    for names, count in groups.values():
        n = sign * count
        if not n:
            continue
        found, abjad_tokens = _aligned(names, linked)
        for pair in found:
            pairs[pair] = pairs.get(pair, 0) + n
        for token in abjad_tokens:
            abjad[token] = abjad.get(token, 0) + n


def _aligned(
    names: Sequence[NormalizedName], linked: dict[tuple[str, str, bool, bool], float]
) -> tuple[set[tuple[str, str]], set[str]]:
    """One entity's pairs (a < b) and the tokens of its names written in an abjad. `linked` remembers `_linked`,
    which is pure, for the call: the same two spellings meet in many entities (Mohammed / Muhammad; on the real
    lists 148,000 distinct pairs of 346,000 comparisons)."""
    pairs: set[tuple[str, str]] = set()
    toks = [(set(_tokens(n)), n.abjad) for n in names]
    abjad = {t for tokens, is_abjad in toks if is_abjad for t in tokens}
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
            if best_b and a != best_b:
                pairs.add((a, best_b) if a < best_b else (best_b, a))
    return pairs, abjad
