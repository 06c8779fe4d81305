"""Throughput of 1 vs 2 `sanctions serve` replicas sharing one Redis, and list-change propagation time.

Starts its own redis-server on a free port, syncs the real lists from the mirror folder into it with
`sanctions sync`, then drives POST /v1/screen on loopback with a bounded load (wrk when installed, else a
Python client) against one replica, then two, and publishes a modified snapshot to time how long until every
replica serves it. Prints figures, asserts nothing. All traffic stays on 127.0.0.1.

    python bench/bench_replicas.py [--duration 10] [--connections 8] [--mirror ../shared/mirror]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.model import Entity, EntityKind, ListStatus, Name, SyncState  # noqa: E402
from service.store.redis_ import RedisStore  # noqa: E402

PROPAGATION_LIST = "un_sc_sanctions"
WRK_SCRIPT = """
local bodies = {}
for line in io.lines(os.getenv("BENCH_BODIES")) do bodies[#bodies + 1] = line end
local i = math.random(#bodies)
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", "/v1/screen", {["Content-Type"] = "application/json"}, bodies[i])
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http(
    method: str, url: str, body: dict[str, object] | None = None, timeout_s: float = 10
) -> tuple[int, dict[str, Any]]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")
    except OSError:
        return 0, {}


def wait_ready(base: str, timeout_s: float = 300) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        status, _ = http("GET", f"{base}/readyz", timeout_s=2)
        if status == 200:
            return time.monotonic() - started
        time.sleep(0.1)
    raise RuntimeError(f"{base} not ready after {timeout_s} s")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def query_bodies(mirror: Path, n: int = 400) -> list[str]:
    """Half real names from the UN list in the mirror (hits), half made-up names (the common, no-hit case)."""
    root = ET.parse(mirror / "un_sc_sanctions" / "consolidated.xml").getroot()
    names = []
    for ind in root.iter("INDIVIDUAL"):
        parts = [ind.findtext(t) or "" for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME")]
        names.append(" ".join(p for p in parts if p).title())
    for ent in root.iter("ENTITY"):
        names.append((ent.findtext("FIRST_NAME") or "").title())
    real = [x for x in names if x][: n // 2]
    rng = secrets.SystemRandom()
    syllables = ["an", "bel", "cor", "dan", "el", "far", "gus", "hal", "ina", "jor", "kel", "lam", "mor", "nat"]
    fake = [" ".join("".join(rng.choice(syllables) for _ in range(3)).title() for _ in range(2)) for _ in range(n // 2)]
    return [json.dumps({"name": name, "limit": 5}) for pair in zip(real, fake, strict=False) for name in pair]


def load_wrk(ports: list[int], bodies_file: Path, duration_s: float, connections: int) -> dict[str, float]:
    script = bodies_file.with_suffix(".lua")
    script.write_text(WRK_SCRIPT)
    env = {**os.environ, "BENCH_BODIES": str(bodies_file)}
    per = max(1, connections // len(ports))
    procs = [
        subprocess.Popen(
            [
                "wrk",
                "-t1",
                f"-c{per}",
                f"-d{int(duration_s)}s",
                "--latency",
                "-s",
                str(script),
                f"http://127.0.0.1:{p}",
            ],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for p in ports
    ]
    total = errors = 0.0
    p50s = []
    for proc in procs:
        out, _ = proc.communicate(timeout=duration_s + 60)
        for line in out.splitlines():
            words = line.split()
            if line.strip().startswith("Requests/sec:"):
                total += float(words[1])
            elif "Non-2xx" in line:
                errors += float(words[-1])
            elif words[:1] == ["50%"]:
                p50s.append(_ms(words[1]))
    return {"rps": total, "errors": errors, "p50_ms": statistics.mean(p50s) if p50s else float("nan")}


def _ms(value: str) -> float:
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if value.endswith(unit):
            return float(value[: -len(unit)]) * factor
    return float(value)


def load_python(ports: list[int], bodies: list[str], duration_s: float, connections: int) -> dict[str, float]:
    """Fallback load generator: one keep-alive connection per thread, round-robin over the replicas."""
    import http.client

    deadline = time.monotonic() + duration_s
    counts: list[int] = []
    errors: list[int] = []
    latencies: list[float] = []
    lock = threading.Lock()

    def run(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", ports[k % len(ports)], timeout=30)
        done = bad = 0
        lat = []
        i = k
        while time.monotonic() < deadline:
            i += 1
            t = time.perf_counter()
            conn.request("POST", "/v1/screen", bodies[i % len(bodies)], {"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            lat.append(time.perf_counter() - t)
            done += 1
            bad += resp.status != 200
        with lock:
            counts.append(done)
            errors.append(bad)
            latencies.extend(lat)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(connections)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    return {
        "rps": sum(counts) / elapsed,
        "errors": float(sum(errors)),
        "p50_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
    }


class Replica:
    """A real `sanctions serve` process (with `workers` worker processes), its output in `<log_dir>/<name>.log`."""

    def __init__(self, env: dict[str, str], log_dir: Path, name: str, workers: int = 1, *, code: Path = ROOT) -> None:
        """`code`: the checkout whose `service` package runs (a worktree of an earlier commit for a baseline)."""
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"{name}.log"
        self.log = self.log_path.open("wb")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "service", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
            + (["--workers", str(workers)] if workers > 1 else []),
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=code,  # `python -m service` imports the package of the working directory first
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def rebuild_times(replica: Replica) -> list[float]:
    """build_s of each matcher.loaded event in the replica's JSON log."""
    replica.log.flush()
    out = []
    for line in replica.log_path.read_text(errors="replace").splitlines():
        if '"matcher.loaded"' in line:
            try:
                out.append(float(json.loads(line)["build_s"]))
            except (ValueError, KeyError):
                continue
    return out


def propagation(store: RedisStore, replicas: list[Replica], rounds: int) -> list[float]:
    """Seconds from publishing a modified snapshot to the last replica answering with the new entity."""
    base = store.load_snapshot(PROPAGATION_LIST)
    if base is None:
        raise RuntimeError(f"{PROPAGATION_LIST} is not in the store")
    status = store.get_status(PROPAGATION_LIST) or ListStatus(id=PROPAGATION_LIST)
    times = []
    for r in range(rounds):
        token = "".join(secrets.choice("BCDFGHKLMNPRSTVZ") for _ in range(10))
        name = f"Zorbanex {token} Quillfeather"
        entity = Entity(
            id=f"{PROPAGATION_LIST}:BENCH.{r}", list_id=PROPAGATION_LIST, kind=EntityKind.PERSON, name=Name(name)
        )
        version = f"{base.version}+bench{r}"
        snap = replace(base, version=version, entities=(*base.entities, entity))
        new_status = replace(status, version=version, entities=len(snap.entities), status=SyncState.OK)
        started = time.monotonic()
        store.publish(snap, {}, new_status, None)
        pending = {rep.port: rep for rep in replicas}
        while pending and time.monotonic() - started < 60:
            for port, rep in list(pending.items()):
                code, body = http("POST", f"{rep.base}/v1/screen", {"name": name, "limit": 1}, timeout_s=5)
                if code == 200 and any(h["entity_id"] == entity.id for h in body.get("hits", [])):
                    del pending[port]
            time.sleep(0.01)
        if pending:
            raise RuntimeError(f"replicas on {sorted(pending)} never served version {version}")
        times.append(time.monotonic() - started)
        time.sleep(0.5)
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirror", type=Path, default=ROOT.parent / "shared" / "mirror")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds of load per phase")
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=5, help="list changes timed")
    ap.add_argument("--python-load", action="store_true", help="use the Python load generator even if wrk exists")
    args = ap.parse_args()
    if not (args.mirror / "un_sc_sanctions").is_dir():
        print(f"mirror folder {args.mirror} not found", file=sys.stderr)
        return 2
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        print("redis-server not installed (apt-get install redis-server)", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="bench-replicas-"))
    redis_port = free_port()
    redis_proc = subprocess.Popen(
        [redis_server, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--dir", str(work)],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{redis_port}/0"
    env = {
        **os.environ,
        "SANCTIONS_REDIS_URL": url,
        "SANCTIONS_DATA_DIR": str(work / "data"),
        "SANCTIONS_SYNC_ON_START": "false",
        "SANCTIONS_LOG_LEVEL": "INFO",  # the replicas' matcher.loaded events give the rebuild times
        "SANCTIONS_LOG_JSON": "true",
    }
    replicas: list[Replica] = []
    try:
        store = RedisStore(url)
        for _ in range(100):
            if store.ping():
                break
            time.sleep(0.05)
        print(f"machine: {os.cpu_count()} cores (load generator, replicas and Redis share them: figures are noisy)")
        started = time.monotonic()
        sync = subprocess.run(
            [sys.executable, "-m", "service", "sync"],
            check=False,
            env={**env, "SANCTIONS_MIRROR": str(args.mirror.resolve())},
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=600,
        )
        print(f"sync from mirror into Redis: {time.monotonic() - started:.1f} s (exit {sync.returncode})")
        if sync.returncode not in (0, 1):
            print(sync.stdout, sync.stderr, file=sys.stderr)
            return 1
        # Every replica below starts with SANCTIONS_MIRROR pointing nowhere: it can only load from Redis.
        env["SANCTIONS_MIRROR"] = "http://127.0.0.1:9/unreachable"
        bodies = query_bodies(args.mirror)
        bodies_file = work / "bodies.jsonl"
        bodies_file.write_text("\n".join(bodies) + "\n")
        use_wrk = shutil.which("wrk") is not None and not args.python_load
        print(
            f"load: {'wrk' if use_wrk else 'python'}, {args.connections} connections, {args.duration:.0f} s per phase"
        )

        def load(ports: list[int]) -> dict[str, float]:
            warm = load_python(ports, bodies, 1.0, 2)  # first requests pay lazy initialisation
            del warm
            if use_wrk:
                return load_wrk(ports, bodies_file, args.duration, args.connections)
            return load_python(ports, bodies, args.duration, args.connections)

        replicas.append(Replica(env, work, "replica1"))
        ready = wait_ready(replicas[0].base)
        print(f"replica 1 ready in {ready:.1f} s; RSS {rss_mb(replicas[0].proc.pid):.0f} MB")
        one = load([replicas[0].port])
        print(f"1 replica : {one['rps']:8.1f} req/s  p50 {one['p50_ms']:.1f} ms  non-200 {one['errors']:.0f}")

        replicas.append(Replica(env, work, "replica2"))
        ready = wait_ready(replicas[1].base)
        print(f"replica 2 ready in {ready:.1f} s (from Redis, no download); RSS {rss_mb(replicas[1].proc.pid):.0f} MB")
        two = load([r.port for r in replicas])
        print(f"2 replicas: {two['rps']:8.1f} req/s  p50 {two['p50_ms']:.1f} ms  non-200 {two['errors']:.0f}")
        print(f"ratio 2/1 : {two['rps'] / one['rps']:.2f}x")

        times = propagation(store, replicas, args.rounds)
        print(
            f"list change -> every replica serving it: median {statistics.median(times):.2f} s, "
            f"max {max(times):.2f} s over {len(times)} changes ({', '.join(f'{t:.2f}' for t in times)})"
        )
        builds = [b for rep in replicas for b in rebuild_times(rep)[-len(times) :]]
        if builds:
            print(f"  of which the matcher rebuild (every list, per replica): median {statistics.median(builds):.2f} s")
        for i, rep in enumerate(replicas, 1):
            print(f"replica {i} RSS after the run: {rss_mb(rep.proc.pid):.0f} MB")
        return 0
    finally:
        for rep in replicas:
            rep.stop()
        redis_proc.terminate()
        redis_proc.wait(10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
