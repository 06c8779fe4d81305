"""A serving state built in a forked child, which writes it to the matcher cache for the parent to load.

Why: decoding the snapshots and building the index allocate and free a few hundred MB, and a process that did it
keeps its heap near that high-water mark (neither pymalloc nor glibc give back a fragmented heap), while a state
loaded from its cache entry is compact. The supervisor forks its workers from the state it loads; a one-worker
server serves the state it loads. `bench.bench_startup` and `bench.bench_api --workers 1` measure the difference.

The child forks from the serving process, so a build reuses the serving state's name analysis as a build in place
would. A one-worker server has threads (the event loop, the audit writer, the sync loop) when it forks. The child
runs no code of theirs: it reads the snapshots, builds, writes one file and exits with `os._exit`. CPython resets
the interpreter's and the logging module's locks in a forked child. A lock another thread held at the fork stays
held in the child, and the Redis client has one. The child that needs such a lock does not finish, and after
`CHILD_BUILD_TIMEOUT_S` the parent kills it and builds in its own process, as it does whenever the child wrote
nothing.
"""

from __future__ import annotations

import gc
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import structlog

from service.forking import stop_with

if TYPE_CHECKING:
    from service.screening.matcher_cache import MatcherCache

log = structlog.get_logger("service.screening")

# A build of the real lists takes seconds, ten times the lists under a minute; past this the child is taken to be
# stuck (a lock held by another thread at the fork) and the parent builds in place.
CHILD_BUILD_TIMEOUT_S = 600.0
# how often the parent looks whether its child handed the state over or exited: a stat and a waitpid, some 20 us
_WAIT_STEP_S = 0.01


def start_child(parent: int, cache: MatcherCache[Any] | None) -> None:
    """A forked child's first steps (a builder here, a worker or the sync process under the supervisor): the
    parent's signal handlers only set the parent's flags, so the child stops on a signal, and with `parent`; and
    an entry the parent is still writing keeps its lock with the parent."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    stop_with(parent)
    lock = cache.pending_lock if cache is not None else None
    if lock is not None:
        os.close(lock.fileno())


def build_in_child(
    cache: MatcherCache[Any],
    key: str,
    body: Callable[[], None],
    *,
    in_child: Callable[[], None] = lambda: None,
    timeout_s: float = CHILD_BUILD_TIMEOUT_S,
    ready: Callable[[], bool] | None = None,
    reap: bool = False,
) -> bool:
    """Run `body` (build a state and write its entry under `key`: runtime.write_entry) in a forked child; True when
    the entry is there once the child is done. False, with no child, when the entry exists already or the process
    cannot fork; False when the child wrote nothing (the caller builds in place). `in_child`: what the child does
    first (the supervisor closes its workers' pipes). `ready`: whether the child has handed its state over already
    (service.screening.handoff); True then, at once, while the child goes on to write the entry: a thread of this
    process reaps it when it exits if `reap`, else whoever reaps the parent's children does (the supervisor's
    loop)."""
    if cache.has(key) or not hasattr(os, "fork"):
        return False
    started = time.perf_counter()
    parent = os.getpid()
    try:
        pid = os.fork()
    except OSError as exc:
        log.warning("matcher.child_build_failed", error=str(exc))
        return False
    if pid == 0:  # pragma: no cover - runs in the child; the tests see the entry it writes
        code = 1
        try:
            # This process builds, writes and exits: the collector would only scan what it builds (a full collection
            # as the build ends, 0.1 s of a 1.1-1.2 s change of the UN list), and the cycles it finds die with it.
            gc.disable()
            start_child(parent, cache)
            in_child()
            body()
            code = 0
        except BaseException:
            log.exception("matcher.child_build_crashed")
        finally:
            os._exit(code)
    exit_code = _wait(pid, timeout_s, ready)
    if exit_code is None:
        log.info("matcher.built_in_child", seconds=round(time.perf_counter() - started, 3), handed_over=True)
        if reap:
            threading.Thread(target=_reap, args=(pid,), name="builder-reaper", daemon=True).start()
        return True
    if exit_code != 0:
        log.warning("matcher.child_build_failed", code=exit_code)  # the caller builds in place instead
    written = cache.has(key)
    if written:
        log.info("matcher.built_in_child", seconds=round(time.perf_counter() - started, 3))
    return written


def _reap(pid: int) -> None:
    """Wait for a child that handed its state over and went on to write the cache entry, so that it leaves no zombie
    behind; one that fails there is logged (its entry is not written: the next start builds it)."""
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:  # reaped by someone else
        return
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        log.warning("matcher.child_build_failed", code=code, handed_over=True)


def _wait(pid: int, timeout_s: float, ready: Callable[[], bool] | None = None) -> int | None:
    """The child's exit code; after `timeout_s`, the child is killed (-9); None as soon as `ready()`, the child
    still running."""
    deadline = time.monotonic() + timeout_s
    while True:
        if ready is not None and ready():
            return None
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # reaped by someone else: what it wrote is all there is to go by
            return 0
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() >= deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return -signal.SIGKILL
        time.sleep(_WAIT_STEP_S)
