"""The candidate index, built once per set of snapshots: name tokens, typo neighbours (deletion keys),
transliteration skeletons, joined forms, exact names and identifiers.

Retrieval is deliberately generous (every name sharing a token, a one-edit neighbour or a skeleton with the
query); precision comes from the scorer, which only sees the best `limit` candidates.
"""

from __future__ import annotations

import math
import re
from array import array
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence, Set
from functools import partial
from itertools import chain, pairwise
from typing import NamedTuple, TypeVar, overload

import numpy as np
import numpy.ma  # np.unique reads np.ma, which numpy 2 imports on first use: here, not in a request
import structlog
from rapidfuzz.distance import OSA

from service.match.analysis import Forked, abandon, analyse_names, can_fork, in_child, processes_available
from service.match.score import (
    ABJAD_SKELETON_SIMILARITY,
    CLASS_WEIGHT,
    PHONETIC_SIMILARITY,
    VARIANT_SIMILARITY,
    TokenComparer,
)
from service.match.variants import learn_variants
from service.model import Entity, Identifier, Name, NameQuality
from service.normalize.identifiers import comparable
from service.normalize.names import NormalizedName, TokenClass, abjad_skeletons, analyze, skeletons

log = structlog.get_logger("service.match")

V = TypeVar("V")

# Retrieval only: a one-edit neighbour must be at least this similar to be followed.
NEIGHBOUR_MIN_SIMILARITY = 0.7
MIN_DELETE_TOKEN_LEN = 4  # shorter tokens have too many one-edit neighbours to be worth following
MAX_DELETE_TOKEN_LEN = 20
NEIGHBOUR_CACHE_SIZE = 100_000
MOST_SHARED = 8  # names kept by raw shared evidence on top of the coverage-ranked ones
MIN_SHARE_OF_BEST = 0.25  # retrieval evidence a name needs, relative to the best name, to be scored
MIN_SKELETON_LEN = 3
MAX_COMPACT_LEN = 30  # joined forms ("alqaida") are indexed for names up to this length
# Fewer names get their tokens' keys here: a fork, and pickling the tables there and back, cost more than computing
# them (about 60,000 tokens a second on one core; the real lists have about 60,000 names and 30,000 tokens).
KEYS_CHILD_MIN_NAMES = 40_000
_VOWELS = re.compile("[aeiou]")
_ARTICLES = ("al", "el")
_RETRIEVAL_CLASS_WEIGHT = {
    TokenClass.NORMAL: 1.0,
    TokenClass.PATRONYMIC: 0.5,
    TokenClass.PARTICLE: 0.1,
    TokenClass.LEGAL: 0.05,
    TokenClass.HONORIFIC: 0.02,
    TokenClass.INITIAL: 0.02,
}


class IndexedName(NamedTuple):
    """One indexed name, as the scorer reads it (made on demand from the NameTable's columns)."""

    entity: int  # index into Index.entities
    name: Name
    norm: NormalizedName
    weights: tuple[float, ...] = ()  # token weights (score.token_weights), set once the IDF is known


class NameTable(Sequence[IndexedName]):
    """The indexed names by number, kept as four columns rather than an object each: 64 bytes and an int object
    less per name (25 MB at 10x the lists). Retrieval reads the entity column alone; the scorer gets IndexedName
    tuples for the few names it scores."""

    __slots__ = ("entity", "name", "norm", "weights")

    def __init__(
        self, entity: array[int], name: list[Name], norm: list[NormalizedName], weights: list[tuple[float, ...]]
    ) -> None:
        self.entity = entity
        self.name = name
        self.norm = norm
        self.weights = weights

    def __len__(self) -> int:
        return len(self.norm)

    @overload
    def __getitem__(self, i: int) -> IndexedName: ...
    @overload
    def __getitem__(self, i: slice) -> list[IndexedName]: ...
    def __getitem__(self, i: int | slice) -> IndexedName | list[IndexedName]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return IndexedName(self.entity[i], self.name[i], self.norm[i], self.weights[i])


class Rarity:
    """A token's rarity on the loaded lists: log(1 + names / names containing it); unseen = rarest. From the index's
    own tables. The token comparer reads it through this object rather than `Index.idf`, a method bound to the index
    that holds the comparer: without that reference cycle (nor any other), a replaced index is freed by reference
    counting as soon as the last request lets go of it, with no full collection scanning the heap
    (service.api.heap)."""

    __slots__ = ("_idf", "_numbers", "max_idf")

    def __init__(self, numbers: Mapping[str, int], idf: array[float], max_idf: float) -> None:
        self._numbers = numbers
        self._idf = idf
        self.max_idf = max_idf

    def __call__(self, token: str) -> float:
        number = self._numbers.get(token)
        return self.max_idf if number is None else self._idf[number]


