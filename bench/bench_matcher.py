"""Matcher performance with every mirrored list loaded: index build time, p50/p99 latency of one screening (a mix
of golden queries), batch throughput, RSS, and in the same run a brute-force rapidfuzz scan over all names as the
baseline; then the same on a synthetic corpus `--scale` times larger, to show how latency and memory grow.
Run: python -m bench.bench_matcher [--scale 10] [--baseline-queries 300]
Each corpus is measured in its own child process so that RSS figures do not mix.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import pickle
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import rapidfuzz
from rapidfuzz import fuzz, process, utils

from bench.common import GOLDEN_CSV, MIRROR, all_entities, load_snapshots, read_golden
from service.match import text
from service.match.matcher import Matcher
from service.model import Query
from service.settings import DEFAULT_THRESHOLD
from service.store.encoding import decode_snapshot, encode_snapshot

SEED = 11
WARMUP = 200  # screenings before timing: first-touch costs (caches, lazy tables) are not steady state
LIMIT = 10  # hits per screening, the API's default
AIMS = {"p50_ms": 1.0, "p99_ms": 5.0, "batch_per_s": 5000, "build_s": 10.0, "rss_mb": 400, "growth_10x": 3.0}

_SHARED: dict[str, Matcher] = {}  # the built matcher, inherited by forked batch workers (copy-on-write)


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident set size of this process in MB, from /proc."""
    cur = peak = 0.0
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    cur = int(line.split()[1]) / 1024
                elif line.startswith("VmHWM:"):
                    peak = int(line.split()[1]) / 1024
    except OSError:
        pass
    return cur, peak


def machine() -> dict[str, Any]:
    model = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            model = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), model)
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "rapidfuzz": rapidfuzz.__version__,
        "load_avg": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    i = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[i]


def golden_queries() -> list[Query]:
    """Every golden query (names, identifiers, names with birth dates...), in a fixed shuffled order."""
    queries = [c.query for c in read_golden(GOLDEN_CSV)]
    random.Random(SEED).shuffle(queries)
    return queries


def time_queries(matcher: Matcher, queries: Sequence[Query]) -> list[float]:
    out = []
    for q in queries:
        t0 = time.perf_counter()
        matcher.screen(q, threshold=DEFAULT_THRESHOLD, limit=LIMIT)
        out.append(time.perf_counter() - t0)
    return out


def _batch_worker(chunk: Sequence[Query]) -> int:
    matcher = _SHARED["matcher"]
    for q in chunk:
        matcher.screen(q, threshold=DEFAULT_THRESHOLD, limit=LIMIT)
    return len(chunk)


