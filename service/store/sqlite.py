"""One SQLite database file of the embedded store, shared by its monitoring and webhook parts: opened lazily in
WAL mode with synchronous=FULL (a write the API reported as stored survives a power cut), one connection per
process behind a lock, writes in BEGIN IMMEDIATE transactions (writers queue up instead of failing on upgrade),
and every sqlite3 error turned into a StoreError that names the database."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from service.errors import StoreError


class SqliteDatabase:
    def __init__(self, path: Path, schema: str, what: str) -> None:
        """`schema`: CREATE ... IF NOT EXISTS statements run on first use; `what` names it in errors."""
        self.path = Path(path)
        self._schema = schema
        self._what = what
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            try:
                db = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=FULL")
                db.executescript(self._schema)
            except sqlite3.Error as exc:
                raise StoreError(f"cannot open the {self._what} database {self.path}: {exc}") from exc
            self._db = db
        return self._db

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back when it raises."""
        with self._lock:
            db = self._conn()
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StoreError(f"{self._what} database write failed: {exc}") from exc

    def read(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._conn().execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"{self._what} database read failed: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
