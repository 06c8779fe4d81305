"""HTTP API under load: a real `sanctions serve` and a load generator on loopback.

Prints requests/s and p50/p99 latency of POST /v1/screen at concurrency 1, 16 and 64 (a rotating mix of listed
names, near misses and invented names, with an API key, audit records written as in production), and at 16 on a
second mix where half the requests are short names in Chinese characters, Arabic script or their romanizations (as
real traffic has; issue 11 asks for both mixes), then four batches of names the server has never screened (the
golden queries), then the time of one 1,000-query batch and of four in flight. The load generator is wrk when
installed (`apt-get install wrk`), else an asyncio httpx client; either shares the machine's cores with the server,
so the figures are a floor.

    python -m bench.bench_api [--workers 2] [--duration 10] [--data-dir DIR] [--lists un_sc_sanctions,...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `service` and `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench.common import MIRROR, OUT_DIR, ROOT
from bench.soak import descendants, memory_kb

KEY = "bench-key"
LISTS = ["us_ofac_sdn", "un_sc_sanctions", "us_ofac_cons", "eu_fsf", "gb_fcdo_sanctions", "au_dfat_sanctions"]
QUERIES: list[dict[str, Any]] = [
    {"name": "Ayman al-Zawahiri"},
    {"name": "Nicolas Maduro Moros", "birth_date": "1962-11-23", "type": "person"},
    {"name": "Olympia", "type": "vessel"},
    {"identifiers": ["IMO 1006960"]},
    {"name": "EP-GOM", "type": "aircraft"},
    {"name": "Harbour Nordic Logistics GmbH", "type": "organization"},
    {"name": "Maria Jensen", "birth_date": "1984-02-11"},
    {"name": "Banco Nacional de Cuba"},
    {"name": "Vladimir Vladimirovich Putin", "countries": ["RU"]},
    {"name": "Granite Meadow Trading Ltd"},
    {"name": "Mohammad Hassan Akhund"},
    {"name": "Cedar Falcon Consulting LLC"},
]
# Issue 11 asks for the HTTP figure on a second mix too: real traffic has short names in Chinese characters and in
# Arabic script (and their romanizations), which reach many listed names each. Interleaved with QUERIES, half and half.
SCRIPT_QUERIES: list[dict[str, Any]] = [
    {"name": "王伟"},
    {"name": "محمد علي"},
    {"name": "Li Na", "type": "person"},
    {"name": "علي حسن"},
    {"name": "张敏"},
    {"name": "احمد محمود", "countries": ["IQ"]},
    {"name": "陈静"},
    {"name": "حسين"},
    {"name": "Wang Jun"},
    {"name": "عبد الله"},
    {"name": "刘洋", "type": "person"},
    {"name": "Иван Петров"},
]
MIXED_QUERIES = [q for pair in zip(QUERIES, SCRIPT_QUERIES, strict=True) for q in pair]
CONCURRENCY = (1, 16, 64)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _sync(data_dir: Path, mirror: Path, lists: list[str]) -> list[str]:
    from service.settings import DEFAULT_LISTS_DIR
    from service.sources.manifest import load_manifests
    from service.store.embedded import EmbeddedStore
    from service.sync.fetch import Fetcher
    from service.sync.worker import run_once

    store = EmbeddedStore(data_dir)
    try:
        with Fetcher(mirror=str(mirror)) as fetcher:
            results = run_once(list(load_manifests(DEFAULT_LISTS_DIR, lists).values()), store, fetcher) or []
    finally:
        store.close()
    return [r.list_id for r in results if r.is_current]


def _start(
    data_dir: Path, lists: list[str], port: int, workers: int, log_path: Path, code: Path = ROOT
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SANCTIONS_DATA_DIR": str(data_dir),
        "SANCTIONS_LISTS": ",".join(lists),
        "SANCTIONS_API_KEYS": KEY,
        "SANCTIONS_SYNC_ON_START": "false",
        "SANCTIONS_LOG_JSON": "true",
    }
    cmd = [sys.executable, "-m", "service", "serve", "--port", str(port), "--workers", str(workers)]
    # `python -m service` imports the package of its working directory: a worktree's for a baseline
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log_path.open("wb"), cwd=code)


def _wait_ready(base: str, proc: subprocess.Popen[bytes], workers: int, timeout_s: float = 300.0) -> dict[str, Any]:
    """Ready when /readyz answers 200 several times in a row (a baseline's uvicorn workers each load their own
    matcher, so one answering is not both)."""
    deadline = time.monotonic() + timeout_s
    streak = 0
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            r = httpx.get(f"{base}/readyz", timeout=2.0)
            streak = streak + 1 if r.status_code == 200 else 0
            if streak >= 4 * workers:
                body: dict[str, Any] = r.json()
                return body
        except httpx.TransportError:
            streak = 0
        time.sleep(0.25)
    raise SystemExit("server not ready in time")


_WRK_SCRIPT = """
local bodies = {BODIES}
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {KEY}"
request = function()
  i = i % #bodies + 1
  return wrk.format(nil, "/v1/screen", nil, bodies[i])
