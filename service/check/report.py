"""The outcome of one `sanctions check` run: per-record hits (suppressed or not), the lists used, the exit code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from service.check.allowlist import AllowEntry
from service.model import Evidence, Hit, ListInfo
from service.screening.records import Record
from service.screening.wire import hit_to_dict

EXIT_CLEAN = 0
EXIT_MATCH = 1
EXIT_ERROR = 2


class FailOn(StrEnum):
    """Which hits fail the run. MATCH: a hit at or above --min-score; ANY: any candidate the screening
    returned, however weak; NONE: report only, exit 0 (errors still exit 2)."""

    MATCH = "match"
    ANY = "any"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class ReportedHit:
    hit: Hit
    suppressed_by: AllowEntry | None = None

    @property
    def is_suppressed(self) -> bool:
        return self.suppressed_by is not None


@dataclass(frozen=True, slots=True)
class RecordResult:
    record: Record
    hits: tuple[ReportedHit, ...] = ()  # the hits worth reporting (see `reportable`), best first
    skipped: str | None = None  # why the record was not screened

    @property
    def active_hits(self) -> list[ReportedHit]:
        return [h for h in self.hits if not h.is_suppressed]

    @property
    def status(self) -> str:
        """clean | match | suppressed (every hit cleared by the allowlist) | skipped."""
        if self.skipped:
            return "skipped"
        if self.active_hits:
            return "match"
        return "suppressed" if self.hits else "clean"


def reportable(hits: Sequence[Hit], fail_on: FailOn) -> list[Hit]:
    """Hits that count: every returned candidate under --fail-on any, else those at or above the bar."""
    if fail_on is FailOn.ANY:
        return list(hits)
    return [h for h in hits if h.match]


@dataclass(frozen=True, slots=True)
class CheckReport:
    results: tuple[RecordResult, ...]
    files: tuple[str, ...]
    lists: tuple[ListInfo, ...]
    min_score: float | None  # None only when nothing was screened remotely (the server's default never asked)
    fail_on: FailOn
    mode: str  # "local" | "remote"
    source: str  # data dir or service URL (never the API key)
    generated_at: str
    duration_s: float
    warnings: tuple[str, ...] = ()
    allowlist: str | None = None

    @property
    def matching(self) -> list[RecordResult]:
        return [r for r in self.results if r.status == "match"]

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def exit_code(self) -> int:
        if self.fail_on is FailOn.NONE:
            return EXIT_CLEAN
        return EXIT_MATCH if self.matching else EXIT_CLEAN

    def summary(self) -> dict[str, object]:
        hits = [h for r in self.results for h in r.hits]
        return {
            "files": len(self.files),
            "records": len(self.results),
            "screened": len(self.results) - self.count("skipped"),
            "skipped": self.count("skipped"),
            "matching": self.count("match"),
            "suppressed_records": self.count("suppressed"),
            "hits": sum(1 for h in hits if not h.is_suppressed),
            "suppressed_hits": sum(1 for h in hits if h.is_suppressed),
            "result": "fail" if self.exit_code == EXIT_MATCH else "pass",
            "exit_code": self.exit_code,
        }

    def summary_line(self) -> str:
        s = self.summary()
        lists = ", ".join(f"{li.id} {li.version or '?'}" for li in self.lists)
        parts = [
            f"{s['records']} record(s) in {s['files']} file(s)",
            f"{s['matching']} matching",
        ]
        if s["suppressed_hits"]:
            parts.append(f"{s['suppressed_hits']} hit(s) suppressed by the allowlist")
        if s["skipped"]:
            parts.append(f"{s['skipped']} skipped (no name or identifier)")
        if self.fail_on is FailOn.ANY:
            bar = "any candidate"
        else:
            bar = "score >= " + (f"{self.min_score:.2f}" if self.min_score is not None else "the service default")
        verdict = "FAIL" if s["result"] == "fail" else "PASS"
        return f"{verdict}: {'; '.join(parts)} [{bar}; fail-on {self.fail_on.value}; lists: {lists}]"


def evidence_text(ev: Evidence) -> str:
    """One evidence item as a reviewer reads it: which query value met which listed value, and how."""
    effect = "contradicts" if ev.weight < 0 else "matches"
    text = f'{ev.field} "{ev.query_value}" {effect} "{ev.list_value}" ({ev.method}, {ev.score:.2f})'
    return f"{text}: {ev.detail}" if ev.detail else text


def record_dict(record: Record) -> dict[str, object]:
    q = record.query
    out: dict[str, object] = {"name": q.name}
    if record.key is not None:
        out["key"] = record.key
    if q.kind is not None or record.kind_text:
        out["type"] = q.kind.value if q.kind else None
    if q.aliases:
        out["aliases"] = list(q.aliases)
    if q.identifiers:
        out["identifiers"] = list(q.identifiers)
    if q.birth_date:
        out["birth_date"] = q.birth_date
    if q.countries:
        out["countries"] = list(q.countries)
    return out


def record_text(record: Record) -> str:
    q = record.query
    parts = [f'"{q.name}"' if q.name else ""]
    if q.kind:
        parts.append(q.kind.value)
    if q.identifiers:
        parts.append("ids " + ", ".join(q.identifiers))
    if q.birth_date:
        parts.append(f"born {q.birth_date}")
    if q.countries:
        parts.append("/".join(q.countries))
    if record.key:
        parts.append(f"key {record.key}")
    return " ".join(p for p in parts if p)


def hit_dict(rh: ReportedHit) -> dict[str, object]:
    """A reported hit: the wire format's hit (service.screening.wire) plus the allowlist entry that suppressed it."""
    return {**hit_to_dict(rh.hit), "suppressed": rh.suppressed_by.to_dict() if rh.suppressed_by else None}