def _distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, in order: `np.unique` without its general machinery (numpy 2's hash table and its
    wrapper's calls), 2.7 times faster on the few hundred postings a typical query reaches and 4 times on the
    thousands a common name reaches. Sorts `values` in place."""
    values.sort()
    if len(values) < 2:
        return values
    keep = np.empty(len(values), dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def _by_class(weights: Mapping[TokenClass, float]) -> np.ndarray:
    """A weight by class, as an array indexed by the class's value."""
    return np.array([weights[TokenClass(value)] for value in range(len(TokenClass))], dtype=np.float64)


def _name_weights(
    norms: Sequence[NormalizedName], number: Mapping[str, int], idf: array[float]
) -> tuple[list[tuple[float, ...]], np.ndarray]:
    """Every indexed name's token weights (`score.token_weights`: each token's rarity times its class weight) and
    retrieval weight (the sum of its tokens' rarity times their retrieval class weight, 1e-9 at least), at once:
    the products in numpy (the same IEEE multiplications as in Python, so the same floats), each name's sum in
    Python, in order, as `sum` adds them. Equal weights share one float and equal rows one tuple: 190,000 floats
    on the lists hold 417 values. A name at a time, these were 0.3 s of a 1.1 s index build at a list change."""
    lengths = [len(norm.tokens) for norm in norms]
    total = sum(lengths)
    # every token of an indexed name is a key: its number reads its rarity
    tokens = np.fromiter(map(number.__getitem__, chain.from_iterable(n.tokens for n in norms)), np.intp, total)
    classes = np.fromiter(chain.from_iterable(n.classes for n in norms), np.intp, total)
    rarity = np.frombuffer(idf, dtype=np.float64)[tokens]
    values, which = np.unique(rarity * _by_class(CLASS_WEIGHT)[classes], return_inverse=True)
    shared = values.tolist()
    flat = [shared[i] for i in which.tolist()]
    by_retrieval = (rarity * _by_class(_RETRIEVAL_CLASS_WEIGHT)[classes]).tolist()
    rows: dict[tuple[float, ...], tuple[float, ...]] = {}
    weights: list[tuple[float, ...]] = []
    retrieval: list[float] = []
    end = 0
    for length in lengths:
        start, end = end, end + length
        row = tuple(flat[start:end])
        weights.append(rows.setdefault(row, row))
        retrieval.append(max(1e-9, sum(by_retrieval[start:end])))
    return weights, np.array(retrieval, dtype=np.float64)


def deletions(token: str) -> list[str]:
    return [token[:i] + token[i + 1 :] for i in range(len(token))]


# A neighbour table's value: the one token under that key (nine keys in ten), or the tokens. A tuple of one costs
# 64 bytes, 18 MB at 10x the lists for the deletion keys alone.
Tokens = str | tuple[str, ...]


def _tables(lists: Mapping[str, list[V]]) -> dict[str, V | tuple[V, ...]]:
    return {k: v[0] if len(v) == 1 else tuple(v) for k, v in lists.items()}


Tables = tuple[dict[str, Tokens], dict[str, Tokens], dict[str, Tokens]]  # by skeleton, unarticled form, deletion


def key_tables(
    tokens: Sequence[str], abjad_tokens: Collection[str], joined_only: Collection[str], known: TokenKeys
) -> Tables:
    """The index's key tables over its `tokens` (in key order, which orders each key's tokens): by skeleton, by
    unarticled form, by deletion. `abjad_tokens`: tokens of abjad names, keyed by every Latin reading of their
    letters; `joined_only`: joined forms that are no word of a name, which get no deletion keys (they are reached
    through their skeleton, and deletion keys for them would double the index; a joined form that is also a word,
    "naeem" of "Naeem Sheikh", keeps its typo neighbours); `known`: tokens' keys read instead of computed."""
    by_skeleton, by_unarticled, by_deletion = _key_lists(tokens, abjad_tokens, joined_only, known, tokens)
    return _tables(by_skeleton), _tables(by_unarticled), _tables(by_deletion)


def _key_lists(
    tokens: Sequence[str],
    abjad_tokens: Collection[str],
    joined_only: Collection[str],
    known: TokenKeys,
    values: Sequence[V],
) -> tuple[dict[str, list[V]], dict[str, list[V]], dict[str, list[V]]]:
    """`key_tables` before each key's tokens are packed (`_tables`), each token listed as its item of `values` (the
    token itself, or its number: `_key_tables_of`)."""
    by_skeleton: dict[str, list[V]] = defaultdict(list)
    by_deletion: dict[str, list[V]] = defaultdict(list)
    by_unarticled: dict[str, list[V]] = defaultdict(list)
    known_latin, known_abjad, known_deletions = known
    for token, value in zip(tokens, values, strict=True):
        if len(token) > 4 and token[:2] in _ARTICLES:
            by_unarticled[token[2:]].append(value)
        if token.isdigit():
            continue
        # a listed abjad token is found under every Latin reading of its letters ("fdl": Fadl, Fazl)
        known_sks, readings = (known_abjad, abjad_skeletons) if token in abjad_tokens else (known_latin, skeletons)
        sks = known_sks.get(token)
        if sks is None:
            sks = [sk for sk in readings(token) if len(sk) >= 2]
        for sk in sks:
            by_skeleton[sk].append(value)
        if MIN_DELETE_TOKEN_LEN <= len(token) <= MAX_DELETE_TOKEN_LEN and token not in joined_only:
            for d in known_deletions.get(token) or deletions(token):
                by_deletion[d].append(value)
    return by_skeleton, by_unarticled, by_deletion


def updated_key_tables(
    previous: Index, number: Mapping[str, int], abjad_tokens: Set[str], joined_only: Set[str]
) -> Tables | None:
    """The key tables `key_tables` makes over the keys of `number` (key -> position, in key order), equal to them
    key for key and token for token, made from the `previous` index's tables: only the keys of tokens that came,
    went, are keyed otherwise (another script, a word now or a joined form only) or moved against the others in key
    order are made again, their keys computed by the rules that made the tables. None when so much changed that
    making them all costs less.

    Why: at a list change nearly every token is the same and in the same order. Making every table again from the
    tokens' known keys was a fifth of a change's build on the real lists; copying the tables and redoing the keys
    of a few hundred tokens takes a tenth of that (70-90 ms against 600-740 ms in one process), and a change of the
    UN list was built in 1.24 s instead of 1.50 s (medians of six, the text view beside it)."""
    old_number = previous._key_number
    old_abjad, old_joined_only = _keyed_as(previous.names.norm)
    # A key's tokens are in key order. The old tokens that stay keep their order, but for those a change moved
    # (their first name is now in another place than before): the fewest such tokens, outside one longest run of
    # old positions that is in order in the new one.
    staying = [token for token in number if token in old_number]
    moved = _out_of_order([old_number[token] for token in staying], staying)
    redone = {
        token
        for token in (abjad_tokens ^ old_abjad) | (joined_only ^ old_joined_only)
        if token in number and token in old_number
    }
    went = [token for token in old_number if token not in number or token in redone]
    came = [token for token in number if token not in old_number or token in redone]
    if len(went) + len(came) + len(moved) > len(number) // 4:
        return None
    old_lists = _key_lists(went, old_abjad, old_joined_only, NO_TOKEN_KEYS, went)
    new_lists = _key_lists(came, abjad_tokens, joined_only, NO_TOKEN_KEYS, came)
    moved_lists = _key_lists(moved, old_abjad, old_joined_only, NO_TOKEN_KEYS, moved)
    dropped = set(went)
    out = []
    for serving, gone, added, reordered in zip(
        (previous.by_skeleton, previous.by_unarticled, previous.by_deletion),
        old_lists,
        new_lists,
        moved_lists,
        strict=True,
    ):
        table = dict(serving)
        for key in gone.keys() | added.keys() | reordered.keys():
            tokens = [token for token in _each(table.get(key)) if token not in dropped]
            tokens += added.get(key, ())
            tokens.sort(key=number.__getitem__)  # stable: a token filed twice under a key stays twice in a row
            if tokens:
                table[key] = tokens[0] if len(tokens) == 1 else tuple(tokens)
            else:
                del table[key]
        out.append(table)
    return out[0], out[1], out[2]


def _keyed_as(norms: Iterable[NormalizedName]) -> tuple[set[str], set[str]]:
    """The tokens of abjad names and the joined forms that are no word, of an index's names (`key_tables`)."""
    abjad: set[str] = set()
    words: set[str] = set()
    compacts: set[str] = set()
    for norm in norms:
        words.update(norm.tokens)
        if norm.abjad:
            abjad.update(norm.tokens)
        compact = _joined_form(norm)
        if compact is not None:
            compacts.add(compact)
    return abjad, compacts - words


def _held_names(entity: Entity, analysed: Mapping[str, NormalizedName]) -> list[tuple[Name, NormalizedName]]:
    """The names of `entity` the index holds, with their analyses, in the entity's order: those with tokens, each
    analysis once."""
    seen: set[str] = set()
    held: list[tuple[Name, NormalizedName]] = []
    for name in entity.all_names():
        norm = analysed[name.full]
        if norm.tokens and norm.text not in seen:
            seen.add(norm.text)
            held.append((name, norm))
    return held


NumberedTables = tuple[dict[str, int | tuple[int, ...]], ...]


def _key_tables_of(entities: Sequence[Entity], analysed: Mapping[str, NormalizedName]) -> NumberedTables:
    """`key_tables` over the keys an Index of `entities` posts, for a child forked before the walk over the names
    `Index.__init__` makes: the keys are found by the same walk, in the order they are first met there (each name's
    tokens, then its joined form), which is the index's key order. Each token is given as its number in that order,
    which is smaller to send than the token and quicker to make the index's own object again (`_adopted`)."""
    norms = [norm for entity in entities for _, norm in _held_names(entity, analysed)]
    keys = list(dict.fromkeys(chain.from_iterable(map(_posted_under, norms))))
    abjad_tokens, joined_only = _keyed_as(norms)
    return _numbered_key_tables(keys, abjad_tokens, joined_only)


def _numbered_key_tables(keys: Sequence[str], abjad_tokens: Set[str], joined_only: Set[str]) -> NumberedTables:
    """`key_tables` over the index's `keys` (in its key order), each token given as its number there."""
    lists = _key_lists(keys, abjad_tokens, joined_only, NO_TOKEN_KEYS, range(len(keys)))
    return tuple(_tables(table) for table in lists)


def _posted_under(norm: NormalizedName) -> tuple[str, ...]:
    joined = _joined_form(norm)
    return norm.tokens if joined is None else (*norm.tokens, joined)


def _joined_form(norm: NormalizedName) -> str | None:
    """The name's tokens written as one, when the index keys it (joined forms: "alqaida" for "Al Qaida")."""
    compact = norm.compact
    return compact if len(norm.tokens) > 1 and 4 <= len(compact) <= MAX_COMPACT_LEN else None


def _out_of_order(positions: Sequence[int], tokens: Sequence[str]) -> list[str]:
    """The `tokens` whose `positions` fall outside one longest increasing run (not necessarily contiguous) of them:
    the fewest whose removal leaves the rest in order. None of them when the positions are in order, the usual case."""
    if all(a < b for a, b in pairwise(positions)):
        return []
    tails: list[int] = []  # tails[k]: the least last position of an increasing run of k + 1 positions so far
    ends: list[int] = []  # where that run ends
    before = [-1] * len(positions)  # the previous element of the run each element ends
    for i, position in enumerate(positions):
        k = bisect_left(tails, position)
        if k == len(tails):
            tails.append(position)
            ends.append(i)
        else:
            tails[k] = position
            ends[k] = i
        before[i] = ends[k - 1] if k else -1
    in_run = [False] * len(positions)
    i = ends[-1]
    while i >= 0:
        in_run[i] = True
        i = before[i]
    return [token for token, kept in zip(tokens, in_run, strict=True) if not kept]


def _adopted(got: object, own: Sequence[str]) -> tuple[dict[str, Tokens], dict[str, Tokens], dict[str, Tokens]] | None:
    """The key tables a child sent (`_key_tables_of`), each token's number made the token, this process's own object
    (`own`: the index's keys in order), as tables built here hold them; None when they are not what the child
    sends."""
    if not (isinstance(got, tuple) and len(got) == 3 and all(isinstance(t, dict) for t in got)):
        return None
    mine = dict(enumerate(own))  # (not the list itself: a negative number would be taken from its end)
    out = []
    try:
        for table in got:
            adopted: dict[str, Tokens] = {}
            for key, value in table.items():
                adopted[key] = mine[value] if value.__class__ is int else tuple([mine[v] for v in value])
            out.append(adopted)
    except (AttributeError, KeyError, TypeError):  # not tables of this index's tokens
        return None
    return out[0], out[1], out[2]


class TokenKeys(NamedTuple):
    """Each indexed token's keys in an index's tables (Index.token_keys), for the next build to reuse."""

    latin: Mapping[str, Sequence[str]]  # skeleton keys (two letters or more) of a token indexed by its Latin skeletons
    abjad: Mapping[str, Sequence[str]]  # those of a token of an abjad name (by every Latin reading of its letters)
    deletions: Mapping[str, Sequence[str]]  # deletion keys, as often as `deletions` gives each


NO_TOKEN_KEYS = TokenKeys({}, {}, {})


def analyses(entities: Iterable[Entity], previous: Index | None = None) -> dict[str, NormalizedName]:
    """The analysis of every name of `entities`: the `previous` index's where it has one (Index), the rest analysed
    now, on every core when there is much of it (a first build: service.match.analysis)."""
    analysed = previous.analysed_names() if previous is not None else {}
    analysed.update(analyse_names((name.full for entity in entities for name in entity.all_names()), analysed))
    return analysed


def _each(found: Tokens | None) -> tuple[str, ...]:
    if found is None:
        return ()
    return (found,) if isinstance(found, str) else found


class Index:
    """Immutable after build; safe to read from many threads."""

    def __init__(
        self,
        entities: Iterable[Entity],
        previous: Index | None = None,
        analysed: Mapping[str, NormalizedName] | None = None,
        *,
        beside: bool = False,
    ) -> None:
        """`previous`: an earlier index (the one serving), which lends its names' analysis, reused instead of
        analysing them again (analysis is a pure function of the text; a list change leaves nearly every name as it
        was), its key tables, updated rather than made again (`updated_key_tables`), and whose spelling variants are
        counted again only for the entities whose names changed (service.match.variants). `analysed`: every name's
        analysis (`analyses`), when the caller made it already. `beside`: whether forked children work beside this
        build (Matcher.build's views), keeping the other cores busy (below)."""
        self.entities: list[Entity] = list(entities)
        if analysed is None:
            analysed = analyses(self.entities, previous)
        self.position: dict[str, int] = {e.id: i for i, e in enumerate(self.entities)}
        name_entity: list[int] = []  # the names' columns (NameTable), weights added once the IDF is known
        name_name: list[Name] = []
        name_norm: list[NormalizedName] = []
        postings: dict[str, list[int]] = defaultdict(list)
        exact: dict[str, list[int]] = defaultdict(list)
        ids: dict[str, list[tuple[int, Identifier]]] = defaultdict(list)
        compacts: set[str] = set()
        words: set[str] = set()  # tokens of names, as opposed to joined forms
        abjad_tokens: set[str] = set()
        by_entity: list[list[NormalizedName]] = []
        # Every token's keys (typo neighbours, skeletons, unarticled forms) are the longest part of a first build
        # (1.2 s of 3 on the real lists, 5 s at ten times: a skeleton is computed by rules, token by token). Where
        # forking is safe and pays (KEYS_CHILD_MIN_NAMES), a forked child makes them while this process learns the
        # spelling variants and weighs the names. With no other child beside this build, it is forked now and finds
        # the tokens by the walk over the names this loop makes (`_held_names`): the loop is 3 s at ten times the
        # lists, on one core, which would otherwise leave the other idle. With children beside it (a view's), the
        # cores are busy anyway, and the child is forked after the loop and given its tokens, sparing the 1.3 s of
        # CPU its own walk costs. At a list change, the serving index's tables are copied and the keys of the
        # tokens that changed made again (`updated_key_tables`).
        serving = previous if previous is not None and previous._key_number else None  # one to update the tables of
        keys_wanted = (
            serving is None and len(analysed) >= KEYS_CHILD_MIN_NAMES and processes_available() > 1 and can_fork()
        )
        keys_child: Forked | None = None
        if keys_wanted and not beside:
            keys_child = in_child(partial(_key_tables_of, self.entities, analysed), "key tables")
        tables: Tables | None = None
        try:
            for ei, entity in enumerate(self.entities):
                learnable: list[NormalizedName] = []
                for name, norm in _held_names(entity, analysed):
                    if name.quality == NameQuality.STRONG:
                        learnable.append(norm)
                    if norm.abjad:
                        abjad_tokens.update(norm.tokens)
                    ni = len(name_norm)
                    name_entity.append(ei)
                    name_name.append(name)
                    name_norm.append(norm)
                    exact[norm.text].append(ni)
                    # in the name's order, not a set's: the order tokens are first met orders the neighbour tables
                    # and with them retrieval's sums, which must not depend on the process's string hash seed
                    keys = dict.fromkeys(norm.tokens)
                    words.update(keys)
                    compact = _joined_form(norm)
                    if compact is not None:
                        keys[compact] = None
                        compacts.add(compact)
                    for key in keys:
                        postings[key].append(ni)
                by_entity.append(learnable)
                for ident in entity.identifiers:
                    key = comparable(ident.type, ident.value)
                    if len(key) >= 4:
                        ids[key].append((ei, ident))
            tokens = list(postings)
            joined_only = compacts - words  # joined forms are reached through their skeleton only (`key_tables`)
            if keys_wanted and beside:
                keys_child = in_child(partial(_numbered_key_tables, tokens, abjad_tokens, joined_only), "key tables")
            learned = (previous.comparer.variants, previous.learnable_names()) if previous is not None else None
            variants = learn_variants(by_entity, learned)
            # postings as one flat array plus (start, end) per key: one allocation instead of one per token
            self._flat = np.fromiter(
                chain.from_iterable(postings.values()), dtype=np.int32, count=sum(map(len, postings.values()))
            )
            # Every indexed key (token or joined form) has a number; what the index knows of a key is kept in arrays
            # by that number (its span of _flat, its rarity) rather than in a dict per fact: one dict of keys instead
            # of three (at 10x the lists, 52 MB less), and retrieval gathers spans in numpy (see `candidates`).
            self._key_number: dict[str, int] = {key: number for number, key in enumerate(postings)}
            lengths = [len(plist) for plist in postings.values()]
            self._key_len = np.array(lengths, dtype=np.int64)
            self._key_start = np.cumsum(self._key_len) - self._key_len
            self.ids: dict[str, tuple[tuple[int, Identifier], ...]] = {k: tuple(v) for k, v in ids.items()}
            n = max(len(name_norm), 1)
            self._idf = array("d", [math.log(1 + n / count) for count in lengths])
            self.max_idf = math.log(1 + n)
            # the lists' own spelling variants (aliases of one entity aligned token by token) and rarity, for the
            # scorer; the rarity as an object of its own, not `self.idf`: the comparer must not refer back to the index
            self.rarity = Rarity(self._key_number, self._idf, self.max_idf)
            self.comparer: TokenComparer = TokenComparer(variants, self.rarity)
            weights, self._name_weight = _name_weights(name_norm, self._key_number, self._idf)
            self.names = NameTable(array("i", name_entity), name_name, name_norm, weights)
            if keys_child is not None:
                got = keys_child.result()
                tables = _adopted(got, tokens)
                if tables is None and got is not None:
                    log.warning("analysis.child_failed", work="key tables", sent=type(got).__name__)
            if tables is None and serving is not None:
                tables = updated_key_tables(serving, self._key_number, abjad_tokens, joined_only)
            if tables is None:
                known = previous.token_keys() if previous is not None else NO_TOKEN_KEYS
                tables = key_tables(tokens, abjad_tokens, joined_only, known)
            self.by_skeleton, self.by_unarticled, self.by_deletion = tables
        finally:
            abandon([keys_child])  # a build that failed here: its child's tables are not wanted
        self._neighbours: dict[tuple[str, bool], dict[str, float]] = {}
        self._weighted_neighbours: dict[tuple[str, bool], tuple[np.ndarray, np.ndarray]] = {}
        self.linked_from: dict[int, list[tuple[int, str]]] = defaultdict(list)  # target -> (source, relation)
        self.links_to: dict[int, list[tuple[int, str, str]]] = defaultdict(list)  # source -> (target, rel, name)
        self._resolve_links(exact)  # exact names serve the build only: links naming their target

    # --- weights -----------------------------------------------------------------------------------------
    def idf(self, token: str) -> float:
        """Rarity of a token on the loaded lists (see Rarity)."""
        return self.rarity(token)

    def analysed_names(self) -> dict[str, NormalizedName]:
        """Each indexed name's text and its analysis, for the next index to reuse."""
        return {name.full: norm for name, norm in zip(self.names.name, self.names.norm, strict=True)}

    def token_keys(self) -> TokenKeys:
        """Each indexed token's skeleton keys (of two letters or more), read back from the tables: those of the tokens
        indexed by their Latin skeletons, those of the abjad tokens (by every Latin reading), and each token's
        deletion keys, as often as `deletions` gives each, for the next index to reuse. At a list change nearly every
        token is the same, and a process that loaded its index from the matcher cache has never computed a skeleton:
        computing them all again was 1.2 s of a 2.5 s rebuild on the real lists (the skeleton memo empty)."""
        latin, by_script = self._skeleton_keys()
        dels: dict[str, list[str]] = defaultdict(list)
        for d, tokens in self.by_deletion.items():
            for token in _each(tokens):
                dels[token].append(d)
        return TokenKeys(latin, by_script, dels)

    def latin_keys(self) -> Mapping[str, Sequence[str]]:
        """`token_keys().latin` alone, which the text view reads (in its child, beside the next index's build)."""
        return self._skeleton_keys()[0]

    def _skeleton_keys(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        abjad = {t for norm in self.names.norm if norm.abjad for t in norm.tokens}
        latin: dict[str, list[str]] = defaultdict(list)
        by_script: dict[str, list[str]] = defaultdict(list)
        for sk, tokens in self.by_skeleton.items():
            for token in _each(tokens):
                (by_script if token in abjad else latin)[token].append(sk)
        return latin, by_script

    def learnable_names(self) -> list[list[NormalizedName]]:
        """By entity, the names spelling variants are learned from (strong ones, as indexed): what `__init__` gave
        learn_variants, made again from the names table."""
        by_entity: list[list[NormalizedName]] = [[] for _ in self.entities]
        strong = NameQuality.STRONG
        for ei, name, norm in zip(self.names.entity, self.names.name, self.names.norm, strict=True):
            if name.quality == strong:
                by_entity[ei].append(norm)
        return by_entity

    # --- links -------------------------------------------------------------------------------------------
    def _resolve_links(self, exact: Mapping[str, list[int]]) -> None:
        for si, entity in enumerate(self.entities):
            for link in entity.links:
                target: int | None = self.position.get(link.target_id) if link.target_id else None
                if target is None:
                    target = self._resolve_by_name(link.name, entity.list_id, si, exact)
                if target is None:
                    continue
                self.links_to[si].append((target, link.relation, link.name))
                self.linked_from[target].append((si, link.relation))

    def _resolve_by_name(self, name: str, list_id: str, source: int, exact: Mapping[str, list[int]]) -> int | None:
        norm = analyze(name)
        found = {self.names.entity[ni] for ni in exact.get(norm.text, ())}
        found.discard(source)
        same_list = {i for i in found if self.entities[i].list_id == list_id}
        if len(same_list) == 1:
            return same_list.pop()
        return None

    # --- retrieval ---------------------------------------------------------------------------------------
    def neighbours(self, token: str, abjad: bool = False) -> dict[str, float]:
        """Indexed tokens a query token may stand for, with their similarity (exact, one edit, skeleton).

        Memoized per index: screening traffic repeats tokens (given names, legal forms, countries' words).
        """
        key = (token, abjad)
        cached = self._neighbours.get(key)
        if cached is not None:
            return cached
        found = self._find_neighbours(token, abjad)
        if len(self._neighbours) >= NEIGHBOUR_CACHE_SIZE:
            self._neighbours.clear()  # crude but bounded; a dict write is atomic under the GIL
        self._neighbours[key] = found
        return found

    def _weighted(self, token: str, abjad: bool) -> tuple[np.ndarray, np.ndarray]:
        """The neighbours (key numbers, in `neighbours` order) and their retrieval weight (rarity x similarity), as
        arrays, memoized (bounded like `neighbours`)."""
        key = (token, abjad)
        cached = self._weighted_neighbours.get(key)
        if cached is None:
            found = self.neighbours(token, abjad)
            numbers = [self._key_number[c] for c in found]
            idf = self._idf
            weights = [idf[k] * sim for k, sim in zip(numbers, found.values(), strict=True)]
            cached = (np.array(numbers, dtype=np.int64), np.array(weights, dtype=np.float64))
            if len(self._weighted_neighbours) >= NEIGHBOUR_CACHE_SIZE:
                self._weighted_neighbours.clear()
            self._weighted_neighbours[key] = cached
        return cached

    def _find_neighbours(self, token: str, abjad: bool) -> dict[str, float]:
        found: dict[str, float] = {}
        known = self._key_number
        if token in known:
            found[token] = 1.0
        if len(token) == MIN_DELETE_TOKEN_LEN - 1 and token.isalpha():
            # a three-letter query token may be a longer listed token missing a letter ("koi" for "koti")
            for cand in _each(self.by_deletion.get(token)):
                found.setdefault(cand, OSA.normalized_similarity(token, cand))
        if len(token) >= MIN_DELETE_TOKEN_LEN and not token.isdigit():
            keys = [token, *deletions(token)]
            for key in keys:
                for cand in _each(self.by_deletion.get(key)):
                    if cand not in found:
                        sim = OSA.normalized_similarity(token, cand)
                        if sim >= NEIGHBOUR_MIN_SIMILARITY:
                            found[cand] = sim
            for cand in sorted(known.keys() & {*keys} - found.keys()):
                found[cand] = OSA.normalized_similarity(token, cand)
        if len(token) > 4 and token[:2] in _ARTICLES and token[2:] in known:
            found.setdefault(token[2:], 0.9)  # "elhalim" for "el halim" / "halim"
        for cand in _each(self.by_unarticled.get(token)):
            found.setdefault(cand, 0.9)  # "halim" for "elhalim"
        # Only the script makes a token abjad (a Latin token without vowels is an acronym such as HMS); abjad
        # transliterations ("smh" for Usama) have short skeletons, and the skeleton is how they match.
        # the lists' own spellings of the same name (aliases of one entity aligned token by token)
        variants = self.comparer.variants
        for cand in sorted(variants.partners.get(token, ())):
            if cand in known:
                found.setdefault(cand, VARIANT_SIMILARITY)
        for sk in abjad_skeletons(token) if abjad else skeletons(token):
            if len(sk) >= MIN_SKELETON_LEN or (len(sk) == 2 and abjad):
                for cand in _each(self.by_skeleton.get(sk)):
                    found.setdefault(cand, ABJAD_SKELETON_SIMILARITY if abjad else PHONETIC_SIMILARITY)
        return found

    def candidates(self, query: NormalizedName, limit: int) -> list[int]:
        """Indices of the `limit` names sharing most weighted evidence with the query name."""
        keys = list(zip(query.tokens, query.classes, strict=True))
        abjad = query.abjad
        if len(query.tokens) > 1 and len(query.compact) >= 4:
            keys.append((query.compact, TokenClass.NORMAL))
        found = [self._weighted(token, abjad) for token, _ in keys]
        numbers = np.concatenate([n for n, _ in found])
        if not len(numbers):
            return []
        weights = np.concatenate(
            [r * _RETRIEVAL_CLASS_WEIGHT[cls] for (_, r), (_, cls) in zip(found, keys, strict=True)]
        )
        # each listed token counts once, by the query token it is most like: "mhmd" and "hmd" (Muhammad, Ahmad)
        # may both reach "ahmed", which must not count twice. It keeps the place where it was first reached and its
        # highest weight: the order of the postings below is the order the bincount adds each name's sum up in.
        # In Python, not np.unique: a query reaches about 33 keys (median of the golden set), where numpy's sort and
        # its calls cost more than the work (np.unique was a tenth of a screening).
        if len(found) > 1:
            listed = numbers.tolist()
            if len(set(listed)) < len(listed):
                best: dict[int, float] = {}  # in first-reached order, as dicts keep it
                for number, weight in zip(listed, weights.tolist(), strict=True):
                    if weight > best.get(number, -math.inf):
                        best[number] = weight
                numbers = np.fromiter(best, dtype=np.int64, count=len(best))
                weights = np.fromiter(best.values(), dtype=np.float64, count=len(best))
        # every chosen key's span of the flat postings, gathered in one go
        starts, lengths = self._key_start[numbers], self._key_len[numbers]
        ends = np.cumsum(lengths)
        idx = self._flat[np.arange(ends[-1]) + np.repeat(starts - (ends - lengths), lengths)]
        w = np.repeat(weights, lengths)
        acc = np.bincount(idx, weights=w)
        # names sharing only a sliver of the best candidate's evidence cannot outscore it. Read at the postings only
        # (every weight is positive, so the names elsewhere are the zeros): a few hundred values, not every name.
        reached = acc[idx]
        nonzero = _distinct(idx[reached >= reached.max() * MIN_SHARE_OF_BEST])
        # rank by shared evidence times the square root of how much of the listed name it covers, so that among
        # names sharing common tokens ("Ahmad Ali") the ones made mostly of them come first
        shared = acc[nonzero]
        rank = shared * np.sqrt(shared / self._name_weight[nonzero])
        if len(nonzero) > limit:
            keep = np.argpartition(-rank, limit - 1)[:limit]
            # plus the few names with the most shared evidence outright, however long: a full name with two
            # extra middle names ranks below short namesakes made of common tokens, and must still be scored
            most = np.argpartition(-shared, MOST_SHARED - 1)[:MOST_SHARED]
            chosen = np.zeros(len(nonzero), dtype=bool)  # the union of both, in name order (as np.union1d gives)
            chosen[keep] = chosen[most] = True
            nonzero, rank = nonzero[chosen], rank[chosen]
        return nonzero[np.argsort(-rank, kind="stable")].tolist()  # type: ignore[no-any-return]

    def by_identifier(self, key: str) -> tuple[tuple[int, Identifier], ...]:
        return self.ids.get(key, ())
