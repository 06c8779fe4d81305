"""The immutable Matcher: built once per set of snapshots, then screened concurrently without locks.

Interface used by the API, the CLI and the CI hook (keep it stable):
    Matcher.build(snapshots) -> Matcher
    matcher.screen(query, threshold=, limit=, lists=, kinds=, programs=, exclude_ids=) -> list[Hit]
    matcher.compare(query, candidate_query, threshold=...) -> Comparison
    matcher.get(entity_id) -> Entity | None
    matcher.versions -> {list_id: version};  len(matcher) -> number of entities

A hit's score is the best of its name evidence (token alignment over every alias, scaled by the alias's
quality and by kind compatibility) and its identifier evidence (an exact identifier is strong evidence of its
own), moved up or down by birth date and country, each step visible in the evidence.
"""

from __future__ import annotations

import gc
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from service.errors import QueryError
from service.match.index import QUALITY_FACTOR, Index, IndexedName
from service.match.score import NameScore, Weigher, compare_birth_date, compare_countries, score_names, token_weights
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
from service.normalize.identifiers import (
    canonical,
    comparable,
    is_identifier_like,
    looks_like_tail_number,
    parse_imo,
    split_identifiers,
)
from service.normalize.names import NormalizedName, analyze

# Names handed from retrieval to the scorer per query name: on the real lists, top-1 results at 24 equal
# those at 64 for 99.7 % of queries, at 40 % of the cost.
CANDIDATE_NAMES = 24
REPORT_FLOOR = 0.55  # hits scoring below this (and below the threshold) are not returned
IDENTIFIER_SCORE: dict[IdentifierType, float] = {
    IdentifierType.IMO: 1.0,
    IdentifierType.MMSI: 1.0,
    IdentifierType.TAIL_NUMBER: 1.0,
    IdentifierType.AIRCRAFT_MSN: 0.95,
    IdentifierType.SWIFT_BIC: 1.0,
    IdentifierType.CRYPTO: 1.0,
    IdentifierType.IMO_COMPANY: 0.95,
    IdentifierType.CALL_SIGN: 0.85,
    IdentifierType.PASSPORT: 0.95,
    IdentifierType.NATIONAL_ID: 0.95,
    IdentifierType.TAX_ID: 0.95,
    IdentifierType.REGISTRATION: 0.95,
    IdentifierType.OTHER: 0.85,
}
SHORT_IDENTIFIER_LEN = 6  # document numbers shorter than this collide across issuers
SHORT_IDENTIFIER_SCORE = 0.8
# A vessel or aircraft found by name whose listed IMO / tail number differs from the one queried.
IDENTIFIER_CONTRADICTION = -0.25
_CONTRADICTING_TYPES = (IdentifierType.IMO, IdentifierType.TAIL_NUMBER, IdentifierType.MMSI)

_KIND_FACTOR: dict[tuple[EntityKind, EntityKind], float] = {
    (EntityKind.ORGANIZATION, EntityKind.VESSEL): 0.85,
    (EntityKind.ORGANIZATION, EntityKind.AIRCRAFT): 0.85,
    (EntityKind.VESSEL, EntityKind.ORGANIZATION): 0.85,
    (EntityKind.AIRCRAFT, EntityKind.ORGANIZATION): 0.85,
}
KIND_MISMATCH_FACTOR = 0.7  # a person query against a vessel, a vessel against a person, ...
KIND_UNKNOWN_FACTOR = 0.95


@dataclass(frozen=True, slots=True)
class _Prepared:
    names: tuple[tuple[str, NormalizedName], ...]
    weights: tuple[tuple[float, ...], ...]  # token weights of each name, for the scorer
    identifiers: tuple[tuple[str, frozenset[str]], ...]  # (query value, comparable keys) stated by the caller
    guessed_identifiers: tuple[tuple[str, frozenset[str]], ...]  # names that look like codes
    kind: EntityKind | None
    birth_date: str | None
    countries: tuple[str, ...]


def kind_factor(query: EntityKind | None, listed: EntityKind) -> float:
    if query is None or query in (EntityKind.UNKNOWN, listed):
        return 1.0
    if listed == EntityKind.UNKNOWN:
        return KIND_UNKNOWN_FACTOR
    return _KIND_FACTOR.get((query, listed), KIND_MISMATCH_FACTOR)


def _identifier_keys(value: str) -> frozenset[str]:
    keys = {canonical(value)}
    imo = parse_imo(value)
    if imo:
        keys.add(imo)
    return frozenset(k for k in keys if len(k) >= 4)


