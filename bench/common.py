"""What the golden set, the evaluation and the benchmark share: loading every mirrored list through its parser,
reading golden cases as Queries, and scoring a matcher's answers against them.
"""

from __future__ import annotations

import csv
import hashlib
import os
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from service.errors import ConfigError
from service.model import Entity, EntityKind, Hit, Query, Snapshot
from service.settings import DEFAULT_LISTS_DIR
from service.sources import ParseReport, get_parser
from service.sources.manifest import load_manifests

ROOT = Path(__file__).resolve().parent.parent
GOLDEN_CSV = ROOT / "tests" / "match" / "golden.csv"
PAIRS_CSV = ROOT / "tests" / "match" / "pairs.csv"
OUT_DIR = ROOT / "bench" / "out"
SHARED = Path(os.environ.get("SANCTIONS_SHARED_DIR", ROOT.parent / "shared"))
MIRROR = SHARED / "mirror"

GOLDEN_COLUMNS = (
    "case_id",
    "split",
    "variation",
    "kind",
    "query_name",
    "query_kind",
    "query_identifiers",
    "query_birth_date",
    "query_countries",
    "expected_entity_id",
    "source_value",
    "note",
)
PAIR_COLUMNS = ("pair_id", "split", "class", "label", "kind", "left", "right", "entity", "note")
MULTI_SEP = "|"  # separates several identifiers or countries inside one CSV cell
# Held-out discipline (matcher issue): every case belongs to the tuning part or the held-out part, decided by a
# hash of the listed entity it is about (so the variations of one party never straddle the two), or of the query
# itself when no listed entity is involved. Tune on TUNE only; HELDOUT judges. Changing SPLIT_SEED reshuffles both.
SPLIT_SEED = "split-v1"
HELDOUT_SHARE = 0.5
TUNE, HELDOUT = "tune", "heldout"
SPLITS = (TUNE, HELDOUT)


def split_of(key: str) -> str:
    """TUNE or HELDOUT for a split key (an entity id, or a normalized query when no entity is involved)."""
    h = int(hashlib.sha256(f"{SPLIT_SEED}\x1f{key}".encode()).hexdigest()[:8], 16)
    return HELDOUT if h / 0x1_0000_0000 < HELDOUT_SHARE else TUNE


# Hits asked for per screening: wide enough that a party listed by several publishers under near-identical
# names (UN, OFAC, EU, UK, Canada, Australia all list many of the same people) still has its expected entry in.
EVAL_LIMIT = 50


def load_snapshots(
    mirror_dir: Path = MIRROR, lists: Iterable[str] | None = None, *, strict: bool = False
) -> tuple[list[Snapshot], list[str]]:
    """Parse every list mirrored under `mirror_dir` with its manifest's parser.

    Returns the snapshots and notes on lists left out (no mirror folder, or no parser yet unless `strict`).
    """
    manifests = load_manifests(DEFAULT_LISTS_DIR, list(lists) if lists else None)
    snapshots: list[Snapshot] = []
    skipped: list[str] = []
    for list_id, manifest in manifests.items():
        folder = mirror_dir / list_id
        if not folder.is_dir():
            skipped.append(f"{list_id}: no mirror folder")
            continue
        files = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}
        try:
            parser = get_parser(manifest.format)
        except ConfigError as exc:
            if strict:
                raise
            skipped.append(f"{list_id}: {exc}")
            continue
        report = ParseReport()
        entities = tuple(parser(files, report, list_id=list_id))
        digest = hashlib.sha256(b"".join(files[name] for name in sorted(files))).hexdigest()[:12]
        snapshots.append(
            Snapshot(
                list_id=list_id,
                version=report.published_at or f"sha256:{digest}",
                entities=entities,
                published_at=report.published_at,
            )
        )
    return snapshots, skipped


def all_entities(snapshots: Iterable[Snapshot]) -> list[Entity]:
    return [e for s in snapshots for e in s.entities]


@dataclass(frozen=True, slots=True)
class GoldenCase:
    case_id: str
    split: str  # TUNE or HELDOUT
    variation: str
    kind: str  # kind of the party the case is about (person, organization, vessel, aircraft)
    query: Query
    expected_entity_id: str  # "" for negatives
    source_value: str
    note: str

    @property
    def is_positive(self) -> bool:
        return bool(self.expected_entity_id)


def _split(cell: str) -> tuple[str, ...]:
    return tuple(v for v in (x.strip() for x in cell.split(MULTI_SEP)) if v)


def read_golden(path: Path = GOLDEN_CSV) -> list[GoldenCase]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    cases = []
    for row in rows:
        kind = row["query_kind"].strip()
        cases.append(
            GoldenCase(
                case_id=row["case_id"],
                split=row["split"],
                variation=row["variation"],
                kind=row["kind"],
                query=Query(
                    name=row["query_name"] or None,
                    kind=EntityKind(kind) if kind else None,
                    identifiers=_split(row["query_identifiers"]),
                    birth_date=row["query_birth_date"] or None,
                    countries=_split(row["query_countries"]),
                ),
                expected_entity_id=row["expected_entity_id"],
                source_value=row["source_value"],
                note=row["note"],
            )
        )
    return cases


