"""The `sanctions` command: wiring only (settings -> store, fetcher, matcher, app). Exit codes per CONTRACT.md."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from service import __version__
from service.errors import QueryError, ServiceError, StoreError
from service.settings import Settings

if TYPE_CHECKING:
    from datetime import datetime

    from service.model import Decision, Hit
    from service.screening.monitoring import Monitoring
    from service.screening.usecases import Screener
    from service.sources.manifest import ListManifest
    from service.store import Store

EXIT_OK = 0
EXIT_FAILED = 1  # sync: a list failed; check: a record matched
EXIT_USAGE = 2


def _build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sanctions", description="Sanctions screening: sync lists, screen, serve.")
    p.add_argument("--version", action="version", version=f"sanctions-screening {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("sync", help="pull the lists once and print a per-list summary")
    s.add_argument("--list", dest="lists", action="append", metavar="ID", help="list id (repeatable)")
    s.add_argument("--json", action="store_true", help="print the summary as JSON")
    s.add_argument(
        "--loop",
        action="store_true",
        help="keep syncing every SANCTIONS_SYNC_INTERVAL_S until SIGTERM (the worker of a shared-Redis deployment)",
    )

    s = sub.add_parser("lists", help="per-list status from the store")
    s.add_argument("--json", action="store_true")

    s = sub.add_parser("serve", help="run the HTTP API")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--workers", type=int, default=1, help="worker processes (uvicorn)")

    s = sub.add_parser("screen", help="screen one name or identifier from the shell")
    s.add_argument("name", nargs="?", default=None)
    s.add_argument(
        "--type", dest="kind", default="any", choices=["person", "organization", "vessel", "aircraft", "any"]
    )
    s.add_argument("--identifier", action="append", default=[], metavar="X")
    s.add_argument("--birth-date", default=None)
    s.add_argument("--country", action="append", default=[])
    s.add_argument("--threshold", type=float, default=None)
    s.add_argument("--limit", type=int, default=10)
    s.add_argument("--list", dest="lists", action="append", metavar="ID")
    s.add_argument("--json", action="store_true")

    s = sub.add_parser("monitor", help="watch parties: re-screened whenever a list change can affect them")
    msub = s.add_subparsers(dest="monitor_command", required=True)
    m = msub.add_parser(
        "add",
        help="create or replace monitors from counterparty files (CSV, JSON, JSON Lines, YAML)",
        description="Each record needs your key for the party (an id/ref column, or --field id=COLUMN): it is the "
        "monitor's ref. Records are screened at once against the synced lists; their matches are the baseline.",
    )
    m.add_argument("files", nargs="+", metavar="FILE")
    m.add_argument("--field", action="append", default=[], metavar="ROLE=COLUMN", help="as for `sanctions check`")
    m.add_argument("--input-format", default=None, choices=["csv", "json", "jsonl", "yaml"])
    m.add_argument("--threshold", type=float, default=None, help="score from which a hit is a match (0..1)")
    m.add_argument("--json", action="store_true", help="print each monitor's result as JSON")
    m = msub.add_parser("list", help="monitors with their matches and open alerts")
    m.add_argument("--json", action="store_true")
    m.add_argument("--alerts", action="store_true", help="list the open alerts (the review queue) instead")
    msub.add_parser("run", help="one monitoring cycle now (what `serve` does after every list change)")

    s = sub.add_parser("decisions", help="reviewers' decisions")
    dsub = s.add_subparsers(dest="decisions_command", required=True)
    d = dsub.add_parser(
        "export",
        help="the standing false-positive decisions as an allowlist for `sanctions check --allowlist`",
    )
    d.add_argument("--output", default=None, metavar="PATH", help="write to PATH instead of standard output")
    d.add_argument("--valid-days", type=int, default=365, help="days until the exported entries expire (default 365)")

    s = sub.add_parser(
        "audit",
        help="export the audit records of screenings (JSON Lines) or prune exported ones past the retention",
        description="The audit trail: export it in the order the store received it, resumably; prune only what an "
        "export has covered (README, Audit trail).",
    )
    audit = s.add_subparsers(dest="audit_command", required=True)
    a = audit.add_parser(
        "export",
        help="write audit records as JSON Lines, oldest first",
        epilog="The summary on stderr names the last record's cursor and screening id: pass either to --after to "
        "continue; --resume continues after the last complete export.",
    )
    a.add_argument("--since", metavar="ISO", help="records the store received at or after this time (UTC if no zone)")
    a.add_argument("--until", metavar="ISO", help="records the store received before this time")
    a.add_argument("--after", metavar="SCREENING_ID_OR_CURSOR", help="continue after this record")
    a.add_argument("--resume", action="store_true", help="continue after the store's export watermark")
    a.add_argument("--output", metavar="FILE", help="write to FILE (created or truncated) instead of stdout")
    a = audit.add_parser(
        "prune",
        help="remove exported records older than the retention",
        epilog="exit status: 0 done, 1 some records are past the retention but not exported (they are kept), "
        "2 usage error.",
    )
    a.add_argument(
        "--days", type=float, default=None, help="retention in days (default: SANCTIONS_AUDIT_RETENTION_DAYS)"
    )

    s = sub.add_parser(
        "check",
        help="CI hook: screen a file of counterparties; exit 1 when any matches",
        description="Screen counterparty files against the synced lists (or a service with --url).",
        epilog="exit status: 0 no record matches, 1 a record matches, 2 usage or data error (nothing passes "
        "unscreened: no lists, unreadable file, unknown column, service unreachable). See README, CI screening hook.",
    )
    s.add_argument("files", nargs="+", metavar="FILE", help="counterparty files: .csv/.tsv, .json, .jsonl, .yaml")
    s.add_argument(
        "--format", default=None, choices=["table", "json", "junit", "sarif", "github"], help="report (default table)"
    )
    s.add_argument("--output", default=None, metavar="PATH", help="write the report to PATH instead of stdout")
    s.add_argument("--url", default=None, help="screen against a running service instead of local lists")
    s.add_argument("--api-key", default=None, help="API key for --url (default: $SANCTIONS_API_KEY)")
    s.add_argument("--timeout", type=float, default=60.0, metavar="S", help="per-request timeout for --url")
    s.add_argument("--min-score", type=float, default=None, help="score from which a hit is a match (0..1)")
    s.add_argument(
        "--fail-on",
        default="match",
        choices=["match", "any", "none"],
        help="match: a hit at or above --min-score fails (default); any: any candidate fails; none: report only",
    )
    s.add_argument("--allowlist", default=None, metavar="FILE", help="reviewed false positives (YAML or JSON)")
    s.add_argument("--limit", type=int, default=10, help="hits reported per record")
    s.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="ROLE=COLUMN",
        help="read ROLE (name, kind, identifiers, birth_date, country, aliases, id) from COLUMN; repeatable",
    )
    s.add_argument(
        "--input-format", default=None, choices=["csv", "json", "jsonl", "yaml"], help="when the extension does not say"
    )
    return p


def _cmd_sync(args: argparse.Namespace, settings: Settings) -> int:
    import json
    import logging

    import structlog

    from service.sources.manifest import load_manifests
    from service.sync.console import print_summary, result_record, sync_progress
    from service.sync.worker import run_once
    from service.wiring import fetcher_from, store_from

    manifests = load_manifests(settings.lists_dir, args.lists or settings.lists or None)  # unknown id: exit 2
    interactive = sys.stderr.isatty() and not args.loop

    class _Stderr:
        """Looks sys.stderr up at each write, so log lines go through rich's redirect while bars are drawn."""

        def write(self, text: str) -> int:
            return sys.stderr.write(text)

        def flush(self) -> None:
            sys.stderr.flush()

    # On a terminal the bars and the table tell the story: only warnings (retries, failures) are logged there.
    level = logging.WARNING if interactive else logging.getLevelNamesMapping().get(settings.log_level.upper(), 20)
    renderer = structlog.processors.JSONRenderer() if settings.log_json else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(_Stderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    store = store_from(settings)
    if args.loop:
        return _sync_loop(manifests.values(), store, settings)
    try:
        with (
            fetcher_from(settings) as fetcher,
            sync_progress(list(manifests), interactive=interactive) as progress,
        ):
            # A `serve` process may be syncing the same store: wait for it rather than fail at once.
            results = run_once(
                manifests.values(),
                store,
                fetcher,
                max_entity_drop=settings.max_entity_drop,
                lock_ttl_s=settings.sync_lock_ttl_s,
                lock_wait_s=_SYNC_LOCK_WAIT_S,
                progress=progress,
            )
    finally:
        store.close()
    if results is None:
        print(
            f"sanctions: error: another sync held the lock for more than {_SYNC_LOCK_WAIT_S:g} s; try again later",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if args.json:
        print(json.dumps({"lists": [result_record(r) for r in results]}, indent=2, ensure_ascii=False))
    else:
        print_summary(results, terminal=sys.stdout.isatty())
    return EXIT_OK if all(r.is_current for r in results) else EXIT_FAILED


_SYNC_LOCK_WAIT_S = 120.0  # longer than a full sync of every list from a mirror (bench/bench_sync.py)


def _sync_loop(manifests: Iterable[ListManifest], store: Store, settings: Settings) -> int:
    """`sync --loop`: one cycle now, then one every sync_interval_s, each under the store's sync lock (a cycle
    another worker holds the lock for is skipped). SIGTERM/SIGINT end it after the list in progress."""
    import signal
    import threading

    from service.screening.retention import prune_expired
    from service.sync.worker import run_forever
    from service.wiring import fetcher_from

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    days = settings.audit_retention_days

    def upkeep() -> None:
        # The worker of a shared-Redis deployment is its one long-running writer: retention runs here.
        if days is not None:
            prune_expired(store, days)

    try:
        with fetcher_from(settings) as fetcher:
            run_forever(
                manifests,
                store,
                fetcher,
                interval_s=settings.sync_interval_s,
                stop=stop,
                max_entity_drop=settings.max_entity_drop,
                lock_ttl_s=settings.sync_lock_ttl_s,
                after_cycle=upkeep,
            )
    finally:
        store.close()
    return EXIT_OK


def _cmd_lists(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from service.model.codec import status_to_dict
    from service.sources.manifest import load_manifests
    from service.sync.console import print_statuses
    from service.sync.worker import list_statuses
    from service.wiring import store_from

    every = load_manifests(settings.lists_dir, sorted(p.stem for p in settings.lists_dir.glob("*.toml")))
    configured = load_manifests(settings.lists_dir, settings.lists or None)
    store = store_from(settings)
    try:
        # The configured lists (never-synced ones included), plus any other list the store holds.
        synced = set(store.all_statuses())
        chosen = [m for i, m in every.items() if i in configured or i in synced]
        statuses = list_statuses(store, chosen)
    finally:
        store.close()
    if args.json:
        print(json.dumps({"lists": [status_to_dict(s) for s in statuses]}, indent=2, ensure_ascii=False))
    else:
        print_statuses(statuses, terminal=sys.stdout.isatty())
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from service.api.server import serve  # imported here: the other commands need no web stack

    if args.workers < 1 or not 0 < args.port < 65536:
        print("sanctions: error: --workers must be >= 1 and --port within 1..65535", file=sys.stderr)
        return EXIT_USAGE
    serve(settings, host=args.host, port=args.port, workers=args.workers)
    return EXIT_OK


def _cmd_screen(args: argparse.Namespace, settings: Settings) -> int:
    """One screening against the locally synced lists, through the server's use case (its audit record is stored
    like the server's); `--json` prints the body of POST /v1/screen."""
    import json

    from service.screening.local import load_local
    from service.screening.responses import screen_response
    from service.screening.usecases import FixedState, Options, Screener
    from service.screening.wire import make_query
    from service.wiring import matcher_cache_from, store_from, store_name

    name = args.name.strip() if args.name else None
    identifiers = [i.strip() for i in args.identifier if i.strip()]
    if not name and not identifiers:
        print("sanctions: error: give a NAME or at least one --identifier", file=sys.stderr)
        return EXIT_USAGE
    if (args.threshold is not None and not 0.0 <= args.threshold <= 1.0) or not 1 <= args.limit <= 100:
        print("sanctions: error: --threshold must be within 0..1 and --limit within 1..100", file=sys.stderr)
        return EXIT_USAGE
    query = make_query(
        name=name, type=args.kind, identifiers=identifiers, birth_date=args.birth_date, countries=args.country
    )
    store = store_from(settings)
    try:
        local = load_local(
            store, args.lists or settings.lists, where=store_name(settings), cache=matcher_cache_from(settings)
        )
        screener = Screener(FixedState(local.state), threshold=settings.threshold, keep_queries=settings.audit_queries)
        outcome = screener.screen(query, Options(threshold=args.threshold, limit=args.limit), actor=CLI_ACTOR)
        store.write_audit(outcome.record.to_dict())
    finally:
        store.close()
    for warning in local.warnings:
        print(f"sanctions: warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(screen_response(outcome), ensure_ascii=False, indent=2))
    else:
        _print_hits(outcome.results[0].hits)
    return EXIT_OK


CLI_ACTOR = "cli"  # the key id audit records of command-line screenings carry


def _cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    from service.wiring import store_from

    store = store_from(settings)
    try:
        if args.audit_command == "export":
            return _audit_export(args, store)
        return _audit_prune(args, settings, store)
    finally:
        store.close()


def _iso_arg(value: str | None, option: str) -> datetime | None:
    from service.normalize.dates import parse_timestamp

    if value is None:
        return None
    when = parse_timestamp(value)
    if when is None:
        raise QueryError(f"{option}: not an ISO 8601 time: {value!r} (e.g. 2026-11-01 or 2026-11-01T00:00:00Z)")
    return when


def _audit_export(args: argparse.Namespace, store: Store) -> int:
    """`audit export`: stream the records, make the output durable, then move the store's export watermark."""
    from service.screening.retention import ExportResult, export_records, resolve_after

    if args.after and args.resume:
        print("sanctions: error: give --after or --resume, not both", file=sys.stderr)
        return EXIT_USAGE
    since, until = _iso_arg(args.since, "--since"), _iso_arg(args.until, "--until")
    after = resolve_after(store, args.after) if args.after else None
    if args.resume:
        stats = store.audit_stats()
        if stats.records is None:
            raise StoreError("the store cannot be read now, so its export watermark is unknown: try again later")
        after = stats.watermark
    done = ExportResult()

    def seen(result: ExportResult) -> None:
        nonlocal done
        done = result

    try:
        if args.output:
            with open(args.output, "wb") as out:
                export_records(store, out, after=after, since=since, until=until, progress=seen)
                out.flush()
                os.fsync(out.fileno())  # durable before the watermark says these records are exported
        else:
            export_records(store, sys.stdout.buffer, after=after, since=since, until=until, progress=seen)
            sys.stdout.buffer.flush()
    except (KeyboardInterrupt, BrokenPipeError):
        if done.last is not None:
            print(
                f"sanctions: interrupted after {done.records} records; continue with --after {done.last} "
                f"(screening {done.last_screening_id}); the export watermark did not move",
                file=sys.stderr,
            )
        return EXIT_FAILED
    if done.first is None or done.last is None:
        print("sanctions: no audit records in that range", file=sys.stderr)
        return EXIT_OK
    advanced = store.mark_exported(done.first, done.last)
    print(
        f"sanctions: exported {done.records} records, the last stored at {done.last_stored_at}; continue with "
        f"--after {done.last} (screening {done.last_screening_id}) or --resume",
        file=sys.stderr,
    )
    if not advanced:
        print(
            "sanctions: the export watermark did not move: records before this export's first one are not exported "
            "yet (an export with --resume, or without --after/--since, covers them)",
            file=sys.stderr,
        )
    return EXIT_OK


def _audit_prune(args: argparse.Namespace, settings: Settings, store: Store) -> int:
    from service.screening.retention import prune_expired

    days = args.days if args.days is not None else settings.audit_retention_days
    if days is None or days <= 0:
        print("sanctions: error: give --days N (> 0) or set SANCTIONS_AUDIT_RETENTION_DAYS", file=sys.stderr)
        return EXIT_USAGE
    result = prune_expired(store, days)
    print(f"sanctions: removed {result.removed} exported audit records older than {days:g} days", file=sys.stderr)
    if result.held_back_since is not None:
        print(
            f"sanctions: refused to remove records stored since {result.held_back_since}: they are older than "
            f"{days:g} days but no export has covered them; run `sanctions audit export --resume --output FILE` "
            "first",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_OK


def _print_hits(hits: Sequence[Hit]) -> None:
    from rich.console import Console
    from rich.table import Table

    if not hits:
        print("no hits")
        return
    table = Table("score", "match", "entity", "type", "name", "why", show_lines=True)
    for h in hits:
        why = "\n".join(f"{e.field}: {e.query_value} ~ {e.list_value} [{e.method} {e.score:.2f}]" for e in h.evidence)
        linked = "".join(f"\n{lk.relation}: {lk.name} ({lk.entity_id})" for lk in h.linked[:5])
        table.add_row(f"{h.score:.3f}", "MATCH" if h.match else "", h.entity_id, h.kind.value, h.name, why + linked)
    Console().print(table)


def _cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    from service.check.run import CheckOptions, make_screener, parse_fail_on, run_check

    options = CheckOptions(
        files=tuple(args.files),
        # Remote mode leaves the default to the server, whose SANCTIONS_THRESHOLD may differ from ours.
        min_score=args.min_score if args.min_score is not None else (None if args.url else settings.threshold),
        format=args.format or "table",
        output=args.output,
        fail_on=parse_fail_on(args.fail_on),
        allowlist=args.allowlist,
        fields=tuple(args.field),
        input_format=args.input_format,
        limit=args.limit,
    )

    screener = make_screener(
        url=args.url,
        api_key=args.api_key or os.environ.get("SANCTIONS_API_KEY") or None,
        timeout_s=args.timeout,
        data_dir=settings.data_dir,
        redis_url=settings.redis_url,
        list_ids=settings.lists,
        matcher_cache=settings.matcher_cache,
    )
    try:
        return run_check(options, screener)
    except ServiceError:
        raise
    except Exception:
        # Boundary: an unexpected crash would exit 1, which a pipeline reads as "a record matched"; a check
        # that could not run is exit 2.
        import traceback

        traceback.print_exc()
        print("sanctions: error: the check crashed (traceback above); nothing was screened", file=sys.stderr)
        return EXIT_USAGE


def _monitoring(settings: Settings, store: Store) -> tuple[Monitoring, Screener, tuple[str, ...]]:
    """The monitoring use cases over the lists synced into `store` (loaded once for this command)."""
    from service.screening.local import load_local
    from service.screening.monitoring import Monitoring
    from service.screening.usecases import FixedState, Screener
    from service.wiring import matcher_cache_from, store_name

    local = load_local(store, settings.lists, where=store_name(settings), cache=matcher_cache_from(settings))
    screener = Screener(
        FixedState(local.state, list(local.state.lists)),
        threshold=settings.threshold,
        keep_queries=settings.audit_queries,
        max_batch=sys.maxsize,
        decisions=lambda ref: store.monitoring.decisions(ref=ref),
    )
    return Monitoring(store, screener), screener, local.warnings


def _cmd_monitor(args: argparse.Namespace, settings: Settings) -> int:
    from service.wiring import store_from

    store = store_from(settings)
    try:
        if args.monitor_command == "add":
            return _monitor_add(args, settings, store)
        if args.monitor_command == "run":
            return _monitor_run(settings, store)
        return _monitor_list(args, store)
    finally:
        store.close()


def _monitor_add(args: argparse.Namespace, settings: Settings, store: Store) -> int:
    import json

    from service.screening.limits import MAX_MONITOR_BATCH
    from service.screening.monitoring import MonitorSpec
    from service.screening.records import parse_field_specs, read_file

    if args.threshold is not None and not 0.0 <= args.threshold <= 1.0:
        print("sanctions: error: --threshold must be within 0..1", file=sys.stderr)
        return EXIT_USAGE
    overrides = parse_field_specs(args.field)
    records = [
        r
        for path in dict.fromkeys(args.files)
        for r in read_file(path, input_format=args.input_format, overrides=overrides).records
    ]
    keyless = [r.location for r in records if not r.key]
    if keyless:
        print(
            f"sanctions: error: {len(keyless)} record(s) have no id (first: {keyless[0]}): a monitor needs your key "
            "for the party; name the column with --field id=COLUMN",
            file=sys.stderr,
        )
        return EXIT_USAGE
    empty = [r.location for r in records if not r.is_screenable()]
    if empty:
        print(
            f"sanctions: error: {len(empty)} record(s) have no name or identifier (first: {empty[0]})", file=sys.stderr
        )
        return EXIT_USAGE
    monitoring, _, warnings = _monitoring(settings, store)
    repeated = len(records) - len({r.key for r in records})
    if repeated:
        warnings += (f"{repeated} record(s) repeat an id seen before: each id is one monitor, as its last record says",)
    for warning in warnings:
        print(f"sanctions: warning: {warning}", file=sys.stderr)
    items = [(str(r.key), MonitorSpec(r.query, threshold=args.threshold)) for r in records]
    results = []
    for i in range(0, len(items), MAX_MONITOR_BATCH):
        stored, record = monitoring.put(items[i : i + MAX_MONITOR_BATCH], actor=CLI_ACTOR)
        store.write_audit(record.to_dict())
        results.extend(stored)
    if args.json:
        from service.screening.responses import monitor_batch_item

        print(json.dumps({"results": [monitor_batch_item(s) for s in results]}, ensure_ascii=False, indent=2))
    else:
        created = sum(1 for s in results if s.created)
        matching = sum(1 for s in results if s.monitor.hits)
        alerts = sum(1 for s in results for h in s.monitor.hits if h.alert is not None)
        print(
            f"{len(results)} monitor(s): {created} created, {len(results) - created} replaced; "
            f"{matching} with matches, {alerts} alert(s) to review (`sanctions monitor list --alerts`)"
        )
    return EXIT_OK


def _monitor_list(args: argparse.Namespace, store: Store) -> int:
    import json

    from service.screening.responses import monitor_summary

    mon = store.monitoring
    if args.alerts:
        rows: list[dict[str, object]] = []
        after = None
        while page := mon.alerts(after=after, limit=1000):
            rows += [{"since": since, "ref": ref, "entity_id": entity_id} for since, ref, entity_id in page]
            after = "|".join(page[-1])
        if args.json:
            print(json.dumps({"alerts": rows}, indent=2))
        else:
            for row in rows:
                print(f"{row['since']}  {row['ref']}  {row['entity_id']}")
            print(f"{len(rows)} open alert(s)")
        return EXIT_OK
    summaries: list[dict[str, object]] = []
    cursor = None
    while page_m := mon.list_monitors(after=cursor, limit=1000):
        summaries += [monitor_summary(m) for m in page_m]
        cursor = page_m[-1].ref
    if args.json:
        print(json.dumps({"monitors": summaries}, indent=2, ensure_ascii=False))
    else:
        for m in summaries:
            print(f"{m['ref']}  matches {m['matches']}  open alerts {m['open_alerts']}  screened {m['screened_at']}")
        print(f"{len(summaries)} monitor(s)")
    return EXIT_OK


def _monitor_run(settings: Settings, store: Store) -> int:
    from service.screening.monitoring import MonitorWorker
    from service.screening.usecases import FixedState

    monitoring, screener, warnings = _monitoring(settings, store)
    for warning in warnings:
        print(f"sanctions: warning: {warning}", file=sys.stderr)
    state = screener.current()
    report = MonitorWorker(store, FixedState(state, list(state.lists)), monitoring).run_once()
    if report is None:
        print("monitoring: nothing done (another worker holds the lock, or the lists changed meanwhile)")
        return EXIT_OK
    print(
        f"monitoring: {report.changed_entities} changed entit(ies), {report.rescreened} monitor(s) screened again"
        f"{' (all: no diff bridged the versions)' if report.full else ''}, {report.events} event(s)"
    )
    return EXIT_OK


def _cmd_decisions(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import UTC, datetime, timedelta

    import yaml

    from service.screening.decisions import allowlist_entries
    from service.wiring import store_from

    if args.valid_days < 1:
        print("sanctions: error: --valid-days must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    store = store_from(settings)
    try:
        decisions: list[Decision] = []
        while page := store.monitoring.decisions(limit=10_000, after=len(decisions)):
            decisions += page
    finally:
        store.close()
    expires = (datetime.now(UTC).date() + timedelta(days=args.valid_days)).isoformat()
    entries = allowlist_entries(decisions, expires=expires)
    text = "# Reviewed false positives exported by `sanctions decisions export`; use with sanctions check --allowlist\n"
    text += yaml.safe_dump({"entries": entries}, sort_keys=False, allow_unicode=True)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"{len(entries)} entr(ies) written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


_COMMANDS = {
    "sync": _cmd_sync,
    "lists": _cmd_lists,
    "serve": _cmd_serve,
    "screen": _cmd_screen,
    "check": _cmd_check,
    "monitor": _cmd_monitor,
    "decisions": _cmd_decisions,
    "audit": _cmd_audit,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    try:
        settings = Settings()
        return _COMMANDS[args.command](args, settings)
    except ServiceError as exc:
        # Boundary: every domain error becomes one line on stderr and a usage/data exit code.
        print(f"sanctions: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as exc:  # pydantic-settings validation of SANCTIONS_* variables
        print(f"sanctions: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
