"""The serving state of a one-shot command (`sanctions screen`, `sanctions check`, `sanctions monitor`): the last
good snapshot of each list in the store, loaded once, with warnings about lists that are missing or out of date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from service.errors import ServiceError
from service.model import ListStatus, SyncState
from service.normalize.dates import parse_timestamp
from service.screening.matcher_cache import MatcherCache
from service.screening.runtime import ServingState, load_state, with_statuses
from service.store.base import Store

# Publishers amend their lists several times a week (OFAC often daily): a copy not confirmed current for a week
# is probably screening against superseded data, so the command says so.
STALE_AFTER = timedelta(days=7)


class NoListsError(ServiceError):
    """Nothing to screen against: a screening must never pass silently because the lists are missing."""


@dataclass(frozen=True, slots=True)
class LocalState:
    state: ServingState
    warnings: tuple[str, ...]


def load_local(
    store: Store,
    list_ids: Sequence[str] = (),
    *,
    where: str,
    now: datetime | None = None,
    cache: MatcherCache[ServingState] | None = None,
) -> LocalState:
    """The last good snapshot of each list (`list_ids` empty = every list the store holds). A list configured
    explicitly but never synced is an error (the screening would be incomplete); `where` names the store in it.
    `cache`: the data folder's built matchers (a server on the same folder has usually built this one)."""
    now = now or datetime.now(UTC)
    statuses = store.all_statuses()
    # A list counts once a sync succeeded (it has a version); check that before loading anything.
    synced = sorted(i for i, s in statuses.items() if s.version)
    wanted = list(list_ids) or synced
    missing = [i for i in wanted if i not in synced]
    if list_ids and missing:
        raise NoListsError(
            f"list(s) {', '.join(missing)} configured (SANCTIONS_LISTS) but never synced: run `sanctions sync`"
        )
    loaded, _ = load_state(store, [i for i in wanted if i in synced], cache)
    if loaded is None:
        raise NoListsError(f"no lists available in the {where}: run `sanctions sync` first")
    warnings: list[str] = []
    held = set(loaded.lists)
    never = [i for i in statuses if i not in synced] if not list_ids else []
    for list_id in sorted({*never, *(i for i in wanted if i not in held)}):
        warnings.append(f"list {list_id} has no good snapshot (its sync never succeeded); not screened")
    for info in loaded.lists.values():
        status = statuses.get(info.id)
        state = status.status.value if status else None
        if state in ("failed", "stale"):
            warnings.append(
                f"list {info.id}: last sync {state}; screening against version {info.version}"
                + (f" ({status.error})" if status and status.error else "")
            )
        confirmed = last_confirmed(status)
        if confirmed is not None and now - confirmed > STALE_AFTER:
            warnings.append(
                f"list {info.id} was last confirmed current on {confirmed:%Y-%m-%d} "
                f"({(now - confirmed).days} days ago): run `sanctions sync`"
            )
    return LocalState(with_statuses(loaded, statuses), tuple(warnings))


def last_confirmed(status: ListStatus | None) -> datetime | None:
    """When a sync last found this list current: its last check if that succeeded, else its last download."""
    if status is None:
        return None
    return parse_timestamp(
        status.checked_at if status.status in (SyncState.OK, SyncState.UNCHANGED) else status.fetched_at
    )
