"""Webhooks in the Redis store: shared by every replica, so that each delivery is attempted by one at a time.

Keys (under the store's prefix, `wh:`):
    hooks                   hash webhook id -> webhook JSON (with its secret)
    cursor                  hash webhook id -> the event-log position its fan-out has reached
    d:<wid>|<event id>      hash: one delivery (state, attempts, schedule, last error, body, lease owner and expiry)
    due                     zset "<wid>|<event id>" -> when it may be claimed: its next attempt, or its lease's end
    s:<wid>:<state>         zsets event id -> event-log position: one webhook's deliveries by state (pages, counts)
    delivered               zset "<wid>|<event id>" -> delivered at (pruning oldest first)

The lease lives in the `due` score: claiming a delivery moves its score to the end of the lease, so no other replica
sees it as due until the lease expires (its holder died), and only the holder's token may record the outcome.
Every state change is one Lua script over declared keys; a claim first reads due candidates, then the script takes
those still due, so two replicas racing for one delivery cannot both get it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import redis

from service.errors import StoreError
from service.model import Delivery, DeliveryState, EventType, Webhook
from service.store.encoding import dumps, loads
from service.store.redis_lock import Errors

# KEYS: hooks, cursor, due, s:<wid>:pending, then d:<wid>|<event id> per delivery.
# ARGV: wid, cursor, then per delivery: event id, type, seq, body, queued_at, next_attempt_at.
CLAIM_ROUNDS = 5  # reads of the due set per claim while other replicas keep leasing what it read

_ENQUEUE = """
local wid = ARGV[1]
if redis.call('HEXISTS', KEYS[1], wid) == 0 then return 0 end
for i = 5, #KEYS do
  local a = 3 + (i - 5) * 6
  if redis.call('EXISTS', KEYS[i]) == 0 then
    redis.call('HSET', KEYS[i], 'webhook_id', wid, 'event_id', ARGV[a], 'event_type', ARGV[a + 1], 'seq', ARGV[a + 2],
      'body', ARGV[a + 3], 'state', 'pending', 'attempts', 0, 'queued_at', ARGV[a + 4],
      'next_attempt_at', ARGV[a + 5], 'last_error', '', 'owner', '', 'lease_until', 0)
    redis.call('ZADD', KEYS[3], ARGV[a + 5], wid .. '|' .. ARGV[a])
    redis.call('ZADD', KEYS[4], ARGV[a + 2], ARGV[a])
  end
end
local cur = tonumber(redis.call('HGET', KEYS[2], wid) or '0')
if tonumber(ARGV[2]) > cur then redis.call('HSET', KEYS[2], wid, ARGV[2]) end
return 1
"""

# KEYS: due, then d:<member> per candidate. ARGV: now, lease end, owner, then the candidates' members.
# Returns the claimed deliveries as HGETALL replies.
_CLAIM = """
local out = {}
for i = 2, #KEYS do
  local member = ARGV[i + 2]
  local score = redis.call('ZSCORE', KEYS[1], member)
  if score and tonumber(score) <= tonumber(ARGV[1]) then
    if redis.call('HGET', KEYS[i], 'state') == 'pending' then
      redis.call('HSET', KEYS[i], 'owner', ARGV[3], 'lease_until', ARGV[2])
      redis.call('ZADD', KEYS[1], ARGV[2], member)
      table.insert(out, redis.call('HGETALL', KEYS[i]))
    else
      redis.call('ZREM', KEYS[1], member)  -- left behind by a webhook deleted half-way: nothing to send
    end
  end
end
return out
"""

# KEYS: d:<member>, due, s:<wid>:pending, s:<wid>:<new state>, delivered.
# ARGV: owner, new state, at, next attempt at, error, member, event id.
_RECORD = """
if ARGV[1] == '' or redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'last_attempt_at', ARGV[3], 'last_error', ARGV[5], 'owner', '',
  'lease_until', 0)
if ARGV[2] == 'pending' then
  redis.call('HSET', KEYS[1], 'next_attempt_at', ARGV[4])
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[6])
  return 1
end
redis.call('ZREM', KEYS[2], ARGV[6])
redis.call('ZREM', KEYS[3], ARGV[7])
redis.call('ZADD', KEYS[4], redis.call('HGET', KEYS[1], 'seq'), ARGV[7])
if ARGV[2] == 'delivered' then
  redis.call('HSET', KEYS[1], 'delivered_at', ARGV[3])
  redis.call('ZADD', KEYS[5], ARGV[3], ARGV[6])
