"""The audit writer: records stored before the answer, grouped when the store can, and 503 when it cannot."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from service.api.app import create_app
from service.api.audit import AuditWriter
from service.errors import StoreError
from service.store.embedded import EmbeddedStore
from tests.api.conftest import AUTH, make_settings, wait_ready


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


def test_screening_is_503_when_its_audit_record_cannot_be_written(un_only_dir: Path) -> None:
    settings = make_settings(un_only_dir, lists=["un_sc_sanctions"])
    with TestClient(create_app(settings)) as c:
        wait_ready(c)
        writer = c.app.state.ctx.audit  # type: ignore[attr-defined]

        def disk_full(record: Mapping[str, Any]) -> None:
            # Fault injection: a full disk, which the real store cannot be made to hit on demand.
            raise StoreError("cannot write the audit record: database or disk is full")

        writer._store.write_audit = disk_full
        r = c.post("/v1/screen", json={"name": "Ayman al-Zawahiri"}, headers=AUTH)
        metrics = c.get("/metrics").text
    assert r.status_code == 503 and "disk is full" in r.json()["detail"]
    assert "sanctions_audit_write_failures_total 1.0" in metrics