def _prepare(query: Query, weigh: Weigher) -> _Prepared:
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
    names = tuple((n, analyze(n)) for n in dict.fromkeys(names_only))
    identifiers = tuple((v, keys) for v in dict.fromkeys(id_values) if (keys := _identifier_keys(v)))
    # a name that merely looks like a code ("Phoenix" could be a registration) is looked up as one, but does
    # not count as an identifier the caller asserted: it never contradicts a listed IMO or tail number
    stated = {v for v, _ in identifiers}
    guessed = tuple(
        (n, keys) for n in raw_names if n not in stated and is_identifier_like(n) and (keys := _identifier_keys(n))
    )
    countries = tuple(c for c in (to_country_code(x) for x in query.countries) if c)
    kept = tuple((raw, norm) for raw, norm in names if norm.tokens)
    return _Prepared(
        names=kept,
        weights=tuple(token_weights(norm, weigh) for _, norm in kept),
        identifiers=identifiers,
        guessed_identifiers=guessed,
        kind=query.kind,
        birth_date=query.birth_date,
        countries=countries,
    )


def _is_code(name: str) -> bool:
    return looks_like_tail_number(name) or any(ch.isdigit() for ch in name)


def _entity_countries(e: Entity) -> tuple[str, ...]:
    out = [*e.nationalities, *e.citizenships, *e.countries]
    out += [a.country for a in e.addresses if a.country]
    return tuple(dict.fromkeys(out))


