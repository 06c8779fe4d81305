"""Forked children that end with the process that forked them (a builder, a worker, an analysis or batch child).

Outside the layers (pyproject's import contracts), like service.errors: the server's children (service.screening,
service.api) and the matcher's own (service.match.analysis) need it alike.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

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
