"""What is screened (Query) and what comes back (Hit, Evidence, Comparison): frozen values, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

from service.model.entity import EntityKind

# How a piece of evidence was found: a closed set, so that a reviewer's tools (and yente's feature keys, built as
# "<field>_<method>") can rely on it.
#   name:        exact (identical after normalization), token_alignment (tokens aligned one-to-one, the alignment in
#                `detail`), compact (compared joined: "ALQAEDA" ~ "Al Qa'ida"), same_script (both names in one
#                script that transliteration flattens, compared in that script: CJK, Hangul, Arabic), exact_code /
#                code_differs (an aircraft registration listed as its name, compared as a code)
#   kind:        kind_mismatch (the query asks for another kind of party)
#   identifier:  exact_identifier, identifier_differs (a listed IMO / tail number / MMSI other than the one queried)
#   birth_date:  birth_date_exact, birth_month_match, birth_year_match, birth_year_match_day_differs,
#                birth_year_near, birth_date_differs
#   country:     country_match, country_differs
#   link:        linked_party (who operates or owns a listed aircraft or vessel; the relation is in `detail`)
EvidenceMethod = Literal[
    "exact",
    "token_alignment",
    "compact",
    "same_script",
    "exact_code",
    "code_differs",
    "kind_mismatch",
    "exact_identifier",
    "identifier_differs",
    "birth_date_exact",
    "birth_month_match",
    "birth_year_match",
    "birth_year_match_day_differs",
    "birth_year_near",
    "birth_date_differs",
    "country_match",
    "country_differs",
    "linked_party",
]
EVIDENCE_METHODS: frozenset[str] = frozenset(get_args(EvidenceMethod))


def evidence_method(value: str) -> EvidenceMethod:
    """`value` as an EvidenceMethod; ValueError for anything outside the closed set (for decoders of wire data)."""
    if value not in EVIDENCE_METHODS:
        raise ValueError(f"unknown evidence method {value!r}")
    return value  # type: ignore[return-value]  # checked against the Literal's members above


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
    # one of EvidenceMethod; typed str so that decoders of another server's answers (service.check.remote) keep
    # working; the matcher only ever writes EvidenceMethod values (tests/match check every method it emits)
    method: str
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
