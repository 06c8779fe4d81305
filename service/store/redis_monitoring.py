"""Monitoring in the Redis store: monitors, the event log, decisions and the alert queue, shared by every replica.

Keys (under the store's prefix, `mon:`):
    m / mseq                hash ref -> monitor JSON / hash ref -> its seq
    feed / deleted / dirty  zsets ref -> seq: monitors written, deleted, and waiting to be screened again
    seq                     the store-wide change counter (INCR)
    ev / events / eseq      hash event id -> event JSON / zset event id -> position / the log's counter
    dec / dec:<ref>         lists of decision JSON, all and per party, oldest first
    refs                    zset of every monitor's ref at score 0 (paged in lexical order)
    alerts:<state>          zsets of "since|ref|entity id" members, all at score 0 (read in lexical order)
    alertkeys               hash ref -> JSON [[state, member], ...] (so a rewrite removes the old ones)
    cursor                  hash list id -> version processed
    lock                    the monitoring worker's lock (token, SET NX PX, renewed while held)

Every monitor write is one Lua script: it checks the expected seq, writes the monitor, its alerts, its dirty
mark and its events (idempotent on the event id) together, so a reader never sees half of it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import cast

import redis
import structlog

from service.errors import StoreError
from service.model import Decision, Event, Monitor
from service.model.codec import (
    decision_from_dict,
    decision_to_dict,
    event_from_dict,
    event_to_dict,
    monitor_from_dict,
    monitor_to_dict,
)
from service.store.encoding import dumps, loads
from service.store.redis_lock import Errors, renewed_lock

log = structlog.get_logger(__name__)

_KEYS = ("m", "mseq", "feed", "deleted", "dirty", "alertkeys", "alerts:open", "alerts:escalated", "seq", "ev",
         "events", "eseq", "dec", "refs")  # fmt: skip

# ARGV: ref, expected seq ('' = no check, '0' = must not exist), body ('' = delete), dirty ('1', '0', 'keep'),
# alerts JSON [[state, member], ...], events JSON [[id, body], ...], decision JSON ('' = none), feed ('1': move
# to the end of the change feed; '0': keep its place there).
# KEYS: the _KEYS above in order, then dec:<ref>. Returns the new seq, -1 when the expected seq did not hold (a
# decision is appended all the same: it is the reviewer's record, the monitor only a view), 0 when there was
# nothing to delete.
_WRITE = """
local ref = ARGV[1]
if ARGV[7] ~= '' then
  redis.call('RPUSH', KEYS[13], ARGV[7])
  redis.call('RPUSH', KEYS[15], ARGV[7])
end
local cur = redis.call('HGET', KEYS[2], ref) or '0'
if ARGV[2] ~= '' and cur ~= ARGV[2] then return -1 end
if ARGV[3] == '' and cur == '0' then return 0 end
local seq = redis.call('INCR', KEYS[9])
local old = redis.call('HGET', KEYS[6], ref)
if old then
  for _, a in ipairs(cjson.decode(old)) do
    redis.call('ZREM', KEYS[7], a[2])
    redis.call('ZREM', KEYS[8], a[2])
  end
  redis.call('HDEL', KEYS[6], ref)
end
if ARGV[3] == '' then
  redis.call('HDEL', KEYS[1], ref)
  redis.call('HDEL', KEYS[2], ref)
  redis.call('ZREM', KEYS[3], ref)
  redis.call('ZREM', KEYS[5], ref)
  redis.call('ZREM', KEYS[14], ref)
  redis.call('ZADD', KEYS[4], seq, ref)
  return seq
end
redis.call('HSET', KEYS[1], ref, ARGV[3])
redis.call('HSET', KEYS[2], ref, seq)
if ARGV[8] == '1' or not redis.call('ZSCORE', KEYS[3], ref) then redis.call('ZADD', KEYS[3], seq, ref) end
redis.call('ZADD', KEYS[14], 0, ref)
redis.call('ZREM', KEYS[4], ref)
if ARGV[4] == '1' or (ARGV[4] == 'keep' and redis.call('ZSCORE', KEYS[5], ref)) then
  redis.call('ZADD', KEYS[5], seq, ref)
else
  redis.call('ZREM', KEYS[5], ref)
end
local alerts = cjson.decode(ARGV[5])
if #alerts > 0 then
  for _, a in ipairs(alerts) do
    if a[1] == 'open' then redis.call('ZADD', KEYS[7], 0, a[2]) else redis.call('ZADD', KEYS[8], 0, a[2]) end
  end
  redis.call('HSET', KEYS[6], ref, ARGV[5])
