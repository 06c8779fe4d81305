"""Webhooks: a receiver's subscription to monitoring events, and one delivery of one event to one receiver.
Frozen values, no I/O; the store keeps them, service.notify sends them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from service.model.monitoring import EventType


class DeliveryState(StrEnum):
    PENDING = "pending"  # waiting for its next attempt (or being attempted, under a lease)
    DELIVERED = "delivered"  # the receiver answered 2xx
    DEAD = "dead"  # retried for the whole retry window without a 2xx: waits for an operator's replay


@dataclass(frozen=True, slots=True)
class Webhook:
    """A receiver: where to POST, which event types, and the secret its deliveries are signed with."""

    id: str
    url: str
    events: tuple[EventType, ...]
    secret: str
    created_at: str  # ISO UTC


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event for one webhook, keyed by (webhook_id, event_id). Times are unix seconds (the store schedules
    and leases by them); `body` holds the exact bytes POSTed and signed, fixed when the event is queued."""

    webhook_id: str
    event_id: str
    event_type: EventType
    seq: int  # the event's position in the monitoring event log
    body: bytes
    queued_at: float  # the retry window runs from here (a replay starts a new one)
    next_attempt_at: float
    state: DeliveryState = DeliveryState.PENDING
    attempts: int = 0
    last_error: str = ""  # "HTTP 503" or an exception class name: never a response body
    last_attempt_at: float | None = None
    delivered_at: float | None = None
