"""Audit records: built by the use cases, stored by one writer thread in groups, never dropped silently."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from service.errors import StoreError
from service.screening.audit import AuditRecord, AuditWriter, canonical_sha256
from service.store.embedded import EmbeddedStore


class GroupingStore(EmbeddedStore):
    """The real embedded store, recording the size of each group commit the writer makes."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir)
        self.groups: list[int] = []

    def write_audits(self, records: Sequence[Mapping[str, Any]]) -> None:
        self.groups.append(len(records))
        super().write_audits(records)


def test_audit_writer_groups_queued_records_and_stores_each(tmp_path: Path) -> None:
    store = GroupingStore(tmp_path)
    writer = AuditWriter(store)

    async def many() -> None:
        await asyncio.gather(*(writer.write({"screening_id": f"s{i}", "items": []}) for i in range(50)))

    asyncio.run(many())
    writer.close()
    assert all(store.read_audit(f"s{i}") is not None for i in range(50))
    assert max(store.groups, default=1) > 1  # records queued behind the first went out together


def test_audit_writer_reports_a_failed_write_to_the_waiting_caller(tmp_path: Path) -> None:
    failures: list[int] = []
    store = EmbeddedStore(tmp_path)

    def disk_full(records: Sequence[Mapping[str, Any]]) -> None:
        # Fault injection: a full disk, which the real store cannot be made to hit on demand.
        raise OSError("database or disk is full")

    store.write_audits = disk_full  # type: ignore[method-assign]
    store.write_audit = lambda record: disk_full([record])  # type: ignore[method-assign]
    writer = AuditWriter(store, on_failure=lambda: failures.append(1))
    with pytest.raises(StoreError, match="disk is full"):
        asyncio.run(writer.write(AuditRecord("screen", "k", 0.8, {})))
    writer.close()
    assert failures == [1]


def test_audit_record_keeps_the_query_only_when_asked() -> None:
    query = {"name": "Jane Doe", "type": "person"}
    hashed = AuditRecord("screen", "k", 0.8, {"un_sc_sanctions": "v1"})
    hashed.add(query, [])
    kept = AuditRecord("screen", "k", 0.8, {"un_sc_sanctions": "v1"}, keep_queries=True)
    kept.add(query, [])
    assert hashed.to_dict()["items"][0] == {
        "ref": None,
        "query_sha256": canonical_sha256(query),
        "query": None,
        "hits": [],
    }
    assert kept.to_dict()["items"][0]["query"] == query
    assert hashed.screening_id != kept.screening_id
    assert hashed.to_dict()["screened_at"].endswith("Z")
