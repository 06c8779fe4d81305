"""Reviewers' decisions applied to hits: which decision stands, whether a cleared false positive stays silent,
and what changed in a hit's evidence since a reviewer saw it. Pure functions over values.

A false positive stays cleared while the evidence the reviewer decided on is the same: the listed values each
feature matched (names, identifiers, birth dates, countries, links) and the programmes. Scores are left out on
purpose: they move a little whenever the lists grow (token rarity), which is no new evidence.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from service.model import Decision, DecisionKind, Entity, Hit
from service.screening.wire import hit_to_dict

# Evidence fields whose listed values make up what a reviewer decided on.
_EVIDENCE_FIELDS = ("name", "identifier", "birth_date", "country", "link")


def _evidence_items(hit: Mapping[str, Any]) -> list[tuple[str, str]]:
    items = {
        (str(e.get("field")), str(e.get("list_value")))
        for e in hit.get("evidence", ())
        if e.get("field") in _EVIDENCE_FIELDS
    }
    items |= {("program", str(p)) for p in hit.get("programs", ())}
    return sorted(items)


def evidence_fingerprint(hit: Hit | Mapping[str, Any]) -> str:
    """A short digest of the listed evidence behind a hit (see the module docstring)."""
    d = hit_to_dict(hit) if isinstance(hit, Hit) else hit
    return hashlib.sha256(orjson.dumps(_evidence_items(d))).hexdigest()[:16]


def entity_fingerprint(entity: Entity) -> str:
    """A short digest of what a listed entity says: names, identifiers, birth dates and programmes. Used for a
    decision recorded without a monitor, where no hit was stored to compare with."""
    parts = {
        "names": sorted(n.full for n in entity.all_names()),
        "ids": sorted(f"{i.type.value}:{i.value}" for i in entity.identifiers),
        "dates": sorted(d.start + (f"..{d.end}" if d.end else "") for d in entity.birth_dates),
        "programs": sorted(entity.programs),
    }
    return hashlib.sha256(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def evidence_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """What a reviewer should know changed between two versions of a hit, in words: "new name: X", "programme
    removed: Y", ... (listed values only)."""
    old, new = set(_evidence_items(before)), set(_evidence_items(after))
    out = [f"new {field}: {value}" for field, value in sorted(new - old)]
    out += [f"{field} no longer matched: {value}" for field, value in sorted(old - new)]
    return out


def latest(decisions: Iterable[Decision]) -> dict[str, Decision]:
    """The decision that stands for each entity id: the newest (decisions arrive oldest first)."""
    out: dict[str, Decision] = {}
    for d in decisions:
        out[d.entity_id] = d
    return out


@dataclass(frozen=True, slots=True)
class Applied:
    """A standing decision as a hit shows it."""

    decision: Decision
    suppressed: bool  # a cleared false positive whose evidence is unchanged: silent
    evidence_changed: bool  # the evidence moved since the decision (a false positive alerts again)

    def to_dict(self) -> dict[str, Any]:
        d = self.decision
        out: dict[str, Any] = {
            "id": d.id,
            "decision": d.decision.value,
            "reason": d.reason,
            "reviewer": d.reviewer,
            "decided_at": d.decided_at,
        }
        if self.evidence_changed:
            out["evidence_changed"] = True
        return out


def apply(decision: Decision, hit: Hit | Mapping[str, Any], entity: Entity | None) -> Applied:
    """How `decision` applies to the current `hit` (on the listed `entity`, when loaded)."""
    if decision.fingerprint:
        changed = decision.fingerprint != evidence_fingerprint(hit)
    elif decision.entity_fingerprint and entity is not None:
        changed = decision.entity_fingerprint != entity_fingerprint(entity)
    else:
        changed = False
    suppressed = decision.decision is DecisionKind.FALSE_POSITIVE and not changed
    return Applied(decision, suppressed, changed)


def apply_all(
    decisions: Iterable[Decision], hits: Sequence[Hit], entity: Callable[[str], Entity | None] | None = None
) -> dict[str, Applied]:
    """Standing decisions for the hits that have one, by entity id. `entity(entity_id)` finds listed entities."""
    standing = latest(decisions)
    out: dict[str, Applied] = {}
    for h in hits:
        d = standing.get(h.entity_id)
        if d is not None:
            out[h.entity_id] = apply(d, h, entity(h.entity_id) if entity is not None else None)
    return out


def allowlist_entries(decisions: Iterable[Decision], *, expires: str) -> list[dict[str, str]]:
    """The standing false-positive decisions as entries of the CI hook's allowlist (`sanctions check
    --allowlist`): the party's ref is the record handle (the file's id column), `expires` an ISO date, since a
    cleared hit deserves a fresh look now and then."""
    standing: dict[tuple[str, str], Decision] = {}
    for d in decisions:  # oldest first: the last one per (party, entity) stands
        standing[(d.ref, d.entity_id)] = d
    return [
        {
            "entity_id": d.entity_id,
            "record": d.ref,
            "reason": d.reason,
            "reviewer": d.reviewer,
            "expires": expires,
            "decided_at": d.decided_at,
            "decision_id": d.id,
        }
        for (_, _), d in sorted(standing.items())
        if d.decision is DecisionKind.FALSE_POSITIVE
    ]
