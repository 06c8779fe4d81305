"""The audit writer: records stored before the answer, grouped when the store can, and 503 when it cannot."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from service.api.app import create_app
from service.errors import StoreError
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
