"""A build's name analysis spread over forked children: the same analyses as in one process, sharing this process's
strings, and a child that fails costs time, never an analysis."""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
import structlog

from service.match import analysis
from service.match.analysis import analyse_names
from service.normalize.names import NormalizedName, analyze
from tests.conftest import counted_forks, read_fixture_files
from tests.match.conftest import _snapshots

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="forks")


@pytest.fixture(scope="module")
def texts() -> list[str]:
    """Every name of the real excerpts, in many scripts, some twice."""
    names = [n.full for s in _snapshots(read_fixture_files) for e in s.entities for n in e.all_names()]
    assert len(set(names)) > 300
    return names + names[:50]


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pids of the children forked (os.fork itself runs; it is only counted), with any number of names worth
    a fork, and this process taken for one thread, as a server's builder child is: threads that other tests leave
    in this test process would otherwise rule the fork out (`test_no_fork_while_another_thread_runs` checks that
    rule)."""
    made = counted_forks(monkeypatch)
    monkeypatch.setattr(analysis, "PARALLEL_MIN_NAMES", 1)
    monkeypatch.setattr(analysis, "_alone", lambda: True)
    return made


def _serial(texts: list[str]) -> dict[str, NormalizedName]:
    return {t: analyze(t) for t in texts}


@pytest.mark.parametrize("processes", [2, 3])
def test_children_give_the_analyses_one_process_gives(texts: list[str], forks: list[int], processes: int) -> None:
    analyze.cache_clear()  # the children's analyses must not be this process's own, cached
    got = analyse_names(texts, {}, processes=processes)
    assert len(forks) == processes - 1
    assert got == _serial(texts)
    assert list(got) == list(dict.fromkeys(texts))


def test_a_childs_analyses_share_this_processes_strings(texts: list[str], forks: list[int]) -> None:
    analyze.cache_clear()
    got = analyse_names(texts, {}, processes=2)
    assert forks
    tokens = [t for norm in got.values() for t in norm.tokens]
    assert len(tokens) > 1000
    assert all(t is sys.intern(t) for t in tokens)
    for text, norm in got.items():
        assert norm.classes is analyze(text).classes  # the one tuple of each class pattern


def test_names_already_analysed_are_not_analysed_again(texts: list[str], forks: list[int]) -> None:
    known = _serial(texts[: len(texts) // 2])
    got = analyse_names(texts, known, processes=2)
    assert set(got) == set(texts) - set(known)
    assert got == _serial(list(got))


def test_a_child_that_dies_costs_time_not_analyses(
    texts: list[str], forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = os.getpid()

    def dies_in_a_child(text: str) -> NormalizedName:
        if os.getpid() != parent:
            os._exit(3)
        return analyze(text)

    monkeypatch.setattr(analysis, "analyze", dies_in_a_child)
    got = analyse_names(texts, {}, processes=3)
    assert len(forks) == 2
    assert got == _serial(texts)


def test_no_fork_while_another_thread_runs(texts: list[str], forks: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the real check of threads, and a real os.fork, counted again below
    made: list[int] = []
    fork = os.fork
    monkeypatch.setattr(os, "fork", lambda: made.append(1) or fork())
    monkeypatch.setattr(analysis, "PARALLEL_MIN_NAMES", 1)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        got = analyse_names(texts, {}, processes=2)
    finally:
        stop.set()
        other.join()
    assert made == []
    assert got == _serial(texts)


@pytest.mark.parametrize(("processes", "min_names"), [(1, 1), (2, 10**6)], ids=["one core", "few names"])
def test_one_core_or_few_names_analyse_here(
    texts: list[str], forks: list[int], monkeypatch: pytest.MonkeyPatch, processes: int, min_names: int
) -> None:
    monkeypatch.setattr(analysis, "PARALLEL_MIN_NAMES", min_names)
    assert analyse_names(texts, {}, processes=processes) == _serial(texts)
    assert forks == []


def test_spread_redoes_the_chunks_whose_child_sends_the_wrong_thing(forks: list[int]) -> None:
    parent = os.getpid()

    def doubled(chunk: Sequence[int]) -> list[int]:
        time.sleep(0.05)  # (long enough for both children to take chunks); a child sends nothing of its chunks
        return [] if os.getpid() != parent else [2 * x for x in chunk]

    with structlog.testing.capture_logs() as logs:
        assert analysis.spread(doubled, list(range(101)), 3, "test") == [2 * x for x in range(101)]
    assert len(forks) == 2
    assert [(e["work"], e["sent"]) for e in logs if e["event"] == "analysis.child_failed"] == [("test", "dict")] * 2


def test_spread_gives_a_slower_process_less_of_the_work(forks: list[int]) -> None:
    """The chunks go to whichever process is free: here to the child, ten times as fast as this process."""
    parent = os.getpid()

    def work(chunk: Sequence[int]) -> list[tuple[int, str]]:
        here = os.getpid() == parent
        time.sleep(0.1 if here else 0.01)
        return [(x, "here" if here else "child") for x in chunk]

    got = analysis.spread(work, list(range(160)), 2, "test")
    assert [x for x, _ in got] == list(range(160))  # in order
    assert len(forks) == 1
    # 16 chunks of 10, taken one at a time: the child does most (with even shares it did 80)
    assert sum(by == "child" for _, by in got) >= 100


def test_spread_takes_in_a_childs_results_between_its_own_chunks(forks: list[int]) -> None:
    """A child's results come in as it has them, not once this process has done its last chunk: the core that would
    wait meanwhile does the child's next chunks."""
    parent = os.getpid()
    own_done: list[float] = []  # when this process finished each of its chunks
    taken_in: list[float] = []  # when each of the child's results was taken in here

    def work(chunk: Sequence[int]) -> list[int]:
        time.sleep(0.05 if os.getpid() == parent else 0.01)
        if os.getpid() == parent:
            own_done.append(time.monotonic())
        return [x + 1 for x in chunk]

    def adopt(x: int) -> int:
        taken_in.append(time.monotonic())
        return x

    assert analysis.spread(work, list(range(200)), 2, "test", adopt=adopt) == list(range(1, 201))
    assert len(forks) == 1
    assert own_done and taken_in
    assert min(taken_in) < max(own_done)  # results came in while this process still had chunks to do