@dataclass(frozen=True, slots=True)
class LabelledPair:
    """Two names and whether they are the same party (tests/match/pairs.csv, built by bench/pairs.py)."""

    pair_id: str
    split: str
    cls: str
    label: bool
    kind: str
    left: str
    right: str
    note: str


def read_pairs(path: Path = PAIRS_CSV) -> list[LabelledPair]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            LabelledPair(
                pair_id=row["pair_id"],
                split=row["split"],
                cls=row["class"],
                label=row["label"] == "match",
                kind=row["kind"],
                left=row["left"],
                right=row["right"],
                note=row["note"],
            )
            for row in csv.DictReader(fh)
        ]


@dataclass(frozen=True, slots=True)
class Outcome:
    """How the matcher answered one golden case."""

    case: GoldenCase
    hits: tuple[Hit, ...]
    elapsed_s: float

    @property
    def matched(self) -> tuple[Hit, ...]:
        return tuple(h for h in self.hits if h.match)

    @property
    def expected_hit(self) -> Hit | None:
        return next((h for h in self.hits if h.entity_id == self.case.expected_entity_id), None)

    @property
    def recalled(self) -> bool:
        """Positive case: the expected entity is among the hits flagged as matches."""
        hit = self.expected_hit
        return hit is not None and hit.match

    @property
    def top1(self) -> bool:
        """Positive case: the expected entity ranks first. Ties count, since one party is often listed by several
        publishers under the same name and either entry is the right answer to a reviewer."""
        hit = self.expected_hit
        return hit is not None and bool(self.hits) and hit.score >= self.hits[0].score

    @property
    def false_positive(self) -> bool:
        """Negative case: anything at all was flagged as a match."""
        return any(h.match for h in self.hits)

    def ok(self) -> bool:
        return self.recalled if self.case.is_positive else not self.false_positive


def run_cases(matcher: Any, cases: Sequence[GoldenCase], *, threshold: float, limit: int = EVAL_LIMIT) -> list[Outcome]:
    outcomes = []
    for case in cases:
        t0 = time.perf_counter()
        hits = matcher.screen(case.query, threshold=threshold, limit=limit)
        outcomes.append(Outcome(case, tuple(hits), time.perf_counter() - t0))
    return outcomes


@dataclass
class Tally:
    positives: int = 0
    recalled: int = 0
    top1: int = 0
    negatives: int = 0
    false_positives: int = 0
    failures: list[Outcome] = field(default_factory=list)

    def add(self, o: Outcome) -> None:
        if o.case.is_positive:
            self.positives += 1
            self.recalled += o.recalled
            self.top1 += o.top1
        else:
            self.negatives += 1
            self.false_positives += o.false_positive
        if not o.ok():
            self.failures.append(o)

    @property
    def recall(self) -> float | None:
        return self.recalled / self.positives if self.positives else None

    @property
    def top1_rate(self) -> float | None:
        return self.top1 / self.positives if self.positives else None

    @property
    def fpr(self) -> float | None:
        return self.false_positives / self.negatives if self.negatives else None


def tally(outcomes: Iterable[Outcome], key: str = "variation") -> dict[str, Tally]:
    """Tallies grouped by a case attribute ("variation", "kind") plus "ALL"."""
    groups: dict[str, Tally] = defaultdict(Tally)
    for o in outcomes:
        groups[str(getattr(o.case, key))].add(o)
        groups["ALL"].add(o)
    return dict(groups)


def pct(x: float | None) -> str:
    return "   -  " if x is None else f"{100 * x:6.2f}"


def print_tallies(title: str, tallies: dict[str, Tally], out: Any = sys.stdout) -> None:
    print(f"\n{title}", file=out)
    print(f"{'group':<24} {'n':>5} {'recall%':>8} {'top1%':>8} {'FPR%':>8} {'fail':>5}", file=out)
    for name in sorted(tallies, key=lambda k: (k == "ALL", k)):
        t = tallies[name]
        n = t.positives + t.negatives
        print(
            f"{name:<24} {n:>5} {pct(t.recall):>8} {pct(t.top1_rate):>8} {pct(t.fpr):>8} {len(t.failures):>5}",
            file=out,
        )


def compiled(code: Path) -> None:
    """Compile `code`'s package to bytecode, as an installed one is (pip compiles what it installs; so does the
    image's build): a checkout run with PYTHONDONTWRITEBYTECODE=1 (set on some machines, and in the image, whose
    package is compiled at install) would otherwise compile every module of the package at every start, 0.3-0.4 s
    of a restart."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(code / "service")], check=True, capture_output=True)


def worktree(rev: str, work: Path) -> Path:
    """A checkout of `rev` beside this one (removed by the caller), whose `service` a baseline runs."""
    path = work / f"baseline-{rev}"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), rev], check=True, capture_output=True
    )
    return path
