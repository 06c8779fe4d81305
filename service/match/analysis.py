"""The work of a build spread over the process's CPU cores: the name analysis, and views built beside the index.

Analysing every listed name (service.normalize.names.analyze) is about 40 % of a first build: 7.5 of 19 s at ten
times the lists, on one core. It is a pure function of the text, so a build with many names to analyse forks a
child per extra core; the children and this process take the names chunk by chunk from one queue (`spread`), and
each child sends each chunk's results back pickled through a pipe as soon as it has them. Forked, not spawned: the
child has the code and the names already, and starts in a millisecond. A server screens large batches the same way
(service.screening.usecases).

Only where forking is safe and pays: a process with no other thread (a thread holding a lock at the fork would
leave it held in the child; the server's builds run in a forked builder child of one thread), on a machine where
more than one core is this process's, with at least PARALLEL_MIN_NAMES names to analyse. Anything going wrong in a
child (it dies, it sends nothing) costs time, not the build: this process analyses that child's chunks itself.

A child's results come back as new objects. They are made to share their strings and class patterns with this
process's own analyses again (`reshared`), as `analyze` makes them: the index's memory depends on it.

Not `multiprocessing`'s pool: with the fork start method it still sends each task's arguments through a queue fed
by a thread, keeps its worker processes after the work, and has more ways to hang when a child dies; what is
needed here is one fork and one pipe per child.

`in_child` is that fork and pipe for any one piece of work: Matcher.build builds the text view in a child while
it builds the index (service.match.text), once the names are analysed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pickle
import select
import signal
import struct
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import BinaryIO, TypeVar

import structlog

from service.forking import stop_with
from service.normalize.names import NormalizedName, analyze, reshared

log = structlog.get_logger("service.match")

PARALLEL_MIN_NAMES = 20_000  # fewer names take under a second here (about 35,000 names/s per core), not worth a fork
MAX_PROCESSES = 4
MIN_WAIT_S = 1.0  # the least `spread` waits for a child it has patience with, once no chunk is left
READ_CHUNK = 1 << 20
PIPE_SIZE = 1 << 20  # Linux's most for a process without CAP_SYS_RESOURCE (/proc/sys/fs/pipe-max-size)

T = TypeVar("T")
R = TypeVar("R")


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
    return spread(_analyse_here, texts, processes, "names", adopt=reshared)


def spread(
    work: Callable[[Sequence[T]], list[R]],
    items: Sequence[T],
    processes: int,
    what: str,
    *,
    adopt: Callable[[R], R] | None = None,
    patience: float | None = None,
) -> list[R]:
    """`work(items)`, over this process and `processes - 1` forked children (`in_child`; the caller knows that
    forking is safe here), in order. The items are cut into CHUNKS_PER_PROCESS chunks per process, whose numbers wait
    in a pipe; each process takes the next number whenever it is free, so that a process the machine slows down does
    less of the work. Even shares, decided at the start, left a batch waiting for its slowest process: with four
    1,000-party batches in flight on two workers, a worker's share of each of its batches shares one interpreter
    with the other's, while their children run free (bench: 2,139 -> 2,458 names/s, means of ten runs each).

    A child sends each chunk's results as soon as it has them, and this process takes in what has come (unpickles
    it and passes it through `adopt`, to make it this process's objects) between its own chunks. Taken in only once
    every chunk was done, a child's results kept one core idle while the other unpickled and adopted them: at ten
    times the lists, 1.5 s of the 5.4 s the names' analysis took. Now that work counts as this process's share, and
    the child takes more chunks meanwhile.

    The chunks of a child that fails, sends something else than the results of a chunk it took, or (with
    `patience`) is stuck, having neither sent anything nor used any CPU for `patience` times what an even share
    would have taken here (going by this process's own pace), are done here: a child costs time, never a result."""
    size = max(1, -(-len(items) // (processes * CHUNKS_PER_PROCESS)))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    queue = _queue(len(chunks))
    children: list[Forked | None] = []
    try:
        children = [in_child(partial(_drain, work, chunks, queue), what, streamed=True) for _ in range(processes - 1)]
        sending = [child for child in children if child is not None]
        done: dict[int, list[R]] = {}
        work_s, here = 0.0, 0
        while (number := _take(queue)) is not None:
            started = time.perf_counter()
            done[number] = work(chunks[number])
            work_s += time.perf_counter() - started
            here += len(chunks[number])
            for child in sending:
                _take_in(child, child.received(), chunks, done, adopt)
        per_item_s = work_s / max(1, here)
        share = len(items) / processes
        for child in sending:
            timeout_s = None if patience is None else max(MIN_WAIT_S, patience * per_item_s * share)
            _take_in(child, child.rest(timeout_s), chunks, done, adopt)
        for number, chunk in enumerate(chunks):  # what no child sent back, done here
            if number not in done:
                done[number] = work(chunk)
    finally:
        os.close(queue)  # (the children took their copies at the fork)
        abandon(children)  # (those waited for are reaped already) should anything here raise
    return [r for number in range(len(chunks)) for r in done[number]]


def _take_in(
    child: Forked,
    frames: Iterable[bytes],
    chunks: Sequence[Sequence[T]],
    done: dict[int, list[R]],
    adopt: Callable[[R], R] | None,
) -> None:
    """The results a child sent (`_drain`), each chunk's through `adopt`, into `done`; at the first frame that is
    not the results of chunks nobody else did, the child is logged and killed, and its chunks are left to be done
    here."""
    for frame in frames:
        try:
            got: object = pickle.loads(frame)  # noqa: S301 -- written by our own child, through our own pipe
        except Exception as exc:  # boundary: whatever the child sent, it costs this process the work, not an answer
            log.warning("analysis.child_failed", work=child.what, error=f"{type(exc).__name__}: {exc}")
            child.abandon()
            return
        if not _took(got, chunks, done):
            log.warning("analysis.child_failed", work=child.what, sent=type(got).__name__)
            child.abandon()
            return
        for number, results in got.items():  # type: ignore[attr-defined]  # a dict: checked by _took
            done[number] = [adopt(r) for r in results] if adopt is not None else results


# So that a process that falls behind leaves about a 32nd of an even share waiting, and a child's results come in
# pieces this process takes in between its own chunks (at ten times the lists, about 4,000 names' analyses, 0.3 MB
# pickled: a few fit in the pipe, so the child does not wait for this process to read them).
CHUNKS_PER_PROCESS = 32
_NUMBER = struct.Struct("<I")
_LENGTH = struct.Struct("<Q")


def _queue(count: int) -> int:
    """A pipe's read end holding the numbers 0 .. count - 1, then its end: each read of one number, by any process
    that has the descriptor, takes the next one (a pipe read is atomic, and every read is of one number)."""
    read_fd, write_fd = os.pipe()
    try:
        # (CHUNKS_PER_PROCESS numbers per process: a few hundred bytes, where a pipe holds 64 KB before a write
        # waits for a reader)
        os.write(write_fd, b"".join(_NUMBER.pack(i) for i in range(count)))
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)  # every reader then sees the end once the numbers are taken
    return read_fd


def _take(queue: int) -> int | None:
    """The next chunk number from `queue` (`_queue`); None once none is left."""
    data = os.read(queue, _NUMBER.size)
    return _NUMBER.unpack(data)[0] if data else None


def _drain(
    work: Callable[[Sequence[T]], list[R]],
    chunks: Sequence[Sequence[T]],
    queue: int,
    send: Callable[[object], None],
) -> None:
    """In a child: the results of each chunk it takes from `queue`, sent as {chunk number: results}, until no chunk
    is left."""
    while (number := _take(queue)) is not None:
        send({number: work(chunks[number])})


def _took(got: object, chunks: Sequence[Sequence[object]], done: Mapping[int, object]) -> bool:
    """Whether a child's answer is what `_drain` sends: results for chunks nobody else did, as many as each has."""
    return isinstance(got, dict) and all(
        isinstance(number, int)
        and 0 <= number < len(chunks)
        and number not in done
        and isinstance(results, list)
        and len(results) == len(chunks[number])
        for number, results in got.items()
    )


def _analyse_here(texts: Sequence[str]) -> list[NormalizedName]:
    return [analyze(t) for t in texts]


def _alone() -> bool:
    """Whether this is the process's only thread (module docstring: no fork otherwise)."""
    return threading.active_count() == 1


def can_fork() -> bool:
    """Whether work may go to a forked child here: the platform forks and no other thread runs (module docstring)."""
    return hasattr(os, "fork") and _alone()


class Forked:
    """A forked child computing one value, which it sends back pickled through a pipe (`in_child`), or (streamed)
    sending values one after the other, each pickled in a frame of its length and its bytes."""

    def __init__(self, pid: int, read_fd: int, what: str) -> None:
        self.pid = pid
        self.what = what
        self._read_fd = read_fd
        self._reaped = False
        self._pending = bytearray()  # what a streamed child sent that is not yet a whole frame

    def received(self) -> list[bytes]:
        """The whole frames a streamed child sent since the last call, without waiting."""
        while self._read_fd >= 0 and select.select([self._read_fd], [], [], 0)[0]:
            chunk = os.read(self._read_fd, READ_CHUNK)
            if not chunk:  # its end: what is left is for `rest`, which reaps the child
                break
            self._pending += chunk
        return self._frames()

    def rest(self, timeout_s: float | None = None) -> list[bytes]:
        """The whole frames a streamed child sends from now until it exits (or, as `result`, is taken to be stuck:
        then killed); a child that exits with an error is logged, and what it sent whole is still its answer."""
        if self._read_fd < 0:  # abandoned
            return []
        ended = self._end(timeout_s)
        if ended is not None:
            data, status = ended
            self._pending += data
            if not _exited_well(status):
                log.warning("analysis.child_failed", work=self.what, status=status)
        return self._frames()

    def _end(self, timeout_s: float | None) -> tuple[bytes, int] | None:
        """What the child writes from now until it exits, and its exit status once reaped; None (logged, the child
        killed) when it made no progress for `timeout_s` (`_read`)."""
        try:
            data = self._read(timeout_s)
        finally:
            self._close()
        if data is None:
            self.abandon()
            log.warning("analysis.child_failed", work=self.what, timeout_s=round(timeout_s or 0.0, 3))
            return None
        _, status = os.waitpid(self.pid, 0)
        self._reaped = True
        return data, status

    def _frames(self) -> list[bytes]:
        frames: list[bytes] = []
        pending, start = self._pending, 0
        while len(pending) - start >= _LENGTH.size:
            (length,) = _LENGTH.unpack_from(pending, start)
            end = start + _LENGTH.size + length
            if len(pending) < end:
                break
            frames.append(bytes(pending[start + _LENGTH.size : end]))
            start = end
        del pending[:start]
        return frames

    def result(self, timeout_s: float | None = None) -> object | None:
        """The child's value, once it has exited; None when it sent nothing usable, or when it made no progress for
        `timeout_s` (then it is killed: `_read`). Logged either way."""
        ended = self._end(timeout_s)
        if ended is None:
            return None
        data, status = ended
        if not _exited_well(status) or not data:
            log.warning("analysis.child_failed", work=self.what, status=status)
            return None
        try:
            got: object = pickle.loads(data)  # noqa: S301 -- written by our own child, through our own pipe
        except Exception as exc:  # boundary: whatever the child sent, it costs this process the work, not an answer
            log.warning("analysis.child_failed", work=self.what, error=f"{type(exc).__name__}: {exc}")
            return None
        return got

    def abandon(self) -> None:
        """Kill and reap the child, unless that is done, and drop what it would send."""
        self._close()
        self._pending.clear()
        if not self._reaped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self._reaped = True

    def _close(self) -> None:
        if self._read_fd >= 0:
            os.close(self._read_fd)
            self._read_fd = -1

    def _read(self, timeout_s: float | None) -> bytes | None:
        """All the child wrote (at once: unpickling from the pipe would read it in small pieces); None when it
        wrote nothing more for `timeout_s` and used no CPU meanwhile: stuck, as on a lock another thread held at the
        fork. A child that is slow because the machine is busy is waited for: killing it would only have its work
        done again here, on the same busy cores."""
        deadline = time.monotonic() + (timeout_s or 0.0)  # read only with a timeout
        ticks = _cpu_ticks(self.pid)
        chunks: list[bytes] = []
        while True:
            if timeout_s is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    now = _cpu_ticks(self.pid)
                    if now is None or ticks is None or now == ticks:
                        return None
                    ticks, deadline = now, time.monotonic() + timeout_s
                    continue
                if not select.select([self._read_fd], [], [], left)[0]:
                    continue
            chunk = os.read(self._read_fd, READ_CHUNK)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def _exited_well(status: int) -> bool:
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def _send(pipe: BinaryIO, value: object) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    pipe.write(_LENGTH.pack(len(data)))
    pipe.write(data)
    pipe.flush()


def _cpu_ticks(pid: int) -> int | None:
    """The CPU time `pid` has used, in clock ticks (Linux's /proc); None where that cannot be read."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime and stime, fields 14 and 15 of proc(5)
    except (OSError, ValueError, IndexError):
        return None


def abandon(children: Iterable[Forked | None]) -> None:
    """Kill and reap the children whose work is no longer wanted (what they would send is dropped)."""
    for child in children:
        if child is not None:
            child.abandon()


def in_child(work: Callable[..., object], what: str, *, streamed: bool = False) -> Forked | None:
    """Run `work` (`what`, for the log) in a forked child, which writes its pickled value to a pipe; None when no
    child could be made (the caller then does the work itself). Only where `can_fork()`: the child runs nothing but
    `work`, and leaves with `os._exit`, running nothing of this process's (atexit hooks, buffers). `streamed`: the
    child calls `work(send)` instead, and each value it gives `send` is written at once, as a frame
    (Forked.received, Forked.rest)."""
    try:
        read_fd, write_fd = os.pipe()
    except OSError:
        return None
    if streamed:  # room for a few frames, so that the child seldom waits for this process to read
        with contextlib.suppress(OSError, AttributeError):  # (Linux's; the default 64 KB elsewhere)
            fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
    parent = os.getpid()
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
            stop_with(parent)  # a child stuck on a lock must not outlive this process, holding its memory
            if streamed:
                with os.fdopen(write_fd, "wb") as pipe:
                    work(partial(_send, pipe))
            else:
                data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write_fd, "wb") as pipe:
                    pipe.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    return Forked(pid, read_fd, what)
