"""Ongoing monitoring: watched parties (monitors), reviewers' decisions on their hits, and the events a change of
the lists raises for them. Frozen values, no I/O; the store keeps them, service.screening.monitoring computes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class DecisionKind(StrEnum):
    FALSE_POSITIVE = "false_positive"  # cleared: silent until the listed entity's evidence changes
    TRUE_MATCH = "true_match"  # confirmed: the party is the listed one
    ESCALATED = "escalated"  # handed up for a second opinion; the hit stays open


class EventType(StrEnum):
    HIT_NEW = "monitor.hit.new"  # a monitored party now matches a listed entity
    HIT_CHANGED = "monitor.hit.changed"  # a match's score or evidence changed (a new alias, identifier, programme, ...)
    HIT_REMOVED = "monitor.hit.removed"  # no longer a match: delisted, or its evidence no longer reaches the threshold


class AlertState(StrEnum):
    """A monitor hit waiting for a reviewer: the queue of the review page."""

    OPEN = "open"  # new or changed, no decision since
    ESCALATED = "escalated"  # a reviewer handed it up


@dataclass(frozen=True, slots=True)
class MonitorHit:
    """A monitor's match as last screened: enough to tell what changed at the next screening, and to show it."""

    entity_id: str
    list_id: str
    score: float
    fingerprint: str  # of the evidence a reviewer decided on (service.screening.monitoring.evidence_fingerprint)
    hit: dict[str, Any]  # the hit in the wire format (service.screening.wire.hit_to_dict)
    since: str  # when this match was first seen, or last changed (ISO UTC)
    alert: AlertState | None = None  # None: no review pending (decided, or a cleared false positive)


@dataclass(frozen=True, slots=True)
class Monitor:
    """A watched party: the screen body it was created with, and its matches at the last screening."""

    ref: str
    query: dict[str, Any]  # the party (service.screening.wire.query_to_dict) plus threshold/lists/kinds/programs
    created_at: str
    updated_at: str
    screened_at: str
    versions: dict[str, str]  # list id -> version the hits were screened against
    hits: tuple[MonitorHit, ...] = ()
    seq: int = 0  # the store's change counter at the last write (monitors changed since a point are found by it)


@dataclass(frozen=True, slots=True)
class Decision:
    """A reviewer's decision on one hit of one party. Never deleted: a newer decision on the same (ref, entity)
    supersedes it."""

    id: str
    ref: str
    entity_id: str
    decision: DecisionKind
    reason: str
    reviewer: str
    decided_at: str
    actor: str = ""  # the API key id (or "cli") that recorded it
    fingerprint: str = ""  # the hit's evidence when decided: a false positive alerts again when it changes
    hit: dict[str, Any] = field(default_factory=dict)  # the hit as the reviewer saw it
    entity_fingerprint: str = ""  # the listed entity's names, identifiers, dates and programmes when decided


@dataclass(frozen=True, slots=True)
class Event:
    """What a change raised for a monitor; delivered to webhooks as its `body` (the id is the idempotency key)."""

    id: str
    type: EventType
    created_at: str
    ref: str
    entity_id: str
    # {"id", "type", "created_at", "monitor": {"ref"}, "hit", "previous"?, "changes"?, "reason"?, "lists"}
    body: dict[str, Any]
    seq: int = 0  # position in the store's event log, once stored
