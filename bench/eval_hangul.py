"""Korean names typed in Hangul against the North Koreans on the UN list, who are listed in Latin letters only.

tests/match/hangul.csv gives, for each North Korean individual on the UN list (KPi.*), the name as Korean sources
print it, in Hangul (written for this set from the listed romanization: the lists carry no Hangul). A case is found
when the expected UN entry is among the matches at the default threshold; "other parties" counts the matches
whose listed name is not the expected party's (a false alarm unless the two are namesakes). Cases are split into
tuning and held-out halves by the same hash of the entity id as the golden set (bench.common.split_of): tune on
the first, judge by the second; only tuning misses are printed.

    python -m bench.eval_hangul [--mirror ../shared/mirror]
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import EVAL_LIMIT, MIRROR, ROOT, SPLITS, TUNE, load_snapshots, split_of
from service.match.matcher import Matcher
from service.model import Hit, Query
from service.normalize.names import analyze
from service.settings import DEFAULT_THRESHOLD

CASES = ROOT / "tests" / "match" / "hangul.csv"


def read_cases() -> list[dict[str, str]]:
    """tests/match/hangul.csv: hangul, expected_entity_id, listed_as."""
    with CASES.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def matches(matcher: Matcher, name: str, limit: int = EVAL_LIMIT) -> list[Hit]:
    """The hits of screening `name` that match at the default threshold."""
    return [h for h in matcher.screen(Query(name=name), threshold=DEFAULT_THRESHOLD, limit=limit) if h.match]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirror", type=Path, default=MIRROR)
    args = ap.parse_args(argv)
    snapshots, skipped = load_snapshots(args.mirror, ["un_sc_sanctions", "us_ofac_sdn", "au_dfat_sanctions"])
    if not any(s.list_id == "un_sc_sanctions" for s in snapshots):
        print(f"no UN list under {args.mirror}: {skipped}", file=sys.stderr)
        return 2
    matcher = Matcher.build(snapshots)
    cases = read_cases()
    # the Hangul, and as a reference the listed romanization itself typed as a query (its other parties are the
    # matcher's way with short Korean names in Latin letters, whatever script they came in)
    for column, label in (("hangul", "in Hangul"), ("listed_as", "the listed romanization, as a reference")):
        found = dict.fromkeys(SPLITS, 0)
        total = dict.fromkeys(SPLITS, 0)
        others = dict.fromkeys(SPLITS, 0)
        for case in cases:
            split = split_of(case["expected_entity_id"])
            hits = matches(matcher, case[column])
            listed = set(analyze(case["listed_as"]).tokens)
            ok = any(h.entity_id == case["expected_entity_id"] for h in hits)
            wrong = {analyze(h.name).text: h.name for h in hits if set(analyze(h.name).tokens) != listed}
            total[split] += 1
            found[split] += ok
            others[split] += len(wrong)
            if split == TUNE and column == "hangul" and (not ok or wrong):
                best = hits[0] if hits else None
                print(
                    f"  tune: {case['hangul']} ({case['listed_as']}) read {analyze(case['hangul']).text!r}: "
                    + ("found" if ok else "MISSED")
                    + (f"; other parties matched: {sorted(wrong.values())}" if wrong else "")
                    + (f"; best {best.name} {best.score}" if best and not ok else "")
                )
        print(f"\nNorth Koreans on the UN list, named {label}, threshold {DEFAULT_THRESHOLD}:")
        for split in SPLITS:
            share = 100 * found[split] / max(1, total[split])
            print(f"  {split:8s} found {found[split]} of {total[split]} ({share:.1f} %);", end=" ")
            print(f"other parties matched: {others[split]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
