"""A large batch screened on every core: the same hits, in the same order, as screened in one process; a child
that dies or hangs costs time, never an answer (tests/match/test_analysis.py: one that sends the wrong thing); and
a batch whose party is refused leaves no child behind."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import structlog

from service.errors import QueryError
from service.match import analysis
from service.model import EntityKind, Query
from service.screening import usecases
from service.screening.runtime import ServingState
from service.screening.usecases import FixedState, Options, Party, Screener
from tests.conftest import counted_forks, read_fixture_files
from tests.match.conftest import _snapshots

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="forks")

NAMES = [
    "Nicolas Maduro Moros",
    "Vladimir Putin",
    "Ayman al-Zawahiri",
    "Olympia",
    "Maria Gonzalez",
    "Banco Nacional de Cuba",
    "Kim Jong Un",
    "John Smith",
]


@pytest.fixture(scope="module")
def parties() -> list[Party]:
    """Listed names and clean ones, with options of their own (threshold, kinds, an excluded id)."""
    names = [n.full for s in _snapshots(read_fixture_files)[:3] for e in s.entities[:20] for n in e.all_names()[:1]]
    out = [Party(Query(name=n), ref=f"r{i}") for i, n in enumerate([*NAMES, *names])]
    out[1] = Party(out[1].query, ref="r1", threshold=0.95)
    out[2] = Party(out[2].query, ref="r2", kinds=(EntityKind.PERSON,))
    assert len(out) > 40
    return out


@pytest.fixture
def screener(sample_state: ServingState) -> Screener:
    return Screener(FixedState(sample_state, ["us_ofac_sdn", "un_sc_sanctions"]), threshold=0.8, max_batch=1000)


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The pids of the children forked (os.fork runs; it is only counted), with batches of any size worth it and
    two cores; a thread runs meanwhile, as a server worker's do (a batch forks anyway)."""
    made = counted_forks(monkeypatch)
    monkeypatch.setattr(usecases, "BATCH_CHILD_MIN_PARTIES", 1)
    monkeypatch.setattr(usecases, "processes_available", lambda: 2)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    yield made
    stop.set()
    other.join()
    for pid in made:  # every child was waited for: none is left to reap
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def _hits(screener: Screener, parties: list[Party]) -> list[tuple[str | None, tuple[object, ...]]]:
    outcome = screener.batch(parties, Options(threshold=0.7), actor="k")
    return [(r.ref, r.hits) for r in outcome.results]


@pytest.fixture
def serial(screener: Screener, parties: list[Party], monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, ...]]:
    with monkeypatch.context() as m:
        m.setattr(usecases, "BATCH_CHILD_MIN_PARTIES", 10**9)
        got = _hits(screener, parties)
    assert sum(bool(h) for _, h in got) >= 3  # hits to compare, not only empty answers
    return got  # type: ignore[return-value]


def test_a_batch_on_two_cores_answers_as_one_process_does(
    screener: Screener, parties: list[Party], serial: list[object], forks: list[int]
) -> None:
    assert _hits(screener, parties) == serial
    assert len(forks) == 1


def _in_children(monkeypatch: pytest.MonkeyPatch, act: Callable[[], object]) -> None:
    """Have every screening in a forked child do `act` first (this process screens as before)."""
    parent = os.getpid()
    screen = Screener._screen

    def patched(*args: object, **kwargs: object) -> object:
        if os.getpid() != parent:
            act()
        return screen(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Screener, "_screen", staticmethod(patched))


def test_a_child_that_dies_costs_time_not_hits(
    screener: Screener, parties: list[Party], serial: list[object], forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    _in_children(monkeypatch, lambda: os._exit(3))
    with structlog.testing.capture_logs() as logs:
        assert _hits(screener, parties) == serial
    assert len(forks) == 1
    assert [(e["work"], e["status"] != 0) for e in logs if e["event"] == "analysis.child_failed"] == [("batch", True)]


def test_a_child_that_hangs_is_killed_and_its_share_screened_here(
    screener: Screener, parties: list[Party], serial: list[object], forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # as a child stuck on a lock another thread held at the fork would
    _in_children(monkeypatch, lambda: time.sleep(3600))
    monkeypatch.setattr(analysis, "MIN_WAIT_S", 0.2)
    started = time.monotonic()
    with structlog.testing.capture_logs() as logs:
        assert _hits(screener, parties) == serial
    assert time.monotonic() - started < 30
    assert len(forks) == 1
    assert [e["work"] for e in logs if e["event"] == "analysis.child_failed" and "timeout_s" in e] == ["batch"]


def test_a_refused_party_refuses_the_batch_and_leaves_no_child(
    screener: Screener, parties: list[Party], forks: list[int]
) -> None:
    bad = [*parties, Party(Query(name="Vladimir Putin"), ref="bad", lists=("xx_nowhere",))]
    with pytest.raises(QueryError, match="unknown list id"):
        screener.batch(bad, Options(), actor="k")
    # the list is checked before any screening; a party the matcher refuses fails in its share: in this process's
    # (even places; the child is killed), or in the child's (odd places; its share is screened here, and fails)
    for place in (10, 11):
        empty = [*parties[:place], Party(Query(name="", identifiers=("   ",)), ref="empty"), *parties[place:]]
        with pytest.raises(QueryError, match="needs a name"):
            screener.batch(empty, Options(), actor="k")
    assert len(forks) == 2  # and the fixture checks that each child was waited for


def test_a_small_batch_or_one_core_screens_here(
    screener: Screener, parties: list[Party], serial: list[object], forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(usecases, "processes_available", lambda: 1)
    assert _hits(screener, parties) == serial
    monkeypatch.setattr(usecases, "processes_available", lambda: 2)
    monkeypatch.setattr(usecases, "BATCH_CHILD_MIN_PARTIES", len(parties) + 1)
    assert _hits(screener, parties) == serial
    assert forks == []
