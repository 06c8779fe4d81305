"""The immutable Matcher: built once per set of snapshots, then screened concurrently without locks.

Interface used by the API, the CLI and the CI hook (keep it stable):
    Matcher.build(snapshots) -> Matcher
    matcher.screen(query, threshold=, limit=, lists=, kinds=, programs=, exclude_ids=, weights=) -> list[Hit]
    matcher.compare(query, candidate_query, threshold=..., weights=...) -> Comparison
    matcher.get(entity_id) -> Entity | None
    matcher.versions -> {list_id: version};  len(matcher) -> number of entities

A hit's score follows the declared feature table (service.match.features.FEATURES): the best of its name, weak
alias and identifier features, moved up or down by kind, identifier, birth date and country, each step visible in
the evidence. `weights` (feature name -> weight) overrides the table's weights for one call.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from typing import NamedTuple

import structlog

from service.errors import QueryError
from service.match.analysis import abandon, can_fork, in_child, processes_available
from service.match.features import (
    Candidate,
    Context,
    PreparedQuery,
    QueryName,
    assess,
    candidate_names,
    combine,
    evaluate,
    explain,
    resolve_weights,
)
from service.match.index import NO_TOKEN_KEYS, Index, IndexedName, analyses
from service.match.score import token_weights
from service.model import (
    Comparison,
    DateSpec,
    Entity,
    EntityKind,
    Evidence,
    Hit,
    Identifier,
    IdentifierType,
    LinkedEntity,
    Name,
    Query,
    Snapshot,
)
from service.normalize.countries import to_country_code
from service.normalize.dates import parse_date_spec
from service.normalize.hangul import readings as hangul_readings
from service.normalize.identifiers import canonical, is_identifier_like, parse_imo, split_identifiers
from service.normalize.names import NormalizedName, analyze
from service.normalize.scripts import detect_script

log = structlog.get_logger("service.match")

# Names handed from retrieval to the scorer per query name: on the tuning half of the golden set, recall and top-1
# at 16 equal those at 24 (and at 64: 99.7 % of queries); a name written in an abjad carries its consonants only,
# so more of its neighbours are scored (Arabic-script names against Latin-only entries: recall 84 % at 24, 80 % at 16).
CANDIDATE_NAMES = 16
CANDIDATE_NAMES_ABJAD = 24
REPORT_FLOOR = 0.55  # hits scoring below this (and below the threshold) are not returned
# Views (ViewMaker) of fewer names are built in the building process: a fork, and pickling the view there and back,
# cost more than building the view of a few thousand names.
VIEW_CHILD_MIN_NAMES = 10_000
MIN_SLASHED_PART = 3  # letters each side of a slash needs for the slash to separate two names


def _identifier_keys(value: str) -> frozenset[str]:
    keys = {canonical(value)}
    imo = parse_imo(value)
    if imo:
        keys.add(imo)
    return frozenset(k for k in keys if len(k) >= 4)


def _as_read(name: str, text: str) -> NormalizedName:
    """The analysis of `text`, a reading of `name` (or `name` itself): in the name's script, with its units in that
    script, so that against a listed name in the same script the reading is held to their similarity there, as the
    name itself is (score.score_names)."""
    read = analyze(text)
    if text == name:
        return read
    typed = analyze(name)
    return replace(read, script=typed.script, native=typed.native)


def prepare(query: Query, index: Index) -> PreparedQuery:
    """The query as the features read it: names analyzed and weighed, identifiers keyed, countries coded."""
    if query.is_empty():
        raise QueryError("a screening needs a name or an identifier")
    raw_names = [n for n in (query.name, *query.aliases) if n and n.strip()]
    id_values = [i for i in query.identifiers if i.strip()]
    names_only: list[str] = []
    for n in raw_names:
        rest, embedded = split_identifiers(n)
        id_values += embedded
        # the name as typed still counts (aircraft are listed under their tail number), and so does the name
        # without the identifiers typed into it ("LIBERTY IMO 9339325" -> "LIBERTY")
        names_only += [n, rest] if embedded and rest else [n]
        # two names in one field ("ОАО «Х» / Открытое акционерное общество «Х»", "AL-QAIDA/AQAP"): each one too,
        # unless a part is a letter ("M/V Olympia", "S/A")
        parts = [p.strip() for p in n.split("/")]
        if len(parts) > 1 and all(sum(ch.isalpha() for ch in p) >= MIN_SLASHED_PART for p in parts):
            names_only += parts
    # (as typed, as read): a Korean name in Hangul is also read as the lists write North Koreans, in each of their
    # ways: the stops of its given name voiceless and voiced, ㅈ as "j" and as "ch" ("RI Pyong Chol", "PAEK Se
    # Bong", "CHO Il U": service.normalize.hangul)
    readings = [(n, n) for n in names_only]
    readings += [(n, read) for n in names_only for read in hangul_readings(n)]
    names = tuple(
        QueryName(raw, norm, token_weights(norm, index.idf))
        for raw, text in dict.fromkeys(readings)
        if (norm := _as_read(raw, text)).tokens
    )
    identifiers = tuple((v, keys) for v in dict.fromkeys(id_values) if (keys := _identifier_keys(v)))
    # a name that merely looks like a code ("Phoenix" could be a registration) is looked up as one, but does
    # not count as an identifier the caller asserted: it never contradicts a listed IMO or tail number
    stated = {v for v, _ in identifiers}
    guessed = tuple(
        (n, keys) for n in raw_names if n not in stated and is_identifier_like(n) and (keys := _identifier_keys(n))
    )
    countries = tuple(c for c in (to_country_code(x) for x in query.countries) if c)
    return PreparedQuery(
        names=names,
        identifiers=identifiers,
        guessed_identifiers=guessed,
        kind=query.kind,
        birth_date=query.birth_date,
        countries=countries,
    )


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while an index is built, and back on after (if it was on).

    A build allocates a few million objects, none of them garbage, on top of the snapshots' millions: the collector,
    triggered by allocations, rescanned them all again and again (a full collection each time the heap grew by a
    quarter) and took 2.4 s of a 5.5 s build on the real lists (bench_matcher). Paused, the build creates the same
    objects; cycles made meanwhile anywhere in the process wait for the next collection, a few seconds later."""
    if not gc.isenabled():
        yield  # someone else paused it (another build, the caller): theirs to turn back on
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _entity_countries(e: Entity) -> tuple[str, ...]:
    out = [*e.nationalities, *e.citizenships, *e.countries]
    out += [a.country for a in e.addresses if a.country]
    return tuple(dict.fromkeys(out))


