"""Screen against the lists synced into the local store (SANCTIONS_DATA_DIR, or Redis when configured), through
the same use case as the server's batch route."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from service.model import Hit, ListInfo, Query
from service.screening.local import NoListsError, load_local
from service.screening.runtime import data_dir_cache
from service.screening.usecases import FixedState, Options, Party, Screener
from service.store import open_store

__all__ = ["LocalScreener", "NoListsError"]

ACTOR = "sanctions-check"  # who screened, as the use case's audit record names it (the report is the record here)


class LocalScreener:
    mode = "local"
    threshold: float | None = None  # the caller passes the configured threshold (SANCTIONS_THRESHOLD)

    def __init__(
        self,
        data_dir: Path,
        redis_url: str | None = None,
        list_ids: Sequence[str] = (),
        *,
        now: datetime | None = None,
        matcher_cache: bool = True,
    ) -> None:
        """Load the last good snapshot of each list. `list_ids` empty = every list the store holds. `matcher_cache`:
        load the matcher a server or an earlier run on this data folder built, and keep the one built here."""
        self.source = "redis" if redis_url else str(data_dir)
        store = open_store(data_dir, redis_url)
        try:
            where = "Redis store" if redis_url else f"data dir {data_dir}"
            cache = data_dir_cache(data_dir) if matcher_cache else None
            local = load_local(store, list_ids, where=where, now=now, cache=cache)
        finally:
            store.close()
        self.warnings: list[str] = list(local.warnings)
        self._state = local.state
        # A file of counterparties is one batch, however long: the server's batch cap bounds requests, not files.
        self._screener = Screener(FixedState(local.state), threshold=0.0, max_batch=sys.maxsize)

    def lists(self) -> list[ListInfo]:
        return list(self._state.lists.values())

    def screen(self, queries: Sequence[Query], *, threshold: float | None, limit: int) -> list[list[Hit]]:
        if threshold is None:
            raise NoListsError("local screening needs a threshold (SANCTIONS_THRESHOLD or --min-score)")
        parties = [Party(q, ref=str(i)) for i, q in enumerate(queries)]
        outcome = self._screener.batch(parties, Options(threshold=threshold, limit=limit), actor=ACTOR)
        return [list(r.hits) for r in outcome.results]

    def unknown_entities(self, entity_ids: Sequence[str]) -> list[str]:
        return [i for i in entity_ids if self._state.matcher.get(i) is None]

    def close(self) -> None:
        return None
