"""Evaluate the Matcher on tests/match/golden.csv with every mirrored list loaded: recall, top-1 accuracy and
false-positive rate at the default threshold, per variation, kind and list; a threshold sweep; failing cases
written to bench/out/ for inspection.
Run: python -m bench.eval_matcher [--threshold T] [--no-sweep] [--mirror DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    EVAL_LIMIT,
    GOLDEN_CSV,
    MIRROR,
    OUT_DIR,
    Outcome,
    load_snapshots,
    pct,
    print_tallies,
    read_golden,
    run_cases,
    tally,
)
from service.match.matcher import Matcher
from service.settings import DEFAULT_THRESHOLD

SWEEP = (0.60, 0.65, 0.70, 0.75, 0.80, 0.85, 0.90, 0.95)
AIM_RECALL, AIM_FPR = 0.98, 0.01  # the matcher issue's targets
SWEEP_FLOOR = min(SWEEP)


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "service"], capture_output=True, text=True, check=False
        ).stdout
        return out.stdout.strip() + (" + uncommitted changes under service/" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def sweep(outcomes: Sequence[Outcome]) -> list[tuple[float, float, float, float]]:
    """(threshold, recall, top-1 among recalled, FPR) at each threshold, from scores screened at the lowest one."""
    rows = []
    for t in SWEEP:
        pos = [o for o in outcomes if o.case.is_positive]
        neg = [o for o in outcomes if not o.case.is_positive]
        rec = sum(1 for o in pos if (h := o.expected_hit) is not None and h.score >= t) / max(len(pos), 1)
        top = sum(1 for o in pos if o.top1 and o.hits[0].score >= t) / max(len(pos), 1)
        fpr = sum(1 for o in neg if any(h.score >= t for h in o.hits)) / max(len(neg), 1)
        rows.append((t, rec, top, fpr))
    return rows


def write_failures(outcomes: Sequence[Outcome], out_dir: Path) -> Path:
    """Failing cases as CSV (one line each) and JSONL (with the top hits and their evidence)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    failed = [o for o in outcomes if not o.ok()]
    csv_path = out_dir / "golden_failures.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["case_id", "variation", "kind", "query_name", "query_identifiers", "expected_entity_id",
                    "expected_score", "expected_rank", "top_entity_id", "top_name", "top_score", "source_value",
                    "note"])  # fmt: skip
        for o in failed:
            exp = o.expected_hit
            rank = next((i + 1 for i, h in enumerate(o.hits) if h is exp), "")
            top = o.hits[0] if o.hits else None
            w.writerow(
                [
                    o.case.case_id,
                    o.case.variation,
                    o.case.kind,
                    o.case.query.name or "",
                    "|".join(o.case.query.identifiers),
                    o.case.expected_entity_id,
                    f"{exp.score:.3f}" if exp else "",
                    rank,
                    top.entity_id if top else "",
                    top.name if top else "",
                    f"{top.score:.3f}" if top else "",
                    o.case.source_value,
                    o.case.note,
                ]
            )
    with (out_dir / "golden_failures.jsonl").open("w", encoding="utf-8") as fh:
        for o in failed:
            record = {
                "case_id": o.case.case_id,
                "variation": o.case.variation,
                "query": {
                    "name": o.case.query.name,
                    "kind": o.case.query.kind,
                    "identifiers": o.case.query.identifiers,
                    "birth_date": o.case.query.birth_date,
                    "countries": o.case.query.countries,
                },
                "expected_entity_id": o.case.expected_entity_id,
                "source_value": o.case.source_value,
                "note": o.case.note,
                "hits": [
                    {
                        "entity_id": h.entity_id,
                        "name": h.name,
                        "score": round(h.score, 4),
                        "match": h.match,
                        "evidence": [
                            {k: getattr(ev, k) for k in ("field", "query_value", "list_value", "method", "score",
                                                          "weight", "query_normalized", "list_normalized", "detail")}
                            for ev in h.evidence
                        ],
                    }
                    for h in o.hits[:5]
                ],
            }  # fmt: skip
            fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    return csv_path


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirror", type=Path, default=MIRROR)
    ap.add_argument("--golden", type=Path, default=GOLDEN_CSV)
    ap.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    ap.add_argument("--no-sweep", action="store_true", help="skip the threshold sweep (a second pass)")
    ap.add_argument("--out", type=Path, default=OUT_DIR)
    args = ap.parse_args(argv)

    print(f"commit {git_commit()}; threshold {args.threshold} (service.settings.DEFAULT_THRESHOLD={DEFAULT_THRESHOLD})")
    t0 = time.perf_counter()
    snapshots, skipped = load_snapshots(args.mirror, strict=True)
    parse_s = time.perf_counter() - t0
    for note in skipped:
        print(f"warning: list left out: {note}", file=sys.stderr)
    t0 = time.perf_counter()
    matcher = Matcher.build(snapshots)
    build_s = time.perf_counter() - t0
    counts = ", ".join(f"{s.list_id}={len(s.entities)}" for s in snapshots)
    print(f"parsed {len(matcher)} entities in {parse_s:.1f} s ({counts}); matcher built in {build_s:.2f} s")

    cases = read_golden(args.golden)
    t0 = time.perf_counter()
    outcomes = run_cases(matcher, cases, threshold=args.threshold, limit=EVAL_LIMIT)
    run_s = time.perf_counter() - t0
    print(f"screened {len(cases)} golden cases in {run_s:.2f} s ({1000 * run_s / max(len(cases), 1):.2f} ms each)")

    print_tallies("per variation (recall/top-1 on positives, FPR on negatives)", tally(outcomes, "variation"))
    print_tallies("per kind", tally(outcomes, "kind"))
    by_list = {}
    for o in outcomes:
        if o.case.is_positive:
            by_list.setdefault(o.case.expected_entity_id.split(":")[0], []).append(o)
    print(f"\n{'per list (positives)':<24} {'n':>5} {'recall%':>8} {'top1%':>8}")
    for lid, os_ in sorted(by_list.items()):
        t = tally(os_)["ALL"]
        print(f"{lid:<24} {t.positives:>5} {pct(t.recall):>8} {pct(t.top1_rate):>8}")

    overall = tally(outcomes)["ALL"]
    verdict = (
        "MEETS"
        if (overall.recall or 0) >= AIM_RECALL and (overall.fpr if overall.fpr is not None else 1) <= AIM_FPR
        else "BELOW"
    )
    print(
        f"\nOVERALL recall {pct(overall.recall).strip()} % (aim >= {100 * AIM_RECALL:.0f}), top-1 "
        f"{pct(overall.top1_rate).strip()} %, FPR {pct(overall.fpr).strip()} % (aim <= {100 * AIM_FPR:.0f}): {verdict}"
    )

    path = write_failures(outcomes, args.out)
    print(f"{len(overall.failures)} failing cases written to {path} (+ .jsonl with top hits and evidence)")

    if not args.no_sweep:
        low = run_cases(matcher, cases, threshold=SWEEP_FLOOR, limit=EVAL_LIMIT)
        print(f"\nthreshold sweep (screened at {SWEEP_FLOOR}; recall/top-1 over positives, FPR over negatives)")
        print(f"{'threshold':>9} {'recall%':>8} {'top1%':>8} {'FPR%':>8}")
        for t, rec, top, fpr in sweep(low):
            mark = "  <- default" if abs(t - DEFAULT_THRESHOLD) < 1e-9 else ""
            print(f"{t:>9.2f} {pct(rec):>8} {pct(top):>8} {pct(fpr):>8}{mark}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
