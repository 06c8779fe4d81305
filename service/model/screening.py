"""What is screened (Query) and what comes back (Hit, Evidence, Comparison): frozen values, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field

from service.model.entity import EntityKind


@dataclass(frozen=True, slots=True)
class Query:
    """One party to screen. `name` or `identifiers` must be given; the rest corroborates."""

    name: str | None = None
    kind: EntityKind | None = None  # None = any kind
    aliases: tuple[str, ...] = ()
    identifiers: tuple[str, ...] = ()
    birth_date: str | None = None  # ISO prefix: "1962" or "1962-11-23"
    countries: tuple[str, ...] = ()  # ISO 3166-1 alpha-2 or country names

    def is_empty(self) -> bool:
        return not (self.name and self.name.strip()) and not any(i.strip() for i in self.identifiers)


@dataclass(frozen=True, slots=True)
class Evidence:
    """One feature that moved the score, in the terms a reviewer reads."""

    field: str  # "name", "identifier", "birth_date", "country", "kind", "link"
    query_value: str
    list_value: str
    method: str  # e.g. "token_alignment", "exact_identifier", "phonetic", "year_match"
    score: float  # similarity of the two values, 0..1
    weight: float  # its effect on the final score (+ corroborates, - contradicts)
    query_normalized: str | None = None
    list_normalized: str | None = None
    detail: str | None = None  # e.g. which alias type, identifier type, name-part alignment


@dataclass(frozen=True, slots=True)
class LinkedEntity:
    entity_id: str
    name: str
    kind: EntityKind
    relation: str  # "operator", "owner", "linked_to", "operates", ...


@dataclass(frozen=True, slots=True)
class Hit:
    entity_id: str
    list_id: str
    kind: EntityKind
    name: str
    score: float
    match: bool
    programs: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    linked: tuple[LinkedEntity, ...] = ()
    list_version: str = ""


@dataclass(frozen=True, slots=True)
class Comparison:
    score: float
    match: bool
    evidence: tuple[Evidence, ...] = field(default_factory=tuple)
