"""Start-up, list-change pick-up and memory of `sanctions serve --workers 2` on one data folder, with the matcher
cache (SANCTIONS_MATCHER_CACHE) off and on, in the same run.

Syncs the mirrored lists into a fresh embedded store, then for each setting starts a real server and times, from
its start, until every worker has logged `matcher.loaded` (the moment it serves); it also times restarts that find
the entry the first start wrote (`--rounds` of them). Then it publishes a changed UN list (one added entity,
written through the store as a sync would) a few times and times until every worker serves the new version, and
reads the PSS of the server's processes (parent and workers; PSS shares pages between the processes that map
them, so the sum is what the server costs) with one worker and with two. Last, the same changes reach a one-worker
server, which builds and swaps them in itself while it serves: how long until it serves them, and the longest a
screening sent meanwhile took. Prints figures, asserts nothing.

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
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_replicas import Replica, http
from bench.common import MIRROR, ROOT, compiled, worktree
from bench.soak import descendants, memory_kb
from service.model import Entity, EntityKind, Name, SyncState
from service.store.embedded import EmbeddedStore

CHANGED_LIST = "un_sc_sanctions"


class Server(Replica):
    """`sanctions serve --workers N` with a JSON log this benchmark reads. It serves once every worker has logged
    `matcher.loaded` (uvicorn's workers, each loading for itself: the baseline) or, under the supervisor, once it
    has logged `server.worker_ready` for each worker (start) or `server.workers_replaced` (a list change)."""

    def __init__(self, env: dict[str, str], log_path: Path, workers: int, code: Path = ROOT) -> None:
        super().__init__(env, log_path.parent, log_path.stem, workers, code=code)

    def events(self) -> list[dict[str, object]]:
        out = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if '"event":"matcher.loaded"' in line or '"event":"server.' in line:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    continue
        return out

    def loaded(self) -> list[dict[str, object]]:
        """The `matcher.loaded` events logged so far."""
        return [e for e in self.events() if e.get("event") == "matcher.loaded"]

    def serving(self, count: int, version: str | None) -> bool:
        events = self.events()

        def has_version(e: dict[str, object]) -> bool:
            return version is None or dict(e.get("lists") or {}).get(CHANGED_LIST) == version  # type: ignore[call-overload]

        if any(e.get("event") == "server.supervisor_started" for e in events):
            if version is None:
                return sum(e.get("event") == "server.worker_ready" for e in events) >= count
            return any(
                e.get("event") == "server.workers_replaced" and has_version(e) and int(e.get("workers", 0)) >= count  # type: ignore[call-overload]
                for e in events
            )
        return sum(e.get("event") == "matcher.loaded" and has_version(e) for e in events) >= count

    def wait_loaded(self, count: int, version: str | None = None, timeout_s: float = 300) -> float:
        """Seconds since `started` until `count` workers serve (the `version` of the changed list)."""
        while time.monotonic() - self.started < timeout_s:
            if self.serving(count, version):
                return time.monotonic() - self.started
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited {self.proc.returncode}; see {self.log_path}")
            time.sleep(0.02)
        raise RuntimeError(f"{count} workers not serving after {timeout_s} s; see {self.log_path}")

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


def settle(data: Path, timeout_s: float = 60.0) -> None:
    """Wait until no matcher-cache entry is being written (its writer's pages are no part of the server's size),
    then two seconds more (the text view, replaced workers finishing)."""
    deadline = time.monotonic() + timeout_s
    while any((data / "matcher-cache").glob(".tmp-*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(2.0)


def run_setting(
    env: dict[str, str], data: Path, work: Path, cache: bool, rounds: int, name: str, code: Path = ROOT
) -> dict[str, Any]:
    env = {**env, "SANCTIONS_MATCHER_CACHE": "true" if cache else "false"}
    shutil.rmtree(data / "matcher-cache", ignore_errors=True)
    out: dict[str, Any] = {}
    server = Server(env, work / f"{name}-cold.log", workers=2, code=code)
    try:
        out["cold_s"] = server.wait_loaded(2)
        out["cold_loads"] = server.loads()
        settle(data)
        out["pss_2_mb"] = server.pss_mb()
    finally:
        server.stop()
    out["warm_s"], out["warm_loads"] = [], []
    for r in range(rounds):  # one restart is a noisy figure on a shared machine
        server = Server(env, work / f"{name}-warm-{r}.log", workers=2, code=code)
        try:
            out["warm_s"].append(server.wait_loaded(2))
            out["warm_loads"].append(server.loads())
        finally:
            server.stop()
    server = Server(env, work / f"{name}-change.log", workers=2, code=code)
    store = EmbeddedStore(data)
    times = []
    try:
        server.wait_loaded(2)
        for r in range(rounds):
            time.sleep(1.0)
            version = publish_change(store, r)
            server.started = time.monotonic()
            times.append(server.wait_loaded(2, version))
        settle(data)
        out["pss_2_after_changes_mb"] = server.pss_mb()
    finally:
        server.stop()
        store.close()
    out["change_s"] = times
    server = Server(env, work / f"{name}-one-worker.log", workers=1, code=code)
    store = EmbeddedStore(data)
    try:
        server.wait_loaded(1)
        settle(data)
        out["pss_1_mb"] = server.pss_mb()
        # the one-worker server builds and swaps in the new lists itself while serving: how long until it serves
        # them, and the longest a screening waited meanwhile (the interpreter is held while the state is read)
        out["change_1_s"], out["stall_1_ms"] = [], []
        for r in range(rounds):
            time.sleep(1.0)
            with Screening(server.base) as client:
                version = publish_change(store, 100 + r)
                server.started = time.monotonic()
                out["change_1_s"].append(server.wait_loaded(1, version))
            out["stall_1_ms"].append(client.longest_ms)
    finally:
        server.stop()
        store.close()
    return out


class Screening:
    """One client screening a name over and over in a thread while a list change is picked up (`with`): the longest
    a screening took meanwhile."""

    BODY: ClassVar[dict[str, object]] = {"name": "Aeroflot Cargo Airlines LLC"}

    def __init__(self, base: str) -> None:
        self.url = f"{base}/v1/screen"
        self.longest_ms = 0.0
        self.count = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            t0 = time.perf_counter()
            status, _ = http("POST", self.url, self.BODY, timeout_s=30)
            if status != 200:
                raise RuntimeError(f"screening answered {status} during a list change")
            self.longest_ms = max(self.longest_ms, 1000 * (time.perf_counter() - t0))
            self.count += 1

    def __enter__(self) -> Screening:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        if not self.count:
            raise RuntimeError("no screening completed during the list change")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirror", type=Path, default=MIRROR)
    ap.add_argument("--rounds", type=int, default=3, help="restarts and list changes timed per setting")
    ap.add_argument("--baseline", default=None, help="a commit whose server is measured the same way, for comparison")
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
    base_code: Path | None = None
    results: dict[str, dict[str, Any]] = {}
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
        compiled(ROOT)
        if args.baseline:
            base_code = worktree(args.baseline, work)
            compiled(base_code)
            results[f"{args.baseline}, cache on"] = run_setting(env, data, work, True, args.rounds, "base", base_code)
        results["this code, cache off"] = run_setting(env, data, work, False, args.rounds, "nocache")
        results["this code, cache on"] = run_setting(env, data, work, True, args.rounds, "cache")
    finally:
        if base_code is not None:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base_code)], check=False)
        shutil.rmtree(work, ignore_errors=True)

    def med(v: object) -> float:
        return statistics.median(v) if isinstance(v, list) and v else float("nan")

    names = list(results)
    print("\n`serve --workers 2`, every mirrored list; seconds from start until both workers serve")
    print(f"  {'':<40}" + "".join(f"{n:>26}" for n in names) + "   target")

    def row(label: str, values: list[str], target: str = "") -> None:
        print(f"  {label:<40}" + "".join(f"{v:>26}" for v in values) + f"   {target}")

    row("first start (no cache entry)", [f"{float(r['cold_s']):.1f}" for r in results.values()])
    row(f"restart, median of {args.rounds}", [f"{med(r['warm_s']):.2f}" for r in results.values()], "<= 1 s")
    row(f"list change, median of {args.rounds}", [f"{med(r['change_s']):.2f}" for r in results.values()], "about 1 s")
    row(
        f"list change, 1 worker, median of {args.rounds}",
        [f"{med(r['change_1_s']):.2f}" for r in results.values()],
        "about 1 s",
    )
    row("  longest screening meanwhile (ms)", [f"{max(r['stall_1_ms']):.0f}" for r in results.values()])
    row("PSS, 1 worker (MB)", [f"{float(r['pss_1_mb']):.0f}" for r in results.values()])
    row("PSS, 2 workers (MB)", [f"{float(r['pss_2_mb']):.0f}" for r in results.values()])
    row(
        "  ratio 2 / 1",
        [f"{float(r['pss_2_mb']) / float(r['pss_1_mb']):.2f}x" for r in results.values()],
        "<= 1.3x",
    )
    row(
        "PSS, 2 workers after the changes (MB)", [f"{float(r['pss_2_after_changes_mb']):.0f}" for r in results.values()]
    )
    for name, r in results.items():
        print(f"  {name}: first start loaded {r['cold_loads']}; restarts {[round(t, 2) for t in r['warm_s']]}, loaded"
              f" {'; '.join(r['warm_loads'])}; changes {[round(t, 2) for t in r['change_s']]};"
              f" one worker's changes {[round(t, 2) for t in r['change_1_s']]}, longest screenings"
              f" {[round(t) for t in r['stall_1_ms']]} ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