end
"""


def _wrk_script(path: Path, queries: list[dict[str, Any]]) -> Path:
    """wrk's Lua script sending `queries` in turn, written to `path`."""
    bodies = "{" + ", ".join(json.dumps(json.dumps(q)) for q in queries) + "}"
    path.write_text(_WRK_SCRIPT.replace("{BODIES}", bodies).replace("{KEY}", KEY))
    return path


def _wrk(base: str, concurrency: int, duration_s: float, script: Path) -> dict[str, float]:
    cmd = [
        "wrk",
        "-t1",  # one generator thread: leaves the cores to the server
        f"-c{concurrency}",
        f"-d{int(duration_s)}s",
        "--latency",
        "--timeout",
        "10s",
        "-s",
        str(script),
        base,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout

    def latency_ms(label: str) -> float:
        m = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        if m is None:
            raise RuntimeError(f"no {label} latency in wrk output:\n{out}")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    total = re.search(r"(\d+) requests in", out)
    return {
        "requests": float(total.group(1)) if total else 0.0,
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50_ms": latency_ms("50%"),
        "p99_ms": latency_ms("99%"),
        "errors": float(non2xx.group(1)) if non2xx else 0.0,
    }


async def _httpx_load(
    base: str,
    concurrency: int,
    duration_s: float,
    max_requests: int = 200_000,
    queries: list[dict[str, Any]] = QUERIES,
) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + duration_s
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10.0) as client:

        async def worker(offset: int) -> None:
            nonlocal errors
            i = offset
            while time.perf_counter() < deadline and len(latencies) < max_requests:
                body = queries[i % len(queries)]
                i += 1
                started = time.perf_counter()
                r = await client.post("/v1/screen", json=body, headers={"Authorization": f"Bearer {KEY}"})
                latencies.append(time.perf_counter() - started)
                errors += r.status_code != 200

        started = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": float(len(latencies)),
        "rps": len(latencies) / elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "errors": float(errors),
    }


def _batch_times(base: str, repeats: int = 3) -> tuple[float, int]:
    queries = [{"ref": f"r{i}", **QUERIES[i % len(QUERIES)]} for i in range(1000)]
    times = []
    hits = 0
    with httpx.Client(base_url=base, timeout=300.0) as client:
        for _ in range(repeats):
            started = time.perf_counter()
            r = client.post("/v1/screen/batch", json={"queries": queries}, headers={"X-API-Key": KEY})
            times.append(time.perf_counter() - started)
            r.raise_for_status()
            hits = sum(len(x["hits"]) for x in r.json()["results"])
    return statistics.median(times), hits


