"""`sanctions check` from end to end: read files, load the allowlist, screen, suppress, render, pick the exit code.

Exit codes: 0 no record matches, 1 a record matches (after the allowlist; never under --fail-on none),
2 usage or data error (raised as ServiceError subclasses and turned into 2 by the CLI).
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol, TextIO

from service.check.allowlist import Allowlist, load_allowlist
from service.check.formats import FORMATS, RENDERERS
from service.check.report import CheckReport, FailOn, RecordResult, ReportedHit, reportable
from service.model import Hit, ListInfo, Query
from service.screening.records import FileRecords, InputError, parse_field_specs, read_file

DEFAULT_LIMIT = 10  # hits kept per record: enough to show every plausible list entry, short enough to read
MAX_LIMIT = 100  # the API's cap on hits per query


class Screener(Protocol):
    mode: str
    source: str
    warnings: list[str]
    threshold: float | None  # the server's default threshold, once known (remote mode)

    def lists(self) -> list[ListInfo]: ...

    def screen(self, queries: Sequence[Query], *, threshold: float | None, limit: int) -> list[list[Hit]]: ...

    def unknown_entities(self, entity_ids: Sequence[str]) -> list[str]: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class CheckOptions:
    files: tuple[str, ...]
    min_score: float | None  # None: the service's default threshold (remote mode asks the server)
    format: str = "table"
    output: str | None = None
    fail_on: FailOn = FailOn.MATCH
    allowlist: str | None = None
    fields: tuple[str, ...] = ()
    input_format: str | None = None
    limit: int = DEFAULT_LIMIT
    today: date | None = None  # tests pin it; None = the local date


@dataclass(slots=True)
class _Streams:
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)


def parse_fail_on(value: str | None) -> FailOn:
    try:
        return FailOn((value or FailOn.MATCH.value).strip().lower())
    except ValueError:
        raise InputError(f"--fail-on {value!r}: expected one of {', '.join(f.value for f in FailOn)}") from None


def _validate(options: CheckOptions) -> None:
    if options.min_score is not None and not 0.0 <= options.min_score <= 1.0:
        raise InputError(f"--min-score {options.min_score}: expected a score between 0 and 1")
    if not 1 <= options.limit <= MAX_LIMIT:
        raise InputError(f"--limit {options.limit}: expected 1 to {MAX_LIMIT}")
    if options.format not in FORMATS:
        raise InputError(f"--format {options.format!r}: expected one of {', '.join(FORMATS)}")
    if not options.files:
        raise InputError("no files to check")


def read_all(options: CheckOptions) -> list[FileRecords]:
    overrides = parse_field_specs(options.fields)
    seen: dict[str, None] = dict.fromkeys(options.files)
    return [read_file(path, input_format=options.input_format, overrides=overrides) for path in seen]


def _allowlist_warnings(allowlist: Allowlist, screener: Screener, today: date) -> list[str]:
    warnings = [
        f"allowlist {allowlist.path}: {e.describe()} expired on {e.expires.isoformat()}; it no longer suppresses"
        for e in allowlist.expired(today)
    ]
    unknown = set(screener.unknown_entities(allowlist.entity_ids()))
    warnings += [
        f"allowlist {allowlist.path}: {e.describe()} names an entity id unknown to the loaded lists"
        for e in allowlist.entries
        if e.entity_id in unknown
    ]
    return warnings


def screen_records(
    files: Sequence[FileRecords],
    screener: Screener,
    options: CheckOptions,
    allowlist: Allowlist | None,
    today: date,
) -> list[RecordResult]:
    records = [r for f in files for r in f.records]
    screenable = [r for r in records if r.is_screenable()]
    hits = screener.screen([r.query for r in screenable], threshold=options.min_score, limit=options.limit)
    by_record = {id(r): h for r, h in zip(screenable, hits, strict=True)}
    results = []
    for record in records:
        if not record.is_screenable():
            results.append(RecordResult(record, skipped="no name or identifier to screen"))
            continue
        reported = []
        for hit in reportable(by_record[id(record)], options.fail_on):
            entry = allowlist.find(hit.entity_id, record, today) if allowlist else None
            reported.append(ReportedHit(hit, entry))
        results.append(RecordResult(record, tuple(reported)))
    return results


def make_screener(
    *,
    url: str | None,
    api_key: str | None,
    timeout_s: float,
    data_dir: Path,
    redis_url: str | None,
    list_ids: Sequence[str],
    matcher_cache: bool = True,
) -> Callable[[], Screener]:
    """How the check will screen: against a running service (`url`), else the lists synced into the local store
    (with the data folder's built matchers unless `matcher_cache` is off)."""

    def make() -> Screener:
        if url:
            from service.check.remote import RemoteScreener

            return RemoteScreener(url, api_key, timeout_s=timeout_s)
        from service.check.local import LocalScreener

        return LocalScreener(data_dir, redis_url, list_ids, matcher_cache=matcher_cache)

    return make


def _use_color(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ


def run_check(
    options: CheckOptions,
    make_screener: Callable[[], Screener],
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    cwd: Path | None = None,
) -> int:
    """Run one check and write its report; returns 0 or 1. Usage and data errors raise ServiceError (exit 2)."""
    streams = _Streams(stdout or sys.stdout, stderr or sys.stderr)
    started = time.monotonic()
    generated_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    today = options.today or date.today()
    _validate(options)
    files = read_all(options)
    allowlist = load_allowlist(options.allowlist) if options.allowlist else None
    warnings = [w for f in files for w in f.warnings]
    warnings += [f"{f.path}: no records" for f in files if not f.records]
    screener = make_screener()
    try:
        results = screen_records(files, screener, options, allowlist, today)
        if allowlist is not None:
            warnings += _allowlist_warnings(allowlist, screener, today)
        lists = screener.lists()
        warnings += screener.warnings
    finally:
        screener.close()
    min_score = options.min_score if options.min_score is not None else screener.threshold
    if min_score is None and any(r.hits or not r.skipped for r in results):
        raise InputError("--min-score not given and the service did not report its threshold; pass --min-score")
    report = CheckReport(
        results=tuple(results),
        files=tuple(f.path for f in files),
        lists=tuple(lists),
        min_score=min_score,
        fail_on=options.fail_on,
        mode=screener.mode,
        source=screener.source,
        generated_at=generated_at,
        duration_s=time.monotonic() - started,
        warnings=tuple(warnings),
        allowlist=options.allowlist,
    )
    to_terminal = options.output is None and options.format == "table" and _use_color(streams.stdout)
    # A pseudo-terminal may report 0 columns; shutil falls back (and honours $COLUMNS) where os would not.
    width = max(shutil.get_terminal_size(fallback=(120, 24)).columns, 60) if to_terminal else 160
    text = RENDERERS[options.format](report, cwd=cwd or Path.cwd(), color=to_terminal, width=width)
    if options.output:
        try:
            Path(options.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"--output {options.output}: cannot write: {exc.strerror or exc}") from None
    else:
        streams.stdout.write(text)
        streams.stdout.flush()
    # Warnings and the verdict also go to stderr whenever stdout does not already show them to a person.
    if options.format != "github" or options.output:
        for w in warnings:
            print(f"sanctions: warning: {w}", file=streams.stderr)
    if options.output or options.format in ("json", "junit", "sarif"):
        print(f"sanctions check: {report.summary_line()}", file=streams.stderr)
    return report.exit_code
