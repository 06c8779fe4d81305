"""The work of a build spread over the process's CPU cores: the name analysis, and views built beside the index.

Analysing every listed name (service.normalize.names.analyze) is about 40 % of a first build: 7.5 of 19 s at ten
times the lists, on one core. It is a pure function of the text, so a build with many names to analyse forks a
child per extra core; each child analyses its share and sends the results back pickled through a pipe, while this
process analyses its own share. Forked, not spawned: the child has the code and the names already, and starts in
a millisecond.

Only where forking is safe and pays: a process with no other thread (a thread holding a lock at the fork would
leave it held in the child; the server's builds run in a forked builder child of one thread), on a machine where
more than one core is this process's, with at least PARALLEL_MIN_NAMES names to analyse. Anything going wrong in a
child (it dies, it sends nothing) costs time, not the build: this process analyses that share itself.

A child's results come back as new objects. They are made to share their strings and class patterns with this
process's own analyses again (`reshared`), as `analyze` makes them: the index's memory depends on it.

Not `multiprocessing`'s pool: with the fork start method it still sends each task's arguments through a queue fed
by a thread, keeps its worker processes after the work, and has more ways to hang when a child dies; what is
needed here is one fork and one pipe per child.

`in_child` is that fork and pipe for any one piece of work: Matcher.build builds the text view in a child while
it builds the index (service.match.text), once the names are analysed.
"""

from __future__ import annotations

import os
import pickle
import signal
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial

import structlog

from service.normalize.names import NormalizedName, analyze, reshared

log = structlog.get_logger("service.match")

PARALLEL_MIN_NAMES = 20_000  # fewer names take under a second here (about 35,000 names/s per core), not worth a fork
MAX_PROCESSES = 4


def processes_available() -> int:
    """Cores this process may run on (its CPU affinity, which containers set), at most MAX_PROCESSES."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_PROCESSES))


def analyse_names(
    texts: Iterable[str], known: Mapping[str, NormalizedName], *, processes: int | None = None
) -> dict[str, NormalizedName]:
    """The analysis of each distinct text that `known` (the serving index's analyses) lacks: in forked children as
    well as here when that is safe and pays (module docstring). `processes`: at most this many (default: the cores
    available)."""
    todo = list(dict.fromkeys(t for t in texts if t not in known))
    return dict(zip(todo, _analyse(todo, processes or processes_available()), strict=True))


def _analyse(texts: Sequence[str], processes: int) -> list[NormalizedName]:
    if processes < 2 or len(texts) < PARALLEL_MIN_NAMES or not can_fork():
        return [analyze(t) for t in texts]
    shares = [texts[i::processes] for i in range(processes)]
    children = [in_child(partial(_analyse_here, share), "names") for share in shares[1:]]
    mine = [analyze(t) for t in shares[0]]
    results = [mine]
    for share, child in zip(shares[1:], children, strict=True):
        got = child.result() if child is not None else None
        if not isinstance(got, list) or len(got) != len(share):
            if child is not None and got is not None:
                log.warning("analysis.child_failed", work="names", names=len(got) if isinstance(got, list) else None)
            got = None
        results.append([reshared(n) for n in got] if got is not None else [analyze(t) for t in share])
    # back into the texts' order: share i holds texts i, i + processes, i + 2 * processes, ...
    out: list[NormalizedName | None] = [None] * len(texts)
    for i, analysed in enumerate(results):
        out[i::processes] = analysed
    return out  # type: ignore[return-value]  # every place filled: the shares cover the texts


def _analyse_here(texts: Sequence[str]) -> list[NormalizedName]:
    return [analyze(t) for t in texts]


def _alone() -> bool:
    """Whether this is the process's only thread (module docstring: no fork otherwise)."""
    return threading.active_count() == 1


def can_fork() -> bool:
    """Whether work may go to a forked child here: the platform forks and no other thread runs (module docstring)."""
    return hasattr(os, "fork") and _alone()


class Forked:
    """A forked child computing one value, which it sends back pickled through a pipe (`in_child`)."""

    def __init__(self, pid: int, read_fd: int, what: str) -> None:
        self.pid = pid
        self.what = what
        self._read_fd = read_fd

    def result(self) -> object | None:
        """The child's value, once it has exited; None when it sent nothing usable (logged)."""
        try:
            with os.fdopen(self._read_fd, "rb") as pipe:
                data = pipe.read()  # at once: unpickling from the pipe would read it in small pieces
        finally:
            _, status = os.waitpid(self.pid, 0)
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0 or not data:
            log.warning("analysis.child_failed", work=self.what, status=status)
            return None
        got: object = pickle.loads(data)  # noqa: S301 -- written by our own child, through our own pipe
        return got


def in_child(work: Callable[[], object], what: str) -> Forked | None:
    """Run `work` (`what`, for the log) in a forked child, which writes its pickled value to a pipe; None when no
    child could be made (the caller then does the work itself). Only where `can_fork()`: the child runs nothing but
    `work`, and leaves with `os._exit`, running nothing of this process's (atexit hooks, buffers)."""
    try:
        read_fd, write_fd = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        return None
    if pid == 0:  # pragma: no cover - runs in the child; the tests see what it sends
        code = 1
        try:
            os.close(read_fd)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_fd, "wb") as pipe:
                pipe.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    return Forked(pid, read_fd, what)
