"""Forked children that end with the process that forked them (a builder, a worker, an analysis or batch child),
and the board on which a server's workers show which of them is busy (whether a batch's child has a core to itself).

Outside the layers (pyproject's import contracts), like service.errors: the server's children (service.screening,
service.api) and the matcher's own (service.match.analysis) need it alike.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import structlog

log = structlog.get_logger("service")

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def stop_with(parent: int) -> None:
    """Have the kernel send this child SIGTERM when `parent` dies (killed, out of memory), so that no child goes
    on serving, building or holding the port without it. prctl(PR_SET_PDEATHSIG) through ctypes: the maintained
    binding (python-prctl) needs a compiler to install, and this is one call. Linux only."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) != 0:
            log.warning("server.no_parent_death_signal", errno=ctypes.get_errno())
    if os.getppid() != parent:  # the parent died before the call above
        os._exit(1)


class CoreBoard:
    """How many requests each worker of one server has in progress, in a page of memory its workers share: made by
    the supervisor before it forks them (an anonymous shared mapping, inherited by every process forked after), and
    written by each worker in its own slot only.

    Why: a worker that takes a large batch forks children to screen shares of it on the other cores
    (service.screening.usecases). That pays while those cores idle; when every worker is screening too, the children
    only take turns with them, at the price of their copy-on-write faults. Four 1,000-party batches in flight on two
    workers ran at 3,400-3,700 names/s with a child per batch, and at 4,300-5,000 without, when they landed two and
    two. Screening is all CPU: a worker with a request in progress keeps its core busy."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        # two entries per worker slot, used in turn by the workers forked for it: a worker being replaced finishes its
        # requests (and counts them down) in one while its replacement counts in the other
        self._page = mmap.mmap(-1, 4 * 2 * workers)  # MAP_SHARED | MAP_ANONYMOUS: processes forked after share it
        self._counts = memoryview(self._page).cast("i")  # aligned 4-byte words: a read never sees half a write
        self._turn = [0] * workers
        self.mine: int | None = None
        self._lock = threading.Lock()  # this worker's threads write its entry one after another

    def entry_for(self, slot: int) -> int:
        """In the supervisor, before it forks a worker for `slot`: that worker's entry, cleared (a worker killed
        mid-request leaves its count behind)."""
        self._turn[slot] ^= 1
        entry = slot + self.workers * self._turn[slot]
        self._counts[entry] = 0
        return entry

    def join(self, entry: int) -> None:
        """In a worker just forked: `entry` (from `entry_for`) is this worker's."""
        self.mine = entry

    def in_progress(self, slot: int) -> int:
        """Requests in progress in `slot`'s workers (the one serving, and one being replaced)."""
        return self._counts[slot] + self._counts[slot + self.workers]

    @contextmanager
    def busy(self) -> Iterator[None]:
        """While a request is in progress in this worker (a no-op outside a worker)."""
        entry = self.mine
        if entry is None:
            yield
            return
        with self._lock:
            self._counts[entry] += 1
        try:
            yield
        finally:
            with self._lock:
                self._counts[entry] -= 1

    def idle_others(self) -> int:
        """The other worker slots with no request in progress."""
        mine = None if self.mine is None else self.mine % self.workers
        return sum(1 for slot in range(self.workers) if slot != mine and self.in_progress(slot) <= 0)


_board: CoreBoard | None = None


def join_board(board: CoreBoard | None, entry: int) -> None:
    """In a worker just forked: show this process's requests in `board`'s `entry` (CoreBoard.entry_for; None: no
    board, as without a supervisor)."""
    global _board  # noqa: PLW0603 -- one board per process, set once as the worker starts
    _board = board
    if board is not None:
        board.join(entry)


@contextmanager
def busy() -> Iterator[None]:
    """Around a request in progress: this worker's core is busy (on the board, if any)."""
    board = _board
    if board is None:
        yield
        return
    with board.busy():
        yield


def spare_cores(cores: int) -> int:
    """How many of the `cores` this process may run on, besides its own, a child of it may take: every one without
    a board (one process serving alone: the others are its own), else as many as the server's other workers idle."""
    board = _board
    others = cores - 1
    if board is None or board.mine is None:
        return max(0, others)
    return max(0, min(others, board.idle_others()))
