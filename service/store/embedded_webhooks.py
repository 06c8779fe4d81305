"""Webhooks in the embedded store: one SQLite database (WAL, synchronous=FULL) in the data folder, webhooks.sqlite3.

Tables: webhooks (with each one's fan-out cursor over the monitoring event log) and deliveries (keyed by webhook
id and event id; state, attempts, schedule, last error, the body to send, and a lease: owner token and expiry).
Several processes on one host may share the file: a claim is one BEGIN IMMEDIATE transaction, so two processes
never lease the same delivery, and a pending delivery survives any restart (it is a row, not a queue in memory).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from service.errors import StoreError
from service.model import Delivery, DeliveryState, EventType, Webhook
from service.store.encoding import dumps, loads
from service.store.sqlite import SqliteDatabase

_SCHEMA = """
CREATE TABLE IF NOT EXISTS webhooks (
    n INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, body BLOB NOT NULL, cursor INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
    webhook_id TEXT NOT NULL, event_id TEXT NOT NULL, event_type TEXT NOT NULL, seq INTEGER NOT NULL,
    body BLOB NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL, queued_at REAL NOT NULL,
    next_attempt_at REAL NOT NULL, last_error TEXT NOT NULL, last_attempt_at REAL, delivered_at REAL,
    lease_owner TEXT, lease_until REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (webhook_id, event_id));
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS deliveries_by_webhook ON deliveries (webhook_id, state, seq);
CREATE INDEX IF NOT EXISTS deliveries_delivered ON deliveries (delivered_at) WHERE state = 'delivered';
"""

_COLUMNS = (
    "webhook_id, event_id, event_type, seq, body, state, attempts, queued_at, next_attempt_at, last_error,"
    " last_attempt_at, delivered_at"
)


def _delivery(row: Sequence[Any]) -> Delivery:
    return Delivery(
        webhook_id=row[0],
        event_id=row[1],
        event_type=EventType(row[2]),
        seq=int(row[3]),
        body=bytes(row[4]),
        state=DeliveryState(row[5]),
        attempts=int(row[6]),
        queued_at=float(row[7]),
        next_attempt_at=float(row[8]),
        last_error=row[9],
        last_attempt_at=row[10],
        delivered_at=row[11],
    )


def _webhook(body: bytes) -> Webhook:
    d = loads(body)
    return Webhook(d["id"], d["url"], tuple(EventType(e) for e in d["events"]), d["secret"], d["created_at"])


class SqliteWebhooks:
    """The WebhookStore protocol (service.store.base) on SQLite."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db = SqliteDatabase(self.path, _SCHEMA, "webhooks")
        self._tx = self._db.tx
        self._read = self._db.read

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
        with self._tx() as db:
            try:
                db.execute("INSERT INTO webhooks (id, body, cursor) VALUES (?, ?, ?)", (webhook.id, body, cursor))
            except sqlite3.IntegrityError as exc:
                raise StoreError(f"webhook {webhook.id} exists already") from exc

    def get_webhook(self, webhook_id: str) -> Webhook | None:
        rows = self._read("SELECT body FROM webhooks WHERE id = ?", (webhook_id,))
        return _webhook(rows[0][0]) if rows else None

    def list_webhooks(self) -> list[Webhook]:
        return [_webhook(body) for (body,) in self._read("SELECT body FROM webhooks ORDER BY n")]

    def delete_webhook(self, webhook_id: str) -> bool:
        with self._tx() as db:
            gone = db.execute("DELETE FROM webhooks WHERE id = ?", (webhook_id,)).rowcount > 0
            db.execute("DELETE FROM deliveries WHERE webhook_id = ?", (webhook_id,))
        return gone

    def cursors(self) -> dict[str, int]:
        return {str(i): int(c) for i, c in self._read("SELECT id, cursor FROM webhooks")}

    # --- deliveries ----------------------------------------------------------------------------------------------
    def enqueue(self, webhook_id: str, deliveries: Sequence[Delivery], *, cursor: int) -> bool:
        with self._tx() as db:
            if db.execute("SELECT 1 FROM webhooks WHERE id = ?", (webhook_id,)).fetchone() is None:
                return False
            db.executemany(
                f"INSERT OR IGNORE INTO deliveries ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                [
                    (
                        webhook_id,
                        d.event_id,
                        d.event_type.value,
                        d.seq,
                        d.body,
                        d.state.value,
                        d.attempts,
                        d.queued_at,
                        d.next_attempt_at,
                        d.last_error,
                        d.last_attempt_at,
                        d.delivered_at,
                    )
                    for d in deliveries
                ],
            )
            db.execute("UPDATE webhooks SET cursor = MAX(cursor, ?) WHERE id = ?", (cursor, webhook_id))
        return True

    def claim(self, *, owner: str, now: float, lease_s: float, limit: int) -> list[Delivery]:
        # Workers poll every second or so, mostly finding nothing: a read first spares them the write lock.
        due = "SELECT 1 FROM deliveries WHERE state = 'pending' AND next_attempt_at <= ? AND lease_until <= ? LIMIT 1"
        if not self._read(due, (now, now)):
            return []
        with self._tx() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM deliveries WHERE state = 'pending' AND next_attempt_at <= ?"  # noqa: S608
                " AND lease_until <= ? ORDER BY next_attempt_at, seq LIMIT ?",
                (now, now, limit),
            ).fetchall()
            db.executemany(
                "UPDATE deliveries SET lease_owner = ?, lease_until = ? WHERE webhook_id = ? AND event_id = ?",
                [(owner, now + lease_s, r[0], r[1]) for r in rows],
            )
        return [_delivery(r) for r in rows]

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
        with self._tx() as db:
            changed = db.execute(
                "UPDATE deliveries SET state = ?, attempts = attempts + 1, last_attempt_at = ?, last_error = ?,"
                " next_attempt_at = CASE WHEN ? = 'pending' THEN ? ELSE next_attempt_at END,"
                " delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END,"
                " lease_owner = NULL, lease_until = 0"
                " WHERE webhook_id = ? AND event_id = ? AND lease_owner = ?",
                (state.value, at, error, state.value, next_attempt_at, state.value, at, webhook_id, event_id, owner),
            ).rowcount
        return changed > 0

    def requeue(self, webhook_id: str, event_ids: Sequence[str] | None = None, *, now: float) -> int:
        # The lease stays: an attempt in flight finishes (and is recorded) before the replayed one starts. The
        # owner token does not: that attempt's outcome belongs to the old queueing and must not settle this one.
        sets = (
            "state = 'pending', attempts = 0, queued_at = ?, next_attempt_at = ?, last_error = '',"
            " delivered_at = NULL, lease_owner = NULL"
        )
        with self._tx() as db:
            if event_ids is None:
                return int(
                    db.execute(
                        f"UPDATE deliveries SET {sets} WHERE webhook_id = ? AND state = 'dead'",  # noqa: S608
                        (now, now, webhook_id),
                    ).rowcount
                )
            count = 0
            for event_id in dict.fromkeys(event_ids):
                count += db.execute(
                    f"UPDATE deliveries SET {sets} WHERE webhook_id = ? AND event_id = ?",  # noqa: S608
                    (now, now, webhook_id, event_id),
                ).rowcount
            return count

    def deliveries(self, webhook_id: str, *, state: DeliveryState | None = None, limit: int = 100) -> list[Delivery]:
        if state is None:
            rows = self._read(
                f"SELECT {_COLUMNS} FROM deliveries WHERE webhook_id = ? ORDER BY seq DESC LIMIT ?",  # noqa: S608
                (webhook_id, limit),
            )
        else:
            rows = self._read(
                f"SELECT {_COLUMNS} FROM deliveries WHERE webhook_id = ? AND state = ?"  # noqa: S608
                " ORDER BY seq DESC LIMIT ?",
                (webhook_id, state.value, limit),
            )
        return [_delivery(r) for r in rows]

    def counts(self, webhook_id: str | None = None) -> dict[DeliveryState, int]:
        if webhook_id is None:
            rows = self._read("SELECT state, COUNT(*) FROM deliveries GROUP BY state")
        else:
            rows = self._read(
                "SELECT state, COUNT(*) FROM deliveries WHERE webhook_id = ? GROUP BY state", (webhook_id,)
            )
        found = {DeliveryState(s): int(n) for s, n in rows}
        return {s: found.get(s, 0) for s in DeliveryState}

    def prune_delivered(self, before: float, limit: int = 1000) -> int:
        with self._tx() as db:
            return int(
                db.execute(
                    "DELETE FROM deliveries WHERE rowid IN (SELECT rowid FROM deliveries"
                    " WHERE state = 'delivered' AND delivered_at < ? LIMIT ?)",
                    (before, limit),
                ).rowcount
            )

    def close(self) -> None:
        self._db.close()
