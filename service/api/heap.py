"""The server's garbage-collector policy around a matcher: process-wide decisions, so they live in the composition
root (the runtime and the supervisor call them as hooks), not in the matcher.

A matcher is millions of long-lived objects. A full collection scanning them landed in some screening now and then
(0.4-1.1 s, bench_matcher), so once built it is frozen (`gc.freeze`): the collector skips it. A frozen object in a
reference cycle is never freed, so a serving state holds no reference cycle (tests/match/test_matcher.py checks
it): a replaced state is freed by reference counting the moment nothing refers to it any more, frozen or not, and
a replacement only collects and freezes what is new. It once had cycles (its index and its token comparer referred
to each other), and each replacement unfroze the heap for a full collection: 0.5-0.8 s of a list change on all
lists, in the supervisor and in a one-worker server serving requests. One such decision sits lower down: the matcher
cache freezes a state as it loads it (MatcherCache.load), to spare the full collection that re-enabling the
collector after the load would run.
"""

from __future__ import annotations

import ctypes
import gc


def freeze_heap() -> None:
    """After a build or a load: collect what is garbage now, freeze the rest (the new matcher among it)."""
    gc.collect()
    gc.freeze()


def release_heap() -> None:
    """After a new state has replaced the serving one: collect and freeze what is new (what is frozen is not scanned
    again), and hand what the replaced state freed back to the system."""
    freeze_heap()
    trim_heap()


def trim_heap() -> None:
    """glibc's malloc_trim(0): return the free memory of the C heap to the system (51 MB of a replaced state's, in
    4 ms). Through ctypes: no maintained binding; elsewhere than glibc, nothing."""
    try:
        libc = ctypes.CDLL(None)
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)
