"""Which monitors a changed listed entity can affect, without screening every monitor again.

The matcher finds a listed name from a query through shared tokens, one-edit neighbours (deletion keys),
transliteration skeletons, joined forms and identifiers (service.match.index). This index holds the same keys
for the monitored parties, so that a new or changed entity is looked up the other way round: every monitor that
could now retrieve it is a candidate, and only candidates are screened again. It over-generates on purpose (a
candidate costs one screening; a miss would be a missed alert). Tokens that cannot carry a match on their own
(legal forms, honorifics, particles, initials) are not keys.

A monitor sharing only a common given name with the entity cannot match it: the matcher charges a query's
unmatched tokens in full. So a candidate found through name tokens is kept only when the entity's tokens cover at
least MIN_COVERAGE of one of its names' rarity weight (half, where a match needs about four fifths); monitors
holding a hit on the entity, or sharing an identifier with it, are always kept.

Kept in memory by the monitoring worker and brought up to date from the store's change feed before each use.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from service.model import Entity, Monitor
from service.normalize.identifiers import canonical, comparable, is_identifier_like, parse_imo, split_identifiers
from service.normalize.names import TokenClass, analyze, skeletons

# The matcher follows one-edit neighbours for tokens of these lengths (service.match.index); so does this index.
MIN_DELETE_TOKEN_LEN = 4
MAX_DELETE_TOKEN_LEN = 20
MIN_SKELETON_LEN = 2
_KEY_CLASSES = (TokenClass.NORMAL, TokenClass.PATRONYMIC)
_ARTICLES = ("al", "el")
MIN_COVERAGE = 0.5

Weigher = Callable[[str], float]  # token -> rarity weight on the served lists


def deletions(token: str) -> list[str]:
    return [token[:i] + token[i + 1 :] for i in range(len(token))]


def _name_tokens(name: str) -> set[str]:
    norm = analyze(name)
    out = {t for t, c in zip(norm.tokens, norm.classes, strict=True) if c in _KEY_CLASSES and not t.isdigit()}
    out |= {t for t in norm.tokens if t.isdigit() and len(t) >= 3}  # "Brigade 44", tail numbers' digits
    if len(norm.tokens) > 1 and len(norm.compact) >= 4:
        out.add(norm.compact)
    return out


def _identifier_keys(value: str) -> set[str]:
    keys = {canonical(value)}
    imo = parse_imo(value)
    if imo:
        keys.add(imo)
    return {k for k in keys if len(k) >= 4}


def monitor_keys(query: Mapping[str, Any]) -> tuple[list[frozenset[str]], set[str]]:
    """(the name tokens of each of a monitored party's names, its identifier keys), from its stored query."""
    names = [str(n) for n in [query.get("name"), *(query.get("aliases") or ())] if n]
    per_name: list[frozenset[str]] = []
    idents: set[str] = set()
    for n in names:
        rest, embedded = split_identifiers(n)
        for value in embedded:
            idents |= _identifier_keys(value)
        if is_identifier_like(n):
            idents |= _identifier_keys(n)
        per_name.append(frozenset(_name_tokens(n)))
        if rest and rest != n:
            per_name.append(frozenset(_name_tokens(rest)))
    for value in query.get("identifiers") or ():
        idents |= _identifier_keys(str(value))
    return [t for t in per_name if t], idents


def entity_keys(entity: Entity) -> tuple[set[str], set[str]]:
    """(name tokens, identifier keys) of a listed entity."""
    tokens: set[str] = set()
    for n in entity.all_names():
        tokens |= _name_tokens(n.full)
    idents: set[str] = set()
    for ident in entity.identifiers:
        idents |= {k for k in (comparable(ident.type, ident.value), canonical(ident.value)) if len(k) >= 4}
    return tokens, idents


class MonitorIndex:
    """Monitored parties by token, one-edit neighbour, skeleton and identifier; and by the entities they hit."""

    def __init__(self) -> None:
        self.seq = 0  # the store's change feed position this index reflects
        self._tokens: dict[str, set[str]] = defaultdict(set)  # token -> refs
        self._idents: dict[str, set[str]] = defaultdict(set)  # identifier key -> refs
        self._by_deletion: dict[str, set[str]] = defaultdict(set)  # deletion key -> tokens
        self._by_skeleton: dict[str, set[str]] = defaultdict(set)  # skeleton -> tokens
        self._holders: dict[str, set[str]] = defaultdict(set)  # entity id -> refs holding a hit on it
        # ref -> (the tokens of each of its names, its identifier keys, the entity ids it holds hits on)
        self._keys: dict[str, tuple[tuple[frozenset[str], ...], frozenset[str], frozenset[str]]] = {}

    def __len__(self) -> int:
        return len(self._keys)

    # --- maintenance -------------------------------------------------------------------------------------------
    def _add_token(self, token: str, ref: str) -> None:
        refs = self._tokens[token]
        if not refs:  # a new token: index its neighbours' keys
            if MIN_DELETE_TOKEN_LEN <= len(token) <= MAX_DELETE_TOKEN_LEN:
                for d in deletions(token):
                    self._by_deletion[d].add(token)
            for sk in skeletons(token):
                if len(sk) >= MIN_SKELETON_LEN:
                    self._by_skeleton[sk].add(token)
        refs.add(ref)

    def _drop_token(self, token: str, ref: str) -> None:
        refs = self._tokens.get(token)
        if refs is None:
            return
        refs.discard(ref)
        if refs:
            return
        del self._tokens[token]
        keys = (
            [(self._by_deletion, d) for d in deletions(token)]
            if MIN_DELETE_TOKEN_LEN <= len(token) <= MAX_DELETE_TOKEN_LEN
            else []
        )
        keys += [(self._by_skeleton, sk) for sk in skeletons(token)]
        for table, key in keys:
            tokens = table.get(key)
            if tokens is not None:
                tokens.discard(token)
                if not tokens:
                    del table[key]

    def remove(self, ref: str) -> None:
        keys = self._keys.pop(ref, None)
        if keys is None:
            return
        names, idents, held = keys
        for t in frozenset().union(*names):
            self._drop_token(t, ref)
        for table, values in ((self._idents, idents), (self._holders, held)):
            for k in values:
                refs = table.get(k)
                if refs is not None:
                    refs.discard(ref)
                    if not refs:
                        del table[k]

    def add(self, monitor: Monitor) -> None:
        self.remove(monitor.ref)
        names, idents = monitor_keys(monitor.query)
        held = {h.entity_id for h in monitor.hits}
        for t in frozenset().union(*names):
            self._add_token(t, monitor.ref)
        for k in idents:
            self._idents[k].add(monitor.ref)
        for e in held:
            self._holders[e].add(monitor.ref)
        self._keys[monitor.ref] = (tuple(names), frozenset(idents), frozenset(held))

    def apply(self, changed: Iterable[Monitor], deleted: Iterable[str], seq: int) -> None:
        """A page of the store's change feed (MonitoringStore.monitors_since)."""
        for ref in deleted:
            self.remove(ref)
        for m in changed:
            self.add(m)
        self.seq = max(self.seq, seq)

    # --- lookups -----------------------------------------------------------------------------------------------
    def _neighbours(self, token: str) -> set[str]:
        found = {token} if token in self._tokens else set()
        if len(token) >= MIN_DELETE_TOKEN_LEN - 1:
            found |= self._by_deletion.get(token, set())  # a monitored token one letter longer
        if MIN_DELETE_TOKEN_LEN <= len(token) <= MAX_DELETE_TOKEN_LEN:
            for d in deletions(token):
                if d in self._tokens:
                    found.add(d)  # one letter shorter
                found |= self._by_deletion.get(d, set())  # one letter substituted or transposed
        for sk in skeletons(token):
            if len(sk) >= MIN_SKELETON_LEN:
                found |= self._by_skeleton.get(sk, set())
        if len(token) > 4 and token[:2] in _ARTICLES and token[2:] in self._tokens:
            found.add(token[2:])  # "elhalim" for a monitored "halim"
        for article in _ARTICLES:
            if article + token in self._tokens:
                found.add(article + token)
        return found

    def candidates(self, entity: Entity, weight: Weigher = lambda _: 1.0) -> set[str]:
        """Refs of the monitors that could now match `entity` (see the module docstring), or that hold a hit on it."""
        tokens, idents = entity_keys(entity)
        refs: set[str] = set(self._holders.get(entity.id, set()))
        for k in idents:
            refs |= self._idents.get(k, set())
        covered: set[str] = set()  # monitored tokens the entity's tokens reach
        for t in tokens:
            covered |= self._neighbours(t)
        by_tokens: set[str] = set()
        for token in covered:
            by_tokens |= self._tokens[token]
        for ref in by_tokens - refs:
            if any(_coverage(name, covered, weight) >= MIN_COVERAGE for name in self._keys[ref][0]):
                refs.add(ref)
        return refs

    def holders(self, entity_id: str) -> set[str]:
        """Refs of the monitors holding a hit on `entity_id` (e.g. a delisted entity)."""
        return set(self._holders.get(entity_id, set()))

    def refs(self) -> list[str]:
        return list(self._keys)


def _coverage(name: frozenset[str], covered: set[str], weight: Weigher) -> float:
    total = sum(weight(t) for t in name)
    return sum(weight(t) for t in name if t in covered) / total if total > 0 else 0.0
