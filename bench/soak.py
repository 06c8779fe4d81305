"""Soak: `sanctions serve --workers 2` under a steady mixed load for minutes, with a list update published mid-run.

Copies the mirrored lists into a private mirror folder, syncs them into a fresh data folder (embedded store, or a
private redis-server with --redis), starts the server, and drives real HTTP on loopback from one asyncio process
(httpx, `--concurrency` requests in flight): screen, batch (10 queries), text, compare, lists and audit-record
reads. Halfway through (or `--updates` times, evenly spaced) it swaps the UN file in the mirror for a modified
copy (a new publication date and one renamed person) and asks the server to sync (POST /v1/sync). Prints errors
(anything but 2xx, or a failed request), p50/p99 per request kind, RSS and PSS of every server process sampled
every `--sample-s`, and whether the new version was served. Asserts nothing; exits 1 when any request failed or
the new version never showed.

    python -m bench.soak [--duration-s 600] [--concurrency 32] [--workers 2] [--updates 1] [--redis] [--lists a,b]

The load generator shares the machine with the server: on 2 cores it takes a good part of one, so throughput is
the pair's, not the server's alone. Run it once on a quiet machine for figures to quote.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SANCTIONS_SHARED_DIR", ROOT.parent / "shared"))
SWAP_LIST = "un_sc_sanctions"
SWAP_FILE = "consolidated.xml"
SWAP_STAMP = b'dateGenerated="2026-02-27T00:00:09.554Z"'  # MANIFEST.md: the UN list of 2026-02-27
SWAP_DAY = 9  # the n-th update is published as of 2026-03-(SWAP_DAY + n - 1)
SWAP_NAME = (b"<FIRST_NAME>ERIC</FIRST_NAME>", b"<FIRST_NAME>QUILLFEATHER</FIRST_NAME>")  # UN CDi.001, Eric Badege
SWAP_QUERY = "Quillfeather Badege"
SWAP_ENTITY = "un_sc_sanctions:CDi.001"
# Share of requests per kind: mostly single screenings, as a screening API sees; the rest exercises every route
# that holds memory (batch and text build many results, lists and record reads touch the store).
MIX = {"screen": 50, "batch": 10, "text": 10, "compare": 10, "lists": 10, "record": 10}
BATCH_SIZE = 10
CLIENT_KEEPALIVE_S = 2.0  # below uvicorn's default timeout_keep_alive of 5 s (see `drive`)
# After the mid-run update, memory is compared from this long on: both workers have rebuilt their matcher (about
# 10 s on a busy 2-core machine) and dropped the old one.
SETTLE_S = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def names_from(mirror: Path, n: int = 400) -> list[str]:
    """Half real names from the UN list (hits), half made-up ones (the common, no-hit case)."""
    root = ET.parse(mirror / SWAP_LIST / SWAP_FILE).getroot()
    real = []
    for ind in root.iter("INDIVIDUAL"):
        parts = [ind.findtext(t) or "" for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME")]
        real.append(" ".join(p for p in parts if p).title())
    rng = random.Random(15)
    syllables = ["an", "bel", "cor", "dan", "el", "far", "gus", "hal", "ina", "jor", "kel", "lam", "mor", "nat"]
    fake = [" ".join("".join(rng.choice(syllables) for _ in range(3)).title() for _ in range(2)) for _ in range(n // 2)]
    return [x for pair in zip([r for r in real if r][: n // 2], fake, strict=False) for x in pair]


# --- memory of the server's processes ---------------------------------------------------------------------------


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children[ppid].append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def memory_kb(pid: int) -> tuple[int, int] | None:
    """(RSS, PSS) in kB from smaps_rollup: PSS shares pages between the processes that map them, so the sum of
    the workers' PSS is what the server really costs."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None
    values = {}
    for line in text.splitlines():
        parts = line.split()
        if parts and parts[0] in ("Rss:", "Pss:"):
            values[parts[0]] = int(parts[1])
    return values.get("Rss:", 0), values.get("Pss:", 0)


def role(pid: int, root: int) -> str:
    if pid == root:
        return "parent"
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return f"pid {pid}"
    return ("resource_tracker" if "resource_tracker" in cmd else "worker") + f" {pid}"