def batch_throughput(matcher: Matcher, queries: Sequence[Query], workers: int) -> float:
    """Screenings per second: in this process for workers=1, else forked processes sharing the built index."""
    if workers == 1:
        t0 = time.perf_counter()
        _ = [matcher.screen(q, threshold=DEFAULT_THRESHOLD, limit=LIMIT) for q in queries]
        return len(queries) / (time.perf_counter() - t0)
    _SHARED["matcher"] = matcher
    import multiprocessing

    chunks = [queries[i::workers] for i in range(workers)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
        list(pool.map(_batch_worker, [c[:10] for c in chunks]))  # start the workers before timing
        t0 = time.perf_counter()
        done = sum(pool.map(_batch_worker, chunks))
        return done / (time.perf_counter() - t0)


def brute_force(names: list[str], queries: Sequence[Query], n: int) -> dict[str, float]:
    """The naive alternative: rapidfuzz WRatio of the query against every name, best 10 kept. Choices are
    pre-processed once, as a careful brute-force implementation would."""
    choices = [utils.default_process(s) for s in names]
    name_queries = [q.name for q in queries if q.name][:n]
    times = []
    for name in name_queries:
        t0 = time.perf_counter()
        process.extract(utils.default_process(name), choices, scorer=fuzz.WRatio, processor=None, limit=LIMIT)
        times.append(time.perf_counter() - t0)
    return {
        "queries": len(times),
        "p50_ms": 1000 * statistics.median(times),
        "p99_ms": 1000 * percentile(times, 0.99),
    }


def child(corpus: str, scale: int, baseline_queries: int, mirror: Path) -> dict[str, Any]:
    """Measure one corpus in this process; returns the figures (printed as JSON by the caller)."""
    log = sys.stderr
    rss_start, _ = rss_mb()
    t0 = time.perf_counter()
    snapshots, skipped = load_snapshots(mirror, strict=True)
    parse_s = time.perf_counter() - t0
    real = all_entities(snapshots)
    if corpus == "synthetic":
        from bench.synth import synthetic_snapshot

        t0 = time.perf_counter()
        snapshots.append(synthetic_snapshot(real, scale))
        print(f"[{corpus}] synthesized {len(snapshots[-1].entities)} entities in {time.perf_counter() - t0:.1f} s",
              file=log)  # fmt: skip
    # as a server gets them: through the store's snapshot encoding (orjson), not straight from the parsers
    snapshots = [decode_snapshot(encode_snapshot(s)) for s in snapshots]
    entities = all_entities(snapshots)
    names = [n.full for e in entities for n in e.all_names()]
    gc.collect()
    rss_data, _ = rss_mb()
    print(f"[{corpus}] {len(entities)} entities, {len(names)} names; building the matcher...", file=log)
    t0 = time.perf_counter()
    matcher = Matcher.build(snapshots)
    build_s = time.perf_counter() - t0
    # as the composition roots do after a build: the index is millions of long-lived objects, and a full collection
    # scanning them would land in some screening now and then
    gc.collect()
    gc.freeze()
    rss_built, _ = rss_mb()
    restart = measure_restart(matcher, corpus)

    queries = golden_queries()
    time_queries(matcher, queries[:WARMUP])
    lat = time_queries(matcher, queries)
    name_lat = [t for t, q in zip(lat, queries, strict=True) if q.name]
    _, peak_after = rss_mb()
    print(f"[{corpus}] timed {len(lat)} screenings; batch throughput...", file=log)
    batch1 = batch_throughput(matcher, queries, 1)
    batch2 = batch_throughput(matcher, queries, 2)
    print(f"[{corpus}] brute-force baseline over {len(names)} names ({baseline_queries} queries)...", file=log)
    base = brute_force(names, queries, baseline_queries)
    # as a server builds (runtime.build_state): the index and its text view, the view in a forked child while the
    # index is built (Matcher.build), with the collector off, as in the server's builder child
    # (service/screening/builder.py); above, `build_s` is the index alone, the collector on (as a process that
    # builds in place, and pays a collection of every object the build made once the collector is on again: 0.55 s
    # at ten times the lists), and `view_s` the view after it
    print(f"[{corpus}] building again as a server does, with the text view...", file=log)
    del matcher
    gc.collect()
    gc.disable()
    t0 = time.perf_counter()
    Matcher.build(snapshots, views=(text.TEXT_VIEW,))
    server_build_s = time.perf_counter() - t0
    gc.enable()
    return {
        "corpus": corpus,
        "entities": len(entities),
        "names": len(names),
        "parse_s": parse_s,
        "build_s": build_s,
        "server_build_s": server_build_s,
        "queries": len(lat),
        "mean_ms": 1000 * statistics.fmean(lat),
        "p50_ms": 1000 * statistics.median(lat),
        "p90_ms": 1000 * percentile(lat, 0.90),
        "p99_ms": 1000 * percentile(lat, 0.99),
        "max_ms": 1000 * max(lat),
        "name_p50_ms": 1000 * statistics.median(name_lat),
        "name_p99_ms": 1000 * percentile(name_lat, 0.99),
        "batch1_per_s": batch1,
        "batch2_per_s": batch2,
        "rss_start_mb": rss_start,
        "rss_entities_mb": rss_data,
        "rss_built_mb": rss_built,
        "rss_peak_mb": peak_after,
        "index_mb": rss_built - rss_data,
        "baseline": base,
        "restart": restart,
        "skipped": skipped,
    }


def measure_restart(matcher: Matcher, corpus: str) -> dict[str, Any]:
    """What a restarted server costs: the built matcher with its text view pickled as the matcher cache keeps them,
    then loaded by a fresh process (`--load`), which reports its load time and RSS before and after serving the
    golden queries. Unlike rss_built, this RSS holds no garbage of parsing and building: it is what a serving
    process carries."""
    t0 = time.perf_counter()
    text.prepare(matcher)  # as the server does before it serves: the view is part of the entry
    view_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "matcher.pickle"
        t0 = time.perf_counter()
        with path.open("wb") as fh:
            pickle.dump(matcher, fh, protocol=pickle.HIGHEST_PROTOCOL)
        dump_s = time.perf_counter() - t0
        print(f"[{corpus}] pickled the matcher ({path.stat().st_size / 1e6:.0f} MB); loading it in a new process...",
              file=sys.stderr)  # fmt: skip
        root = Path(__file__).resolve().parent.parent
        cmd = [sys.executable, "-m", "bench.bench_matcher", "--load", str(path)]
        proc = subprocess.run(cmd, cwd=root, stdout=subprocess.PIPE, text=True, check=True)
        out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
        out["dump_s"] = dump_s
        out["view_s"] = view_s
        out["pickle_mb"] = path.stat().st_size / 1e6
        return out


def load_child(path: Path) -> dict[str, Any]:
    """In a fresh process: load a pickled matcher, then serve the golden queries, with RSS at each step."""
    rss_start, _ = rss_mb()
    t0 = time.perf_counter()
    gc.disable()  # as the matcher cache loads an entry (collector_paused)
    with path.open("rb") as fh:
        matcher = pickle.load(fh)
    gc.enable()
    load_s = time.perf_counter() - t0
    gc.collect()
    gc.freeze()
    rss_loaded, _ = rss_mb()
    queries = golden_queries()
    lat = time_queries(matcher, queries)
    rss_served, _ = rss_mb()
    return {
        "load_s": load_s,
        "rss_start_mb": rss_start,
        "rss_loaded_mb": rss_loaded,
        "rss_served_mb": rss_served,
        "p50_ms": 1000 * statistics.median(lat),
        # every golden query screened once by a process whose memos (token similarities, neighbours, analyses) are
        # as empty as a restarted server's: nearer a batch of names never seen than `batch1_per_s`, which is timed
        # after the same queries were screened twice
        "first_sight_per_s": len(lat) / sum(lat),
    }


def run_child(corpus: str, args: argparse.Namespace) -> dict[str, Any] | None:
    cmd = [sys.executable, "-m", "bench.bench_matcher", "--child", corpus, "--scale", str(args.scale),
           "--baseline-queries", str(args.baseline_queries if corpus == "real" else args.baseline_queries_scaled),
           "--mirror", str(args.mirror)]  # fmt: skip
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run(cmd, cwd=root, stdout=subprocess.PIPE, text=True, check=False)
    if proc.returncode != 0:
        print(f"\n== {corpus}: the measuring process failed (exit {proc.returncode}); see its error above")
        return None
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def report(r: dict[str, Any]) -> None:
    b = r["baseline"]
    print(f"\n== {r['corpus']}: {r['entities']:,} entities, {r['names']:,} names")
    print(f"  parse lists            {r['parse_s']:8.2f} s")
    print(f"  index build            {r['build_s']:8.2f} s     (aim <= {AIMS['build_s']:.0f} s for the real lists)")
    print(
        f"  screening latency      mean {r['mean_ms']:.3f} ms  p50 {r['p50_ms']:.3f} ms  p90 {r['p90_ms']:.3f} ms  "
        f"p99 {r['p99_ms']:.3f} ms  max {r['max_ms']:.1f} ms over {r['queries']} golden queries "
        "(aim p50 <= 1 ms, p99 <= 5 ms)"
    )
    print(f"  name queries only      p50 {r['name_p50_ms']:.3f} ms  p99 {r['name_p99_ms']:.3f} ms")
    print(f"  batch throughput       {r['batch1_per_s']:,.0f} names/s in 1 process, {r['batch2_per_s']:,.0f} names/s "
          f"in 2 forked processes (aim >= 5,000); names seen for the first time (memos empty, as after a restart): "
          f"{r['restart']['first_sight_per_s']:,.0f} names/s in 1 process")  # fmt: skip
    print(f"  RSS                    {r['rss_built_mb']:.0f} MB after build (entities loaded {r['rss_entities_mb']:.0f}"
          f" MB, index +{r['index_mb']:.0f} MB), peak {r['rss_peak_mb']:.0f} MB (aim <= 400 MB)")  # fmt: skip
    rs = r["restart"]
    print(f"  text view              built in {rs['view_s']:.2f} s")
    if "server_build_s" in r:
        print(f"  a server's first build {r['server_build_s']:8.2f} s     (the index and its text view, the view in a "
              f"child beside the index, the collector off as in the server's builder child; one after the other, "
              f"the collector on: {r['build_s'] + rs['view_s']:.2f} s)")  # fmt: skip
    print(f"  restart from a pickle  {rs['pickle_mb']:.0f} MB written in {rs['dump_s']:.2f} s, loaded in "
          f"{rs['load_s']:.2f} s; RSS {rs['rss_start_mb']:.0f} MB after imports, {rs['rss_loaded_mb']:.0f} MB "
          f"loaded, {rs['rss_served_mb']:.0f} MB after serving the golden queries once (p50 {rs['p50_ms']:.3f} ms "
          "cold)")  # fmt: skip
    print(f"  brute-force WRatio     p50 {b['p50_ms']:.1f} ms  p99 {b['p99_ms']:.1f} ms over {b['queries']} name "
          f"queries: {b['p50_ms'] / r['name_p50_ms']:.0f}x the matcher's p50")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=10, help="synthetic corpus size as a multiple of the real lists")
    ap.add_argument("--baseline-queries", type=int, default=100, help="brute-force scans on the real lists")
    ap.add_argument("--baseline-queries-scaled", type=int, default=20, help="brute-force scans on the big corpus")
    ap.add_argument("--skip-synthetic", action="store_true")
    ap.add_argument("--mirror", type=Path, default=MIRROR)
    ap.add_argument("--child", choices=["real", "synthetic"], help=argparse.SUPPRESS)
    ap.add_argument("--load", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.load:
        print(json.dumps(load_child(args.load)))
        return 0
    if args.child:
        print(json.dumps(child(args.child, args.scale, args.baseline_queries, args.mirror)))
        return 0

    m = machine()
    print(f"machine: {m['nproc']} CPUs ({m['usable_cpus']} usable), {m['cpu']}; Python {m['python']}, "
          f"rapidfuzz {m['rapidfuzz']}; load average {m['load_avg']}")  # fmt: skip
    print("figures are medians/percentiles of one run on a shared machine: treat them as noisy")
    real = run_child("real", args)
    if real is None:
        return 1
    report(real)
    if args.skip_synthetic:
        return 0
    syn = run_child("synthetic", args)
    if syn is None:
        return 1
    report(syn)
    growth = syn["entities"] / real["entities"]
    print(f"\n== growth at {growth:.1f}x the entities")
    print(f"  build time   {syn['build_s'] / real['build_s']:.1f}x")
    print(f"  latency p50  {syn['p50_ms'] / real['p50_ms']:.2f}x   p99 {syn['p99_ms'] / real['p99_ms']:.2f}x   "
          f"(aim <= {AIMS['growth_10x']:.0f}x)")  # fmt: skip
    print(f"  throughput   {syn['batch1_per_s'] / real['batch1_per_s']:.2f}x (1 process)")
    print(f"  RSS          {syn['rss_built_mb'] / real['rss_built_mb']:.1f}x ({real['rss_built_mb']:.0f} -> "
          f"{syn['rss_built_mb']:.0f} MB); index alone {syn['index_mb'] / max(real['index_mb'], 1):.1f}x")  # fmt: skip
    print(f"  served RSS   {syn['restart']['rss_served_mb'] / real['restart']['rss_served_mb']:.1f}x "
          f"({real['restart']['rss_served_mb']:.0f} -> {syn['restart']['rss_served_mb']:.0f} MB, loaded from a "
          "pickle)")  # fmt: skip
    print(f"  brute force  p50 {syn['baseline']['p50_ms'] / real['baseline']['p50_ms']:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
