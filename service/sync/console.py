"""What `sanctions sync` and `sanctions lists` print: progress (rich bars on a terminal, plain lines otherwise),
the per-list summary table, and the JSON records shared with `GET /v1/lists`."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from service.model import ListStatus, SyncState
from service.model.codec import status_to_dict
from service.sync.worker import STAGES, SyncResult

# Wide enough for an error message on one line when the output goes to a file or a CI log.
PLAIN_WIDTH = 200
_STYLE = {
    SyncState.OK: "green",
    SyncState.UNCHANGED: "green",
    SyncState.FAILED: "bold red",
    SyncState.STALE: "yellow",
    SyncState.NEVER: "dim",
}


class _PlainProgress:
    """One line per list and stage on stderr, for logs and pipes."""

    def __init__(self, out: IO[str], total: int) -> None:
        self.out = out
        self.total = total
        self.index: dict[str, int] = {}

    def __call__(self, list_id: str, stage: str) -> None:
        n = self.index.setdefault(list_id, len(self.index) + 1)
        print(f"[{n}/{self.total}] {list_id}: {stage}", file=self.out, flush=True)


class _BarProgress:
    """A rich progress bar per list, advanced at each stage."""

    def __init__(self, progress: Progress, list_ids: Sequence[str]) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {i: progress.add_task(i, total=len(STAGES), stage="waiting") for i in list_ids}

    def __call__(self, list_id: str, stage: str) -> None:
        task = self.tasks[list_id]
        if stage in STAGES:
            self.progress.update(task, completed=STAGES.index(stage), stage=stage)
        else:
            self.progress.update(task, completed=len(STAGES), stage=stage)


@contextmanager
def sync_progress(list_ids: Sequence[str], *, interactive: bool, err: IO[str] | None = None) -> Iterator[Any]:
    """A progress callback for `sync_lists`: bars when `interactive`, else plain lines on `err`."""
    err = err or sys.stderr
    if not interactive:
        yield _PlainProgress(err, len(list_ids))
        return
    columns = (
        TextColumn("[bold]{task.description:<26}"),
        BarColumn(bar_width=30),
        TextColumn("{task.fields[stage]:<9}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(file=err), transient=False) as progress:
        yield _BarProgress(progress, list_ids)


def _changes(r: SyncResult) -> str:
    if r.diff is None:
        return ""
    return f"+{len(r.diff.added)} -{len(r.diff.removed)} ~{len(r.diff.changed)}"


def print_summary(results: Sequence[SyncResult], *, out: IO[str] | None = None, terminal: bool = False) -> None:
    console = Console(file=out or sys.stdout, width=None if terminal else PLAIN_WIDTH, highlight=False)
    table = Table(title="sanctions sync", title_justify="left")
    for col, justify in (
        ("list", "left"),
        ("status", "left"),
        ("version", "left"),
        ("entities", "right"),
        ("changes", "right"),
        ("time", "right"),
        ("error", "left"),
    ):
        # Only the error wraps; the other cells stay whole in a narrow terminal.
        table.add_column(col, justify=justify, no_wrap=col != "error", overflow="fold")  # type: ignore[arg-type]
    for r in results:
        s = r.status
        table.add_row(
            r.list_id,
            f"[{_STYLE[s.status]}]{s.status.value}[/]",
            s.version or "-",
            f"{s.entities:,}",
            _changes(r),
            f"{r.duration_s:.1f} s",
            s.error or "",
        )
    console.print(table)


def result_record(r: SyncResult) -> dict[str, Any]:
    d = status_to_dict(r.status)
    d.update(
        {
            "added": len(r.diff.added) if r.diff else 0,
            "removed": len(r.diff.removed) if r.diff else 0,
            "changed": len(r.diff.changed) if r.diff else 0,
            "duration_s": round(r.duration_s, 3),
            "fetch_s": round(r.fetch_s, 3),
            "parse_s": round(r.parse_s, 3),
            "validate_s": round(r.validate_s, 3),
            "publish_s": round(r.publish_s, 3),
            "warnings": list(r.warnings),
        }
    )
    return d


def print_statuses(statuses: Sequence[ListStatus], *, out: IO[str] | None = None, terminal: bool = False) -> None:
    console = Console(file=out or sys.stdout, width=None if terminal else PLAIN_WIDTH, highlight=False)
    table = Table(title="sanctions lists", title_justify="left")
    for col in ("list", "status", "version", "published", "fetched", "checked", "entities", "error"):
        table.add_column(col, justify="right" if col == "entities" else "left")
    for s in statuses:
        table.add_row(
            s.id,
            f"[{_STYLE[s.status]}]{s.status.value}[/]",
            s.version or "-",
            s.published_at or "-",
            s.fetched_at or "-",
            s.checked_at or "-",
            f"{s.entities:,}",
            s.error or "",
        )
    console.print(table)
