"""The scoring policy as one declared table (FEATURES): feature name, pure function, weight, what it means.

Each feature function reads the prepared query and one candidate entity and returns a Signal: a value in 0..1 and a
reference to what produced it. Main features compete: the best weighted value is the base score (a name, a weak
alias, an identifier). Qualifiers then add their weighted value, positive to corroborate, negative to contradict
(kind, identifier, birth date, country); a candidate without a base scores 0. The first paragraph of each
function's docstring is the explanation a reviewer reads (`Feature.meaning`, `describe()`).

Callers may override the weights by feature name (yente's `weights` parameter on /match): `resolve_weights`
validates the names. Building the evidence a reviewer reads from the signals is `explain`, apart from scoring.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple, Protocol

from service.errors import QueryError
from service.match.score import (
    DATE_MATCH_STRENGTH,
    NameScore,
    Row,
    TokenComparer,
    Weigher,
    compare_birth_date,
    countries_agree,
    score_names,
    token_weights,
)
from service.model import (
    DateSpec,
    Entity,
    EntityKind,
    Evidence,
    EvidenceMethod,
    Identifier,
    IdentifierType,
    Name,
    NameQuality,
)
from service.normalize.identifiers import canonical, comparable, looks_like_tail_number
from service.normalize.names import NormalizedName

# --- what the features read ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueryName:
    raw: str
    norm: NormalizedName
    weights: tuple[float, ...]  # token weights (score.token_weights)
    # the comparer's memo rows of its tokens by alignment flags, kept for the one screening (score.score_names)
    rows: dict[int, list[Row]] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class PreparedQuery:
    names: tuple[QueryName, ...]
    identifiers: tuple[tuple[str, frozenset[str]], ...]  # (query value, comparable keys) stated by the caller
    guessed_identifiers: tuple[tuple[str, frozenset[str]], ...]  # names that look like codes
    kind: EntityKind | None
    birth_date: str | None
    countries: tuple[str, ...]


class ListedName(Protocol):
    """A name of a candidate entity, analyzed and weighed (index.IndexedName, or compare()'s CandidateName)."""

    @property
    def name(self) -> Name: ...
    @property
    def norm(self) -> NormalizedName: ...
    @property
    def weights(self) -> tuple[float, ...]: ...


@dataclass(frozen=True, slots=True)
class CandidateName:
    name: Name
    norm: NormalizedName
    weights: tuple[float, ...]


@dataclass(slots=True)
class Candidate:
    """One listed entity (or compare()'s candidate) as the features see it."""

    entity: Entity
    names: Sequence[ListedName]  # the names retrieval found for it
    id_matches: Sequence[tuple[str, Identifier]]  # (query value, listed identifier) that agree exactly
    countries: tuple[str, ...]  # nationalities, citizenships, countries, address countries
    # the best strong and weak name, compared once for both name features (see `_best_names`)
    best_names: tuple[Signal, Signal] | None = None


@dataclass(frozen=True, slots=True)
class Context:
    """What the lists contribute to every comparison: token rarity and the lists' own spelling variants."""

    weigh: Weigher
    comparer: TokenComparer


class NameRef(NamedTuple):
    query: int  # position of the query name
    listed: ListedName
    code: bool  # an aircraft registration compared as a code


class Signal(NamedTuple):
    value: float  # 0..1
    ref: object = None  # what produced it (NameRef, (value, Identifier), DateSpec, ...), for `explain`


NO_SIGNAL = Signal(0.0)
FeatureFunc = Callable[[PreparedQuery, Candidate, Context], Signal]


# --- names -----------------------------------------------------------------------------------------------------


def _is_code(name: str) -> bool:
    return looks_like_tail_number(name) or any(ch.isdigit() for ch in name)


def compare_name(q: PreparedQuery, qi: int, listed: ListedName, e: Entity, ctx: Context, *, explain: bool) -> NameScore:
    """One query name against one listed name: an aircraft's registration listed as its name compares as a code
    (one character off is another aircraft); any other name by token alignment (service.match.score)."""
    qn = q.names[qi]
    if e.kind == EntityKind.AIRCRAFT and _is_code(listed.name.full):
        same = canonical(qn.raw) == canonical(listed.name.full)
        return NameScore(1.0 if same else 0.0, "exact" if same else "none", "registration compared as a code")
    return score_names(
        qn.norm, listed.norm, ctx.weigh, qn.weights, listed.weights, explain=explain, comparer=ctx.comparer,
        rows=qn.rows,
    )  # fmt: skip


def _best_names(q: PreparedQuery, c: Candidate, ctx: Context) -> tuple[Signal, Signal]:
    """The best query-name / listed-name pair among the strong names and among the weak ones: one pass over the
    candidate's names for both name features, remembered on the candidate."""
    if c.best_names is not None:
        return c.best_names
    best = [0.0, 0.0]
    refs: list[NameRef | None] = [None, None]
    aircraft = c.entity.kind == EntityKind.AIRCRAFT
    weigh, comparer = ctx.weigh, ctx.comparer
    for listed in c.names:
        k = 0 if listed.name.quality == NameQuality.STRONG else 1
        if best[k] >= 1.0:
            continue  # no name of this quality can do better than an identical one
        code = aircraft and _is_code(listed.name.full)
        for qi, qn in enumerate(q.names):
            if code:
                s = compare_name(q, qi, listed, c.entity, ctx, explain=False).score
            else:  # the hot path, without the extra call
                s = score_names(
                    qn.norm, listed.norm, weigh, qn.weights, listed.weights, explain=False, comparer=comparer,
                    rows=qn.rows,
                ).score  # fmt: skip
            if s > best[k]:
                best[k], refs[k] = s, NameRef(qi, listed, code)
    strong_ref, weak_ref = refs
    c.best_names = (
        Signal(best[0], strong_ref) if strong_ref is not None else NO_SIGNAL,
        Signal(best[1], weak_ref) if weak_ref is not None else NO_SIGNAL,
    )
    return c.best_names


def name_match(q: PreparedQuery, c: Candidate, ctx: Context) -> Signal:
    """The best similarity of a query name to one of the entity's names the publisher stands behind.

    Tokens are aligned one-to-one in any order, each pair scored by the token rules (score.TOKEN_RULES: spelling,
    folded vowels, the lists' own spelling variants, consonant skeletons, initials, legal forms) and weighed by
    its rarity on the lists; a query name left over costs in full when the listed name has a name of its own left
    over (a different name in its place), in part when it is an added name; a listed name left over (a dropped
    middle name) costs a quarter. Names in one script that transliteration flattens (Chinese, Korean, Arabic) are
    compared in that script as well. An aircraft registration listed as its name compares as a code."""
    return _best_names(q, c, ctx)[0]


def weak_alias_match(q: PreparedQuery, c: Candidate, ctx: Context) -> Signal:
    """The same on the names a publisher flags as weak or low-quality aliases (too broad to screen on alone):
    weighed so that an exact weak alias scores just under the default threshold unless something corroborates."""
    return _best_names(q, c, ctx)[1]


# --- identifiers -----------------------------------------------------------------------------------------------

CODE_TYPES = frozenset(
    {IdentifierType.IMO, IdentifierType.MMSI, IdentifierType.TAIL_NUMBER, IdentifierType.SWIFT_BIC,
     IdentifierType.CRYPTO}
)  # fmt: skip
DOCUMENT_TYPES = frozenset(
    {IdentifierType.PASSPORT, IdentifierType.NATIONAL_ID, IdentifierType.TAX_ID, IdentifierType.REGISTRATION,
     IdentifierType.IMO_COMPANY, IdentifierType.AIRCRAFT_MSN}
)  # fmt: skip
SHORT_DOCUMENT_LEN = 6  # document numbers shorter than this collide across issuers
_CONTRADICTING_TYPES = (IdentifierType.IMO, IdentifierType.TAIL_NUMBER, IdentifierType.MMSI)


def _identifier_class(ident: Identifier) -> str:
    if ident.type in CODE_TYPES:
        return "code"
    if ident.type in DOCUMENT_TYPES and len(comparable(ident.type, ident.value)) >= SHORT_DOCUMENT_LEN:
        return "document"
    return "weak"


def _identifier(c: Candidate, cls: str) -> Signal:
    for value, ident in c.id_matches:
        if _identifier_class(ident) == cls:
            return Signal(1.0, (value, ident))
    return NO_SIGNAL


def identifier_match(q: PreparedQuery, c: Candidate, ctx: Context) -> Signal:
    """A code that names one vessel, aircraft, bank or wallet is the same on both sides: IMO (valid check digit),
    MMSI, aircraft registration, SWIFT/BIC, crypto address."""
    return _identifier(c, "code")


def document_match(q: PreparedQuery, c: Candidate, ctx: Context) -> Signal:
    """A document or registration number is the same on both sides (passport, national or tax id, company
    registration, IMO company number, aircraft serial number), six characters or longer."""
    return _identifier(c, "document")


def weak_identifier_match(q: PreparedQuery, c: Candidate, ctx: Context) -> Signal:
    """An identifier of a weaker kind is the same on both sides: call sign, unlabelled number, a document number
    shorter than six characters (those collide across issuers)."""
    return _identifier(c, "weak")


def identifier_mismatch(q: PreparedQuery, c: Candidate, ctx: Context) -> Signal:
    """The query states an IMO, MMSI or tail number, none agrees, and the entity lists one of those kinds: a vessel
    or aircraft found by name is another one."""
    if c.id_matches or not q.identifiers:
        return NO_SIGNAL
    queried = set().union(*(keys for _, keys in q.identifiers))
    for ident in c.entity.identifiers:
        if ident.type in _CONTRADICTING_TYPES and comparable(ident.type, ident.value) not in queried:
            return Signal(1.0, ident)
    return NO_SIGNAL


# --- kind, birth date, country ---------------------------------------------------------------------------------

# How far apart two kinds are: 1 for a person against a vessel (and every pair not listed), less for kinds that
# name one another (a company against the vessel or aircraft it is named after), a little for an unknown kind.
_KIND_DISTANCE: dict[tuple[EntityKind, EntityKind], float] = {
    (EntityKind.ORGANIZATION, EntityKind.VESSEL): 0.5,
    (EntityKind.ORGANIZATION, EntityKind.AIRCRAFT): 0.5,
    (EntityKind.VESSEL, EntityKind.ORGANIZATION): 0.5,
    (EntityKind.AIRCRAFT, EntityKind.ORGANIZATION): 0.5,
}
UNKNOWN_KIND_DISTANCE = 0.15


def kind_distance(query: EntityKind | None, listed: EntityKind) -> float:
    if query is None or query in (EntityKind.UNKNOWN, listed):
        return 0.0
    if listed == EntityKind.UNKNOWN:
        return UNKNOWN_KIND_DISTANCE
    return _KIND_DISTANCE.get((query, listed), 1.0)


def kind_mismatch(q: PreparedQuery, c: Candidate, ctx: Context) -> Signal:
    """The query asks for another kind of party: 1 for incompatible kinds (a person against a vessel), 0.5 for a
    company against a vessel or aircraft (they share names), 0.15 when the listed kind is unknown."""
    d = kind_distance(q.kind, c.entity.kind)
    return Signal(d) if d else NO_SIGNAL


def birth_date_match(q: PreparedQuery, c: Candidate, ctx: Context) -> Signal:
    """The query's birth date agrees with a listed one: 1 for the same day, 0.5 the same month, 0.4 the same year
    (or within a listed range; a year either side of a circa date)."""
    if not q.birth_date or not c.entity.birth_dates:
        return NO_SIGNAL
    method, spec = compare_birth_date(q.birth_date, c.entity.birth_dates)
    strength = DATE_MATCH_STRENGTH.get(method or "", 0.0)
    return Signal(strength, (method, spec)) if strength else NO_SIGNAL


def birth_date_mismatch(q: PreparedQuery, c: Candidate, ctx: Context) -> Signal:
    """The query's birth date is more than a year from every listed one (a listed name with a wrong date can still
    be found: this lowers the score, it does not veto)."""
    if not q.birth_date or not c.entity.birth_dates:
        return NO_SIGNAL
    method, spec = compare_birth_date(q.birth_date, c.entity.birth_dates)
    return Signal(1.0, (method, spec)) if method == "birth_date_differs" else NO_SIGNAL


def country_match(q: PreparedQuery, c: Candidate, ctx: Context) -> Signal:
    """A query country is among the entity's nationalities, citizenships, countries or address countries."""
    return Signal(1.0) if countries_agree(q.countries, c.countries) is True else NO_SIGNAL


def country_mismatch(q: PreparedQuery, c: Candidate, ctx: Context) -> Signal:
    """The query gives countries and the entity lists countries, and none is the same."""
    return Signal(1.0) if countries_agree(q.countries, c.countries) is False else NO_SIGNAL


# --- the table -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    func: FeatureFunc
    weight: float
    qualifier: bool = False  # False: a base (the best weighted value counts); True: adds weight x value

    @property
    def meaning(self) -> str:
        """The first paragraph of the function's docstring, on one line."""
        doc = inspect.getdoc(self.func) or ""
        return " ".join(doc.split("\n\n")[0].split())


# Weights: a name or a code is the whole story (1.0); documents almost (0.95: numbers are reused across
# issuers); a weak identifier or a weak alias scores just under or at the default threshold of 0.8; the
# qualifiers' sizes were tuned on the tuning half of tests/match/golden.csv.
FEATURES: tuple[Feature, ...] = (
    Feature("name_match", name_match, 1.0),
    Feature("weak_alias_match", weak_alias_match, 0.78),
    Feature("identifier_match", identifier_match, 1.0),
    Feature("document_match", document_match, 0.95),
    Feature("weak_identifier_match", weak_identifier_match, 0.85),
    Feature("kind_mismatch", kind_mismatch, -0.3, qualifier=True),
    Feature("identifier_mismatch", identifier_mismatch, -0.25, qualifier=True),
    Feature("birth_date_match", birth_date_match, 0.05, qualifier=True),
    Feature("birth_date_mismatch", birth_date_mismatch, -0.15, qualifier=True),
    Feature("country_match", country_match, 0.02, qualifier=True),
    Feature("country_mismatch", country_mismatch, -0.04, qualifier=True),
)
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
DEFAULT_WEIGHTS: dict[str, float] = {f.name: f.weight for f in FEATURES}
MAX_ABS_WEIGHT = 1.0  # scores live in 0..1: a weight beyond this only saturates them
Weights = tuple[float, ...]  # one per FEATURES row, in order
DEFAULT_WEIGHT_VECTOR: Weights = tuple(f.weight for f in FEATURES)


def resolve_weights(overrides: Mapping[str, float] | None) -> Weights:
    """The table's weights with a caller's overrides (feature name -> weight); QueryError for an unknown feature
    name or a weight that is not a number in -1..1."""
    if not overrides:
        return DEFAULT_WEIGHT_VECTOR
    unknown = sorted(set(overrides) - set(FEATURE_NAMES))
    if unknown:
        names = ", ".join(map(repr, unknown))
        raise QueryError(f"unknown feature {names} in weights; known: {', '.join(FEATURE_NAMES)}")
    out = []
    for f in FEATURES:
        w = overrides.get(f.name, f.weight)
        if isinstance(w, bool) or not isinstance(w, int | float) or not math.isfinite(w) or abs(w) > MAX_ABS_WEIGHT:
            raise QueryError(f"weight of {f.name!r} must be a number from -1 to 1, got {w!r}")
        out.append(float(w))
    return tuple(out)


def describe() -> list[dict[str, object]]:
    """The table as data (name, weight, qualifier, meaning): for documentation and for callers choosing weights."""
    return [{"name": f.name, "weight": f.weight, "qualifier": f.qualifier, "meaning": f.meaning} for f in FEATURES]


# The table split once into its bases and its qualifiers, by position: evaluate() and combine() run for every
# candidate of every screening, and read these instead of each row's attributes.
_BASES: tuple[tuple[int, FeatureFunc], ...] = tuple((k, f.func) for k, f in enumerate(FEATURES) if not f.qualifier)
_QUALIFIERS: tuple[tuple[int, FeatureFunc], ...] = tuple((k, f.func) for k, f in enumerate(FEATURES) if f.qualifier)
# the bases a candidate without an identifier in common can have: the identifier features read `id_matches` alone,
# and say nothing (NO_SIGNAL) when it is empty, as it is for nearly every candidate
_ID_BASES = (identifier_match, document_match, weak_identifier_match)
_NAME_BASES: tuple[tuple[int, FeatureFunc], ...] = tuple((k, func) for k, func in _BASES if func not in _ID_BASES)
_IS_QUALIFIER: tuple[bool, ...] = tuple(f.qualifier for f in FEATURES)


@lru_cache(maxsize=64)
def _lift(weights: Weights) -> float:
    """The most the qualifiers can add to a base under these weights."""
    return sum(w for f, w in zip(FEATURES, weights, strict=True) if f.qualifier and w > 0)


def evaluate(
    q: PreparedQuery, c: Candidate, ctx: Context, weights: Weights = DEFAULT_WEIGHT_VECTOR, floor: float = 0.0
) -> tuple[Signal, ...]:
    """Every feature's signal for one candidate, in table order. With a `floor`, the qualifiers are left unread
    (NO_SIGNAL) when the best base could not reach it even with every positive qualifier: screening reads them
    only for candidates that may be reported."""
    return assess(q, c, ctx, weights, floor)[1]


def assess(
    q: PreparedQuery, c: Candidate, ctx: Context, weights: Weights = DEFAULT_WEIGHT_VECTOR, floor: float = 0.0
) -> tuple[float, tuple[Signal, ...]]:
    """`combine(evaluate(...))` and the signals, in one pass: screening's call for every candidate. A candidate left
    below the floor (its qualifiers unread) scores its best weighted base, as combine() would say, without a
    second pass over the table."""
    if len(weights) != len(FEATURES):
        raise ValueError(f"{len(weights)} weights for {len(FEATURES)} features")
    signals = [NO_SIGNAL] * len(FEATURES)
    base = 0.0
    for k, func in _BASES if c.id_matches else _NAME_BASES:
        s = func(q, c, ctx)
        signals[k] = s
        base = max(base, s.value * weights[k])
    if floor > 0.0 and base + _lift(weights) < floor:
        return (max(0.0, min(1.0, round(base, 4))) if base > 0.0 else 0.0), tuple(signals)
    for k, func in _QUALIFIERS:
        signals[k] = func(q, c, ctx)
    read = tuple(signals)
    return combine(read, weights), read


def combine(signals: Sequence[Signal], weights: Weights = DEFAULT_WEIGHT_VECTOR) -> float:
    """The score: the best weighted base, plus every weighted qualifier, within 0..1 (0 without a base)."""
    base = 0.0
    extra = 0.0
    for qualifier, s, w in zip(_IS_QUALIFIER, signals, weights, strict=True):
        if not s.value:
            continue
        if qualifier:
            extra += w * s.value
        elif w * s.value > base:
            base = w * s.value
    if base <= 0.0:
        return 0.0
    return max(0.0, min(1.0, round(base + extra, 4)))


# --- evidence --------------------------------------------------------------------------------------------------


def _ev(
    field: str,
    query_value: str,
    list_value: str,
    method: EvidenceMethod,
    *,
    score: float,
    weight: float,
    query_normalized: str | None = None,
    list_normalized: str | None = None,
    detail: str | None = None,
) -> Evidence:
    """The one way the matcher writes evidence: `method` is checked against the closed set by the type checker."""
    return Evidence(field, query_value, list_value, method, score, weight, query_normalized, list_normalized, detail)


_ID_FEATURES: tuple[tuple[str, str], ...] = (
    ("identifier_match", "code"),
    ("document_match", "document"),
    ("weak_identifier_match", "weak"),
)


def explain(
    q: PreparedQuery, c: Candidate, ctx: Context, signals: Sequence[Signal], weights: Weights = DEFAULT_WEIGHT_VECTOR
) -> list[Evidence]:
    """The evidence a reviewer reads for one scored candidate, from the features' signals: the winning name
    alignment written out, each agreeing identifier, and each qualifier that moved the score."""
    by_name = {f.name: (s, w) for f, s, w in zip(FEATURES, signals, weights, strict=True)}
    out: list[Evidence] = []
    signal, weight = max((by_name["name_match"], by_name["weak_alias_match"]), key=lambda sw: sw[0].value * sw[1])
    if signal.value and isinstance(signal.ref, NameRef):
        out.append(_name_evidence(q, c, ctx, signal.ref, round(weight * signal.value, 4)))
    s, w = by_name["kind_mismatch"]
    if s.value and out:
        effect = round(w * s.value, 4)
        kind = q.kind.value if q.kind else "any"
        out.append(
            _ev("kind", kind, c.entity.kind.value, "kind_mismatch", score=round(1 - s.value, 4), weight=effect,
                detail=f"kind_mismatch {effect:+}")
        )  # fmt: skip
    for feature, cls in _ID_FEATURES:
        s, w = by_name[feature]
        for value, ident in c.id_matches if s.value else ():
            if _identifier_class(ident) == cls:
                out.append(
                    _ev("identifier", value, ident.value, "exact_identifier", score=1.0, weight=w,
                        query_normalized=canonical(value), list_normalized=comparable(ident.type, ident.value),
                        detail=ident.type.value + (f" ({ident.label})" if ident.label else ""))
                )  # fmt: skip
    s, w = by_name["identifier_mismatch"]
    if s.value and isinstance(s.ref, Identifier):
        queried = ", ".join(v for v, _ in q.identifiers)
        out.append(
            _ev("identifier", queried, s.ref.value, "identifier_differs", score=0.0, weight=w,
                detail=f"listed {s.ref.type.value} differs from every queried identifier")
        )  # fmt: skip
    for feature in ("birth_date_match", "birth_date_mismatch"):
        s, w = by_name[feature]
        if s.value and isinstance(s.ref, tuple) and isinstance(s.ref[1], DateSpec):
            date_method: EvidenceMethod = s.ref[0]
            spec: DateSpec = s.ref[1]
            out.append(
                _ev("birth_date", q.birth_date or "", spec.raw or spec.start, date_method,
                    score=1.0 if w > 0 else 0.0, weight=round(w * s.value, 4),
                    list_normalized=spec.start + (f"..{spec.end}" if spec.end else ""))
            )  # fmt: skip
    country_methods: tuple[tuple[str, EvidenceMethod], ...] = (
        ("country_match", "country_match"),
        ("country_mismatch", "country_differs"),
    )
    for feature, country_method in country_methods:
        s, w = by_name[feature]
        if s.value:
            out.append(
                _ev("country", ",".join(q.countries), ",".join(c.countries), country_method,
                    score=1.0 if w > 0 else 0.0, weight=round(w * s.value, 4))
            )  # fmt: skip
    return out


def _name_evidence(q: PreparedQuery, c: Candidate, ctx: Context, ref: NameRef, effect: float) -> Evidence:
    ns = compare_name(q, ref.query, ref.listed, c.entity, ctx, explain=True)
    method: EvidenceMethod = "code_differs" if ns.method == "none" else ns.method
    if ref.code:
        method = "exact_code" if ns.score == 1.0 else "code_differs"
    listed = ref.listed
    detail = f"{listed.name.type.value} ({listed.name.quality.value})"
    if ns.detail:
        detail += f"; {ns.detail}"
    qn = q.names[ref.query]
    return _ev(
        "name",
        qn.raw,
        listed.name.full,
        method,
        score=round(ns.score, 4),
        weight=effect,
        query_normalized=qn.norm.text,
        list_normalized=listed.norm.text,
        detail=detail,
    )


def candidate_names(
    names: Sequence[Name], weigh: Weigher, analyze: Callable[[str], NormalizedName]
) -> list[CandidateName]:
    """compare()'s candidate names, analyzed and weighed as the index does for listed ones."""
    out = []
    for n in names:
        norm = analyze(n.full)
        if norm.tokens:
            out.append(CandidateName(n, norm, token_weights(norm, weigh)))
    return out