class ViewMaker(NamedTuple):
    """A view of the lists that a module above this one derives from the entities and their names' analyses
    (Matcher.views; text screening's is one), built with the index by Matcher.build."""

    # Both builders take the entities, their names' analyses and the skeleton keys of the tokens the serving index
    # had (TokenKeys.latin, empty at a first build), which a view may read instead of computing them.
    name: str  # its key in Matcher.views
    build: Callable[[Sequence[Entity], Mapping[str, NormalizedName], Mapping[str, Sequence[str]]], object]  # here
    part: Callable[[Sequence[Entity], Mapping[str, NormalizedName], Mapping[str, Sequence[str]]], object]  # in a
    # forked child, which sends it
    # the view from what the child sent, its objects made this process's; None when it is unusable
    completed: Callable[[object, Sequence[Entity], Mapping[str, NormalizedName]], object | None]


def _latin_keys(prior: Index | None) -> Mapping[str, Sequence[str]]:
    return prior.latin_keys() if prior is not None else NO_TOKEN_KEYS.latin


def _view_part(
    make: ViewMaker, entities: Sequence[Entity], analysed: Mapping[str, NormalizedName], prior: Index | None
) -> object:
    """In a view's child: its part, with the serving index's skeleton keys read back there too (0.1 s of a change's
    build on the real lists, which the index being built beside it no longer waits for)."""
    return make.part(entities, analysed, _latin_keys(prior))


