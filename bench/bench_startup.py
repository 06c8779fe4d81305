"""Start-up, list-change pick-up and memory of `sanctions serve --workers 2` on one data folder, with the matcher
cache (SANCTIONS_MATCHER_CACHE) off and on, in the same run.

Syncs the mirrored lists into a fresh embedded store, then for each setting starts a real server and times, from
its start, until every worker has logged `matcher.loaded` (the moment it serves); with the cache on, it also times
a restart that finds the entry the first start wrote. Then it publishes a changed UN list (one added entity,
written through the store as a sync would) a few times and times until every worker serves the new version, and
reads the PSS of the server's processes (parent and workers; PSS shares pages between the processes that map
them, so the sum is what the server costs) with one worker and with two. Prints figures, asserts nothing.

    python -m bench.bench_startup [--rounds 3] [--mirror ../shared/mirror]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_replicas import Replica
from bench.common import MIRROR, ROOT
from bench.soak import descendants, memory_kb
from service.model import Entity, EntityKind, Name, SyncState
from service.store.embedded import EmbeddedStore

CHANGED_LIST = "un_sc_sanctions"


class Server(Replica):
    """`sanctions serve --workers N` with a JSON log this benchmark reads."""

    def __init__(self, env: dict[str, str], log_path: Path, workers: int) -> None:
        super().__init__(env, log_path.parent, log_path.stem, workers)

    def loaded(self) -> list[dict[str, object]]:
        """The `matcher.loaded` events logged so far."""
        out = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if '"matcher.loaded"' in line:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    continue
        return out

    def wait_loaded(self, count: int, version: str | None = None, timeout_s: float = 300) -> float:
        """Seconds since `since` until `count` workers logged a load (of `version` of the changed list)."""
        while time.monotonic() - self.started < timeout_s:
            events = self.loaded()
            if version is not None:
                events = [e for e in events if dict(e.get("lists") or {}).get(CHANGED_LIST) == version]  # type: ignore[call-overload]
            if len(events) >= count:
                return time.monotonic() - self.started
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited {self.proc.returncode}; see {self.log_path}")
            time.sleep(0.02)
        raise RuntimeError(f"{count} loads not seen after {timeout_s} s; see {self.log_path}")

    def loads(self) -> str:
        """Each worker's load as logged: where its matcher came from and how long it took."""
        return ", ".join(f"{e.get('source')} {e.get('build_s')} s" for e in self.loaded())

    def pss_mb(self) -> float:
        total = 0
        for pid in descendants(self.proc.pid):
            mem = memory_kb(pid)
            total += mem[1] if mem else 0
        return total / 1024


def publish_change(store: EmbeddedStore, round_no: int) -> str:
    """A new version of the UN list with one more entity, published as a sync would; returns the version."""
    base = store.load_snapshot(CHANGED_LIST)
    status = store.get_status(CHANGED_LIST)
    if base is None or status is None:
        raise RuntimeError(f"{CHANGED_LIST} is not in the store")
    token = "".join(secrets.choice("BCDFGHKLMNPRSTVZ") for _ in range(8))
    entity = Entity(
        id=f"{CHANGED_LIST}:BENCH.{round_no}.{token}",
        list_id=CHANGED_LIST,
        kind=EntityKind.PERSON,
        name=Name(f"Zorbanex {token} Quillfeather"),
    )
    version = f"{base.version}+bench{round_no}.{token}"
    snap = replace(base, version=version, entities=(*base.entities, entity))
    store.publish(snap, {}, replace(status, version=version, entities=len(snap.entities), status=SyncState.OK), None)
    return version


def run_setting(env: dict[str, str], data: Path, work: Path, cache: bool, rounds: int) -> dict[str, object]:
    env = {**env, "SANCTIONS_MATCHER_CACHE": "true" if cache else "false"}
    shutil.rmtree(data / "matcher-cache", ignore_errors=True)
    name = "cache" if cache else "nocache"
    out: dict[str, object] = {}
    server = Server(env, work / f"{name}-cold.log", workers=2)
    try:
        out["cold_s"] = server.wait_loaded(2)
        out["cold_loads"] = server.loads()
        out["pss_2_mb"] = server.pss_mb()
    finally:
        server.stop()
    if cache:
        server = Server(env, work / f"{name}-warm.log", workers=2)
        try:
            out["warm_s"] = server.wait_loaded(2)
            out["warm_loads"] = server.loads()
        finally:
            server.stop()
    server = Server(env, work / f"{name}-change.log", workers=2)
    store = EmbeddedStore(data)
    times = []
    try:
        server.wait_loaded(2)
        for r in range(rounds):
            time.sleep(1.0)
            version = publish_change(store, r)
            server.started = time.monotonic()
            times.append(server.wait_loaded(2, version))
    finally:
        server.stop()
        store.close()
    out["change_s"] = times
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirror", type=Path, default=MIRROR)
    ap.add_argument("--rounds", type=int, default=3, help="list changes timed per setting")
    args = ap.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    data = work / "data"
    env = {
        **os.environ,
        "SANCTIONS_DATA_DIR": str(data),
        "SANCTIONS_SYNC_ON_START": "false",
        "SANCTIONS_LOG_LEVEL": "INFO",
        "SANCTIONS_LOG_JSON": "true",
        "SANCTIONS_MIRROR": str(args.mirror.resolve()),
    }
    env.pop("SANCTIONS_REDIS_URL", None)
    try:
        started = time.monotonic()
        sync = subprocess.run(
            [sys.executable, "-m", "service", "sync"], env=env, capture_output=True, text=True, cwd=ROOT, check=False
        )
        print(f"machine: {os.cpu_count()} cores, shared (figures are noisy); load average {os.getloadavg()}")
        print(f"sync of the mirrored lists into a fresh data folder: {time.monotonic() - started:.1f} s")
        if sync.returncode not in (0, 1):
            print(sync.stdout, sync.stderr, file=sys.stderr)
            return 1
        off = run_setting(env, data, work, cache=False, rounds=args.rounds)
        on = run_setting(env, data, work, cache=True, rounds=args.rounds)
        server = Server({**env, "SANCTIONS_MATCHER_CACHE": "true"}, work / "one-worker.log", workers=1)
        try:
            server.wait_loaded(1)
            pss_1 = server.pss_mb()
        finally:
            server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def med(v: object) -> float:
        return statistics.median(v) if isinstance(v, list) and v else float("nan")

    print("\n`serve --workers 2`, every mirrored list; seconds from start until both workers serve")
    print(f"  {'':<44} {'cache off':>10} {'cache on':>10}   target")
    print(f"  {'first start (empty data folder cache)':<44} {off['cold_s']:>10.1f} {on['cold_s']:>10.1f}")
    print(f"  {'restart (the entry the first start wrote)':<44} {off['cold_s']:>10.1f} {on['warm_s']:>10.1f}   <= 1 s")
    print(f"  workers' own loads: first start, cache off: {off['cold_loads']}; cache on: {on['cold_loads']}; restart: "
          f"{on['warm_loads']}")  # fmt: skip
    print(
        f"  {'published list change, median of ' + str(args.rounds):<44} {med(off['change_s']):>10.1f} "
        f"{med(on['change_s']):>10.1f}   (each: {off['change_s']} / {on['change_s']})"
    )
    pss_2 = float(on["pss_2_mb"])  # type: ignore[arg-type]
    print(f"\nPSS of the server's processes: 1 worker {pss_1:.0f} MB, 2 workers {pss_2:.0f} MB = {pss_2 / pss_1:.2f}x "
          f"(target <= 1.3x)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
