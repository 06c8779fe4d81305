"""Sync every list in ../shared/mirror over a loopback HTTP server into a temporary data dir; print fetch, parse,
validate and publish time per list, the total, the cost of a second (unchanged) run, and peak RSS.

    python bench/bench_sync.py [--mirror ../shared/mirror] [--keep DIR]
"""

from __future__ import annotations

import argparse
import functools
import resource
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.settings import DEFAULT_LISTS_DIR  # noqa: E402
from service.sources.manifest import load_manifests  # noqa: E402
from service.store.embedded import EmbeddedStore  # noqa: E402
from service.sync.fetch import Fetcher  # noqa: E402
from service.sync.worker import SyncResult, sync_lists  # noqa: E402


class _QuietHandler(SimpleHTTPRequestHandler):
    # SimpleHTTPRequestHandler sends Last-Modified and answers If-Modified-Since with 304, like a publisher.
    def log_message(self, format: str, *args: object) -> None:
        return


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def report(title: str, results: list[SyncResult], wall_s: float) -> None:
    print(f"\n{title}")
    heads = ("fetch s", "parse s", "valid s")
    print(
        f"{'list':<26}{'status':<11}{'entities':>9}"
        + "".join(f"{h:>9}" for h in heads)
        + f"{'publish s':>10}{'total s':>9}"
    )
    for r in results:
        print(
            f"{r.list_id:<26}{r.status.status.value:<11}{r.status.entities:>9,}{r.fetch_s:>9.2f}{r.parse_s:>9.2f}"
            f"{r.validate_s:>9.2f}{r.publish_s:>10.2f}{r.duration_s:>9.2f}"
        )
        if r.status.error:
            print(f"    error: {r.status.error}")
    print(
        f"{'all':<26}{'':<11}{sum(r.status.entities for r in results):>9,}{sum(r.fetch_s for r in results):>9.2f}"
        f"{sum(r.parse_s for r in results):>9.2f}{sum(r.validate_s for r in results):>9.2f}"
        f"{sum(r.publish_s for r in results):>10.2f}{wall_s:>9.2f}  (wall)"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirror", type=Path, default=ROOT.parent / "shared" / "mirror")
    ap.add_argument("--keep", type=Path, default=None, help="data dir to sync into (kept); default: a temp dir")
    args = ap.parse_args()
    mirror: Path = args.mirror.resolve()
    every = {p.stem for p in DEFAULT_LISTS_DIR.glob("*.toml")}
    ids = sorted(d.name for d in mirror.iterdir() if d.is_dir() and d.name in every)
    manifests = load_manifests(DEFAULT_LISTS_DIR, ids)

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(mirror)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    tmp = tempfile.TemporaryDirectory(prefix="bench-sync-")
    data_dir = args.keep or Path(tmp.name)
    print(f"mirror {mirror} served at {url}; {len(ids)} lists; data dir {data_dir}")

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))  # warnings only
    store = EmbeddedStore(data_dir)
    with Fetcher(mirror=url, timeout_s=30) as fetcher:
        started = time.perf_counter()
        first = sync_lists(manifests.values(), store, fetcher)
        report("first sync (download, parse, validate, publish)", first, time.perf_counter() - started)
        rss_after_first = peak_rss_mb()
        started = time.perf_counter()
        second = sync_lists(manifests.values(), store, fetcher)
        report("second sync (nothing changed: one conditional GET per resource)", second, time.perf_counter() - started)
    store.close()

    reader = EmbeddedStore(data_dir)
    started = time.perf_counter()
    loaded = [reader.load_snapshot(i) for i in ids]
    load_s = time.perf_counter() - started
    n = sum(len(s.entities) for s in loaded if s is not None)
    print(f"\nload every snapshot from a fresh store: {n:,} entities in {load_s:.2f} s")
    sdn = EmbeddedStore(data_dir)
    started = time.perf_counter()
    snap = sdn.load_snapshot("us_ofac_sdn")
    if snap is not None:
        print(f"load us_ofac_sdn alone: {len(snap.entities):,} entities in {time.perf_counter() - started:.2f} s")
    size = sum(p.stat().st_size for p in data_dir.rglob("*") if p.is_file())
    print(f"data dir size: {size / 1e6:.1f} MB")
    print(f"peak RSS: {rss_after_first:.0f} MB after the first sync, {peak_rss_mb():.0f} MB at the end")
    server.shutdown()
    tmp.cleanup()
    return 0 if all(r.is_current for r in first + second) else 1


if __name__ == "__main__":
    raise SystemExit(main())
