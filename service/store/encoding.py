"""Bytes form of snapshots, statuses and diffs, shared by the store backends (orjson over service.model.codec)."""

from __future__ import annotations

from typing import Any

import orjson

from service.errors import StoreError
from service.model import ListStatus, Snapshot, SnapshotDiff
from service.model.codec import (
    diff_from_dict,
    diff_to_dict,
    entity_from_dict,
    entity_to_dict,
    status_from_dict,
    status_to_dict,
)

SNAPSHOT_FORMAT = 1  # bump when the layout below changes; readers refuse formats they do not know


def encode_snapshot(snapshot: Snapshot) -> bytes:
    return orjson.dumps(
        {
            "format": SNAPSHOT_FORMAT,
            "list_id": snapshot.list_id,
            "version": snapshot.version,
            "published_at": snapshot.published_at,
            "fetched_at": snapshot.fetched_at,
            "files_sha256": [list(pair) for pair in snapshot.files_sha256],
            "entities": [entity_to_dict(e) for e in snapshot.entities],
        }
    )


def decode_snapshot(data: bytes) -> Snapshot:
    try:
        d = orjson.loads(data)
        if d.get("format") != SNAPSHOT_FORMAT:
            raise StoreError(f"snapshot format {d.get('format')!r} is not {SNAPSHOT_FORMAT}")
        return Snapshot(
            list_id=d["list_id"],
            version=d["version"],
            entities=tuple(entity_from_dict(e) for e in d["entities"]),
            published_at=d.get("published_at"),
            fetched_at=d.get("fetched_at"),
            files_sha256=tuple((str(n), str(h)) for n, h in d.get("files_sha256", ())),
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise StoreError(f"corrupt snapshot: {type(exc).__name__}: {exc}") from exc


def encode_status(status: ListStatus) -> bytes:
    return orjson.dumps(status_to_dict(status))


def decode_status(data: bytes) -> ListStatus:
    return status_from_dict(loads(data))


def encode_diff(diff: SnapshotDiff) -> bytes:
    return orjson.dumps(diff_to_dict(diff))


def decode_diff(data: bytes) -> SnapshotDiff:
    return diff_from_dict(loads(data))


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=str)


def loads(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise StoreError(f"corrupt store record: {exc}") from exc
