"""Throughput of `sanctions check` in local mode: read a generated counterparty file, screen it, render each format.

The file mixes listed parties (primary names, IMO numbers and tail numbers taken from the synced snapshots) with
invented company names; the figures are records per second for reading, screening and rendering, plus the
one-off cost of loading the lists and building the matcher.

    python bench/bench_check.py [--records 2000] [--data-dir DIR] [--mirror ../shared/mirror]
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.check.formats import RENDERERS  # noqa: E402
from service.check.local import LocalScreener  # noqa: E402
from service.check.report import CheckReport, FailOn  # noqa: E402
from service.check.run import CheckOptions, screen_records  # noqa: E402
from service.model import Entity, EntityKind, IdentifierType  # noqa: E402
from service.screening.records import read_file  # noqa: E402
from service.settings import DEFAULT_LISTS_DIR  # noqa: E402
from service.sources.manifest import load_manifests  # noqa: E402
from service.store.base import iter_snapshots  # noqa: E402
from service.store.embedded import EmbeddedStore  # noqa: E402
from service.sync.fetch import Fetcher  # noqa: E402
from service.sync.worker import run_once  # noqa: E402

LISTS = ["us_ofac_sdn", "un_sc_sanctions", "us_ofac_cons"]
WORDS = "Harbour Nordic Granite Meadow Vector Summit Cobalt Willow Atlas Beacon Cedar Falcon Orchard Quartz".split()
SUFFIXES = ["Ltd", "GmbH", "Logistics", "Trading", "Catering", "Shipping AS", "Supplies", "Consulting LLC"]


def sync(data_dir: Path, mirror: Path) -> None:
    store = EmbeddedStore(data_dir)
    try:
        with Fetcher(mirror=str(mirror)) as fetcher:
            run_once(list(load_manifests(DEFAULT_LISTS_DIR, LISTS).values()), store, fetcher)
    finally:
        store.close()


def listed_entities(data_dir: Path) -> list[Entity]:
    store = EmbeddedStore(data_dir)
    try:
        return [e for snap in iter_snapshots(store, sorted(store.all_statuses())) for e in snap.entities]
    finally:
        store.close()


def write_file(path: Path, entities: list[Entity], n: int, listed_share: float, rng: random.Random) -> int:
    rows = []
    listed = 0
    for i in range(n):
        if entities and rng.random() < listed_share:
            e = rng.choice(entities)
            ident = next(
                (x.value for x in e.identifiers if x.type in (IdentifierType.IMO, IdentifierType.TAIL_NUMBER)), ""
            )
            kind = "" if e.kind is EntityKind.UNKNOWN else e.kind.value
            rows.append([f"R{i}", e.name.full, kind, ident])
            listed += 1
        else:
            name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(SUFFIXES)}"
            rows.append([f"R{i}", name, "company", ""])
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "type", "identifier"])
        w.writerows(rows)
    return listed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--listed-share", type=float, default=0.1)
    ap.add_argument("--data-dir", type=Path, default=None, help="an already synced data dir (else sync a temp one)")
    ap.add_argument("--mirror", type=Path, default=ROOT.parent / "shared" / "mirror")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir
        if data_dir is None:
            data_dir = Path(tmp) / "data"
            sync(data_dir, args.mirror)
        t0 = time.perf_counter()
        screener = LocalScreener(data_dir)
        load_s = time.perf_counter() - t0
        entities = sum(li.entities or 0 for li in screener.lists())
        path = Path(tmp) / "counterparties.csv"
        entities_list = listed_entities(data_dir)
        listed = write_file(path, entities_list, args.records, args.listed_share, random.Random(7))

        t0 = time.perf_counter()
        fr = read_file(str(path))
        read_s = time.perf_counter() - t0
        options = CheckOptions(files=(str(path),), min_score=0.8)
        t0 = time.perf_counter()
        results = screen_records([fr], screener, options, None, date.today())
        screen_s = time.perf_counter() - t0
        report = CheckReport(
            results=tuple(results),
            files=(str(path),),
            lists=tuple(screener.lists()),
            min_score=0.8,
            fail_on=FailOn.MATCH,
            mode="local",
            source=str(data_dir),
            generated_at="",
            duration_s=screen_s,
        )
        print(f"lists: {', '.join(li.id for li in screener.lists())} ({entities} entities)")
        print(f"load snapshots + build matcher: {load_s:.2f} s")
        n = len(fr.records)
        print(f"read {n} records (csv): {read_s * 1000:.0f} ms ({n / read_s:,.0f} records/s)")
        print(f"screen: {screen_s:.2f} s ({n / screen_s:,.0f} records/s, {screen_s / n * 1000:.2f} ms/record)")
        print(f"matching records: {len(report.matching)} of {n} ({listed} drawn from the lists)")
        for fmt, render in RENDERERS.items():
            t0 = time.perf_counter()
            text = render(report, cwd=Path(tmp), color=False, width=160)
            print(f"render {fmt:6}: {(time.perf_counter() - t0) * 1000:6.0f} ms, {len(text.encode()) / 1024:8.0f} KiB")


if __name__ == "__main__":
    main()
