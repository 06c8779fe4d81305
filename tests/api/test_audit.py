"""The audit writer: records stored before the answer, grouped when the store can, and 503 when it cannot."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from service.api.app import create_app, make_sync_fn
from service.api.metrics import Metrics
from service.errors import StoreError
from service.sources.manifest import load_manifests
from service.store.embedded import EmbeddedStore
from tests.api.conftest import AUTH, make_settings, wait_ready


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


def test_metrics_report_the_audit_trail(un_only_dir: Path) -> None:
    settings = make_settings(un_only_dir, lists=["un_sc_sanctions"])
    with TestClient(create_app(settings)) as c:
        wait_ready(c)
        for _ in range(3):
            assert c.post("/v1/screen", json={"name": "Ayman al-Zawahiri"}, headers=AUTH).status_code == 200
        before = c.get("/metrics").text
        store = c.app.state.ctx.runtime.store  # type: ignore[attr-defined]
        entries = list(store.export_audit())
        assert store.mark_exported(entries[0].cursor, entries[-1].cursor)
        after = c.get("/metrics").text
    assert "sanctions_audit_records 3.0" in before
    assert "sanctions_audit_spool_records 0.0" in before
    size = next(line for line in before.splitlines() if line.startswith("sanctions_audit_store_bytes "))
    assert float(size.split()[1]) > 0
    assert "sanctions_audit_export_watermark_age_seconds" not in before  # never exported: no age to report
    age = next(line for line in after.splitlines() if line.startswith("sanctions_audit_export_watermark_age_seconds"))
    assert 0 <= float(age.split()[1]) < 3600


def test_sync_runs_the_audit_retention_on_exported_records_only(un_only_dir: Path, fixture_mirror: Path) -> None:
    settings = make_settings(
        un_only_dir, lists=["un_sc_sanctions"], mirror=str(fixture_mirror), audit_retention_days=0.000001
    )
    store = EmbeddedStore(un_only_dir)
    try:
        store.write_audits([{"screening_id": f"r{i}"} for i in range(3)])
        entries = list(store.export_audit())
        assert store.mark_exported(entries[0].cursor, entries[1].cursor)  # r2 is not exported
        time.sleep(0.2)  # the retention is 0.000001 days (86 ms): every record is past it
        metrics = Metrics(dict)
        sync = make_sync_fn(settings, store, load_manifests(settings.lists_dir, ["un_sc_sanctions"]), metrics)
        assert sync(None) == {"un_sc_sanctions": "unchanged"}
        assert store.read_audit("r0") is None and store.read_audit("r1") is None
        assert store.read_audit("r2") == {"screening_id": "r2"}  # past the retention, but never exported
        text = metrics.render().decode()
    finally:
        store.close()
    assert "sanctions_audit_pruned_records_total 2.0" in text
    assert "sanctions_audit_retention_refusals_total 1.0" in text