def test_spread_keeps_what_a_child_sent_before_it_died(forks: list[int]) -> None:
    parent = os.getpid()
    from_child: list[int] = []

    def work(chunk: Sequence[int]) -> list[int]:
        if os.getpid() == parent:
            time.sleep(0.05)
            return [x + 1 for x in chunk]
        if chunk[0] >= 40:  # the child's chunks after its first few: it dies in one of them
            os._exit(3)
        return [x + 1 for x in chunk]

    def adopt(x: int) -> int:
        from_child.append(x)
        return x

    with structlog.testing.capture_logs() as logs:
        assert analysis.spread(work, list(range(100)), 2, "test", adopt=adopt) == list(range(1, 101))
    assert len(forks) == 1
    assert from_child  # what it sent whole before it died is kept
    assert all(x <= 40 for x in from_child)
    assert [e["work"] for e in logs if e["event"] == "analysis.child_failed" and "status" in e] == ["test"]


def test_spread_redoes_a_share_whose_child_sends_no_pickle(forks: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    parent = os.getpid()

    class Garbled:  # the pickle module, but a child's dumps sends bytes that are no pickle
        HIGHEST_PROTOCOL = pickle.HIGHEST_PROTOCOL
        loads = staticmethod(pickle.loads)

        @staticmethod
        def dumps(obj: object, protocol: int) -> bytes:
            return b"not a pickle" if os.getpid() != parent else pickle.dumps(obj, protocol=protocol)

    def work(chunk: Sequence[int]) -> list[int]:
        time.sleep(0.01)  # (long enough for the child to take chunks)
        return [x + 1 for x in chunk]

    monkeypatch.setattr(analysis, "pickle", Garbled)
    with structlog.testing.capture_logs() as logs:
        assert analysis.spread(work, list(range(50)), 2, "test") == list(range(1, 51))
    assert len(forks) == 1
    assert [e["work"] for e in logs if e["event"] == "analysis.child_failed" and "error" in e] == ["test"]


def test_spread_waits_for_a_slow_child_that_works_and_kills_a_stuck_one(
    forks: list[int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Patience is about a child stuck on a lock (no CPU used), not one slowed by busy cores (CPU used)."""
    parent = os.getpid()
    monkeypatch.setattr(analysis, "MIN_WAIT_S", 0.2)
    claim = tmp_path / "stuck"

    def work(chunk: Sequence[int]) -> list[int]:
        if os.getpid() == parent:
            time.sleep(0.3)  # (its children take a chunk each meanwhile)
        else:
            until = time.monotonic() + 1.0
            while time.monotonic() < until:  # five times the patience, all of it computing
                pass
            try:  # the first child here becomes the stuck one
                os.close(os.open(claim, os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                pass
            else:
                time.sleep(3600)
        return [x + 1 for x in chunk]

    with structlog.testing.capture_logs() as logs:
        assert analysis.spread(work, list(range(30)), 3, "test", patience=1.0) == list(range(1, 31))
    assert len(forks) == 2 and claim.exists()
    # the child that computed for a second answered; the one that then slept was killed once it used no CPU
    assert [e["work"] for e in logs if e["event"] == "analysis.child_failed" and "timeout_s" in e] == ["test"]


def test_spread_leaves_no_child_behind_when_its_work_fails_here(forks: list[int], tmp_path: Path) -> None:
    parent = os.getpid()
    claim = tmp_path / "fails"

    def work(chunk: Sequence[int]) -> list[int]:
        if os.getpid() != parent:
            try:  # the first child here fails; the other would still be at it
                os.close(os.open(claim, os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                time.sleep(3600)
            os._exit(3)
        time.sleep(0.2)  # (its children take a chunk each meanwhile)
        raise ValueError("this chunk cannot be done")

    with pytest.raises(ValueError, match="cannot be done"):
        analysis.spread(work, list(range(30)), 3, "test")
    assert len(forks) == 2 and claim.exists()
    for pid in forks:  # both reaped: the one that failed, and the one still sleeping, killed
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def _gone(pid: int) -> bool:
    """Whether `pid` has exited (a zombie waiting for its new parent to reap it counts)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_a_child_ends_with_the_process_that_forked_it() -> None:
    """A child stuck in its work (a lock another thread held at the fork) must not outlive a process that is
    killed: it would keep the memory of a whole serving state. The kernel stops it (PR_SET_PDEATHSIG)."""
    read_fd, write_fd = os.pipe()
    helper = os.fork()
    if helper == 0:  # pragma: no cover - the process that forks the stuck child and is then killed
        try:
            os.close(read_fd)
            child = analysis.in_child(lambda: time.sleep(3600), "test")
            os.write(write_fd, str(child.pid if child is not None else 0).encode())
            time.sleep(3600)
        finally:
            os._exit(0)
    os.close(write_fd)
    try:
        stuck = int(os.read(read_fd, 32))  # what is there: the helper (and the child) keep the pipe open
    finally:
        os.close(read_fd)
    assert stuck > 0 and not _gone(stuck)
    os.kill(helper, signal.SIGKILL)
    os.waitpid(helper, 0)
    deadline = time.monotonic() + 10
    try:
        while not _gone(stuck) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _gone(stuck)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(stuck, signal.SIGKILL)
