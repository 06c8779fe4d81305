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
from service.model.screening import (
    EVIDENCE_METHODS,
    Comparison,
    Evidence,
    EvidenceMethod,
    Hit,
    LinkedEntity,
    Query,
    evidence_method,
)
from service.model.status import ListStatus, Snapshot, SnapshotDiff, SyncState

__all__ = [
    "EVIDENCE_METHODS",
    "Address",
    "Comparison",
    "DateSpec",
    "Entity",
    "EntityKind",
    "Evidence",
    "EvidenceMethod",
    "Hit",
    "Identifier",
    "IdentifierType",
    "Link",
    "LinkedEntity",
    "ListStatus",
    "Name",
    "NameQuality",
    "NameType",
    "Query",
    "Snapshot",
    "SnapshotDiff",
    "SourceRecord",
    "SyncState",
    "entity_id",
    "evidence_method",
]