class Matcher:
    """Screens queries against every loaded list. Immutable: swap a new one in with one assignment."""

    def __init__(self, index: Index, versions: dict[str, str]) -> None:
        self.index = index
        self.versions = versions
        self.context = Context(index.idf, index.comparer)
        # Views other modules derive from these lists (text screening's), kept here so that the matcher cache
        # pickles them with the index. Replaced whole, never mutated: a cache entry being written meanwhile
        # sees the old mapping or the new one.
        self.views: Mapping[str, object] = {}

    @classmethod
    def build(
        cls, snapshots: Iterable[Snapshot], previous: Matcher | None = None, views: Sequence[ViewMaker] = ()
    ) -> Matcher:
        """A matcher over `snapshots`; `previous` (the one serving) lends the analysis of the names it has already.
        In a process that loaded its matcher from the cache (its memos empty), all lists rebuilt in 3.8 s instead
        of 6.2 (medians of 4). `views`: views of the lists (Matcher.views) to build with it, each in a forked child
        while the index is built here, where that is safe and pays (service.match.analysis, VIEW_CHILD_MIN_NAMES):
        a first build of all lists with its text view took 3.6-3.7 s instead of 4.4-4.6."""
        entities: list[Entity] = []
        versions: dict[str, str] = {}
        for snap in snapshots:
            versions[snap.list_id] = snap.version
            entities.extend(snap.entities)
        with collector_paused():
            prior = previous.index if previous is not None else None
            analysed = analyses(entities, prior)
            parallel = len(analysed) >= VIEW_CHILD_MIN_NAMES and processes_available() > 1 and can_fork()
            children = (
                {v.name: in_child(partial(_view_part, v, entities, analysed, prior), f"{v.name} view") for v in views}
                if parallel
                else {}
            )
            try:
                beside = any(child is not None for child in children.values())
                matcher = cls(Index(entities, prior, analysed, beside=beside), versions)
                built: dict[str, object] = {}
                for v in views:
                    child = children.pop(v.name, None)
                    got = child.result() if child is not None else None
                    view = v.completed(got, entities, analysed) if got is not None else None
                    if view is None and got is not None:
                        log.warning("analysis.child_failed", work=f"{v.name} view", sent=type(got).__name__)
                    built[v.name] = view if view is not None else v.build(entities, analysed, _latin_keys(prior))
            finally:
                abandon(children.values())  # a build that failed here: its children's views are not wanted
            matcher.views = built
            return matcher

    def __len__(self) -> int:
        return len(self.index.entities)

    def get(self, entity_id: str) -> Entity | None:
        pos = self.index.position.get(entity_id)
        return self.index.entities[pos] if pos is not None else None

    # --- screening -------------------------------------------------------------------------------------
    def screen(
        self,
        query: Query,
        *,
        threshold: float = 0.8,
        limit: int = 10,
        lists: Collection[str] | None = None,
        kinds: Collection[EntityKind] | None = None,
        programs: Collection[str] | None = None,
        exclude_ids: Collection[str] = (),
        weights: Mapping[str, float] | None = None,
    ) -> list[Hit]:
        """Hits for one query, best first. `weights` overrides feature weights by name (features.FEATURES);
        QueryError for an empty query or an unknown feature name."""
        w = resolve_weights(weights)
        prepared = prepare(query, self.index)
        idx = self.index
        # candidate entity -> the names retrieval found for it
        found: dict[int, set[int]] = {}
        entity_of = idx.names.entity
        for qn in prepared.names:
            for ni in idx.candidates(qn.norm, CANDIDATE_NAMES_ABJAD if qn.norm.abjad else CANDIDATE_NAMES):
                found.setdefault(entity_of[ni], set()).add(ni)
        id_hits: dict[int, list[tuple[str, Identifier]]] = {}
        for value, keys in prepared.identifiers + prepared.guessed_identifiers:
            for key in sorted(keys):
                for ei, ident in idx.by_identifier(key):
                    id_hits.setdefault(ei, []).append((value, ident))
                    found.setdefault(ei, set())
        program_set = {p.upper() for p in programs} if programs else None
        exclude = set(exclude_ids)
        scored: list[tuple[float, str, int, Candidate, tuple]] = []  # type: ignore[type-arg]
        floor = min(threshold, REPORT_FLOOR)
        # the name table's columns, read directly: an IndexedName for each name to score, without a method call
        table = idx.names
        n_entity, n_name, n_norm, n_weights = table.entity, table.name, table.norm, table.weights
        for ei, name_idx in found.items():
            e = idx.entities[ei]
            if lists and e.list_id not in lists:
                continue
            if kinds and e.kind not in kinds:
                continue
            if program_set is not None and not program_set & {p.upper() for p in e.programs}:
                continue
            if e.id in exclude:
                continue
            candidate = Candidate(
                entity=e,
                names=[IndexedName(n_entity[ni], n_name[ni], n_norm[ni], n_weights[ni]) for ni in sorted(name_idx)],
                id_matches=id_hits.get(ei, ()),
                countries=_entity_countries(e) if prepared.countries else (),
            )
            score, signals = assess(prepared, candidate, self.context, w, floor)
            if score >= floor:
                scored.append((-score, e.id, ei, candidate, signals))
        scored.sort(key=lambda x: (x[0], x[1]))
        # evidence only for the hits returned: writing alignments out for every candidate doubled the cost
        return [
            self._hit(ei, -neg, threshold, explain(prepared, candidate, self.context, signals, w))
            for neg, _, ei, candidate, signals in scored[:limit]
        ]

    def warm_up(self) -> None:
        """Screen once through every path (a name, a country, a birth date, an identifier), so that what the
        libraries load on their first use (pycountry's database; numpy.ma, which np.unique reads, is imported with
        the index) is loaded now. A server calls it before it serves: its workers then share those pages instead of
        each loading them on a first request (13 ms), and a child forked to screen a share of a batch never waits on
        a lock another thread held while loading them (pycountry loads under a lock; an import holds the module's):
        such a child sat stuck until its parent's patience ran out (service.match.analysis.spread)."""
        names = self.index.names.name
        name = names[0].full if names else "Warm Up Probe"  # a listed name: retrieval, scoring and evidence all run
        self.screen(Query(name=name, countries=("Venezuela",), birth_date="1962-11-23", identifiers=("IMO 9339325",)))

    def compare(
        self, query: Query, candidate: Query, *, threshold: float = 0.8, weights: Mapping[str, float] | None = None
    ) -> Comparison:
        """The screening scorer on two records: `candidate` stands in for a listed entity."""
        w = resolve_weights(weights)
        prepared = prepare(query, self.index)
        if candidate.is_empty():
            raise QueryError("the candidate needs a name or an identifier")
        cand_names = [n for n in (candidate.name, *candidate.aliases) if n and n.strip()]
        entity = Entity(
            id="candidate",
            list_id="compare",
            kind=candidate.kind or EntityKind.UNKNOWN,
            name=Name(cand_names[0] if cand_names else candidate.identifiers[0], script=_script(cand_names)),
            aliases=tuple(Name(n) for n in cand_names[1:]),
            identifiers=tuple(Identifier(IdentifierType.OTHER, v) for v in candidate.identifiers),
            nationalities=tuple(c for c in (to_country_code(x) for x in candidate.countries) if c),
            birth_dates=tuple(s for s in [_date_spec(candidate.birth_date)] if s is not None),
        )
        id_matches: list[tuple[str, Identifier]] = []
        for value, keys in prepared.identifiers + prepared.guessed_identifiers:
            for ident in entity.identifiers:
                if _identifier_keys(ident.value) & keys:
                    id_matches.append((value, ident))
        c = Candidate(
            entity=entity,
            names=candidate_names(entity.all_names(), self.index.idf, analyze),
            id_matches=id_matches,
            countries=_entity_countries(entity),
        )
        signals = evaluate(prepared, c, self.context)
        score = combine(signals, w)
        evidence = explain(prepared, c, self.context, signals, w)
        return Comparison(score=score, match=score >= threshold, evidence=tuple(evidence))

    def _hit(self, ei: int, score: float, threshold: float, evidence: list[Evidence]) -> Hit:
        e = self.index.entities[ei]
        linked = self.linked(ei)
        if e.kind in (EntityKind.AIRCRAFT, EntityKind.VESSEL):
            # who flies or owns it is part of why the hit matters: say so in the evidence itself
            evidence = evidence + [
                Evidence(
                    field="link",
                    query_value="",
                    list_value=link.name,
                    method="linked_party",
                    score=1.0,
                    weight=0.0,
                    list_normalized=link.entity_id,
                    detail=f"{e.kind.value} {link.relation} {link.name} ({link.entity_id})",
                )
                for link in linked
                if not link.relation.endswith(" of")
            ]
        return Hit(
            entity_id=e.id,
            list_id=e.list_id,
            kind=e.kind,
            name=e.name.full,
            score=score,
            match=score >= threshold,
            programs=e.programs,
            evidence=tuple(evidence),
            linked=linked,
            list_version=self.versions.get(e.list_id, ""),
        )

    def linked(self, ei: int) -> tuple[LinkedEntity, ...]:
        """Parties linked to entity `ei`: its operator/owner/links, and the aircraft/vessels that link to it."""
        idx = self.index
        out: list[LinkedEntity] = []
        for target, relation, _ in idx.links_to.get(ei, ()):
            t = idx.entities[target]
            out.append(LinkedEntity(t.id, t.name.full, t.kind, relation))
        for source, relation in idx.linked_from.get(ei, ()):
            s = idx.entities[source]
            out.append(LinkedEntity(s.id, s.name.full, s.kind, f"{relation} of"))
        return tuple(dict.fromkeys(out))


def _script(names: list[str]) -> str:
    return detect_script(names[0]) if names else "Latn"


def _date_spec(value: str | None) -> DateSpec | None:
    return parse_date_spec(value) if value else None
