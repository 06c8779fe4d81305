"""The board on which a server's workers show their requests in progress (service.forking.CoreBoard): shared by the
processes forked after it is made, and read by a large batch to take only the cores the other workers leave idle."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator

import pytest

from service import forking
from service.api.metrics import Metrics
from service.api.middleware import RequestGuard
from service.forking import CoreBoard, join_board, spare_cores
from service.model import Query
from service.screening import usecases
from service.screening.runtime import ServingState
from service.screening.usecases import FixedState, Options, Party, Screener
from tests.conftest import counted_forks

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="forks")


@pytest.fixture
def no_board() -> Iterator[None]:
    yield
    join_board(None, 0)  # as in any process but a supervised worker


def test_a_worker_forked_after_the_board_shows_its_requests_to_the_others(no_board: None) -> None:
    board = CoreBoard(2)
    entry = board.entry_for(1)
    started, finish = os.pipe()
    release_r, release_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the worker
        code = 1
        try:
            join_board(board, entry)
            with forking.busy():
                os.write(finish, b"1")
                os.read(release_r, 1)
            code = 0
        finally:
            os._exit(code)
    try:
        assert os.read(started, 1) == b"1"
        join_board(board, board.entry_for(0))  # this process is the worker of slot 0
        assert board.in_progress(1) == 1
        assert board.idle_others() == 0 and spare_cores(2) == 0
    finally:
        os.write(release_w, b"1")
        _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert board.in_progress(1) == 0
    assert board.idle_others() == 1 and spare_cores(2) == 1 and spare_cores(4) == 1


def test_a_replacement_counts_apart_from_the_worker_it_replaces_and_a_dead_ones_count_is_cleared() -> None:
    board = CoreBoard(2)
    old = board.entry_for(1)
    board.join(old)
    with board.busy():
        new = board.entry_for(1)  # the replacement, forked while the old worker finishes a request
        assert new != old
        assert board.in_progress(1) == 1  # the slot is busy while either is
        board.join(new)
        with board.busy():
            assert board.in_progress(1) == 2
        board.join(old)
    assert board.in_progress(1) == 0
    board.join(new)
    with board.busy():
        # this worker is killed mid-request: the next one forked for the slot starts from nothing
        assert board.entry_for(1) == old and board.in_progress(1) == 1
        board.entry_for(1)
        assert board.in_progress(1) == 0


def test_without_a_board_every_other_core_is_spare(no_board: None) -> None:
    assert spare_cores(2) == 1 and spare_cores(1) == 0
    with forking.busy():  # a no-op
        assert spare_cores(4) == 3


def test_the_request_guard_marks_the_worker_busy_while_a_request_is_in_progress(no_board: None) -> None:
    board = CoreBoard(2)
    join_board(board, board.entry_for(0))
    seen: list[int] = []

    async def app(scope: object, receive: object, send: object) -> None:
        seen.append(board.in_progress(0))

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b""}

    async def send(message: object) -> None:
        return None

    guard = RequestGuard(app, max_body_bytes=100, metrics=Metrics(dict))
    asyncio.run(guard({"type": "http", "path": "/x", "headers": []}, receive, send))
    assert seen == [1]
    assert board.in_progress(0) == 0


@pytest.mark.parametrize(("other_busy", "forked"), [(False, 1), (True, 0)])
def test_a_large_batch_takes_only_the_cores_the_other_workers_leave_idle(
    sample_state: ServingState, monkeypatch: pytest.MonkeyPatch, no_board: None, other_busy: bool, forked: int
) -> None:
    made = counted_forks(monkeypatch)
    monkeypatch.setattr(usecases, "BATCH_CHILD_MIN_PARTIES", 1)
    monkeypatch.setattr(usecases, "processes_available", lambda: 2)
    board = CoreBoard(2)
    other = board.entry_for(1)
    join_board(board, board.entry_for(0))
    screener = Screener(FixedState(sample_state, ["us_ofac_sdn"]), threshold=0.8)
    parties = [Party(Query(name=n), ref=str(i)) for i, n in enumerate(["Nicolas Maduro Moros", "John Smith"] * 20)]
    release = threading.Event()
    if other_busy:
        busy_other = threading.Thread(target=_busy_in, args=(board, other, release))
        busy_other.start()
        while board.in_progress(1) == 0:
            release.wait(0.01)
    try:
        outcome = screener.batch(parties, Options(), actor="k")
    finally:
        release.set()
    assert len(made) == forked
    assert [r.ref for r in outcome.results] == [p.ref for p in parties]
    assert outcome.results[0].hits and not outcome.results[1].hits


def _busy_in(board: CoreBoard, entry: int, release: threading.Event) -> None:
    """Another worker's request in progress, on `board`'s `entry` (its counts are plain shared memory)."""
    board._counts[entry] += 1
    release.wait(10)
    board._counts[entry] -= 1
