"""Domain values shared by every layer: entities, queries, hits, list status. Frozen dataclasses, no I/O."""

from service.model.entity import (
    Address,
    DateSpec,
    Entity,
    EntityKind,
    Identifier,
    IdentifierType,
    Link,
    Name,
    NameQuality,
    NameType,
    SourceRecord,
    entity_id,
)
from service.model.monitoring import AlertState, Decision, DecisionKind, Event, EventType, Monitor, MonitorHit
from service.model.screening import Comparison, Evidence, Hit, LinkedEntity, Query
from service.model.status import ListInfo, ListStatus, Snapshot, SnapshotDiff, SyncState
from service.model.webhooks import Delivery, DeliveryState, Webhook

__all__ = [
    "Address",
    "AlertState",
    "Comparison",
    "DateSpec",
    "Decision",
    "DecisionKind",
    "Delivery",
    "DeliveryState",
    "Entity",
    "EntityKind",
    "Event",
    "EventType",
    "Evidence",
    "Hit",
    "Identifier",
    "IdentifierType",
    "Link",
    "LinkedEntity",
    "ListInfo",
    "ListStatus",
    "Monitor",
    "MonitorHit",
    "Name",
    "NameQuality",
    "NameType",
    "Query",
    "Snapshot",
    "SnapshotDiff",
    "SourceRecord",
    "SyncState",
    "Webhook",
    "entity_id",
]