end
return 1
"""

# KEYS: due, s:<wid>:pending, s:<wid>:delivered, s:<wid>:dead, delivered, then d:<wid>|<event id> per event.
# ARGV: now, '1' = dead ones only, wid, then the event ids. The lease end stays in the due score (an attempt in
# flight finishes first); the owner token goes (that attempt's outcome must not settle the new queueing).
_REQUEUE = """
local n = 0
for i = 6, #KEYS do
  local eid = ARGV[i - 2]
  local state = redis.call('HGET', KEYS[i], 'state')
  if state and (ARGV[2] == '0' or state == 'dead') then
    local member = ARGV[3] .. '|' .. eid
    local lease = tonumber(redis.call('HGET', KEYS[i], 'lease_until') or '0')
    local due = tonumber(ARGV[1])
    if lease > due then due = lease end
    redis.call('HSET', KEYS[i], 'state', 'pending', 'attempts', 0, 'queued_at', ARGV[1], 'next_attempt_at', ARGV[1],
      'last_error', '', 'delivered_at', '', 'owner', '')
    redis.call('ZREM', KEYS[3], eid)
    redis.call('ZREM', KEYS[4], eid)
    redis.call('ZADD', KEYS[2], redis.call('HGET', KEYS[i], 'seq'), eid)
    redis.call('ZREM', KEYS[5], member)
    redis.call('ZADD', KEYS[1], due, member)
    n = n + 1
  end
