"""Evaluate the Matcher with every mirrored list loaded, beside the matcher issue's targets:
  - tests/match/golden.csv, each split apart: recall, top-1 and false-alarm rate at the default threshold, per
    variation, kind and list (the tuning part is for tuning; the held-out part only judges);
  - tests/match/pairs.csv: pairwise precision, recall and F1 of `Matcher.compare`, per split and class;
  - clean names from the names-dataset package (an optional extra, bench/clean_names.py): false-alarm rate by country.
Failing cases are written to bench/out/ for the TUNING part only: held-out and names-dataset results are aggregates,
so that nobody tunes on them by looking at individual failures.
Run: python -m bench.eval_matcher [--threshold T] [--no-sweep] [--no-clean-names] [--mirror DIR]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import clean_names
from bench.clean_names import CleanName
from bench.common import (
    EVAL_LIMIT,
    GOLDEN_CSV,
    HELDOUT,
    MIRROR,
    OUT_DIR,
    PAIRS_CSV,
    SPLITS,
    TUNE,
    LabelledPair,
    Outcome,
    all_entities,
    load_snapshots,
    pct,
    print_tallies,
    read_golden,
    read_pairs,
    run_cases,
    tally,
)
from service.match.matcher import Matcher
from service.model import EntityKind, Query, Snapshot
from service.normalize.scripts import detect_script
from service.settings import DEFAULT_THRESHOLD

SWEEP = (0.60, 0.65, 0.70, 0.75, 0.80, 0.85, 0.90, 0.95)
SWEEP_FLOOR = min(SWEEP)
# The matcher issue's targets, judged on the held-out split and the independent clean names.
AIM_RECALL = 0.99
AIM_FPR = 0.005
AIM_FPR_LISTED_SURNAME = 0.02
AIM_FPR_PINYIN = 0.01
AIM_PAIR_F1 = 0.88
# Golden variations that are the "listed surname, different given name" and "invented pinyin" families.
LISTED_SURNAME = ("neg_hard_surname", "neg_listed_surname")
CHECK_VERSION = "collision-v2"  # bench.make_golden's collision test (v2: names in an abjad by their consonants)
PINYIN = ("neg_pinyin",)


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
    pos = [o for o in outcomes if o.case.is_positive]
    neg = [o for o in outcomes if not o.case.is_positive]
    for t in SWEEP:
        rec = sum(1 for o in pos if (h := o.expected_hit) is not None and h.score >= t) / max(len(pos), 1)
        top = sum(1 for o in pos if o.top1 and o.hits[0].score >= t) / max(len(pos), 1)
        fpr = sum(1 for o in neg if any(h.score >= t for h in o.hits)) / max(len(neg), 1)
        rows.append((t, rec, top, fpr))
    return rows


def write_failures(outcomes: Sequence[Outcome], out_dir: Path) -> Path:
    """Failing TUNING cases as CSV (one line each) and JSONL (with the top hits and their evidence)."""
    failed = [o for o in outcomes if not o.ok() and o.case.split == TUNE]
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
                "query": {"name": o.case.query.name, "kind": o.case.query.kind,
                          "identifiers": o.case.query.identifiers, "birth_date": o.case.query.birth_date,
                          "countries": o.case.query.countries},
                "expected_entity_id": o.case.expected_entity_id,
                "source_value": o.case.source_value,
                "note": o.case.note,
                "hits": [
                    {"entity_id": h.entity_id, "name": h.name, "score": round(h.score, 4), "match": h.match,
                     "evidence": [{k: getattr(ev, k) for k in ("field", "query_value", "list_value", "method", "score",
                                                              "weight", "query_normalized", "list_normalized",
                                                              "detail")} for ev in h.evidence]}
                    for h in o.hits[:5]
                ],
            }  # fmt: skip
            fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    return csv_path


# --- pairs -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PairOutcome:
    pair: LabelledPair
    score: float
    match: bool


def run_pairs(matcher: Matcher, pairs: Sequence[LabelledPair], threshold: float) -> list[PairOutcome]:
    out = []
    for p in pairs:
        kind = EntityKind(p.kind) if p.kind else None
        c = matcher.compare(Query(name=p.left, kind=kind), Query(name=p.right, kind=kind), threshold=threshold)
        out.append(PairOutcome(p, c.score, c.match))
    return out


def f1(outcomes: Sequence[PairOutcome]) -> tuple[float, float, float, int]:
    """(precision, recall, F1, pairs) of `match` against the labels."""
    tp = sum(1 for o in outcomes if o.match and o.pair.label)
    fp = sum(1 for o in outcomes if o.match and not o.pair.label)
    fn = sum(1 for o in outcomes if not o.match and o.pair.label)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f, len(outcomes)


def print_pairs(outcomes: Sequence[PairOutcome]) -> dict[str, float]:
    print(f"\npairwise compare() on {PAIRS_CSV.name} (positives: share matched; negatives: share wrongly matched)")
    classes = sorted({(o.pair.label, o.pair.cls) for o in outcomes}, key=lambda x: (not x[0], x[1]))
    print(f"{'class':<24} {'label':<9}" + "".join(f" {s + ' n':>9} {s + ' %':>9}" for s in SPLITS))
    for label, cls in classes:
        row = f"{cls:<24} {'match' if label else 'no_match':<9}"
        for s in SPLITS:
            os_ = [o for o in outcomes if o.pair.cls == cls and o.pair.split == s]
            row += f" {len(os_):>9} {pct(sum(o.match for o in os_) / len(os_) if os_ else None):>9}"
        print(row)
    figures = {}
    for s in SPLITS:
        p, r, f, n = f1([o for o in outcomes if o.pair.split == s])
        figures[s] = f
        print(f"{s:<9} pairs {n:>5}: precision {p:.3f}, recall {r:.3f}, F1 {f:.3f} (target >= {AIM_PAIR_F1})")
    return figures


def write_pair_failures(outcomes: Sequence[PairOutcome], out_dir: Path) -> Path:
    path = out_dir / "pair_failures.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["pair_id", "class", "label", "score", "left", "right", "note"])
        for o in outcomes:
            if o.pair.split == TUNE and o.match != o.pair.label:
                w.writerow([o.pair.pair_id, o.pair.cls, o.pair.label, f"{o.score:.3f}", o.pair.left, o.pair.right,
                            o.pair.note])  # fmt: skip
    return path


def party_recall(outcomes: Sequence[Outcome]) -> float | None:
    """Recall as the matcher issue counts it, an accepted entity among the matches: for `script_to_latin` cases the
    entry that carries the script name is the same party as the expected Latin-only one, and is accepted too."""
    pos = [o for o in outcomes if o.case.is_positive]
    if not pos:
        return None
    found = 0
    for o in pos:
        accepted = {o.case.expected_entity_id}
        m = _SOURCE_ENTITY.search(o.case.note) if o.case.variation == "script_to_latin" else None
        if m:
            accepted.add(m.group(1))
        found += any(h.match and h.entity_id in accepted for h in o.hits)
    return found / len(pos)


_SOURCE_ENTITY = re.compile(r"name of (\S+?);")


def script_twins(
    matcher: Matcher, snapshots: Sequence[Snapshot], cases: Sequence[object], threshold: float, out_dir: Path
) -> dict[str, float | None]:
    """The wider script-to-Latin development set (bench/script_twins.py): recall per split and script; misses of
    the tuning part written to bench/out/script_twin_failures.csv."""
    from bench.script_twins import script_twin_cases

    exclude = {(c.query.name, c.expected_entity_id) for c in cases}  # type: ignore[attr-defined]
    twin_cases = script_twin_cases(all_entities(snapshots), exclude)
    outcomes = run_cases(matcher, twin_cases, threshold=threshold, limit=EVAL_LIMIT)
    per_split = {f"{s} {k}": v for s in SPLITS for k, v in tally(o for o in outcomes if o.case.split == s).items()}
    print_tallies("script names against the same party's Latin-only entry, wider set (recall per script)", per_split)
    with (out_dir / "script_twin_failures.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["query", "expected_entity_id", "expected_name", "expected_score", "top_name", "note"])
        for o in outcomes:
            if o.case.split == TUNE and not o.ok():
                exp, top = o.expected_hit, (o.hits[0] if o.hits else None)
                w.writerow([o.case.query.name, o.case.expected_entity_id, o.case.source_value,
                            f"{exp.score:.3f}" if exp else "", top.name if top else "", o.case.note])  # fmt: skip
    return {s: tally(o for o in outcomes if o.case.split == s)["ALL"].recall for s in SPLITS}


# --- independent clean names -------------------------------------------------------------------------------------


def clean_name_rates(matcher: Matcher, snapshots: Sequence[Snapshot], threshold: float) -> tuple[int, int] | None:
    """Screen the names-dataset sample; print the false-alarm rate by country. (flagged, screened) or None."""
    try:
        names = clean_names.sample()
    except clean_names.MissingExtra as exc:
        print(f"\nclean names from names-dataset: SKIPPED ({exc})")
        return None
    kept = checked_clean_names(names, snapshots)
    by_country: dict[str, list[bool]] = defaultdict(list)
    by_script: dict[str, list[bool]] = defaultdict(list)
    for n in kept:
        hits = matcher.screen(Query(name=n.name), threshold=threshold, limit=5)
        flagged = any(h.match for h in hits)
        by_country[n.country].append(flagged)
        by_script[detect_script(n.name)].append(flagged)
    flagged_all = sum(sum(v) for v in by_country.values())
    total = sum(len(v) for v in by_country.values())
    print(f"\nclean names from names-dataset ({total} screened of {len(names)} sampled; the rest are, or could be, "
          f"listed names): false-alarm rate by country")  # fmt: skip
    rows = sorted(by_country.items(), key=lambda kv: (-sum(kv[1]) / len(kv[1]), kv[0]))
    cells = [f"{cc} {100 * sum(v) / len(v):5.1f}" for cc, v in rows]
    for i in range(0, len(cells), 8):
        print("  " + "   ".join(cells[i : i + 8]))
    scripts = ", ".join(f"{k} {100 * sum(v) / len(v):.2f} % of {len(v)}" for k, v in sorted(by_script.items()))
    print(f"  by script: {scripts}")
    return flagged_all, total


def checked_clean_names(names: Sequence[CleanName], snapshots: Sequence[Snapshot]) -> list[CleanName]:
    """The names no list carries: each checked by bench.make_golden's collision test (every meaningful token has
    a similar token in one listed name, or a listed name of two words or more is covered). Cached in bench/out."""
    from bench.make_golden import Corpus  # builds on the golden set's generator; imported only when needed

    versions = "|".join([CHECK_VERSION, *(f"{s.list_id}={s.version}" for s in snapshots)])
    digest = hashlib.sha256("\n".join([versions, *(f"{n.country}:{n.name}" for n in names)]).encode())
    cache = OUT_DIR / f"clean_names_checked_{digest.hexdigest()[:10]}.csv"
    if cache.exists():
        with cache.open(encoding="utf-8", newline="") as fh:
            return [CleanName(r["country"], r["name"]) for r in csv.DictReader(fh)]
    corpus = Corpus(all_entities(snapshots))
    kept = [n for n in names if corpus.collision(n.name) is None]
    clean_names.write(kept, cache)
    return kept


# --- main ------------------------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirror", type=Path, default=MIRROR)
    ap.add_argument("--golden", type=Path, default=GOLDEN_CSV)
    ap.add_argument("--pairs", type=Path, default=PAIRS_CSV)
    ap.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    ap.add_argument("--no-sweep", action="store_true", help="skip the threshold sweep (a second pass)")
    ap.add_argument("--no-clean-names", action="store_true", help="skip the names-dataset sample")
    ap.add_argument("--out", type=Path, default=OUT_DIR)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)  # every writer below puts its failures there (a fresh clone has none)

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
    print(f"screened {len(cases)} golden cases in {run_s:.2f} s ({1000 * run_s / max(len(cases), 1):.2f} ms each); "
          f"splits {dict(Counter(c.split for c in cases))}")  # fmt: skip

    by_split = {s: [o for o in outcomes if o.case.split == s] for s in SPLITS}
    for s in SPLITS:
        print_tallies(f"[{s}] per variation (recall/top-1 on positives, FPR on negatives)", tally(by_split[s]))
    print_tallies(f"[{HELDOUT}] per kind", tally(by_split[HELDOUT], "kind"))
    print(f"\n{'per list (positives)':<24}" + "".join(f" {s + ' n':>10} {'recall%':>8} {'top1%':>8}" for s in SPLITS))
    lists = sorted({o.case.expected_entity_id.split(":")[0] for o in outcomes if o.case.is_positive})
    for lid in lists:
        row = f"{lid:<24}"
        for s in SPLITS:
            t = tally(o for o in by_split[s] if o.case.expected_entity_id.startswith(lid + ":"))["ALL"]
            row += f" {t.positives:>10} {pct(t.recall):>8} {pct(t.top1_rate):>8}"
        print(row)

    twins = script_twins(matcher, snapshots, cases, args.threshold, args.out)

    pairs = read_pairs(args.pairs)
    pair_outcomes = run_pairs(matcher, pairs, args.threshold)
    pair_f1 = print_pairs(pair_outcomes)

    clean = None if args.no_clean_names else clean_name_rates(matcher, snapshots, args.threshold)

    print(f"\ntargets (matcher issue) at threshold {args.threshold}: figure per split, then target")
    print(f"{'figure':<44} {'tune':>8} {'heldout':>8} {'target':>9}  verdict (held-out)")
    rows: list[tuple[str, dict[str, float | None], str, bool]] = []
    for label, attr, aim, lower in (
        ("recall", "recall", AIM_RECALL, False),
        ("false-alarm rate, all golden negatives", "fpr", AIM_FPR, True),
    ):
        vals = {s: getattr(tally(by_split[s])["ALL"], attr) for s in SPLITS}
        rows.append((label, vals, f"{'<=' if lower else '>='} {100 * aim:.1f}", _ok(vals[HELDOUT], aim, lower)))
    for label, variations, aim in (
        ("... listed surname, different given name", LISTED_SURNAME, AIM_FPR_LISTED_SURNAME),
        ("... invented Chinese names in pinyin", PINYIN, AIM_FPR_PINYIN),
    ):
        vals = {s: tally(o for o in by_split[s] if o.case.variation in variations)["ALL"].fpr for s in SPLITS}
        rows.append((label, vals, f"<= {100 * aim:.1f}", _ok(vals[HELDOUT], aim, True)))
    top1 = {s: tally(by_split[s])["ALL"].top1_rate for s in SPLITS}
    party = {s: party_recall(by_split[s]) for s in SPLITS}
    for label, vals, aim_text, ok in rows:
        cells = "".join(f" {pct(vals[s]):>8}" for s in SPLITS)
        print(f"{label + ' %':<44}{cells} {aim_text:>9}  {verdict(ok)}")
    print(f"{'recall, any entry of the party accepted %':<44}" + "".join(f" {pct(party[s]):>8}" for s in SPLITS))
    print(f"{'top-1 %':<44}" + "".join(f" {pct(top1[s]):>8}" for s in SPLITS))
    print(f"{'script to Latin-only entry, wider set, rec. %':<44}" + "".join(f" {pct(twins[s]):>8}" for s in SPLITS))
    pf = "".join(f" {pair_f1[s]:>8.3f}" for s in SPLITS)
    f1_verdict = verdict(pair_f1[HELDOUT] >= AIM_PAIR_F1)
    print(f"{'pairwise F1 of compare()':<44}{pf} {'>= ' + str(AIM_PAIR_F1):>9}  {f1_verdict}")
    if clean is not None:
        flagged, total = clean
        rate = flagged / total if total else None
        print(f"{'false-alarm rate, names-dataset clean names %':<44} {'':>8} {pct(rate):>8} {'<= 0.5':>9}  "
              f"{verdict(rate is not None and rate <= AIM_FPR)}")  # fmt: skip
        neg_held = [o for o in by_split[HELDOUT] if not o.case.is_positive]
        both = (flagged + sum(o.false_positive for o in neg_held)) / (total + len(neg_held))
        print(f"{'false-alarm rate, held-out + names-dataset %':<44} {'':>8} {pct(both):>8} {'<= 0.5':>9}  "
              f"{verdict(both <= AIM_FPR)}")  # fmt: skip

    path = write_failures(outcomes, args.out)
    pair_path = write_pair_failures(pair_outcomes, args.out)
    print(f"\nfailing TUNING cases written to {path} (+ .jsonl) and {pair_path}; held-out failures are not written")

    if not args.no_sweep:
        low = run_cases(matcher, cases, threshold=SWEEP_FLOOR, limit=EVAL_LIMIT)
        print(f"\nthreshold sweep (screened at {SWEEP_FLOOR}; recall/top-1 over positives, FPR over negatives)")
        print(f"{'threshold':>9}" + "".join(f" {s[:5] + ' rec%':>10} {'top1%':>7} {'FPR%':>7}" for s in SPLITS))
        sweeps = {s: sweep([o for o in low if o.case.split == s]) for s in SPLITS}
        for i, th in enumerate(SWEEP):
            mark = "  <- default" if abs(th - DEFAULT_THRESHOLD) < 1e-9 else ""
            cells = "".join(
                f" {pct(sweeps[s][i][1]):>10} {pct(sweeps[s][i][2]):>7} {pct(sweeps[s][i][3]):>7}" for s in SPLITS
            )
            print(f"{th:>9.2f}{cells}{mark}")
    return 0


def _ok(value: float | None, aim: float, lower_is_better: bool) -> bool:
    if value is None:
        return False
    return value <= aim if lower_is_better else value >= aim


if __name__ == "__main__":
    raise SystemExit(main())
