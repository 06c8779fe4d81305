"""A new serving state handed from a builder child to the process that forked it (the supervisor, or a one-worker
server), as a pickle that refers to the entities, names and name analyses that process holds already instead of
copying them.

Why: at a list change nearly every entity, name and analysis of the new state is an object of the serving state
(the child decodes only the list that changed, and reuses the serving index's analyses). Pickled whole (the matcher
cache entry), they were most of what the child wrote and the parent read: on the real lists 0.97 s to write and
0.63-0.76 s to read, against 0.52-0.57 s and 0.33-0.41 s for the handoff, which writes a reference (a position in
the serving index's columns) for each object the parent has. The references are good only in the process that
forked the writer, holding the same serving state: the file carries a stamp of it (that process's id, the state's
address and generation, the columns' lengths), checked before anything is resolved, and is read once and deleted.
The child writes the full cache entry after the handoff, for restarts and other processes.

Two things more are written as changes rather than whole: the new index's columns of entities, names and analyses
(and the text view's of analyses), as runs of positions in the serving index's columns (one reference per run, not
per object), and its key tables, as the keys that differ from the serving index's tables. A change of the UN list,
on the real lists, in one process: written in 240 ms instead of 0.38-0.42 s, read in 87 ms instead of 165-168 ms,
14 MB instead of 21 MB.
"""

from __future__ import annotations

import dataclasses
import gc
import io
import os
import pickle
from collections.abc import Callable, Mapping, Sequence
from itertools import islice
from pathlib import Path
from typing import IO, Any, NamedTuple, Protocol, TypeVar

import structlog

from service.match.index import Index, NameTable
from service.match.matcher import Matcher, collector_paused
from service.match.text import TextView

log = structlog.get_logger("service.screening")


class State(Protocol):
    """What a handoff reads of a serving state (runtime.ServingState, which imports this module)."""

    @property
    def matcher(self) -> Matcher: ...

    @property
    def generation(self) -> str: ...


S = TypeVar("S", bound=State)


class Held(NamedTuple):
    """What the parent keeps of its serving state while it reads a handoff: the stamp, the columns the handoff
    refers to and the key tables it gives the changes of (the supervisor frees the rest of the state first, to make
    room for the new one)."""

    stamp: tuple[object, ...]
    columns: tuple[Sequence[object], ...]
    tables: tuple[Mapping[str, object], ...]


def path_in(folder: Path) -> Path:
    """Where this process's builder child hands a state over, in the matcher cache's `folder`: cleared of one a
    child wrote too late (its parent had stopped waiting)."""
    path = folder / f".handoff-{os.getpid()}"
    path.unlink(missing_ok=True)
    return path


def _columns(state: State) -> tuple[Sequence[object], ...]:
    index = state.matcher.index
    return index.entities, index.names.name, index.names.norm


_TABLES = ("by_skeleton", "by_unarticled", "by_deletion")  # the index's key tables, handed over as changes


def _tables(state: State) -> tuple[Mapping[str, object], ...]:
    index = state.matcher.index
    return tuple(getattr(index, name) for name in _TABLES)


def _stamp(state: State, process: int) -> tuple[object, ...]:
    return ("handoff-1", process, id(state), state.generation, *(len(c) for c in _columns(state)))


def hold(state: State) -> Held:
    """What reading a handoff written against `state` needs (the supervisor frees the rest of `state` first)."""
    return Held(_stamp(state, os.getpid()), _columns(state), _tables(state))


class _Pickler(pickle.Pickler):
    def __init__(self, file: IO[bytes], previous: State) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._columns = _columns(previous)
        self._tables = _tables(previous)
        # each object of the serving columns by its address: (column, its first position there)
        self._known: dict[int, tuple[int, int]] = {}
        for column, objects in enumerate(self._columns):
            for position, obj in enumerate(objects):
                self._known.setdefault(id(obj), (column, position))

    def reducer_override(self, obj: Any) -> Any:
        # called for objects of this package's classes (not for str, int, tuple...: pickle's docs): one dict lookup
        ref = self._known.get(id(obj))
        if ref is not None:
            return _held, ref
        if obj.__class__ is Index:
            reduced: Any = obj.__reduce_ex__(pickle.HIGHEST_PROTOCOL)  # (new, args, its __dict__, ...)
            state = {**reduced[2], "entities": self._runs(obj.entities, 0)}
            for which, name in enumerate(_TABLES):
                state[name] = self._changes(state[name], which)
            return (*reduced[:2], state, *reduced[3:])
        if obj.__class__ is NameTable:
            return NameTable, (obj.entity, self._runs(obj.name, 1), self._runs(obj.norm, 2), obj.weights)
        if obj.__class__ is TextView:  # its names' analyses, in the order of the index's, but for repeated names
            values = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
            return _made, (TextView, {**values, "norms": self._runs(obj.norms, 2)})
        return NotImplemented

    def _runs(self, objects: Sequence[object], column: int) -> _Runs:
        """`objects` as runs of positions in the serving index's `column` and the objects it does not have."""
        source, known = self._columns[column], self._known
        spans: list[int] = []  # (start, length) after each other; start -1: that many of `literals`
        literals: list[object] = []
        for obj in objects:
            if spans and (start := spans[-2]) >= 0:
                following = start + spans[-1]
                if following < len(source) and source[following] is obj:
                    spans[-1] += 1
                    continue
            ref = known.get(id(obj))
            position = ref[1] if ref is not None and ref[0] == column else -1
            if position < 0:
                literals.append(obj)
                if spans and spans[-2] < 0:
                    spans[-1] += 1
                    continue
            spans += (position, 1)
        return _Runs(column, spans, literals)

    def _changes(self, table: Mapping[str, object], which: int) -> object:
        """A key table as its changes from the serving index's (whole when most of it changed)."""
        serving = self._tables[which]
        changed = {key: value for key, value in table.items() if serving.get(key) != value}
        if len(changed) > len(table) // 2:
            return table
        return _Changes(which, changed, [key for key in serving if key not in table])


