"""A read-only mapping kept as its JSON bytes, for the parts of an entity nothing reads while screening.

An entity's source record (the publisher's fields as parsed) and kind-specific properties are read only when the
entity itself is shown (`GET /v1/entities/{id}`, the review page), never by the matcher. As dicts of strings they
were a third of the memory of every entity on the real lists (24 MB); as one bytes object each, 12 MB, and a
quarter fewer objects for the matcher cache to load. A read decodes the bytes (orjson: microseconds).
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from typing import Any

import orjson


class PackedMapping(Mapping[str, Any]):
    """Immutable; equal to any mapping with the same items, as a dict is."""

    __slots__ = ("_raw",)

    def __init__(self, raw: bytes) -> None:
        self._raw = raw

    def _decoded(self) -> dict[str, Any]:
        decoded: dict[str, Any] = orjson.loads(self._raw)
        return decoded

    def __getitem__(self, key: str) -> Any:
        return self._decoded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._decoded())

    def __len__(self) -> int:
        return len(self._decoded())

    # one decoding for the whole view, not one per key (Mapping's own would call __getitem__ for each)
    def keys(self) -> KeysView[str]:
        return self._decoded().keys()

    def items(self) -> ItemsView[str, Any]:
        return self._decoded().items()

    def values(self) -> ValuesView[Any]:
        return self._decoded().values()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PackedMapping):
            return self._raw == other._raw or self._decoded() == other._decoded()
        if isinstance(other, Mapping):
            return self._decoded() == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to dicts, which have none

    def __repr__(self) -> str:
        return f"PackedMapping({self._decoded()!r})"

    def __reduce__(self) -> tuple[type[PackedMapping], tuple[bytes]]:
        return PackedMapping, (self._raw,)


EMPTY = PackedMapping(b"{}")  # immutable, so one for every entity without properties


def packed(values: Mapping[str, Any]) -> PackedMapping:
    """`values` as a PackedMapping (the shared EMPTY when there are none). Values must be JSON: strings, numbers,
    lists and dicts of them, as parsers write them."""
    return PackedMapping(orjson.dumps(dict(values))) if values else EMPTY