def _first_sight_batches(in_flight: int = 4, size: int = 1000) -> list[list[dict[str, Any]]]:
    """`in_flight` batches of golden queries, none repeated: names a server that was sent only QUERIES has never
    screened, as a customer's list is (the other batch figures repeat QUERIES, which the matcher's memos then hold)."""
    from bench.common import GOLDEN_CSV, read_golden
    from service.screening.wire import query_to_dict

    parties = []
    for i, case in enumerate(read_golden(GOLDEN_CSV)):
        body = {k: v for k, v in query_to_dict(case.query).items() if v not in (None, [], "any")}
        if body.get("name") or body.get("identifiers"):
            parties.append({"ref": f"g{i}", **body})
    per = min(size, len(parties) // in_flight)
    return [parties[k * per : (k + 1) * per] for k in range(in_flight)]


def _batches_in_flight(
    base: str,
    *,
    staggered: bool,
    in_flight: int = 4,
    rounds: int = 8,
    batches: list[list[dict[str, Any]]] | None = None,
) -> float:
    """Names/s of 1,000-query batches sent `in_flight` at a time over as many connections (the issue's figure).

    Where the connections land decides it. uvicorn's own workers shared one listening socket, and the worker that
    woke first accepted every connection of a burst, so `in_flight` connections opened at once usually all went to
    one worker; under the supervisor each worker has a socket of its own (SO_REUSEPORT) and the kernel spreads
    connections by a hash of their addresses. `staggered` opens them one after another (each with a request).
    Where four connections land is a draw (two and two, three and one, or four on one worker), so the rate is over
    `rounds` of them: with three, two runs of the same code differed by a fifth. `batches`: what each connection
    sends (one round), instead of QUERIES repeated."""
    queries = [{"ref": f"r{i}", **QUERIES[i % len(QUERIES)]} for i in range(1000)]
    sent = batches if batches is not None else [queries] * in_flight
    headers = {"X-API-Key": KEY}

    async def one_round() -> float:
        clients = [httpx.AsyncClient(base_url=base, timeout=300.0, headers=headers) for _ in range(in_flight)]
        try:
            if staggered:
                for c in clients:
                    (await c.get("/healthz")).raise_for_status()
                    await asyncio.sleep(0.05)

            async def one(c: httpx.AsyncClient, batch: list[dict[str, Any]]) -> None:
                (await c.post("/v1/screen/batch", json={"queries": batch})).raise_for_status()

            started = time.perf_counter()
            await asyncio.gather(*(one(c, batch) for c, batch in zip(clients, sent, strict=True)))
            return time.perf_counter() - started
        finally:
            for c in clients:
                await c.aclose()

    async def run() -> float:
        # new connections each round: where a set of connections lands varies, and a round shows one placement
        elapsed = [await one_round() for _ in range(rounds if batches is None else 1)]
        return len(elapsed) * sum(map(len, sent)) / sum(elapsed)

    return asyncio.run(run())


def _idle_share(window_s: float = 1.0) -> float:
    """The share of the machine's CPU time left idle over `window_s` (/proc/stat; 1.0 where it cannot be read)."""

    def times() -> tuple[int, int]:
        with open("/proc/stat") as fh:
            fields = [int(x) for x in fh.readline().split()[1:]]
        return fields[3] + fields[4], sum(fields)  # idle + iowait, all

    try:
        idle0, all0 = times()
        time.sleep(window_s)
        idle1, all1 = times()
    except (OSError, ValueError, IndexError):
        return 1.0
    return (idle1 - idle0) / max(1, all1 - all0)


def _wait_idle(least: float = 0.9, timeout_s: float = 60.0) -> float:
    """Wait until the cores are idle (`least` of their time over a second) before a half is measured, at most
    `timeout_s`; returns the last idle share. The load average lags by a minute: after the baseline's half it still
    reads 3 or more while the cores have long been idle, so it cannot say whether the second half starts on a quiet
    machine."""
    deadline = time.monotonic() + timeout_s
    idle = _idle_share()
    while idle < least and time.monotonic() < deadline:
        idle = _idle_share()
    return idle


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], check=False, capture_output=True, text=True, cwd=ROOT
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "service"], check=False, capture_output=True, text=True, cwd=ROOT
        )
        return out.stdout.strip() + (" (+ uncommitted changes in service/)" if dirty.stdout.strip() else "")
    except OSError:
        return "unknown"


def _pss_mb(pid: int) -> float:
    """PSS of the server's processes summed (pages shared between them counted once in all)."""
    total = 0
    for p in descendants(pid):
        mem = memory_kb(p)
        total += mem[1] if mem else 0
    return total / 1024