class _Runs:
    """A column of the new index written as runs (`_Pickler._runs`); read back as the list."""

    __slots__ = ("column", "literals", "spans")

    def __init__(self, column: int, spans: list[int], literals: list[object]) -> None:
        self.column, self.spans, self.literals = column, spans, literals

    def __reduce__(self) -> tuple[Any, ...]:
        return _rejoined, (self.column, self.spans, self.literals)


class _Changes:
    """A key table written as the keys that differ from the serving index's; read back as the table."""

    __slots__ = ("changed", "removed", "which")

    def __init__(self, which: int, changed: dict[str, object], removed: list[str]) -> None:
        self.which, self.changed, self.removed = which, changed, removed

    def __reduce__(self) -> tuple[Any, ...]:
        return _patched, (self.which, self.changed, self.removed)


_reading: Held | None = None  # what a handoff being read here refers to


def _serving() -> Held:
    if _reading is None:
        raise pickle.UnpicklingError("a handoff is read only by the process whose state it refers to")
    return _reading


def _held(column: int, position: int) -> object:
    return _serving().columns[column][position]


def _rejoined(column: int, spans: list[int], literals: list[object]) -> list[object]:
    source = _serving().columns[column]
    out: list[object] = []
    rest = iter(literals)
    for start, length in zip(spans[::2], spans[1::2], strict=True):
        out.extend(islice(rest, length) if start < 0 else source[start : start + length])
    return out


def _made(cls: Callable[..., object], values: dict[str, object]) -> object:
    return cls(**values)


def _patched(which: int, changed: dict[str, object], removed: list[str]) -> dict[str, object]:
    table = dict(_serving().tables[which])
    for key in removed:
        del table[key]
    table.update(changed)
    return table


def write(path: Path, state: State, previous: State) -> None:
    """In a builder child: `state`, as a handoff for the parent whose serving state is `previous` (this process's
    copy of it: the same objects at the same addresses). Atomic: the parent sees the whole file or none."""
    tmp = path.with_name(f"{path.name}.tmp")
    with tmp.open("wb") as fh:
        pickle.dump(_stamp(previous, os.getppid()), fh, protocol=pickle.HIGHEST_PROTOCOL)
        _Pickler(fh, previous).dump(state)
    os.replace(tmp, path)


def read(path: Path, held: Held, kind: type[S]) -> S | None:
    """The state (a `kind`) a child handed over against the state `held` was taken from; None (logged) when there
    is no handoff, when it was written against another state or process, or when it cannot be read: the caller then
    loads the cache entry the child writes next. The file is deleted either way. One thread at a time (the
    supervisor's one thread; a one-worker server's reload, under its lock)."""
    global _reading  # noqa: PLW0603 -- set while the one thread that loads states reads a handoff
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    finally:
        path.unlink(missing_ok=True)
    try:
        stream = io.BytesIO(data)
        stamp = pickle.load(stream)  # noqa: S301 -- written by our own child, in the matcher cache's folder
        if stamp != held.stamp:
            log.warning("matcher.handoff_refused", reason="written against another serving state")
            return None
        _reading = held
        with collector_paused():  # a few hundred thousand objects arrive, as in a load from the cache
            state = pickle.load(stream)  # noqa: S301
            # frozen now, as MatcherCache.load freezes what it loads: the collection that follows a load
            # (service.api.heap) does not scan them, which held a one-worker server's requests for 50 ms
            gc.freeze()
    except Exception as exc:  # boundary: an unreadable handoff costs a load of the cache entry, never the server
        log.warning("matcher.handoff_refused", reason=f"{type(exc).__name__}: {exc}")
        return None
    finally:
        _reading = None
    if not isinstance(state, kind):
        log.warning("matcher.handoff_refused", reason=f"not a serving state: {type(state).__name__}")
        return None
    return state
