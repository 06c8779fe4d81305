"""Audit records of screenings: who (key id), when, a hash of what, against which list versions, with what hits.

Records go through one writer thread, and a screening is answered only once its record is stored, so every
screening id a client holds can be looked up. The query itself is kept only when SANCTIONS_AUDIT_QUERIES is on;
otherwise the SHA-256 of its canonical JSON lets a team prove what was screened without storing personal data.
"""

from __future__ import annotations

import asyncio
import hashlib
import queue
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import structlog

from service.errors import StoreError
from service.model import Hit
from service.store.base import Store

log = structlog.get_logger("service.screening")


def new_screening_id() -> str:
    return str(uuid.uuid4())


def now_iso() -> str:
    """The current UTC time as responses and audit records write it: millisecond precision, a trailing Z."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def canonical_sha256(query: Mapping[str, Any]) -> str:
    """SHA-256 of the query as canonical JSON (sorted keys, no whitespace, UTF-8)."""
    return hashlib.sha256(orjson.dumps(query, option=orjson.OPT_SORT_KEYS)).hexdigest()


def audit_hits(hits: Sequence[Hit], span: tuple[int, int] | None = None) -> list[dict[str, Any]]:
    """What an audit record keeps of each hit: the entity, its score and whether it matched (and, for a text
    screening, the mention's span)."""
    out = []
    for h in hits:
        d: dict[str, Any] = {"entity_id": h.entity_id, "score": round(h.score, 4), "match": h.match}
        if span is not None:
            d["span"] = [span[0], span[1]]
        out.append(d)
    return out


@dataclass(slots=True)
class AuditRecord:
    """The firm's proof that a screening happened: who (key id), when, a hash of what, against which list versions,
    with what hits. One item per screened party; the query itself only when the deployment keeps queries."""

    kind: str  # "screen" | "batch" | "text" | "match" | "monitor"
    api_key_id: str
    threshold: float
    lists: dict[str, str]  # list id -> version screened against
    keep_queries: bool = False
    screening_id: str = field(default_factory=new_screening_id)
    screened_at: str = field(default_factory=now_iso)
    items: list[dict[str, Any]] = field(default_factory=list)

    def add(self, query: Mapping[str, Any], hits: list[dict[str, Any]], *, ref: str | None = None) -> None:
        self.items.append(
            {
                "ref": ref,
                "query_sha256": canonical_sha256(query),
                "query": dict(query) if self.keep_queries else None,
                "hits": hits,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "screening_id": self.screening_id,
            "screened_at": self.screened_at,
            "kind": self.kind,
            "api_key_id": self.api_key_id,
            "threshold": self.threshold,
            "lists": dict(self.lists),
            "items": self.items,
        }


_STOP = object()


class AuditWriter:
    """Serialises audit writes in one thread; `await write(record)` returns once the record is stored.

    Records that queue up while a write is in progress go out together (group commit): `write_audits(records)`,
    one transaction and one fsync in the embedded store, one pipelined round trip in Redis.
    """

    MAX_GROUP = 256  # records per group commit: bounds one transaction's size and the wait of the first one

    def __init__(self, store: Store, on_failure: Callable[[], None] | None = None) -> None:
        self._store = store
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._on_failure = on_failure
        self._thread = threading.Thread(target=self._run, name="sanctions-audit", daemon=True)
        self._thread.start()

    def _drain(self, first: Any) -> tuple[list[Any], bool]:
        group = [first]
        while len(group) < self.MAX_GROUP:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                return group, True
            group.append(item)
        return group, False

    def _store_group(self, group: list[Any]) -> list[BaseException | None]:
        if len(group) > 1:
            try:
                self._store.write_audits([record for record, _, _ in group])
            except Exception as exc:
                # Boundary: the whole group failed; each waiting request answers 503.
                return [exc] * len(group)
            return [None] * len(group)
        outcomes: list[BaseException | None] = []
        for record, _, _ in group:
            try:
                self._store.write_audit(record)
            except Exception as exc:
                # Boundary: report to the waiting request (it answers 503) and keep the writer alive.
                outcomes.append(exc)
            else:
                outcomes.append(None)
        return outcomes

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                return
            group, stopping = self._drain(first)
            for (record, loop, future), error in zip(group, self._store_group(group), strict=True):
                reported: BaseException | None = error
                if error is not None:
                    log.error("audit.write_failed", screening_id=record.get("screening_id"), error=str(error))
                    if self._on_failure is not None:
                        self._on_failure()
                    if not isinstance(error, StoreError):
                        reported = StoreError(f"cannot write the audit record: {error}")
                loop.call_soon_threadsafe(_settle, future, reported)

    async def write(self, record: AuditRecord | Mapping[str, Any]) -> None:
        """Return once `record` is stored; StoreError when it cannot be (the screening must not be answered)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._queue.put((record.to_dict() if isinstance(record, AuditRecord) else record, loop, future))
        await future

    def close(self, timeout_s: float = 10.0) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout_s)


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():  # the request was cancelled (client went away); the record is stored all the same
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