end
for _, e in ipairs(cjson.decode(ARGV[6])) do
  if redis.call('HSETNX', KEYS[10], e[1], e[2]) == 1 then
    redis.call('ZADD', KEYS[11], redis.call('INCR', KEYS[12]), e[1])
  end
end
return seq
"""


def _alert_member(since: str, ref: str, entity_id: str) -> str:
    return f"{since}|{ref}|{entity_id}"


class RedisMonitoring:
    """The MonitoringStore protocol (service.store.base) on Redis; `errors` turns redis errors into StoreError."""

    def __init__(self, client: redis.Redis, prefix: str, errors: Errors) -> None:
        self._r = client
        self._p = prefix + "mon:"
        self._errors = errors
        self._write = client.register_script(_WRITE)

    def _k(self, name: str) -> str:
        return self._p + name

    def _run_write(
        self,
        ref: str,
        *,
        expected: str,
        body: bytes | str,
        dirty: str,
        alerts: list[list[str]] | None = None,
        events: Sequence[Event] = (),
        decision: Decision | None = None,
        feed: bool = True,
    ) -> int:
        keys = [self._k(k) for k in _KEYS] + [self._k(f"dec:{ref}")]
        args = [
            ref,
            expected,
            body,
            dirty,
            dumps(alerts or []),
            dumps([[e.id, dumps(event_to_dict(e)).decode()] for e in events]),
            dumps(decision_to_dict(decision)) if decision is not None else "",
            "1" if feed else "0",
        ]
        with self._errors("monitoring write"):
            return int(self._write(keys=keys, args=args))

    @staticmethod
    def _alerts(m: Monitor) -> list[list[str]]:
        return [[h.alert.value, _alert_member(h.since, m.ref, h.entity_id)] for h in m.hits if h.alert is not None]

    @staticmethod
    def _body(m: Monitor) -> bytes:
        return dumps({**monitor_to_dict(m), "seq": 0})  # the seq lives in mseq (the script assigns it)

    # --- monitors ----------------------------------------------------------------------------------------------
    def put_monitors(self, monitors: Sequence[Monitor], *, dirty: bool = False) -> list[tuple[Monitor, bool]]:
        out: list[tuple[Monitor, bool]] = []
        for m in monitors:
            while True:  # another write between the read and the script: read again
                existing = self.get_monitor(m.ref)
                stored = replace(m, created_at=existing.created_at) if existing is not None else m
                new_seq = self._run_write(
                    m.ref,
                    expected=str(existing.seq) if existing is not None else "0",
                    body=self._body(stored),
                    dirty="1" if dirty else "0",
                    alerts=self._alerts(stored),
                )
                if new_seq > 0:
                    out.append((replace(stored, seq=new_seq), existing is None))
                    break
        return out

    def get_monitor(self, ref: str) -> Monitor | None:
        return self.get_monitors([ref]).get(ref)

    def get_monitors(self, refs: Iterable[str]) -> dict[str, Monitor]:
        wanted = list(dict.fromkeys(refs))
        out: dict[str, Monitor] = {}
        for i in range(0, len(wanted), 1000):
            chunk = wanted[i : i + 1000]
            with self._errors("get_monitors"):
                pipe = self._r.pipeline(transaction=True)  # body and seq from one point in time
                pipe.hmget(self._k("m"), chunk)
                pipe.hmget(self._k("mseq"), chunk)
                bodies, seqs = cast(list[list[bytes | None]], pipe.execute())
            for body, seq in zip(bodies, seqs, strict=True):
                if body is not None and seq is not None:
                    m = monitor_from_dict({**loads(body), "seq": int(seq)})
                    out[m.ref] = m
        return out

    def delete_monitor(self, ref: str) -> bool:
        return self._run_write(ref, expected="", body="", dirty="0") > 0

    def list_monitors(self, *, after: str | None = None, limit: int = 100) -> list[Monitor]:
        with self._errors("list_monitors"):
            page = [
                r.decode()
                for r in cast(
                    list[bytes],
                    self._r.zrangebylex(self._k("refs"), f"({after}" if after else "-", "+", start=0, num=limit),
                )
            ]
        found = self.get_monitors(page)
        return [found[r] for r in page if r in found]

    def count_monitors(self) -> int:
        with self._errors("count_monitors"):
            return int(self._r.hlen(self._k("mseq")))

    def monitors_since(self, seq: int, limit: int = 1000) -> tuple[list[Monitor], list[str], int]:
        with self._errors("monitors_since"):
            rows = cast(
                list[tuple[bytes, float]],
                self._r.zrangebyscore(self._k("feed"), f"({seq}", "+inf", start=0, num=limit, withscores=True),
            )
            top = int(rows[-1][1]) if len(rows) == limit else None
            deleted = cast(
                list[tuple[bytes, float]],
                self._r.zrangebyscore(
                    self._k("deleted"), f"({seq}", top if top is not None else "+inf", withscores=True
                ),
            )
        found = self.get_monitors(r.decode() for r, _ in rows)
        changed = [found[r.decode()] for r, _ in rows if r.decode() in found]
        highest = max([seq, *(int(s) for _, s in rows), *(int(s) for _, s in deleted)])
        return changed, [r.decode() for r, _ in deleted], highest

    def dirty_monitors(self, limit: int = 1000) -> list[str]:
        with self._errors("dirty_monitors"):
            return [r.decode() for r in cast(list[bytes], self._r.zrange(self._k("dirty"), 0, limit - 1))]

    def save_rescreen(
        self,
        monitors: Sequence[Monitor],
        events: Sequence[Event],
        *,
        expected_seq: Mapping[str, int],
        feed: Collection[str] = (),
    ) -> list[str]:
        by_ref: dict[str, list[Event]] = {}
        for e in events:
            by_ref.setdefault(e.ref, []).append(e)
        skipped = []
        for m in monitors:
            expected = expected_seq.get(m.ref)
            if expected is None:
                skipped.append(m.ref)
                continue
            new_seq = self._run_write(
                m.ref,
                expected=str(expected),
                body=self._body(m),
                dirty="0",
                alerts=self._alerts(m),
                events=by_ref.get(m.ref, ()),
                feed=m.ref in feed,
            )
            if new_seq <= 0:
                skipped.append(m.ref)
        return skipped

    def events_since(self, seq: int, limit: int = 100) -> list[Event]:
        with self._errors("events_since"):
            rows = cast(
                list[tuple[bytes, float]],
                self._r.zrangebyscore(self._k("events"), f"({seq}", "+inf", start=0, num=limit, withscores=True),
            )
            bodies = cast(list[bytes | None], self._r.hmget(self._k("ev"), [r for r, _ in rows])) if rows else []
        return [event_from_dict(loads(body), seq=int(n)) for (_, n), body in zip(rows, bodies, strict=True) if body]

    def last_event_seq(self) -> int:
        with self._errors("last_event_seq"):
            raw = cast(bytes | None, self._r.get(self._k("eseq")))
        return int(raw) if raw else 0

    # --- decisions and alerts ------------------------------------------------------------------------------------
    def add_decision(self, decision: Decision, monitor: Monitor | None = None) -> None:
        if monitor is None:
            # Only the decision: the script appends it, then refuses the (impossible) expected seq "-".
            self._run_write(decision.ref, expected="-", body="", dirty="keep", decision=decision)
            return
        self._run_write(
            monitor.ref,
            expected=str(monitor.seq),
            body=self._body(monitor),
            dirty="keep",
            alerts=self._alerts(monitor),
            decision=decision,
            feed=False,
        )

    def decisions(self, *, ref: str | None = None, limit: int = 1000, after: int = 0) -> list[Decision]:
        key = self._k("dec") if ref is None else self._k(f"dec:{ref}")
        with self._errors("decisions"):
            rows = cast(list[bytes], self._r.lrange(key, after, after + limit - 1))
        return [decision_from_dict(loads(r)) for r in rows]

    def alerts(self, *, state: str = "open", after: str | None = None, limit: int = 100) -> list[tuple[str, str, str]]:
        with self._errors("alerts"):
            rows = cast(
                list[bytes],
                self._r.zrangebylex(self._k(f"alerts:{state}"), f"({after}" if after else "-", "+", start=0, num=limit),
            )
        out = []
        for r in rows:
            since, ref, entity_id = r.decode().split("|", 2)
            out.append((since, ref, entity_id))
        return out

    # --- the monitoring worker's progress -------------------------------------------------------------------------
    def monitor_cursor(self) -> dict[str, str]:
        with self._errors("monitor_cursor"):
            raw = cast(dict[bytes, bytes], self._r.hgetall(self._k("cursor")))
        return {k.decode(): v.decode() for k, v in raw.items()}

    def set_monitor_cursor(self, versions: Mapping[str, str]) -> None:
        if versions:
            with self._errors("set_monitor_cursor"):
                self._r.hset(self._k("cursor"), items=[x for pair in versions.items() for x in pair])

    @contextmanager
    def monitor_lock(self, ttl_s: float = 300.0) -> Iterator[bool]:
        """Yield True while held. Expires after `ttl_s` if the holder dies; renewed every ttl/3 while held."""
        with renewed_lock(self._r, self._k("lock"), ttl_s=ttl_s, name="monitor_lock", errors=self._errors) as token:
            yield token is not None

    def close(self) -> None:
        return None  # the client belongs to the RedisStore


__all__ = ["RedisMonitoring", "StoreError"]
