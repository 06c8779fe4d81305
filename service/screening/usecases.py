"""The screening use cases over the serving state: one party, a batch, free text, a comparison, yente's match.

Each takes domain values (Query, Options) and returns a typed outcome plus the audit record that proves it; the
HTTP routes, the CLI and the CI hook are adapters around these functions and never repeat the sequence (pick the
lists, screen, build the audit record). Writing the record is the caller's: the server answers only once it is
stored (`AuditWriter`), the CLI writes it before printing, the CI hook's report is its own record.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from service.errors import NotReadyError, QueryError, TooLargeError
from service.match.analysis import processes_available, spread
from service.match.features import FEATURE_NAMES
from service.match.text import Mention, scan_text
from service.model import Comparison, Decision, EntityKind, Hit, ListInfo, Query
from service.screening.audit import AuditRecord, audit_hits
from service.screening.decisions import Applied, apply_all
from service.screening.limits import DEFAULT_LIMIT, DEFAULT_MAX_BATCH, DEFAULT_MAX_TEXT_CHARS
from service.screening.runtime import ServingState
from service.screening.wire import query_to_dict


class StateSource(Protocol):
    """Where the current serving state comes from: the server's Runtime, or a state loaded once by a command."""

    @property
    def state(self) -> ServingState | None: ...

    @property
    def list_ids(self) -> list[str]: ...

    @property
    def last_error(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class FixedState:
    """A serving state loaded once (`sanctions screen`, `sanctions check`): never replaced."""

    state: ServingState
    list_ids: list[str] = field(default_factory=list)
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class Filters:
    """Which listed entities may be hits. None = no restriction."""

    lists: tuple[str, ...] | None = None
    kinds: tuple[EntityKind, ...] | None = None
    programs: tuple[str, ...] | None = None
    exclude_ids: tuple[str, ...] = ()  # entity ids a reviewer has cleared for this party


@dataclass(frozen=True, slots=True)
class Options:
    threshold: float | None = None  # None: the deployment's default (SANCTIONS_THRESHOLD)
    limit: int = DEFAULT_LIMIT
    filters: Filters = Filters()


@dataclass(frozen=True, slots=True)
class Party:
    """One party of a batch: its query, the caller's key for it, and options that override the batch's own."""

    query: Query
    ref: str | None = None
    threshold: float | None = None
    limit: int | None = None
    lists: tuple[str, ...] | None = None
    kinds: tuple[EntityKind, ...] | None = None
    programs: tuple[str, ...] | None = None
    exclude_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Screened:
    """One party's result, with the reviewers' standing decisions on its hits (by entity id) when it has a ref."""

    query: Query
    hits: tuple[Hit, ...]
    threshold: float
    ref: str | None = None
    decisions: Mapping[str, Applied] = field(default_factory=dict)


@dataclass(frozen=True)
class Recorded:
    """A use case's result with the audit record that proves it (its `screening_id` and `screened_at` are the
    response's) and the list versions it was screened against."""

    record: AuditRecord
    threshold: float
    lists: tuple[ListInfo, ...]

    @property
    def screening_id(self) -> str:
        return self.record.screening_id

    @property
    def screened_at(self) -> str:
        return self.record.screened_at

    def all_hits(self) -> list[Hit]:
        raise NotImplementedError


@dataclass(frozen=True)
class Outcome(Recorded):
    """One party's or many parties' results."""

    results: tuple[Screened, ...]
    state: ServingState

    def all_hits(self) -> list[Hit]:
        return [h for r in self.results for h in r.hits]


@dataclass(frozen=True)
class TextOutcome(Recorded):
    """The mentions found in a text, each with its span and hits; `truncated` when the request's work budget ran
    out before the end of the text (names after `screened_to` were not screened: `note` says so)."""

    mentions: tuple[Mention, ...]
    truncated: bool = False
    screened_to: int = 0
    note: str = ""

    def all_hits(self) -> list[Hit]:
        return [h for m in self.mentions for h in m.hits]


class _Job(NamedTuple):
    query: Query
    threshold: float
    limit: int
    filters: Filters


# A batch of this many parties or more is screened on every core the process may run on, in forked children beside
# this process (`_screen_all`). A fork costs 35-80 ms of system time here (page tables, then the pages either process
# writes first), and the child's pickled hits: with a served state on 2 cores, 500 parties took 0.18 s instead of
# 0.24 s for 40 % more CPU, 1,000 took 0.32 s instead of 0.46 s for 30 % more, 200 gained nothing.
BATCH_CHILD_MIN_PARTIES = 500
# How much longer than an even share would take it a process waits for a child, the child using no CPU meanwhile (it
# is stuck), before screening the child's chunks itself; a child that is merely slow on busy cores is waited for.
BATCH_PATIENCE = 4.0


def _screen_all(state: ServingState, jobs: Sequence[_Job], *, on_every_core: bool = True) -> list[tuple[Hit, ...]]:
    """The hits of each job, in order; a large batch on every core (service.match.analysis.spread).

    Why: `serve --workers N` has the kernel spread connections over the workers by a hash of their addresses. Of
    four 1,000-party batches in flight on two workers, three or four landed on one worker half of the time, which
    screened them one core's worth while the other core idled (about 2,500 or 1,700 names/s, against 4,300-5,000
    when they split two and two). Each batch now takes the other cores too; when every core is busy, its children
    only share them with the rest.

    A worker has threads (the event loop, its thread pool, the audit writer) when it forks. The child runs nothing
    but the matcher's screening of its chunks, which takes no lock (no logging, no I/O, no metrics), and leaves with
    `os._exit`; a child that fails, or is stuck (no answer and no CPU used for BATCH_PATIENCE times as long as this
    process would take for an even share), is killed and its chunks screened here: a child costs time, never an
    answer."""

    def screen(chunk: Sequence[_Job]) -> list[tuple[Hit, ...]]:
        return [Screener._screen(state, j.query, j.threshold, j.limit, j.filters) for j in chunk]

    big = on_every_core and len(jobs) >= BATCH_CHILD_MIN_PARTIES
    processes = processes_available() if big and hasattr(os, "fork") else 1
    if processes < 2:
        return screen(jobs)
    return spread(screen, jobs, processes, "batch", patience=BATCH_PATIENCE)


class Screener:
    """The use cases of one deployment: its default threshold, caps and audit policy, over a state source."""

    def __init__(
        self,
        source: StateSource,
        *,
        threshold: float,
        keep_queries: bool = False,
        max_batch: int = DEFAULT_MAX_BATCH,
        max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
        decisions: Callable[[str], Sequence[Decision]] | None = None,
    ) -> None:
        """`decisions(ref)` reads a party's decisions (oldest first): hits of a screening with a ref carry them."""
        self.source = source
        self._decisions = decisions
        self.default_threshold = threshold
        self.keep_queries = keep_queries
        self.max_batch = max_batch
        self.max_text_chars = max_text_chars

    # --- state and lists ----------------------------------------------------------------------------------------
    def current(self) -> ServingState:
        """The serving state a request uses from start to end; NotReadyError (503) before one is loaded."""
        state = self.source.state
        if state is None:
            raise NotReadyError(self.source.last_error or "no list loaded yet")
        return state

    def select_lists(self, state: ServingState, requested: Iterable[str] | None) -> list[str]:
        """The lists a screening runs against: the requested ids (all loaded when None), each checked."""
        if requested is None:
            return sorted(state.lists)
        wanted = list(dict.fromkeys(requested))
        served = self.source.list_ids or list(state.lists)
        unknown = [i for i in wanted if i not in served]
        if unknown:
            raise QueryError(f"unknown list id(s): {', '.join(unknown)}; served: {', '.join(served)}")
        missing = [i for i in wanted if i not in state.lists]
        if missing:
            raise NotReadyError(f"no snapshot loaded yet for: {', '.join(missing)}")
        return wanted

    def threshold(self, requested: float | None) -> float:
        return self.default_threshold if requested is None else requested

    def _record(
        self, kind: str, actor: str, threshold: float, state: ServingState, lists: Iterable[str]
    ) -> AuditRecord:
        versions = {i: state.lists[i].version or "" for i in lists}
        return AuditRecord(kind, actor, threshold, versions, keep_queries=self.keep_queries)

    feature_names: tuple[str, ...] = FEATURE_NAMES  # what `weights` may name (service.match.features)

    @staticmethod
    def _screen(
        state: ServingState,
        query: Query,
        threshold: float,
        limit: int,
        f: Filters,
        *,
        weights: Mapping[str, float] | None = None,
    ) -> tuple[Hit, ...]:
        return tuple(
            state.matcher.screen(
                query,
                threshold=threshold,
                limit=limit,
                lists=f.lists,
                kinds=f.kinds,
                programs=f.programs,
                exclude_ids=f.exclude_ids,
                weights=weights,
            )
        )

    def _decided(self, state: ServingState, ref: str | None, hits: tuple[Hit, ...]) -> Mapping[str, Applied]:
        if ref is None or self._decisions is None or not hits:
            return {}
        return apply_all(self._decisions(ref), hits, state.matcher.get)

    # --- use cases ----------------------------------------------------------------------------------------------
    def screen(self, query: Query, options: Options, *, actor: str, ref: str | None = None) -> Outcome:
        """One party against the chosen lists."""
        state = self.current()
        lists = self.select_lists(state, options.filters.lists)
        threshold = self.threshold(options.threshold)
        hits = self._screen(state, query, threshold, options.limit, options.filters)
        record = self._record("screen", actor, threshold, state, lists)
        record.add(query_to_dict(query), audit_hits(hits), ref=ref)
        screened = Screened(query, hits, threshold, ref, self._decided(state, ref, hits))
        return Outcome(record, threshold, tuple(state.lists[i] for i in lists), (screened,), state)

    def batch(
        self,
        parties: Sequence[Party],
        defaults: Options,
        *,
        actor: str,
        kind: str = "batch",
        cap: int | None = None,
        on_every_core: bool = True,
    ) -> Outcome:
        """Many parties in one screening (one audit record, one item per party). A party's own options override
        the batch's; excluded entity ids add up. `cap` replaces the deployment's batch cap (monitor imports).
        `on_every_core=False`: in this process only, even when large (`_screen_all`), for work nobody waits on."""
        cap = self.max_batch if cap is None else cap
        if len(parties) > cap:
            raise TooLargeError(f"batch of {len(parties)} queries is over the limit of {cap}")
        state = self.current()
        default_threshold = self.threshold(defaults.threshold)
        d = defaults.filters
        used: dict[str, None] = {}
        jobs: list[_Job] = []
        for p in parties:
            requested = p.lists if p.lists is not None else d.lists
            used.update(dict.fromkeys(self.select_lists(state, requested)))
            f = Filters(
                lists=requested,
                kinds=p.kinds if p.kinds is not None else d.kinds,
                programs=p.programs if p.programs is not None else d.programs,
                exclude_ids=(*d.exclude_ids, *p.exclude_ids),
            )
            threshold = p.threshold if p.threshold is not None else default_threshold
            limit = p.limit if p.limit is not None else defaults.limit
            jobs.append(_Job(p.query, threshold, limit, f))
        results = [
            Screened(p.query, hits, job.threshold, p.ref, self._decided(state, p.ref, hits))
            for p, job, hits in zip(parties, jobs, _screen_all(state, jobs, on_every_core=on_every_core), strict=True)
        ]
        lists = sorted(used)
        record = self._record(kind, actor, default_threshold, state, lists)
        for r in results:
            record.add(_echo(r), audit_hits(r.hits), ref=r.ref)
        return Outcome(record, default_threshold, tuple(state.lists[i] for i in lists), tuple(results), state)

    def text(self, text: str, *, threshold: float | None, lists: Sequence[str] | None, actor: str) -> TextOutcome:
        """Every mention of a listed party, tail number or IMO number in free text, with character spans."""
        if len(text) > self.max_text_chars:
            raise TooLargeError(f"text of {len(text)} characters is over the limit of {self.max_text_chars}")
        state = self.current()
        chosen = self.select_lists(state, lists)
        effective = self.threshold(threshold)
        scan = scan_text(state.matcher, text, threshold=effective, lists=chosen if lists is not None else None)
        mentions = scan.mentions
        record = self._record("text", actor, effective, state, chosen)
        hits: list[dict[str, Any]] = []
        for m in mentions:
            hits.extend(audit_hits(m.hits, span=(m.start, m.end)))
        record.add({"text": text, "lists": list(lists) if lists is not None else None}, hits)
        listed = tuple(state.lists[i] for i in chosen)
        return TextOutcome(record, effective, listed, mentions, scan.truncated, scan.screened_to, scan.note)

    def compare(self, query: Query, candidate: Query, *, threshold: float | None) -> tuple[Comparison, float]:
        """Two parties scored against each other (no list involved) with the screening scorer."""
        effective = self.threshold(threshold)
        return self.current().matcher.compare(query, candidate, threshold=effective), effective

    def match(
        self,
        queries: Mapping[str, Query],
        *,
        lists: Callable[[ServingState], Sequence[str]],
        kinds: Sequence[EntityKind] | None,
        limit: int,
        threshold: float | None,
        cutoff: float,
        exclude_ids: Sequence[str],
        actor: str,
        echo: Callable[[str], Mapping[str, Any]],
        weights: Mapping[str, float] | None = None,
    ) -> Outcome:
        """yente's query-by-example: named queries against the lists `lists(state)` names (none: no hits), results
        under `cutoff` dropped. `echo(name)` is what the audit record hashes for each query (the properties used);
        `weights` override the scoring table's feature weights by name (QueryError for an unknown one)."""
        if len(queries) > self.max_batch:
            raise TooLargeError(f"batch of {len(queries)} queries is over the limit of {self.max_batch}")
        state = self.current()
        chosen = list(lists(state))
        effective = self.threshold(threshold)
        f = Filters(
            lists=tuple(chosen), kinds=tuple(kinds) if kinds is not None else None, exclude_ids=tuple(exclude_ids)
        )
        results = []
        for name, query in queries.items():
            hits = self._screen(state, query, effective, limit, f, weights=weights) if chosen else ()
            results.append(Screened(query, tuple(h for h in hits if h.score >= cutoff), effective, name))
        record = self._record("match", actor, effective, state, chosen)
        for r in results:
            record.add(echo(r.ref or ""), audit_hits(r.hits), ref=r.ref)
        return Outcome(record, effective, tuple(state.lists[i] for i in chosen), tuple(results), state)


def _echo(r: Screened) -> dict[str, Any]:
    return {"ref": r.ref, **query_to_dict(r.query)} if r.ref is not None else query_to_dict(r.query)
