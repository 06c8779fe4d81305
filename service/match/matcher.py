"""The immutable Matcher: built once per set of snapshots, then screened concurrently without locks.

Interface used by the API, the CLI and the CI hook (keep it stable):
    Matcher.build(snapshots) -> Matcher
    matcher.screen(query, threshold=..., limit=..., lists=..., kinds=..., programs=..., exclude_ids=...) -> list[Hit]
    matcher.compare(query, candidate_query, threshold=...) -> Comparison
    matcher.screen_text(text, threshold=..., lists=...) -> list[Mention]
    matcher.get(entity_id) -> Entity | None
    matcher.versions -> {list_id: version};  len(matcher) -> number of entities
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from service.model import Comparison, Entity, EntityKind, Evidence, Hit, Query, Snapshot


@dataclass(frozen=True, slots=True)
class Mention:
    text: str
    start: int
    end: int
    kind: str  # "name", "tail_number", "imo", ...
    hits: tuple[Hit, ...]


class Matcher:
    """PLACEHOLDER brute-force implementation; replaced by the indexed matcher of the matcher issue."""

    def __init__(self, entities: dict[str, Entity], versions: dict[str, str]) -> None:
        self._entities = entities
        self.versions = versions

    @classmethod
    def build(cls, snapshots: Iterable[Snapshot]) -> Matcher:
        entities: dict[str, Entity] = {}
        versions: dict[str, str] = {}
        for snap in snapshots:
            versions[snap.list_id] = snap.version
            for e in snap.entities:
                entities[e.id] = e
        return cls(entities, versions)

    def __len__(self) -> int:
        return len(self._entities)

    def get(self, entity_id: str) -> Entity | None:
        return self._entities.get(entity_id)

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
        hits = []
        q = (query.name or "").lower()
        for e in self._entities.values():
            if lists and e.list_id not in lists:
                continue
            best = max(fuzz.token_sort_ratio(q, n.full.lower()) / 100 for n in e.all_names())
            if best >= 0.5:
                hits.append(
                    Hit(
                        entity_id=e.id,
                        list_id=e.list_id,
                        kind=e.kind,
                        name=e.name.full,
                        score=best,
                        match=best >= threshold,
                        programs=e.programs,
                        evidence=(Evidence("name", q, e.name.full, "token_sort", best, 1.0),),
                        list_version=self.versions.get(e.list_id, ""),
                    )
                )
        hits.sort(key=lambda h: -h.score)
        return hits[:limit]

    def compare(self, query: Query, candidate: Query, *, threshold: float = 0.8) -> Comparison:
        s = fuzz.token_sort_ratio(query.name or "", candidate.name or "") / 100
        return Comparison(score=s, match=s >= threshold)

    def screen_text(self, text: str, *, threshold: float = 0.8, lists: Collection[str] | None = None) -> list[Mention]:
        return []