def measure(
    code: Path, label: str, args: argparse.Namespace, data_dir: Path, lists: list[str], tmp: Path
) -> dict[str, Any]:
    """Every figure of one server (the code of `code`), started fresh on `data_dir`."""
    log_path = OUT_DIR / f"bench_api_server_{label}.log"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    use_wrk = args.generator == "wrk" or (args.generator == "auto" and shutil.which("wrk") is not None)
    proc = _start(data_dir, lists, port, args.workers, log_path, code)
    results: dict[str, Any] = {"label": label}
    try:
        ready = _wait_ready(base, proc, args.workers)
        time.sleep(3.0)  # a cache entry being written, the text view being built
        idle = _wait_idle()
        print(
            f"\n== {label}: {args.workers} worker process(es), {ready['entities']} entities in {len(ready['lists'])} "
            f"lists; generator: {'wrk (1 thread)' if use_wrk else 'httpx asyncio'}; cores idle before: "
            f"{idle:.0%} (load average {os.getloadavg()[0]:.2f})",
            flush=True,
        )
        results["pss_ready_mb"] = _pss_mb(proc.pid)

        def load(queries: list[dict[str, Any]], script: Path, concurrency: int, duration_s: float) -> dict[str, float]:
            if use_wrk:
                return _wrk(base, concurrency, duration_s, script)
            return asyncio.run(_httpx_load(base, concurrency, duration_s, queries=queries))

        def row(concurrency: int, r: dict[str, float], note: str = "") -> None:
            print(
                f"{concurrency:>11} {int(r['requests']):>9} {r['rps']:>8.0f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} "
                f"{int(r['errors']):>8}{note}",
                flush=True,
            )

        script = _wrk_script(tmp / "screen.lua", QUERIES)
        load(QUERIES, script, 4, 2.0)  # warm-up: first requests fill caches and the connection pools
        print(f"{'concurrency':>11} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-200':>8}")
        for c in CONCURRENCY:
            results[f"c{c}"] = r = load(QUERIES, script, c, args.duration)
            row(c, r)
        print("target (issue 11, --workers 2): at 16, >= 1,000 req/s with p99 <= 40 ms")
        mixed = _wrk_script(tmp / "screen_mixed.lua", MIXED_QUERIES)
        load(MIXED_QUERIES, mixed, 4, 2.0)  # the same warm-up as the first mix's
        results["c16_mixed"] = r = load(MIXED_QUERIES, mixed, 16, args.duration)
        row(16, r, "  with short Chinese and Arabic names in half the requests (same target)")
        # first, while the golden names are new to this server (only QUERIES were sent so far)
        rate = _batches_in_flight(base, staggered=True, batches=_first_sight_batches())
        results["batch_4_in_flight_first_sight_names_per_s"] = rate
        print(f"four batches of names never sent before (golden queries), in flight at once: {rate:,.0f} names/s")
        batch_s, hits = _batch_times(base)
        results["batch_1000_s"] = batch_s
        print(f"one 1,000-query batch: {batch_s:.2f} s (median of 3; {hits} hits)")
        for staggered in (False, True):
            rate = _batches_in_flight(base, staggered=staggered)
            how = "opened one after another" if staggered else "opened at once"
            results[f"batch_4_in_flight_{'staggered' if staggered else 'burst'}_names_per_s"] = rate
            print(f"1,000-query batches, 4 in flight, connections {how}: {rate:,.0f} names/s (target >= 5,000)")
        results["pss_loaded_mb"] = _pss_mb(proc.pid)
        print(
            f"PSS of the server's processes: {results['pss_ready_mb']:.0f} MB when ready, "
            f"{results['pss_loaded_mb']:.0f} MB after the load above"
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="worker processes")
    p.add_argument("--duration", type=float, default=10.0, help="seconds per concurrency level")
    p.add_argument("--data-dir", type=Path, default=None, help="a synced data folder (default: sync the mirror)")
    p.add_argument("--mirror", type=Path, default=MIRROR)
    p.add_argument("--lists", default=",".join(LISTS))
    p.add_argument("--generator", choices=["auto", "wrk", "httpx"], default="auto")
    p.add_argument("--baseline", default=None, help="a commit whose server is measured first, in the same run")
    args = p.parse_args(argv)

    lists = [x for x in args.lists.split(",") if x]
    tmp = Path(tempfile.mkdtemp(prefix="bench-api-"))
    data_dir = args.data_dir or tmp / "data"
    if args.data_dir is None:
        print(f"syncing {', '.join(lists)} from {args.mirror} ...", flush=True)
        lists = _sync(data_dir, args.mirror, lists)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    print(f"commit {_commit()}; {os.cpu_count()} cores (shared: figures are noisy)")
    runs: list[dict[str, Any]] = []
    base_code: Path | None = None
    try:
        if args.baseline:
            base_code = tmp / f"baseline-{args.baseline}"
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base_code), args.baseline],
                check=True,
                capture_output=True,
            )
            runs.append(measure(base_code, f"baseline {args.baseline}", args, data_dir, lists, tmp))
        runs.append(measure(ROOT, "this code", args, data_dir, lists, tmp))
    finally:
        if base_code is not None:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base_code)], check=False)
        shutil.rmtree(tmp, ignore_errors=True)
    if len(runs) == 2:
        old, new = runs
        print(f"\nthis code against baseline {args.baseline}, same run:")
        for key in ("c1", "c16", "c64", "c16_mixed"):
            n, o = new[key], old[key]
            print(
                f"  {key}: {n['rps']:.0f} vs {o['rps']:.0f} req/s ({n['rps'] / o['rps']:.2f}x), "
                f"p99 {n['p99_ms']:.1f} vs {o['p99_ms']:.1f} ms"
            )
        for key in (
            "batch_4_in_flight_first_sight_names_per_s",
            "batch_4_in_flight_burst_names_per_s",
            "batch_4_in_flight_staggered_names_per_s",
        ):
            print(f"  {key}: {new[key]:,.0f} vs {old[key]:,.0f} ({new[key] / old[key]:.2f}x)")
        print(f"  PSS after load: {new['pss_loaded_mb']:.0f} vs {old['pss_loaded_mb']:.0f} MB")
    (OUT_DIR / "bench_api.json").write_text(json.dumps({"workers": args.workers, "commit": _commit(), "runs": runs}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