class Matcher:
    """Screens queries against every loaded list. Immutable: swap a new one in with one assignment."""

    def __init__(self, index: Index, versions: dict[str, str]) -> None:
        self.index = index
        self.versions = versions

    @classmethod
    def build(cls, snapshots: Iterable[Snapshot]) -> Matcher:
        entities: list[Entity] = []
        versions: dict[str, str] = {}
        for snap in snapshots:
            versions[snap.list_id] = snap.version
            entities.extend(snap.entities)
        matcher = cls(Index(entities), versions)
        # The index is millions of long-lived objects: without this, a full collection scanning them lands in
        # some screening now and then (0.4-1.1 s, bench_matcher); frozen, the collector skips them.
        gc.collect()
        gc.freeze()
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
    ) -> list[Hit]:
        prepared = _prepare(query, self.index.idf)
        idx = self.index
        # candidate entity -> the names retrieval found for it
        found: dict[int, set[int]] = {}
        for _, norm in prepared.names:
            for ni in idx.candidates(norm, CANDIDATE_NAMES):
                found.setdefault(idx.names[ni].entity, set()).add(ni)
        id_hits: dict[int, list[tuple[str, Identifier]]] = {}
        for value, keys in prepared.identifiers + prepared.guessed_identifiers:
            for key in keys:
                for ei, ident in idx.by_identifier(key):
                    id_hits.setdefault(ei, []).append((value, ident))
                    found.setdefault(ei, set())
        program_set = {p.upper() for p in programs} if programs else None
        exclude = set(exclude_ids)
        hits: list[Hit] = []
        floor = min(threshold, REPORT_FLOOR)
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
            names = [idx.names[ni] for ni in sorted(name_idx)]
            score, evidence = self._score(prepared, e, names, id_hits.get(ei, ()))
            if score >= floor:
                hits.append(self._hit(ei, score, threshold, evidence))
        hits.sort(key=lambda h: (-h.score, h.entity_id))
        return hits[:limit]

    def compare(self, query: Query, candidate: Query, *, threshold: float = 0.8) -> Comparison:
        """The screening scorer on two records: `candidate` stands in for a listed entity."""
        prepared = _prepare(query, self.index.idf)
        if candidate.is_empty():
            raise QueryError("the candidate needs a name or an identifier")
        cand_names = [n for n in (candidate.name, *candidate.aliases) if n and n.strip()]
        entity = Entity(
            id="candidate",
            list_id="compare",
            kind=candidate.kind or EntityKind.UNKNOWN,
            name=Name(cand_names[0] if cand_names else candidate.identifiers[0]),
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
        names = [
            IndexedName(0, n, norm, token_weights(norm, self.index.idf))
            for n in entity.all_names()
            if (norm := analyze(n.full)).tokens
        ]
        score, evidence = self._score(prepared, entity, names, id_matches)
        return Comparison(score=score, match=score >= threshold, evidence=tuple(evidence))

    # --- scoring ---------------------------------------------------------------------------------------
    def _score(
        self,
        q: _Prepared,
        e: Entity,
        names: Sequence[IndexedName],
        id_matches: Sequence[tuple[str, Identifier]],
    ) -> tuple[float, list[Evidence]]:
        evidence: list[Evidence] = []
        best: tuple[int, IndexedName] | None = None  # (query name position, listed name) of the best pair
        name_score = 0.0
        factor = kind_factor(q.kind, e.kind)
        aircraft = e.kind == EntityKind.AIRCRAFT
        idf = self.index.idf
        for qi, ((raw, qnorm), qw) in enumerate(zip(q.names, q.weights, strict=True)):
            for indexed in names:
                if aircraft:
                    ns = self._name_score(raw, qnorm, qw, indexed, e.kind, explain=False)
                else:  # the hot path, without the extra call
                    ns = score_names(qnorm, indexed.norm, idf, qw, indexed.weights, explain=False)
                s = ns.score * QUALITY_FACTOR[indexed.name.quality] * factor
                if s > name_score:
                    name_score, best = s, (qi, indexed)
        best_name: Evidence | None = None
        if best is not None:
            # explain only the winning pair: writing alignments out for every candidate doubled the cost
            (raw, qnorm), qw = q.names[best[0]], q.weights[best[0]]
            indexed = best[1]
            ns = self._name_score(raw, qnorm, qw, indexed, e.kind, explain=True)
            detail = f"{indexed.name.type.value} ({indexed.name.quality.value})"
            if ns.detail:
                detail += f"; {ns.detail}"
            best_name = Evidence(
                field="name",
                query_value=raw,
                list_value=indexed.name.full,
                method=ns.method,
                score=round(ns.score, 4),
                weight=round(name_score, 4),
                query_normalized=qnorm.text,
                list_normalized=indexed.norm.text,
                detail=detail,
            )
        if best_name is not None:
            evidence.append(best_name)
        if factor < 1.0 and best_name is not None:
            evidence.append(
                Evidence(
                    field="kind",
                    query_value=q.kind.value if q.kind else "any",
                    list_value=e.kind.value,
                    method="kind_mismatch",
                    score=factor,
                    weight=round(factor - 1.0, 4),
                    detail=f"name score scaled by {factor}",
                )
            )
        id_score = 0.0
        for value, ident in id_matches:
            key = comparable(ident.type, ident.value)
            s = IDENTIFIER_SCORE.get(ident.type, 0.85)
            if len(key) < SHORT_IDENTIFIER_LEN and ident.type not in _CONTRADICTING_TYPES:
                s = min(s, SHORT_IDENTIFIER_SCORE)
            id_score = max(id_score, s)
            evidence.append(
                Evidence(
                    field="identifier",
                    query_value=value,
                    list_value=ident.value,
                    method="exact_identifier",
                    score=1.0,
                    weight=s,
                    query_normalized=canonical(value),
                    list_normalized=key,
                    detail=ident.type.value + (f" ({ident.label})" if ident.label else ""),
                )
            )
        score = max(name_score, id_score)
        # a vessel/aircraft found by name but carrying a different IMO/tail number than the one asked for
        if id_score == 0.0 and q.identifiers and score > 0:
            queried = set().union(*(keys for _, keys in q.identifiers))
            for ident in e.identifiers:
                if ident.type in _CONTRADICTING_TYPES and comparable(ident.type, ident.value) not in queried:
                    score += IDENTIFIER_CONTRADICTION
                    evidence.append(
                        Evidence(
                            field="identifier",
                            query_value=", ".join(v for v, _ in q.identifiers),
                            list_value=ident.value,
                            method="identifier_differs",
                            score=0.0,
                            weight=IDENTIFIER_CONTRADICTION,
                            detail=f"listed {ident.type.value} differs from every queried identifier",
                        )
                    )
                    break
        if q.birth_date and e.birth_dates:
            w, method, spec = compare_birth_date(q.birth_date, e.birth_dates)
            if method and spec is not None:
                score += w
                evidence.append(
                    Evidence(
                        field="birth_date",
                        query_value=q.birth_date,
                        list_value=spec.raw or spec.start,
                        method=method,
                        score=1.0 if w > 0 else 0.0,
                        weight=w,
                        list_normalized=spec.start + (f"..{spec.end}" if spec.end else ""),
                    )
                )
        listed_countries = _entity_countries(e) if q.countries else ()
        if q.countries and listed_countries:
            w, method = compare_countries(q.countries, listed_countries)
            if method:
                score += w
                evidence.append(
                    Evidence(
                        field="country",
                        query_value=",".join(q.countries),
                        list_value=",".join(listed_countries),
                        method=method,
                        score=1.0 if w > 0 else 0.0,
                        weight=w,
                    )
                )
        return max(0.0, min(1.0, round(score, 4))), evidence

    def _name_score(
        self,
        raw: str,
        qnorm: NormalizedName,
        qw: tuple[float, ...],
        indexed: IndexedName,
        kind: EntityKind,
        *,
        explain: bool,
    ) -> NameScore:
        if kind == EntityKind.AIRCRAFT and _is_code(indexed.name.full):
            # a registration mark is an identifier: one letter off is another aircraft
            same = canonical(raw) == canonical(indexed.name.full)
            return NameScore(1.0 if same else 0.0, "exact_code" if same else "code_differs", "")
        return score_names(qnorm, indexed.norm, self.index.idf, qw, indexed.weights, explain=explain)

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
                    method=link.relation,
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


def _date_spec(value: str | None) -> DateSpec | None:
    return parse_date_spec(value) if value else None
