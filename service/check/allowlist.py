"""Reviewed false positives: an entry clears one entity for one record until its expiry date, then stops.

File (YAML or JSON): a list of entries, or {"entries": [...]}. Each entry needs `entity_id`, `record` (the
record's name, its key column, or one of its identifiers, compared case- and space-insensitively), `reason`,
`reviewer` and `expires` (ISO date; the entry suppresses through that day). Other keys (ticket, notes) are kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from service.errors import ServiceError
from service.screening.records import Record

REQUIRED = ("entity_id", "record", "reason", "reviewer", "expires")


class AllowlistError(ServiceError):
    """A malformed allowlist: exit 2 (a half-read allowlist would suppress the wrong hits)."""


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


@dataclass(frozen=True, slots=True)
class AllowEntry:
    number: int  # 1-based position in the file
    line: int | None
    entity_id: str
    record: str
    reason: str
    reviewer: str
    expires: date
    extra: Mapping[str, str]

    def is_active(self, today: date) -> bool:
        return today <= self.expires

    def covers(self, entity_id: str, record: Record) -> bool:
        if entity_id != self.entity_id:
            return False
        wanted = _fold(self.record)
        handles = [record.query.name, record.key, *record.query.identifiers]
        return any(h is not None and _fold(h) == wanted for h in handles)

    def describe(self) -> str:
        where = f"line {self.line}" if self.line else f"entry {self.number}"
        return f"{where} ({self.entity_id} for {self.record!r})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "entity_id": self.entity_id,
            "record": self.record,
            "reason": self.reason,
            "reviewer": self.reviewer,
            "expires": self.expires.isoformat(),
            **self.extra,
        }


@dataclass(frozen=True, slots=True)
class Allowlist:
    path: str
    entries: tuple[AllowEntry, ...]

    def expired(self, today: date) -> list[AllowEntry]:
        return [e for e in self.entries if not e.is_active(today)]

    def find(self, entity_id: str, record: Record, today: date) -> AllowEntry | None:
        """The first unexpired entry that clears this entity for this record."""
        for entry in self.entries:
            if entry.is_active(today) and entry.covers(entity_id, record):
                return entry
        return None

    def entity_ids(self) -> list[str]:
        return list(dict.fromkeys(e.entity_id for e in self.entries))


def _as_date(value: object, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise AllowlistError(f"{where}: 'expires' must be an ISO date (YYYY-MM-DD), got {value!r}")


def _entry(number: int, line: int | None, raw: object, path: str) -> AllowEntry:
    where = f"{path}:{line}" if line else f"{path}: entry {number}"
    if not isinstance(raw, dict):
        raise AllowlistError(f"{where}: each entry must be a mapping with {', '.join(REQUIRED)}")
    missing = [k for k in REQUIRED if raw.get(k) in (None, "")]
    if missing:
        raise AllowlistError(f"{where}: missing {', '.join(missing)} (every entry needs {', '.join(REQUIRED)})")
    for key in ("entity_id", "record", "reason", "reviewer"):
        if not isinstance(raw[key], str | int) or isinstance(raw[key], bool):
            raise AllowlistError(f"{where}: {key!r} must be a string")
    entity_id = str(raw["entity_id"]).strip()
    if ":" not in entity_id:
        raise AllowlistError(f"{where}: entity_id {entity_id!r} is not of the form <list id>:<upstream id>")
    return AllowEntry(
        number=number,
        line=line,
        entity_id=entity_id,
        record=str(raw["record"]).strip(),
        reason=str(raw["reason"]).strip(),
        reviewer=str(raw["reviewer"]).strip(),
        expires=_as_date(raw["expires"], where),
        extra={str(k): str(v) for k, v in raw.items() if k not in REQUIRED and v is not None},
    )


def load_allowlist(path: str) -> Allowlist:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise AllowlistError(f"allowlist {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AllowlistError(f"allowlist {path}: cannot read: {exc}") from None
    lines: list[int | None]
    if path.lower().endswith(".json"):
        try:
            doc = json.loads(text) if text.strip() else []
        except json.JSONDecodeError as exc:
            raise AllowlistError(f"allowlist {path}:{exc.lineno}: malformed JSON: {exc.msg}") from None
        items = doc.get("entries") if isinstance(doc, dict) else doc
        lines = [None] * (len(items) if isinstance(items, list) else 0)
    else:
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            doc = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f":{mark.line + 1}" if mark is not None else ""
            raise AllowlistError(f"allowlist {path}{at}: malformed YAML: {exc}") from None
        if doc is None:
            doc, node = [], None
        items = doc.get("entries") if isinstance(doc, dict) else doc
        seq = node
        if isinstance(node, yaml.MappingNode):
            seq = next((v for k, v in node.value if k.value == "entries"), None)
        lines = (
            [n.start_mark.line + 1 for n in seq.value]
            if isinstance(seq, yaml.SequenceNode)
            else [None] * (len(items) if isinstance(items, list) else 0)
        )
    if not isinstance(items, list):
        raise AllowlistError(f"allowlist {path}: expected a list of entries (or entries: [...])")
    entries = tuple(_entry(i, line, raw, path) for i, (line, raw) in enumerate(zip(lines, items, strict=True), 1))
    return Allowlist(path=path, entries=entries)
