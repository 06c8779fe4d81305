"""A fingerprint of everything the matcher answers on the mirrored lists: a speed change must leave it unchanged.

Builds the Matcher from the mirror, screens every golden query (default threshold; limit 10, the API's default, and
limit 50, the evaluation's, which reaches further down the ranking) and compares every labelled pair
(tests/match/pairs.csv) with `Matcher.compare`; prints a SHA-256 over each answer's (entity id, score rounded to 9
places, match, evidence). The golden queries are screened twice, the second time with every cache warm, and the two
passes must agree: a memo that leaked one query's state into another would show there.
Answers do not depend on the process's string hash seed (two replicas have different ones): `--seeds 1,2`
runs the whole fingerprint once per seed, in child processes, and fails when they differ.
`--rebuilt` fingerprints a matcher built from a previous one, as a list change builds it: it must print the same.
Run: python -m bench.results_hash [--mirror DIR] [--seeds 1,2] [--rebuilt]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import EVAL_LIMIT, GOLDEN_CSV, MIRROR, load_snapshots, read_golden, read_pairs
from service.match.matcher import Matcher
from service.model import Evidence, Hit, Query
from service.settings import DEFAULT_THRESHOLD

LIMITS = (10, EVAL_LIMIT)


def _evidence(ev: Sequence[Evidence]) -> tuple[tuple[object, ...], ...]:
    return tuple(
        (e.field, e.query_value, e.list_value, e.method, round(e.score, 9), round(e.weight, 9), e.query_normalized,
         e.list_normalized, e.detail)
        for e in ev
    )  # fmt: skip


def _hits(hits: Sequence[Hit]) -> str:
    return repr([(h.entity_id, round(h.score, 9), h.match, _evidence(h.evidence)) for h in hits])


def screen_digest(matcher: Matcher, queries: Sequence[Query], limit: int) -> str:
    h = hashlib.sha256()
    for q in queries:
        h.update(_hits(matcher.screen(q, threshold=DEFAULT_THRESHOLD, limit=limit)).encode())
        h.update(b"\x1e")
    return h.hexdigest()


def compare_digest(matcher: Matcher) -> str:
    h = hashlib.sha256()
    for p in read_pairs():
        c = matcher.compare(Query(name=p.left), Query(name=p.right), threshold=DEFAULT_THRESHOLD)
        h.update(repr((round(c.score, 9), c.match, _evidence(c.evidence))).encode())
        h.update(b"\x1e")
    return h.hexdigest()


def across_seeds(seeds: Sequence[str], mirror: Path) -> int:
    """The fingerprint under each hash seed, each in a child process; 1 when any two differ."""
    totals = {}
    for seed in seeds:
        out = subprocess.run(
            [sys.executable, "-m", "bench.results_hash", "--mirror", str(mirror)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        totals[seed] = next(line.split()[1] for line in out.splitlines() if line.startswith("ALL"))
        print(f"PYTHONHASHSEED={seed:<6} {totals[seed]}")
    return 0 if len(set(totals.values())) == 1 else 1


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirror", type=Path, default=MIRROR)
    ap.add_argument("--seeds", help="comma-separated hash seeds: compare the fingerprint under each")
    ap.add_argument(
        "--rebuilt",
        action="store_true",
        help="fingerprint a matcher built as a list change builds it: from a previous one (reusing its analysis)",
    )
    args = ap.parse_args(argv)
    if args.seeds:
        return across_seeds(args.seeds.split(","), args.mirror)
    snapshots, _skipped = load_snapshots(args.mirror, strict=True)
    t0 = time.perf_counter()
    matcher = Matcher.build(snapshots)
    if args.rebuilt:
        matcher = Matcher.build(snapshots, previous=matcher)
    print(f"built {len(matcher)} entities in {time.perf_counter() - t0:.2f} s", file=sys.stderr)
    queries = [c.query for c in read_golden(GOLDEN_CSV)]
    parts: dict[str, str] = {}
    for limit in LIMITS:
        cold = screen_digest(matcher, queries, limit)
        warm = screen_digest(matcher, queries, limit)
        if cold != warm:
            print(f"limit {limit}: a second pass answered otherwise than the first ({cold[:12]} / {warm[:12]})")
            return 1
        parts[f"golden@{limit}"] = cold
    parts["pairs"] = compare_digest(matcher)
    for name, digest in parts.items():
        print(f"{name:<10} {digest}")
    total = hashlib.sha256("".join(parts.values()).encode()).hexdigest()
    print(f"{'ALL':<10} {total}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
