"""Built matchers kept beside the snapshots, so that a restart, every other worker process and every CLI run on
the same data folder loads one (about a second) instead of decoding the snapshots and building it (about ten).

An entry is keyed by the store's generation (which changes on every publish), the lists served and a fingerprint
of this code and the libraries the index is made with: a new list version, another list selection or another
release of the matcher simply misses. While one process builds an entry it holds an exclusive lock on the entry's
lock file; the others wait for it and load what it wrote rather than spending a core each on the same build
(with `serve --workers 2` on two cores, building twice at once took both cores for twice as long).

The format is pickle: fast, and it keeps the index as it was built. A pickle runs code when loaded, so the folder
must be as trusted as the snapshots beside it (whoever can write there can already change what is screened);
nothing is ever read from the network or Redis this way. A damaged or unreadable entry is removed and rebuilt.
"""

from __future__ import annotations

import fcntl
import gc
import hashlib
import importlib.metadata
import os
import pickle
import platform
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import BinaryIO, Generic, TypeVar

import structlog

import service
from service.match.matcher import collector_paused

log = structlog.get_logger("service.screening")

FORMAT = 1  # bump when what is pickled changes shape
KEEP = 3  # entries kept per folder: the one served, the one before (a replica still on it) and one being made
SUFFIX = ".matcher"
STALE_TMP_S = 600.0
# What the built index depends on besides this package's own code.
_LIBRARIES = ("rapidfuzz", "numpy", "anyascii", "ftfy", "pycountry", "stopwordsiso")

T = TypeVar("T")


@cache
def code_fingerprint() -> str:
    """This package's source and the versions of Python and the libraries the index is built with."""
    h = hashlib.sha256(f"{FORMAT}|{platform.python_implementation()} {platform.python_version()}".encode())
    for name in _LIBRARIES:
        try:
            h.update(f"|{name}={importlib.metadata.version(name)}".encode())
        except importlib.metadata.PackageNotFoundError:
            h.update(f"|{name}=-".encode())
    root = Path(service.__file__).parent
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


