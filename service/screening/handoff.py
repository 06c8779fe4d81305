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
"""

from __future__ import annotations

import gc
import io
import os
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, NamedTuple, Protocol, TypeVar

import structlog

from service.match.matcher import Matcher, collector_paused

log = structlog.get_logger("service.screening")


class State(Protocol):
    """What a handoff reads of a serving state (runtime.ServingState, which imports this module)."""

    @property
    def matcher(self) -> Matcher: ...

    @property
    def generation(self) -> str: ...


S = TypeVar("S", bound=State)


class Held(NamedTuple):
    """What the parent keeps of its serving state while it reads a handoff: the stamp and the columns the handoff
    refers to (the supervisor frees the rest of the state first, to make room for the new one)."""

    stamp: tuple[object, ...]
    columns: tuple[Sequence[object], ...]


def path_in(folder: Path) -> Path:
    """Where this process's builder child hands a state over, in the matcher cache's `folder`: cleared of one a
    child wrote too late (its parent had stopped waiting)."""
    path = folder / f".handoff-{os.getpid()}"
    path.unlink(missing_ok=True)
    return path


def _columns(state: State) -> tuple[Sequence[object], ...]:
    index = state.matcher.index
    return index.entities, index.names.name, index.names.norm


def _stamp(state: State, process: int) -> tuple[object, ...]:
    return ("handoff-1", process, id(state), state.generation, *(len(c) for c in _columns(state)))


def hold(state: State) -> Held:
    """What reading a handoff written against `state` needs (the supervisor frees the rest of `state` first)."""
    return Held(_stamp(state, os.getpid()), _columns(state))


class _Pickler(pickle.Pickler):
    def __init__(self, file: IO[bytes], known: dict[int, tuple[int, int]]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._known = known

    def reducer_override(self, obj: Any) -> Any:
        # called for objects of this package's classes (not for str, int, tuple...: pickle's docs): one dict lookup
        ref = self._known.get(id(obj))
        if ref is None:
            return NotImplemented
        return _held, ref


_reading: tuple[Sequence[object], ...] | None = None  # the columns a handoff being read here refers to


def _held(column: int, position: int) -> object:
    if _reading is None:
        raise pickle.UnpicklingError("a handoff is read only by the process whose state it refers to")
    return _reading[column][position]


def write(path: Path, state: State, previous: State) -> None:
    """In a builder child: `state`, as a handoff for the parent whose serving state is `previous` (this process's
    copy of it: the same objects at the same addresses). Atomic: the parent sees the whole file or none."""
    known: dict[int, tuple[int, int]] = {}
    for column, objects in enumerate(_columns(previous)):
        for position, obj in enumerate(objects):
            known.setdefault(id(obj), (column, position))
    tmp = path.with_name(f"{path.name}.tmp")
    with tmp.open("wb") as fh:
        pickle.dump(_stamp(previous, os.getppid()), fh, protocol=pickle.HIGHEST_PROTOCOL)
        _Pickler(fh, known).dump(state)
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
        _reading = held.columns
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