@dataclass
class Sampler:
    root: int
    every_s: float
    samples: list[tuple[float, dict[str, tuple[int, int]]]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def sample(self, t: float) -> None:
        snap = {}
        for pid in descendants(self.root):
            mem = memory_kb(pid)
            if mem is not None:
                snap[role(pid, self.root)] = mem
        self.samples.append((t, snap))

    def run(self, started: float) -> None:
        while True:
            self.sample(time.monotonic() - started)
            if self.stop.wait(self.every_s):
                self.sample(time.monotonic() - started)
                return


# --- load ------------------------------------------------------------------------------------------------------


@dataclass
class Load:
    names: list[str]
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    examples: list[str] = field(default_factory=list)
    screening_ids: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def request(self, kind: str, rng: random.Random) -> tuple[str, str, Any]:
        pick = self.names
        if kind == "screen":
            return "POST", "/v1/screen", {"name": rng.choice(pick), "limit": 5}
        if kind == "batch":
            queries = [{"ref": f"q{i}", "name": rng.choice(pick)} for i in range(BATCH_SIZE)]
            return "POST", "/v1/screen/batch", {"queries": queries, "limit": 3}
        if kind == "text":
            a, b = rng.choice(pick), rng.choice(pick)
            text = f"The charter was arranged by {a} on behalf of a client; payment came from {b} via a third bank."
            return "POST", "/v1/screen/text", {"text": text}
        if kind == "compare":
            return "POST", "/v1/compare", {"query": {"name": rng.choice(pick)}, "candidate": {"name": rng.choice(pick)}}
        if kind == "lists":
            return "GET", "/v1/lists", None
        sid = rng.choice(self.screening_ids) if self.screening_ids else "none-yet"
        return "GET", f"/v1/screenings/{sid}", None

    async def worker(self, client: httpx.AsyncClient, deadline: float, seed: int) -> None:
        rng = random.Random(seed)
        kinds, weights = list(MIX), list(MIX.values())
        while time.monotonic() < deadline:
            kind = rng.choices(kinds, weights)[0]
            if kind == "record" and not self.screening_ids:
                kind = "screen"
            method, path, body = self.request(kind, rng)
            started = time.perf_counter()
            try:
                resp = await client.request(method, path, json=body)
                ok = 200 <= resp.status_code < 300
                detail = f"{resp.status_code} {resp.text[:200]}"
            except httpx.HTTPError as exc:
                ok, detail, resp = False, f"{type(exc).__name__}: {exc}", None
            self.latencies[kind].append(time.perf_counter() - started)
            if not ok:
                self.errors[kind] += 1
                if len(self.examples) < 10:
                    self.examples.append(f"{time.monotonic() - self.started:.1f} s: {kind} {path}: {detail}")
            elif kind == "screen" and resp is not None:
                self.screening_ids.append(resp.json()["screening_id"])
                if len(self.screening_ids) > 5000:
                    del self.screening_ids[:2500]


async def drive(base: str, load: Load, concurrency: int, duration_s: float, updates: int, swap: Any) -> None:
    # Idle connections are dropped after 2 s, before uvicorn's keep-alive timeout (5 s) closes them from its side:
    # with equal timeouts a request now and then goes out on a connection the server is closing (a ReadError
    # that says nothing about the server).
    limits = httpx.Limits(
        max_connections=concurrency, max_keepalive_connections=concurrency, keepalive_expiry=CLIENT_KEEPALIVE_S
    )
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60.0) as client:
        deadline = time.monotonic() + duration_s
        tasks = [asyncio.create_task(load.worker(client, deadline, seed)) for seed in range(concurrency)]
        for n in range(1, updates + 1):
            await asyncio.sleep(duration_s / (updates + 1))
            await asyncio.to_thread(swap, n)
        await asyncio.gather(*tasks)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def load_context() -> str:
    one, five, fifteen = os.getloadavg()
    top = subprocess.run(
        ["ps", "-eo", "pcpu,rss,comm", "--sort=-pcpu"], capture_output=True, text=True, check=False
    ).stdout.splitlines()[:6]
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}; busiest processes:\n    " + "\n    ".join(top)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration-s", type=float, default=600.0)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--sample-s", type=float, default=30.0, help="seconds between memory samples")
    ap.add_argument("--updates", type=int, default=1, help="list updates published during the run, evenly spaced")
    ap.add_argument("--mirror", type=Path, default=SHARED / "mirror")
    ap.add_argument("--lists", default="", help="comma-separated list ids (default: every mirrored list)")
    ap.add_argument("--redis", action="store_true", help="the shared Redis store (a private redis-server)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder (logs, data) for a look afterwards")
    args = ap.parse_args()
    if not (args.mirror / SWAP_LIST / SWAP_FILE).is_file():
        print(f"mirror folder {args.mirror} not found (set SANCTIONS_SHARED_DIR)", file=sys.stderr)
        return 2
    lists = [x for x in args.lists.split(",") if x] or sorted(
        p.name for p in args.mirror.iterdir() if p.is_dir() and (ROOT / "lists" / f"{p.name}.toml").is_file()
    )
    if SWAP_LIST not in lists:
        lists.append(SWAP_LIST)

    work = Path(tempfile.mkdtemp(prefix="soak-"))
    mirror = work / "mirror"
    for list_id in lists:
        shutil.copytree(args.mirror / list_id, mirror / list_id)
    original = (mirror / SWAP_LIST / SWAP_FILE).read_bytes()
    if SWAP_STAMP not in original or SWAP_NAME[0] not in original:
        print("the UN file in the mirror is not the one this benchmark modifies (MANIFEST.md)", file=sys.stderr)
        return 2
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANCTIONS_")}
    env.update(
        {
            "SANCTIONS_DATA_DIR": str(work / "data"),
            "SANCTIONS_LISTS": ",".join(lists),
            "SANCTIONS_MIRROR": str(mirror),
            "SANCTIONS_LOG_LEVEL": os.environ.get("SOAK_LOG_LEVEL", "WARNING"),
            "SANCTIONS_SYNC_INTERVAL_S": "86400",  # only the mid-run sync publishes
        }
    )
    redis_proc = None
    server = None
    try:
        if args.redis:
            exe = shutil.which("redis-server")
            if exe is None:
                print("redis-server not installed", file=sys.stderr)
                return 2
            port = free_port()
            redis_proc = subprocess.Popen(
                [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(work)],
                stdout=subprocess.DEVNULL,
            )
            env["SANCTIONS_REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
            time.sleep(0.5)
        print(f"machine: {os.cpu_count()} cores, shared by the load generator and the server (and anything else)")
        print(f"at start: {load_context()}")
        t = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "service", "sync"], env=env, cwd=ROOT, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            print(done.stdout, done.stderr, file=sys.stderr)
            return 1
        print(f"synced {len(lists)} lists in {time.monotonic() - t:.0f} s ({'redis' if args.redis else 'embedded'})")

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = (work / "serve.log").open("wb")
        server = subprocess.Popen(
            [sys.executable, "-m", "service", "serve", "--port", str(port), "--workers", str(args.workers)],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        t = time.monotonic()
        ready = 0
        while ready < 2 * args.workers:  # several answers in a row: every worker has its matcher
            try:
                ready = ready + 1 if httpx.get(f"{base}/readyz", timeout=5).status_code == 200 else 0
            except httpx.HTTPError:
                ready = 0
            if time.monotonic() - t > 600 or server.poll() is not None:
                print(f"server not ready; log in {work / 'serve.log'}", file=sys.stderr)
                args.keep = True
                return 1
            time.sleep(0.2)
        print(f"server ready in {time.monotonic() - t:.0f} s: {args.workers} workers, concurrency {args.concurrency}")

        load = Load(names_from(args.mirror))
        swapped: list[float] = []
        version = ""

        def swap(n: int) -> None:
            nonlocal version
            version = f"2026-03-{SWAP_DAY + n - 1:02d}T00:00:00.000Z"
            changed = original.replace(SWAP_STAMP, f'dateGenerated="{version}"'.encode())
            changed = changed.replace(*SWAP_NAME)
            tmp = mirror / SWAP_LIST / f".{SWAP_FILE}.new"
            tmp.write_bytes(changed)
            os.replace(tmp, mirror / SWAP_LIST / SWAP_FILE)
            swapped.append(time.monotonic() - started)
            code = httpx.post(f"{base}/v1/sync", json={"lists": [SWAP_LIST]}, timeout=30).status_code
            print(f"  {time.monotonic() - started:5.0f} s: swapped the {SWAP_LIST} file, POST /v1/sync -> {code}")

        sampler = Sampler(server.pid, args.sample_s)
        started = time.monotonic()
        sampling = threading.Thread(target=sampler.run, args=(started,), daemon=True)
        sampling.start()
        asyncio.run(drive(base, load, args.concurrency, args.duration_s, args.updates, swap))
        elapsed = time.monotonic() - started
        sampler.stop.set()
        sampling.join(30)

        # Did the new version reach the workers? Ask several times: each answer comes from one worker.
        served = []
        for _ in range(4 * args.workers):
            body = httpx.post(f"{base}/v1/screen", json={"name": SWAP_QUERY, "limit": 3}, timeout=30).json()
            served.append(any(h["entity_id"] == SWAP_ENTITY and h["match"] for h in body.get("hits", [])))
        versions = {x["id"]: x["serving_version"] for x in httpx.get(f"{base}/v1/lists", timeout=30).json()["lists"]}

        total = sum(len(v) for v in load.latencies.values())
        errors = sum(load.errors.values())
        print(f"\n{total} requests in {elapsed:.0f} s ({total / elapsed:.0f}/s), errors {errors}")
        print(f"{'kind':8} {'count':>8} {'errors':>7} {'p50 ms':>8} {'p99 ms':>8}")
        for kind in MIX:
            lat = load.latencies.get(kind, [])
            if lat:
                print(f"{kind:8} {len(lat):8} {load.errors.get(kind, 0):7} {pct(lat, 0.5):8.1f} {pct(lat, 0.99):8.1f}")
        for example in load.examples:
            print(f"  error: {example}")
        print(
            f"mid-run sync: {SWAP_LIST} served as {versions.get(SWAP_LIST)} after the run "
            f"(expected {version}); renamed person found in {sum(served)}/{len(served)} screenings"
        )

        print(f"\nmemory, sampled every {args.sample_s:g} s ({len(sampler.samples)} samples), MB:")
        head = f"{'first':>9} {'last':>7} {'max':>7} {'ratio':>6}"
        print(f"{'process':24} RSS{head}   PSS{head}")
        roles = sorted({r for _, snap in sampler.samples for r in snap})
        rows = {r: [snap[r] for _, snap in sampler.samples if r in snap] for r in roles}
        rows["total"] = [
            (sum(v[0] for v in snap.values()), sum(v[1] for v in snap.values())) for _, snap in sampler.samples
        ]
        for name, values in rows.items():
            rss = [v[0] / 1024 for v in values]
            pss = [v[1] / 1024 for v in values]
            if not rss or not rss[0] or not pss[0]:
                continue
            print(
                f"{name:24}    {rss[0]:9.0f} {rss[-1]:7.0f} {max(rss):7.0f} {rss[-1] / rss[0]:6.2f}   "
                f"   {pss[0]:9.0f} {pss[-1]:7.0f} {max(pss):7.0f} {pss[-1] / pss[0]:6.2f}"
            )
        times = [t for t, _ in sampler.samples]
        pss_total = [v[1] / 1024 for v in rows["total"]]
        series = " ".join(f"{t:.0f}:{v:.0f}" for t, v in zip(times, pss_total, strict=True))
        print(f"PSS total per sample (s:MB): {series}")
        # The list update builds a second matcher while the first one serves: the allocator keeps part of that
        # high-water mark. So flatness is judged on each side of the update as well as over the whole run.
        marks = [0.0, *swapped, float("inf")]
        for i in range(len(marks) - 1):
            settled = marks[i] + (SETTLE_S if i else 0.0)
            part = [v for t, v in zip(times, pss_total, strict=True) if settled <= t <= marks[i + 1]]
            label = f"after update {i} settled" if i else "before the first update"
            if len(part) > 1:
                print(f"PSS total {label}: {part[0]:.0f} -> {part[-1]:.0f} MB, ratio {part[-1] / part[0]:.3f}")
        print(f"\nat end: {load_context()}")
        out = ROOT / "bench" / "out"
        out.mkdir(exist_ok=True)
        report = {
            "duration_s": elapsed,
            "requests": total,
            "errors": dict(load.errors),
            "latency_ms": {
                k: {"count": len(v), "p50": pct(v, 0.5), "p99": pct(v, 0.99)} for k, v in load.latencies.items() if v
            },
            "memory_kb": [{"t": t, **{k: list(v) for k, v in snap.items()}} for t, snap in sampler.samples],
            "swap_served": versions.get(SWAP_LIST) == version and all(served),
        }
        (out / f"soak-{int(time.time())}.json").write_text(json.dumps(report, indent=1))
        return 0 if errors == 0 and report["swap_served"] else 1
    finally:
        if server is not None and server.poll() is None:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait(10)
        if args.keep:
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