class MatcherCache(Generic[T]):
    """Built serving states (of type `kind`: the runtime's ServingState) in one folder, one file per key."""

    def __init__(self, folder: Path, kind: type[T], *, keep: int = KEEP) -> None:
        self.folder = folder
        self.kind = kind
        self.keep = keep
        self.saving: threading.Thread | None = None  # the last entry being written (tests and benchmarks join it)
        self.pending: Callable[[], None] | None = None  # an entry built with background=False, not yet written
        self.pending_lock: BinaryIO | None = None  # its build lock, held until it is written

    def _take_pending(self) -> tuple[Callable[[], None] | None, BinaryIO | None]:
        """The entry waiting to be written and its lock, no longer pending here."""
        pending, lock = self.pending, self.pending_lock
        self.pending = self.pending_lock = None
        return pending, lock

    def finish_pending_in_thread(self) -> None:
        """Write the entry `get_or_build(..., background=False)` built from a thread (`saving`), as `get_or_build`
        does by default; the thread releases its lock when the entry is whole."""
        pending, _ = self._take_pending()
        if pending is not None:
            # not a daemon: a one-shot command finishing meanwhile waits for the entry (its next run loads it)
            self.saving = threading.Thread(target=pending, name="matcher-cache-save")
            self.saving.start()

    def has(self, key: str) -> bool:
        return self._path(key).is_file()

    def finish_pending_here(self) -> None:
        """Write that entry in this process, now, and release its lock (a builder child that exits right after)."""
        pending, _ = self._take_pending()  # the lock comes with the entry: `pending` releases it
        if pending is not None:
            pending()

    def finish_pending_in_child(self) -> int | None:
        """Write that entry from a forked child process, which releases the lock when the entry is whole and exits;
        returns its pid (None when nothing was pending). Pickling touches every object of the state: in a child,
        the pages it copies on writing go when it exits, while this process's stay shared with the processes it
        forked before."""
        pending, lock = self._take_pending()
        if pending is None:
            return None
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child, measured by the tests through the entry it writes
            code = 1
            try:
                pending()
                code = 0
            finally:
                os._exit(code)
        if lock is not None:
            lock.close()  # without unlocking: the lock is the child's now, which unlocks it when done
        return pid

    def key(self, generation: str, list_ids: Sequence[str]) -> str:
        raw = f"{code_fingerprint()}|{generation}|{','.join(sorted(list_ids))}"
        return hashlib.sha256(raw.encode()).hexdigest()[:32]

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}{SUFFIX}"

    def load(self, key: str) -> T | None:
        path = self._path(key)
        try:
            data = path.read_bytes()  # at once: unpickling from a file object reads it in small pieces, 2x slower
            with collector_paused():  # a few million objects arrive, as in a build
                state = pickle.loads(data)  # noqa: S301 -- the folder is as trusted as the snapshots (above)
                # A serving state lives as long as the process serves it, and the server freezes it anyway: frozen
                # now, the collector does not scan the million objects just loaded the moment it is enabled again
                # (0.2 s of a 0.8 s load). A process that replaces it unfreezes first (service.api.heap).
                gc.freeze()
            del data
        except FileNotFoundError:
            return None
        except Exception as exc:  # boundary: a damaged entry must cost a rebuild, never the server
            log.warning("matcher_cache.unreadable", key=key, error=f"{type(exc).__name__}: {exc}")
            path.unlink(missing_ok=True)
            return None
        if not isinstance(state, self.kind):
            log.warning("matcher_cache.unexpected", key=key, type=type(state).__name__)
            path.unlink(missing_ok=True)
            return None
        return state

    def save(self, key: str, state: T) -> None:
        """Write atomically (a reader sees the whole entry or none), then drop the oldest past `keep`."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=SUFFIX)
            try:
                with os.fdopen(fd, "wb") as fh:
                    pickle.dump(state, fh, protocol=pickle.HIGHEST_PROTOCOL)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, self._path(key))
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except Exception as exc:  # boundary: a full disk or an unpicklable index costs the next start, not this one
            log.warning("matcher_cache.not_saved", key=key, error=f"{type(exc).__name__}: {exc}")
            return
        self._prune()

    def _prune(self) -> None:
        # (pathlib's * matches dot files too: a write in progress is no entry to count or remove)
        entries = sorted((p for p in self.folder.glob(f"*{SUFFIX}") if not p.name.startswith(".")), key=_mtime)
        entries.reverse()
        for old in entries[self.keep :]:
            old.unlink(missing_ok=True)
            old.with_suffix(".lock").unlink(missing_ok=True)
        # what a writer killed mid-write left (a live writer's file is younger than this)
        for tmp in self.folder.glob(f".tmp-*{SUFFIX}"):
            if time.time() - _mtime(tmp) > STALE_TMP_S:
                tmp.unlink(missing_ok=True)

    def _lock(self, key: str) -> BinaryIO | None:
        """Take the entry's build lock, waiting while another process holds it; None when the folder cannot hold a
        lock file (read-only): then every process builds for itself. The kernel drops the lock when its holder
        exits, so a crashed builder never leaves the others waiting."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fh = self._path(key).with_suffix(".lock").open("a+b")
        except OSError as exc:
            log.warning("matcher_cache.no_lock", key=key, error=str(exc))
            return None
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        return fh

    @staticmethod
    def _unlock(fh: BinaryIO | None) -> None:
        if fh is not None:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
            fh.close()

    def get_or_build(
        self, key: str, build: Callable[[], tuple[T | None, bool]], *, background: bool = True
    ) -> tuple[T | None, bool]:
        """The entry for `key`, built by this process when no other did: (state, whether it came from the cache).
        `build` returns (state or None when there is nothing to build from, whether to keep it under `key`).

        One process builds and writes the entry; the others wait for it and load the entry, which spares a core
        each. The builder returns as soon as it has built (its caller serves the new state) and writes the entry
        from a thread that releases the lock when the entry is whole (pickling takes about two seconds). With
        `background=False` nothing is written yet: the caller runs `finish_pending_in_thread()` or
        `finish_pending_in_child()` when it chooses (a process that forks must not fork while a thread holds the
        entry's lock: the children would hold it too)."""
        state = self.load(key)
        if state is not None:
            return state, True
        fh = self._lock(key)
        try:
            state = self.load(key)  # another process may have built it while this one waited
            if state is not None:
                self._unlock(fh)
                return state, True
            state, keep = build()
        except BaseException:
            self._unlock(fh)
            raise
        if state is None or not keep or fh is None:
            self._unlock(fh)
            return state, False
        built = state

        def save_then_unlock() -> None:
            try:
                self.save(key, built)
            finally:
                self._unlock(fh)

        self.pending, self.pending_lock = save_then_unlock, fh
        if background:
            self.finish_pending_in_thread()
        return state, False


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
