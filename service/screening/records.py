"""Counterparty files (CSV, JSON, JSON Lines, YAML) -> Records that keep their file and line, mapped to Queries.

Shared by the CI hook (`sanctions check`) and the monitor import (`sanctions monitor add`).

Line numbers: CSV, the physical line where the row starts (quoted fields may span lines); JSON Lines, the line;
YAML, the line of the mapping's first key (PyYAML node marks); JSON, the line of the object's opening brace,
found by walking the top-level array with the standard decoder's `raw_decode` (exact, not a text search).
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from service.errors import ServiceError
from service.model import EntityKind, Query
from service.normalize.countries import to_country_code
from service.normalize.dates import parse_date

INPUT_FORMATS = ("csv", "json", "jsonl", "yaml")
_SUFFIXES = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".yaml": "yaml",
    ".yml": "yaml",
}

# Role -> default column names, in order of preference (matched case-insensitively, spaces/dashes as "_").
# Single-valued roles take a record's first non-empty column among those; multi-valued roles gather them all.
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": (
        "name",
        "full_name",
        "legal_name",
        "company_name",
        "company",
        "counterparty",
        "counterparty_name",
        "vendor",
        "vendor_name",
        "supplier",
        "supplier_name",
        "customer",
        "customer_name",
        "party",
        "party_name",
        "operator",
        "vessel_name",
        "aircraft_name",
    ),
    "kind": ("type", "kind", "entity_type", "party_type"),
    "identifiers": (
        "registration",
        "registration_number",
        "tail_number",
        "tail",
        "imo",
        "imo_number",
        "mmsi",
        "call_sign",
        "passport",
        "passport_number",
        "national_id",
        "tax_id",
        "vat",
        "vat_number",
        "lei",
        "swift",
        "bic",
        "swift_bic",
        "identifier",
        "identifiers",
    ),
    "aliases": ("alias", "aliases", "aka", "other_names"),
    "birth_date": ("dob", "birth_date", "date_of_birth", "birthdate"),
    "country": ("country", "countries", "nationality", "citizenship", "country_code", "jurisdiction"),
    "id": ("id", "ref", "reference", "record_id", "customer_id", "vendor_id", "supplier_id", "counterparty_id"),
}
MULTI_ROLES = frozenset({"identifiers", "aliases", "country"})
ROLE_ALIASES = {
    "identifier": "identifiers",
    "dob": "birth_date",
    "countries": "country",
    "type": "kind",
    "alias": "aliases",
    "ref": "id",
    "key": "id",
}
_MULTI_SPLIT = re.compile(r"\s*[;|]\s*")

_KINDS = {
    "person": EntityKind.PERSON,
    "individual": EntityKind.PERSON,
    "natural_person": EntityKind.PERSON,
    "organization": EntityKind.ORGANIZATION,
    "organisation": EntityKind.ORGANIZATION,
    "company": EntityKind.ORGANIZATION,
    "entity": EntityKind.ORGANIZATION,
    "legal_entity": EntityKind.ORGANIZATION,
    "business": EntityKind.ORGANIZATION,
    "vessel": EntityKind.VESSEL,
    "ship": EntityKind.VESSEL,
    "aircraft": EntityKind.AIRCRAFT,
    "airplane": EntityKind.AIRCRAFT,
    "plane": EntityKind.AIRCRAFT,
}
_ANY_KIND = frozenset({"", "any", "unknown"})


class InputError(ServiceError):
    """A counterparty file that cannot be read as asked: exit 2."""


@dataclass(frozen=True, slots=True)
class Record:
    """One counterparty as read: where it is, its mapped values, and the query built from them."""

    path: str  # as given on the command line
    line: int  # 1-based
    query: Query
    key: str | None = None  # the `id` role's value, a stable handle for allowlists
    kind_text: str | None = None  # the kind cell as written

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def label(self) -> str:
        """What a reviewer recognises the record by: its name, else its identifiers."""
        return self.query.name or ", ".join(self.query.identifiers) or self.key or ""

    def is_screenable(self) -> bool:
        return not self.query.is_empty()


@dataclass(frozen=True, slots=True)
class FileRecords:
    path: str
    format: str
    columns: tuple[str, ...]
    mapping: Mapping[str, tuple[str, ...]]  # role -> the columns it was read from
    records: tuple[Record, ...]
    warnings: tuple[str, ...] = ()


@dataclass(slots=True)
class _Warnings:
    path: str
    bad_kinds: Counter[str] = field(default_factory=Counter)
    bad_dates: int = 0
    first_bad_date_line: int = 0

    def render(self) -> tuple[str, ...]:
        out = []
        if self.bad_kinds:
            values = ", ".join(f"{v!r} x{n}" for v, n in self.bad_kinds.most_common(5))
            out.append(f"{self.path}: unrecognised type value(s) {values}; those records are screened as any type")
        if self.bad_dates:
            out.append(
                f"{self.path}: {self.bad_dates} birth date(s) not readable as a date (first at line "
                f"{self.first_bad_date_line}); screened without the birth date"
            )
        return tuple(out)


def parse_field_specs(specs: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """`--field ROLE=COLUMN` (repeatable) -> {role: columns}. Unknown roles or a missing '=' are usage errors."""
    out: dict[str, list[str]] = {}
    for spec in specs:
        role, sep, column = spec.partition("=")
        role = ROLE_ALIASES.get(role.strip().lower(), role.strip().lower())
        column = column.strip()
        if not sep or not column:
            raise InputError(f"--field {spec!r}: expected ROLE=COLUMN, e.g. --field 'name=Supplier Name'")
        if role not in DEFAULT_COLUMNS:
            raise InputError(f"--field {spec!r}: unknown role {role!r}; roles: {', '.join(DEFAULT_COLUMNS)}")
        if role not in MULTI_ROLES and role in out:
            raise InputError(f"--field {role}= given twice; only identifiers, aliases and country take several")
        out.setdefault(role, []).append(column)
    return {role: tuple(cols) for role, cols in out.items()}


def _norm_column(name: str) -> str:
    return re.sub(r"[\s\-.]+", "_", name.strip().lower())


def resolve_mapping(
    path: str, columns: Sequence[str], overrides: Mapping[str, tuple[str, ...]]
) -> dict[str, tuple[str, ...]]:
    """Which columns feed which role: explicit `--field` columns must exist; defaults fill the other roles."""
    by_norm: dict[str, str] = {}
    for col in columns:
        by_norm.setdefault(_norm_column(col), col)
    by_exact = {col.strip().lower(): col for col in columns}
    mapping: dict[str, tuple[str, ...]] = {}
    for role, wanted in overrides.items():
        found = []
        for col in wanted:
            actual = by_exact.get(col.strip().lower()) or by_norm.get(_norm_column(col))
            if actual is None:
                raise InputError(
                    f"{path}: --field {role}={col}: no such column; columns are: {', '.join(columns) or '(none)'}"
                )
            found.append(actual)
        mapping[role] = tuple(found)
    taken = {c for cols in mapping.values() for c in cols}
    for role, candidates in DEFAULT_COLUMNS.items():
        if role in mapping:
            continue
        present = [by_norm[c] for c in candidates if c in by_norm and by_norm[c] not in taken]
        if present:
            # Single-valued roles keep every candidate in order: a record takes the first non-empty one, so
            # a file with `company_name` on some rows and `vessel_name` on others reads both.
            mapping[role] = tuple(present)
            taken.update(present)
    if not mapping.get("name") and not mapping.get("identifiers"):
        raise InputError(
            f"{path}: no usable name or identifier column (columns: {', '.join(columns) or '(none)'}); "
            "map one with --field name=COLUMN or --field identifiers=COLUMN"
        )
    return mapping


def _cell_values(value: Any, *, nested: bool = False) -> list[str]:
    """A cell as strings: lists stay lists, numbers lose a spurious '.0', None and blanks vanish.

    One level of list only: YAML aliases can nest a small file into billions of items ("billion laughs").
    """
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [] if nested else [s for v in value for s in _cell_values(v, nested=True)]
    if isinstance(value, bool):
        return [str(value).lower()]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dict):
        return []  # nested objects carry no value of a role on their own
    text = str(value).strip()
    return [text] if text else []


def _multi(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        for part in _MULTI_SPLIT.split(v):
            if part and part not in out:
                out.append(part)
    return out


def _build_record(
    path: str, line: int, row: Mapping[str, Any], mapping: Mapping[str, tuple[str, ...]], warn: _Warnings
) -> Record:
    def values(role: str) -> list[str]:
        found = [v for col in mapping.get(role, ()) for v in _cell_values(row.get(col))]
        return found if role in MULTI_ROLES else found[:1]

    names = values("name")
    kind_text = " ".join(values("kind")) or None
    kind: EntityKind | None = None
    if kind_text is not None:
        k = _norm_column(kind_text)
        if k in _KINDS:
            kind = _KINDS[k]
        elif k not in _ANY_KIND:
            warn.bad_kinds[kind_text] += 1
    birth_date = None
    for raw in values("birth_date"):
        birth_date = parse_date(raw)
        if birth_date is None:
            warn.bad_dates += 1
            warn.first_bad_date_line = warn.first_bad_date_line or line
        break
    countries = [to_country_code(c) or c for c in _multi(values("country"))]
    keys = values("id")
    query = Query(
        name=names[0] if names else None,
        kind=kind,
        aliases=tuple(_multi(values("aliases"))),
        identifiers=tuple(_multi(values("identifiers"))),
        birth_date=birth_date,
        countries=tuple(dict.fromkeys(countries)),
    )
    return Record(path=path, line=line, query=query, key=keys[0] if keys else None, kind_text=kind_text)


# --- decoding -------------------------------------------------------------------------------------------------


def _read_text(path: str) -> str:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"{path}:{line}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save the file as UTF-8"
        ) from None


def detect_format(path: str, explicit: str | None) -> str:
    if explicit:
        return explicit
    suffix = Path(path).suffix.lower()
    if suffix in _SUFFIXES:
        return _SUFFIXES[suffix]
    raise InputError(f"{path}: cannot tell the format from the extension; pass --input-format csv|json|jsonl|yaml")


# --- CSV --------------------------------------------------------------------------------------------------------

_DELIMITERS = (",", "\t", ";", "|")  # order breaks ties


def sniff_delimiter(header_line: str) -> str:
    """The delimiter that occurs most often outside quotes in the header line (header names rarely hold one)."""
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for ch in header_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(path: str, text: str, overrides: Mapping[str, tuple[str, ...]]) -> FileRecords:
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    delimiter = sniff_delimiter(first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    try:
        start = 1
        for row in reader:
            line = start
            start = reader.line_num + 1  # the next row begins after the physical lines this one used
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [c.strip() for c in row]
                continue
            rows.append((line, row))
    except csv.Error as exc:
        raise InputError(f"{path}:{reader.line_num}: malformed CSV: {exc}") from None
    if header is None:
        raise InputError(f"{path}: empty file (a header row naming the columns is required)")
    mapping = resolve_mapping(path, header, overrides)
    warn = _Warnings(path)
    records = []
    for line, row in rows:
        named = {col: (row[i] if i < len(row) else "") for i, col in enumerate(header)}
        records.append(_build_record(path, line, named, mapping, warn))
    return FileRecords(path, "csv", tuple(header), mapping, tuple(records), warn.render())


# --- JSON / JSON Lines --------------------------------------------------------------------------------------------

_WS = re.compile(r"[ \t\n\r]*")


def _skip_ws(text: str, pos: int) -> int:
    m = _WS.match(text, pos)
    return m.end() if m else pos


def _array_item_offsets(text: str, pos: int) -> list[int]:
    """Character offsets of each element of the JSON array that opens at `pos` (text is known to be valid)."""
    decoder = json.JSONDecoder()
    offsets: list[int] = []
    i = _skip_ws(text, pos + 1)
    if text[i] == "]":
        return offsets
    while True:
        offsets.append(i)
        _, i = decoder.raw_decode(text, i)
        i = _skip_ws(text, i)
        if text[i] == "]":
            return offsets
        i = _skip_ws(text, i + 1)  # the comma


def _member_offset(text: str, pos: int, key: str) -> int:
    """Offset of the value of `key` in the JSON object opening at `pos`; the last duplicate wins, as in json.loads."""
    decoder = json.JSONDecoder()
    found = -1
    i = _skip_ws(text, pos + 1)
    while text[i] != "}":
        name, i = decoder.raw_decode(text, i)
        i = _skip_ws(text, _skip_ws(text, i) + 1)  # past the colon
        if name == key:
            found = i
        _, i = decoder.raw_decode(text, i)
        i = _skip_ws(text, i)
        if text[i] == ",":
            i = _skip_ws(text, i + 1)
    return found


class _LineIndex:
    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self._starts, offset)


def _columns_of(objs: Iterable[Mapping[str, Any]]) -> list[str]:
    cols: dict[str, None] = {}
    for o in objs:
        cols.update(dict.fromkeys(str(k) for k in o))
    return list(cols)


def _from_objects(
    path: str, fmt: str, items: list[tuple[int, Any]], overrides: Mapping[str, tuple[str, ...]]
) -> FileRecords:
    for line, obj in items:
        if not isinstance(obj, dict):
            raise InputError(f"{path}:{line}: expected an object (a mapping of column to value), got {_kind(obj)}")
    columns = _columns_of(obj for _, obj in items)
    mapping = resolve_mapping(path, columns, overrides)
    warn = _Warnings(path)
    records = tuple(
        _build_record(path, line, {str(k): v for k, v in obj.items()}, mapping, warn) for line, obj in items
    )
    return FileRecords(path, fmt, tuple(columns), mapping, records, warn.render())


def _kind(obj: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", type(None): "null", bool: "a boolean"}
    return names.get(type(obj), "a number")


def _read_json(path: str, text: str, overrides: Mapping[str, tuple[str, ...]]) -> FileRecords:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: malformed JSON: {exc.msg} (column {exc.colno})") from None
    start = _skip_ws(text, 0)
    if isinstance(doc, dict) and isinstance(doc.get("records"), list):
        items_doc = doc["records"]
        array_at = _member_offset(text, start, "records")
    elif isinstance(doc, list):
        items_doc = doc
        array_at = start
    else:
        raise InputError(f'{path}: expected an array of objects or {{"records": [...]}}, got {_kind(doc)}')
    index = _LineIndex(text)
    lines = [index.line(off) for off in _array_item_offsets(text, array_at)]
    return _from_objects(path, "json", list(zip(lines, items_doc, strict=True)), overrides)


def _read_jsonl(path: str, text: str, overrides: Mapping[str, tuple[str, ...]]) -> FileRecords:
    items = []
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            items.append((n, json.loads(raw)))
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{n}: malformed JSON line: {exc.msg} (column {exc.colno})") from None
    if not items:
        raise InputError(f"{path}: empty file (no JSON objects)")
    return _from_objects(path, "jsonl", items, overrides)


# --- YAML ----------------------------------------------------------------------------------------------------------


class _StringLoader(yaml.SafeLoader):
    """Safe YAML where every scalar but null stays a string: no `NO` -> False, no dates, no octal IMO numbers."""


_StringLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag == "tag:yaml.org,2002:null"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _read_yaml(path: str, text: str, overrides: Mapping[str, tuple[str, ...]]) -> FileRecords:
    loader = _StringLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise InputError(f"{path}: empty file (no YAML document)")
        doc = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise InputError(f"{path}{line}: malformed YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: malformed YAML: {exc}") from None
    finally:
        loader.dispose()
    seq_node: yaml.Node | None = None
    if isinstance(node, yaml.SequenceNode):
        seq_node = node
    elif isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == "records" and isinstance(value_node, yaml.SequenceNode):
                seq_node = value_node
    if seq_node is None:
        raise InputError(f"{path}: expected a list of mappings (or records: [...]), got {_kind(doc)}")
    items_doc = doc["records"] if isinstance(doc, dict) else doc
    lines = [item.start_mark.line + 1 for item in seq_node.value]
    return _from_objects(path, "yaml", list(zip(lines, items_doc, strict=True)), overrides)


_READERS = {"csv": _read_csv, "json": _read_json, "jsonl": _read_jsonl, "yaml": _read_yaml}


def read_file(
    path: str, *, input_format: str | None = None, overrides: Mapping[str, tuple[str, ...]] | None = None
) -> FileRecords:
    """Read one counterparty file. Raises InputError (exit 2) for anything that is not a clean read."""
    fmt = detect_format(path, input_format)
    text = _read_text(path)
    return _READERS[fmt](path, text, overrides or {})
