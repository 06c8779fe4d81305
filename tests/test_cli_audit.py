"""`sanctions audit export` and `sanctions audit prune` as real processes, on both stores: JSON Lines in store
order, resumable by cursor, by screening id or from the store's watermark; pruning only what an export covered."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from service.store.base import Store
from service.store.embedded import EmbeddedStore
from service.store.redis_ import RedisStore
from tests.store.redis_server import RedisServer

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


@pytest.fixture(params=["embedded", "redis"])
def target(
    request: pytest.FixtureRequest, tmp_path: Path, redis_server: RedisServer
) -> Iterator[tuple[dict[str, str], Store]]:
    """The environment of a `sanctions` process and the same store opened here."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANCTIONS_")}
    env.update({"SANCTIONS_DATA_DIR": str(tmp_path / "data"), "SANCTIONS_LOG_LEVEL": "WARNING"})
    store: Store
    if request.param == "redis":
        r = redis.Redis.from_url(redis_server.url)
        r.flushdb()  # a private server: each test starts from an empty store
        r.close()
        env["SANCTIONS_REDIS_URL"] = redis_server.url
        store = RedisStore(redis_server.url)
    else:
        store = EmbeddedStore(tmp_path / "data")
    yield env, store
    store.close()


def audit(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service", "audit", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def write(store: Store, ids: list[str]) -> None:
    for i in range(0, len(ids), 500):
        store.write_audits([{"screening_id": sid, "kind": "screen", "items": []} for sid in ids[i : i + 500]])


def lines(path: Path) -> list[str]:
    return [json.loads(line)["screening_id"] for line in path.read_text().splitlines()]


def test_cli_audit_export_writes_json_lines_in_order_and_resumes(
    target: tuple[dict[str, str], Store], tmp_path: Path
) -> None:
    env, store = target
    first_ids = [f"scr-{i:05d}" for i in range(2500)]  # more than one read batch
    write(store, first_ids)
    out = audit(env, "export", "--output", str(tmp_path / "part1.jsonl"))
    assert out.returncode == 0, out.stderr
    assert lines(tmp_path / "part1.jsonl") == first_ids
    record = json.loads((tmp_path / "part1.jsonl").read_text().splitlines()[0])
    assert record == store.read_audit("scr-00000")  # each line is the record as GET /v1/screenings/{id} returns it
    assert "exported 2500 records" in out.stderr and "scr-02499" in out.stderr

    later_ids = [f"scr-late-{i}" for i in range(10)]
    write(store, later_ids)
    out = audit(env, "export", "--resume", "--output", str(tmp_path / "part2.jsonl"))
    assert out.returncode == 0, out.stderr
    assert lines(tmp_path / "part2.jsonl") == later_ids  # continues after the last complete export
    out = audit(env, "export", "--resume", "--output", str(tmp_path / "part3.jsonl"))
    assert out.returncode == 0 and "no audit records" in out.stderr
    assert lines(tmp_path / "part3.jsonl") == []

    # Resume after a screening id (the last line of an interrupted file), or after a printed cursor; to stdout.
    out = audit(env, "export", "--after", "scr-02400")
    assert out.returncode == 0, out.stderr
    assert [json.loads(x)["screening_id"] for x in out.stdout.splitlines()] == first_ids[2401:] + later_ids
    cursor = store.audit_cursor("scr-02497")
    assert cursor is not None
    out = audit(env, "export", "--after", cursor)
    assert [json.loads(x)["screening_id"] for x in out.stdout.splitlines()] == first_ids[2498:] + later_ids


def test_cli_audit_export_refuses_bad_arguments_clearly(target: tuple[dict[str, str], Store]) -> None:
    env, store = target
    write(store, ["only-one"])
    out = audit(env, "export", "--after", "no-such-screening")
    assert out.returncode == 2 and "no audit record with screening id 'no-such-screening'" in out.stderr
    out = audit(env, "export", "--since", "last tuesday")
    assert out.returncode == 2 and "--since: not an ISO 8601 time" in out.stderr
    out = audit(env, "export", "--after", "only-one", "--resume")
    assert out.returncode == 2


def test_cli_audit_prune_removes_only_what_an_export_covered(
    target: tuple[dict[str, str], Store], tmp_path: Path
) -> None:
    env, store = target
    write(store, [f"old-{i}" for i in range(20)])
    time.sleep(0.2)  # a retention of 0.000001 days (86 ms) makes these records expired
    out = audit(env, "prune", "--days", "0.000001")
    assert out.returncode == 1  # refused: nothing was exported
    assert "refused to remove" in out.stderr and "sanctions audit export" in out.stderr
    assert store.read_audit("old-0") is not None

    # An export that starts after a gap does not cover the records before it.
    out = audit(env, "export", "--after", "old-9", "--output", str(tmp_path / "tail.jsonl"))
    assert out.returncode == 0 and "watermark did not move" in out.stderr
    assert audit(env, "prune", "--days", "0.000001").returncode == 1
    assert store.read_audit("old-0") is not None

    out = audit(env, "export", "--output", str(tmp_path / "all.jsonl"))
    assert out.returncode == 0 and "watermark did not move" not in out.stderr
    write(store, ["after-export"])
    out = audit(env, "prune", "--days", "0.000001")
    assert "removed 20 exported audit records" in out.stderr
    assert store.read_audit("old-0") is None and store.read_audit("old-19") is None
    # Past the retention too by now, but not exported: kept, and the refusal says so.
    assert out.returncode == 1 and "refused to remove" in out.stderr
    assert store.read_audit("after-export") is not None
    assert store.audit_stats().records == 1
    # The exported file keeps what the store let go.
    assert lines(tmp_path / "all.jsonl") == [f"old-{i}" for i in range(20)]


def test_cli_audit_prune_needs_a_retention(target: tuple[dict[str, str], Store]) -> None:
    env, _ = target
    out = audit(env, "prune")
    assert out.returncode == 2 and "SANCTIONS_AUDIT_RETENTION_DAYS" in out.stderr
    out = audit({**env, "SANCTIONS_AUDIT_RETENTION_DAYS": "30"}, "prune")
    assert out.returncode == 0 and "removed 0" in out.stderr
