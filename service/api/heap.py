"""The server's garbage-collector policy around a matcher: process-wide decisions, so they live in the composition
root (the runtime and the supervisor call them as hooks), not in the matcher.

A matcher is millions of long-lived objects. A full collection scanning them landed in some screening now and then
(0.4-1.1 s, bench_matcher), so once built it is frozen (`gc.freeze`): the collector skips it. A frozen object is
never collected, though, and a replaced matcher lies in reference cycles (its index and its token comparer refer to
each other), so what replaces a frozen matcher must unfreeze, collect and freeze again (`refreeze_heap`); without
that, every published change kept the matcher it replaced for the life of the process. One such decision sits
lower down: the matcher cache freezes a state as it loads it (MatcherCache.load), to spare the full collection that
re-enabling the collector after the load would run; any process that replaces that state comes through here.
"""

from __future__ import annotations

import ctypes
import gc


def freeze_heap() -> None:
    """After a build or a load: collect what is garbage now, freeze the rest (the new matcher among it)."""
    gc.collect()
    gc.freeze()


def refreeze_heap() -> None:
    """After a new matcher has replaced a frozen one: collect the old one too, freeze what is alive, and hand the
    freed memory back to the system."""
    gc.unfreeze()
    gc.collect()
    trim_heap()
    gc.freeze()


def trim_heap() -> None:
    """glibc's malloc_trim(0): return the free memory of the C heap to the system (51 MB of a replaced state's, in
    4 ms). Through ctypes: no maintained binding; elsewhere than glibc, nothing."""
    try:
        libc = ctypes.CDLL(None)
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)
