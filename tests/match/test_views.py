"""Views of the lists (the text view) built in a forked child while the index is built: the same view as one built
in place, sharing this process's objects; a child that fails costs time, never the view."""

from __future__ import annotations

import os
import pickle
import threading

import pytest
import structlog

from service.match import analysis, matcher
from service.match import text as text_module
from service.match.matcher import Matcher
from service.match.text import TEXT_VIEW, _build_view
from service.model import Snapshot
from tests.conftest import forks_as_a_builder_child, read_fixture_files
from tests.match.conftest import _snapshots

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="forks")


@pytest.fixture(scope="module")
def snapshots() -> list[Snapshot]:
    """The real excerpts: names in many scripts, CJK ones among them."""
    return _snapshots(read_fixture_files)


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pids of the children forked (os.fork runs; it is only counted), with a view of any size worth a child."""
    return forks_as_a_builder_child(monkeypatch, matcher, "VIEW_CHILD_MIN_NAMES")


def _in_place(m: Matcher) -> object:
    return _build_view(m)


def test_a_view_from_a_child_is_the_view_built_here(snapshots: list[Snapshot], forks: list[int]) -> None:
    m = Matcher.build(snapshots, views=(TEXT_VIEW,))
    assert len(forks) == 1
    got, here = m.views["text"], _in_place(m)
    assert got.n_names > 300  # type: ignore[attr-defined]
    assert got == here
    # and it shares this process's objects as a view built here does: the index's analyses, the entities' names,
    # the interned tokens; pickled beside the index (as the matcher cache writes it) it takes the same bytes
    assert all(a is b for a, b in zip(got.norms, here.norms, strict=True))  # type: ignore[attr-defined]
    assert all(a is b for a, b in zip(got.raws, here.raws, strict=True))  # type: ignore[attr-defined]
    assert pickle.dumps((m.index, got)) == pickle.dumps((m.index, here))


def test_a_view_built_with_the_previous_index_is_the_same(snapshots: list[Snapshot], forks: list[int]) -> None:
    first = Matcher.build(snapshots)
    changed = [*snapshots[1:], snapshots[0]]  # another order of the lists: other name numbers in the view
    m = Matcher.build(changed, first, views=(TEXT_VIEW,))
    assert len(forks) == 1
    got, here = m.views["text"], _in_place(m)
    assert got == here
    # the child read the serving index's skeleton keys, so its key table met the keys in another order: a mapping,
    # equal to the one built here; in one order, the same bytes beside the index
    for view in (got, here):
        view.by_key = dict(sorted(view.by_key.items()))  # type: ignore[attr-defined]
    assert pickle.dumps((m.index, got)) == pickle.dumps((m.index, here))


def test_a_view_built_with_the_previous_index_reads_its_skeleton_keys(
    snapshots: list[Snapshot], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = Matcher.build(snapshots)
    changed = [*snapshots[1:], snapshots[0]]
    calls: list[str] = []
    real = text_module.skeletons

    def counted(token: str) -> tuple[str, ...]:
        calls.append(token)
        return real(token)

    monkeypatch.setattr(text_module, "skeletons", counted)
    m = Matcher.build(changed, first, views=(TEXT_VIEW,))  # few names: the view is built here
    computed = set(calls)
    view = m.views["text"]
    assert view == _in_place(m)
    # computed again: only the tokens the index had no Latin skeleton key of two letters for (a digit, "ra", "hua",
    # the tokens of abjad names, which it keys by their letters' every reading)
    abjad = {t for norm in m.index.names.norm if norm.abjad for t in norm.tokens}
    assert computed
    assert all(t in abjad or t.isdigit() or not [sk for sk in real(t) if len(sk) >= 2] for t in computed)
    assert len(view.df) > 5 * len(computed)  # type: ignore[attr-defined]


def test_a_child_that_dies_costs_time_not_the_view(
    snapshots: list[Snapshot], forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = os.getpid()

    def dies_in_a_child(*args: object) -> object:
        if os.getpid() != parent:
            os._exit(3)
        raise AssertionError("the part is built in the child only")

    dying = TEXT_VIEW._replace(part=dies_in_a_child)
    with structlog.testing.capture_logs() as logs:
        m = Matcher.build(snapshots, views=(dying,))
    assert len(forks) == 1
    assert pickle.dumps(m.views["text"]) == pickle.dumps(_in_place(m))
    assert [e["work"] for e in logs if e["event"] == "analysis.child_failed"] == ["text view"]


def test_what_a_child_sends_is_checked(snapshots: list[Snapshot], forks: list[int]) -> None:
    wrong = TEXT_VIEW._replace(part=lambda *args: {"not": "a view"})
    with structlog.testing.capture_logs() as logs:
        m = Matcher.build(snapshots, views=(wrong,))
    assert len(forks) == 1
    assert pickle.dumps(m.views["text"]) == pickle.dumps(_in_place(m))
    assert [e.get("sent") for e in logs if e["event"] == "analysis.child_failed"] == ["dict"]


def test_a_build_that_fails_leaves_no_view_child_behind(
    snapshots: list[Snapshot], forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    def fails(*args: object, **kwargs: object) -> None:
        raise MemoryError("the index could not be built")

    monkeypatch.setattr(matcher, "Index", fails)
    with pytest.raises(MemoryError):
        Matcher.build(snapshots, views=(TEXT_VIEW,))
    assert len(forks) == 1
    with pytest.raises(ChildProcessError):  # killed and reaped, not left writing into a pipe nobody reads
        os.waitpid(forks[0], os.WNOHANG)


def test_the_index_is_told_when_a_view_child_works_beside_it(
    snapshots: list[Snapshot], forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index forks its key child after its walk over the names when a view's child keeps the other core busy
    (service.match.index), before it otherwise."""
    told: list[bool] = []
    real = matcher.Index

    def index(*args: object, beside: bool = False) -> object:
        told.append(beside)
        return real(*args, beside=beside)  # type: ignore[arg-type]

    monkeypatch.setattr(matcher, "Index", index)
    Matcher.build(snapshots, views=(TEXT_VIEW,))
    assert len(forks) == 1  # the view's child (the key child: not worth it for the excerpts)
    Matcher.build(snapshots)
    monkeypatch.setattr(matcher, "VIEW_CHILD_MIN_NAMES", 10**6)
    Matcher.build(snapshots, views=(TEXT_VIEW,))  # the view built here, after the index
    assert told == [True, False, False]


def test_views_are_built_here_with_another_thread_or_few_names(
    snapshots: list[Snapshot], forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(matcher, "VIEW_CHILD_MIN_NAMES", 10**6)
    m = Matcher.build(snapshots, views=(TEXT_VIEW,))
    assert forks == []
    monkeypatch.setattr(matcher, "VIEW_CHILD_MIN_NAMES", 1)
    monkeypatch.setattr(analysis, "_alone", lambda: threading.active_count() == 1)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        again = Matcher.build(snapshots, views=(TEXT_VIEW,))
    finally:
        stop.set()
        other.join()
    assert forks == []
    assert pickle.dumps(m.views["text"]) == pickle.dumps(again.views["text"]) == pickle.dumps(_in_place(m))


def test_a_build_without_views_has_none(snapshots: list[Snapshot], forks: list[int]) -> None:
    assert Matcher.build(snapshots).views == {}
    assert forks == []
