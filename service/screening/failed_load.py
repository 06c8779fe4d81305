"""A store generation whose load failed, kept so that the supervisor and a one-worker server, which both poll the
store four times a second, do not try it again at every poll (service.api.supervisor, service.screening.runtime).
A module of its own, light to import: the supervisor imports the screening runtime only once it has forked the sync
process."""

from __future__ import annotations

import time

# How long a store generation whose load failed is left before it is tried again: a snapshot that cannot be decoded
# or a build that crashes costs a try (and an error in the log) every so often instead of at every poll, and a load
# cut short by a passing outage (Redis gone mid-load) is tried again without waiting for the next publish.
FAILED_LOAD_RETRY_S = 30.0


class FailedLoad:
    """The last store generation whose load failed, and when (the supervisor's and a one-worker server's)."""

    def __init__(self, retry_s: float = FAILED_LOAD_RETRY_S) -> None:
        self.retry_s = retry_s
        self.generation: str | None = None
        self._at = 0.0

    def record(self, generation: str | None) -> None:
        self.generation, self._at = generation, time.monotonic()

    def holds_off(self, generation: str | None) -> bool:
        """Whether `generation` failed to load less than `retry_s` ago (not to be tried yet)."""
        return generation == self.generation and time.monotonic() - self._at < self.retry_s