end
return n
"""

# KEYS: delivered, then per delivery d:<member> and s:<wid>:delivered. ARGV: the members, then their event ids.
_PRUNE = """
local n = 0
local count = (#KEYS - 1) / 2
for j = 1, count do
  local d = KEYS[2 * j]
  if redis.call('HGET', d, 'state') == 'delivered' then
    redis.call('DEL', d)
    redis.call('ZREM', KEYS[2 * j + 1], ARGV[count + j])
    n = n + 1
  end
  redis.call('ZREM', KEYS[1], ARGV[j])
end
return n
"""

_DELETE_BATCH = 500  # deliveries removed per round trip when a webhook goes


def _num(raw: bytes | None) -> float | None:
    return float(raw) if raw not in (None, b"") else None


def _delivery(flat: Sequence[bytes]) -> Delivery:
    """From a delivery hash as HGETALL's flat list of field, value."""
    h = {flat[i].decode(): flat[i + 1] for i in range(0, len(flat), 2)}
    return Delivery(
        webhook_id=h["webhook_id"].decode(),
        event_id=h["event_id"].decode(),
        event_type=EventType(h["event_type"].decode()),
        seq=int(h["seq"]),
        body=bytes(h["body"]),
        state=DeliveryState(h["state"].decode()),
        attempts=int(h["attempts"]),
        queued_at=float(h["queued_at"]),
        next_attempt_at=float(h["next_attempt_at"]),
        last_error=h["last_error"].decode(),
        last_attempt_at=_num(h.get("last_attempt_at")),
        delivered_at=_num(h.get("delivered_at")),
    )


def _webhook(body: bytes) -> Webhook:
    d = loads(body)
    return Webhook(d["id"], d["url"], tuple(EventType(e) for e in d["events"]), d["secret"], d["created_at"])


class RedisWebhooks:
    """The WebhookStore protocol (service.store.base) on Redis; `errors` turns redis errors into StoreError."""

    def __init__(self, client: redis.Redis, prefix: str, errors: Errors) -> None:
        self._r = client
        self._p = prefix + "wh:"
        self._errors = errors
        self._enqueue = client.register_script(_ENQUEUE)
        self._claim = client.register_script(_CLAIM)
        self._record = client.register_script(_RECORD)
        self._requeue = client.register_script(_REQUEUE)
        self._prune = client.register_script(_PRUNE)

    def _k(self, name: str) -> str:
        return self._p + name

    def _d(self, webhook_id: str, event_id: str) -> str:
        return self._k(f"d:{webhook_id}|{event_id}")

    def _s(self, webhook_id: str, state: DeliveryState) -> str:
        return self._k(f"s:{webhook_id}:{state.value}")

    # --- webhooks ----------------------------------------------------------------------------------------------
    def add_webhook(self, webhook: Webhook, *, cursor: int) -> None:
        body = dumps(
            {
                "id": webhook.id,
                "url": webhook.url,
                "events": [e.value for e in webhook.events],
                "secret": webhook.secret,
                "created_at": webhook.created_at,
            }
        )
        with self._errors("add_webhook"):
            pipe = self._r.pipeline(transaction=True)
            pipe.hsetnx(self._k("hooks"), webhook.id, body)
            pipe.hset(self._k("cursor"), webhook.id, cursor)
            added, _ = pipe.execute()
        if not added:
            raise StoreError(f"webhook {webhook.id} exists already")

    def get_webhook(self, webhook_id: str) -> Webhook | None:
        with self._errors("get_webhook"):
            raw = cast(bytes | None, self._r.hget(self._k("hooks"), webhook_id))
        return _webhook(raw) if raw else None

    def list_webhooks(self) -> list[Webhook]:
        with self._errors("list_webhooks"):
            raw = cast(dict[bytes, bytes], self._r.hgetall(self._k("hooks")))
        return sorted((_webhook(b) for b in raw.values()), key=lambda w: (w.created_at, w.id))

    def delete_webhook(self, webhook_id: str) -> bool:
        with self._errors("delete_webhook"):
            pipe = self._r.pipeline(transaction=True)
            pipe.hdel(self._k("hooks"), webhook_id)
            pipe.hdel(self._k("cursor"), webhook_id)
            gone, _ = pipe.execute()
            # The webhook is gone first (no more fan-out, claims drop its leftovers); then its deliveries, in
            # batches so that one huge backlog does not hold Redis up.
            for state in DeliveryState:
                key = self._s(webhook_id, state)
                while ids := cast(list[bytes], self._r.zrange(key, 0, _DELETE_BATCH - 1)):
                    events = [i.decode() for i in ids]
                    members = [f"{webhook_id}|{e}" for e in events]
                    pipe = self._r.pipeline(transaction=True)
                    pipe.delete(*(self._d(webhook_id, e) for e in events))
                    pipe.zrem(self._k("due"), *members)
                    pipe.zrem(self._k("delivered"), *members)
                    pipe.zrem(key, *ids)
                    pipe.execute()
        return bool(gone)

    def cursors(self) -> dict[str, int]:
        with self._errors("cursors"):
            raw = cast(dict[bytes, bytes], self._r.hgetall(self._k("cursor")))
        return {k.decode(): int(v) for k, v in raw.items()}

    # --- deliveries ----------------------------------------------------------------------------------------------
    def enqueue(self, webhook_id: str, deliveries: Sequence[Delivery], *, cursor: int) -> bool:
        keys = [self._k("hooks"), self._k("cursor"), self._k("due"), self._s(webhook_id, DeliveryState.PENDING)]
        args: list[str | bytes | int] = [webhook_id, cursor]
        for d in deliveries:
            keys.append(self._d(webhook_id, d.event_id))
            args += [d.event_id, d.event_type.value, d.seq, d.body, repr(d.queued_at), repr(d.next_attempt_at)]
        with self._errors("enqueue"):
            return bool(self._enqueue(keys=keys, args=args))

    def claim(self, *, owner: str, now: float, lease_s: float, limit: int) -> list[Delivery]:
        """The script leases the due deliveries read just before it that are still due. Replicas claiming at once
        read the same first ones, and all but one lease none of them: such a loser reads again (the winner's are
        no longer due), so that a claim comes back empty only when nothing is due, or after CLAIM_ROUNDS lost
        races in a row."""
        with self._errors("claim"):
            for _ in range(CLAIM_ROUNDS):
                candidates = cast(
                    list[bytes], self._r.zrangebyscore(self._k("due"), "-inf", repr(now), start=0, num=limit)
                )
                if not candidates:
                    return []
                members = [c.decode() for c in candidates]
                rows = cast(
                    list[list[bytes]],
                    self._claim(
                        keys=[self._k("due"), *(self._k(f"d:{m}") for m in members)],
                        args=[repr(now), repr(now + lease_s), owner, *members],
                    ),
                )
                if rows:
                    return [_delivery(flat) for flat in rows]
        return []

    def record_attempt(
        self,
        webhook_id: str,
        event_id: str,
        *,
        owner: str,
        state: DeliveryState,
        at: float,
        next_attempt_at: float = 0.0,
        error: str = "",
    ) -> bool:
        member = f"{webhook_id}|{event_id}"
        keys = [
            self._d(webhook_id, event_id),
            self._k("due"),
            self._s(webhook_id, DeliveryState.PENDING),
            self._s(webhook_id, state),
            self._k("delivered"),
        ]
        with self._errors("record_attempt"):
            return bool(
                self._record(
                    keys=keys, args=[owner, state.value, repr(at), repr(next_attempt_at), error, member, event_id]
                )
            )

    def requeue(self, webhook_id: str, event_ids: Sequence[str] | None = None, *, now: float) -> int:
        states = [self._s(webhook_id, s) for s in (DeliveryState.PENDING, DeliveryState.DELIVERED, DeliveryState.DEAD)]
        total = 0
        with self._errors("requeue"):
            if event_ids is None:
                dead = [i.decode() for i in cast(list[bytes], self._r.zrange(states[2], 0, -1))]
                batches = [dead[i : i + _DELETE_BATCH] for i in range(0, len(dead), _DELETE_BATCH)]
            else:
                wanted = list(dict.fromkeys(event_ids))
                batches = [wanted[i : i + _DELETE_BATCH] for i in range(0, len(wanted), _DELETE_BATCH)]
            for batch in batches:
                keys = [self._k("due"), *states, self._k("delivered"), *(self._d(webhook_id, e) for e in batch)]
                args = [repr(now), "1" if event_ids is None else "0", webhook_id, *batch]
                total += int(self._requeue(keys=keys, args=args))
        return total

    def _load(self, webhook_id: str, event_ids: Sequence[str]) -> list[Delivery]:
        if not event_ids:
            return []
        with self._errors("deliveries"):
            pipe = self._r.pipeline(transaction=False)
            for e in event_ids:
                pipe.hgetall(self._d(webhook_id, e))
            found = cast(list[dict[bytes, bytes]], pipe.execute())
        out = []
        for h in found:
            if h:  # removed between the index read and this one
                out.append(_delivery([x for pair in h.items() for x in pair]))
        return out

    def deliveries(self, webhook_id: str, *, state: DeliveryState | None = None, limit: int = 100) -> list[Delivery]:
        wanted = [state] if state is not None else list(DeliveryState)
        with self._errors("deliveries"):
            pipe = self._r.pipeline(transaction=True)
            for s in wanted:
                pipe.zrevrange(self._s(webhook_id, s), 0, limit - 1, withscores=True)
            pages = cast(list[list[tuple[bytes, float]]], pipe.execute())
        newest = sorted((row for page in pages for row in page), key=lambda r: r[1], reverse=True)[:limit]
        return self._load(webhook_id, [e.decode() for e, _ in newest])

    def counts(self, webhook_id: str | None = None) -> dict[DeliveryState, int]:
        ids = [webhook_id] if webhook_id is not None else list(self.cursors())
        totals = dict.fromkeys(DeliveryState, 0)
        with self._errors("counts"):
            pipe = self._r.pipeline(transaction=False)
            for wid in ids:
                for s in DeliveryState:
                    pipe.zcard(self._s(wid, s))
            cards = cast(list[int], pipe.execute()) if ids else []
        for i, n in enumerate(cards):
            totals[list(DeliveryState)[i % len(DeliveryState)]] += int(n)
        return totals

    def prune_delivered(self, before: float, limit: int = 1000) -> int:
        with self._errors("prune_delivered"):
            rows = cast(
                list[bytes], self._r.zrangebyscore(self._k("delivered"), "-inf", f"({before!r}", start=0, num=limit)
            )
            if not rows:
                return 0
            members = [r.decode() for r in rows]
            keys: list[str] = [self._k("delivered")]
            events = []
            for m in members:
                wid, event_id = m.split("|", 1)
                keys += [self._k(f"d:{m}"), self._s(wid, DeliveryState.DELIVERED)]
                events.append(event_id)
            return int(self._prune(keys=keys, args=[*members, *events]))

    def close(self) -> None:
        return None  # the client belongs to the RedisStore


__all__ = ["RedisWebhooks"]
