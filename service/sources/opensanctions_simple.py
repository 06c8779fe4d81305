"""OpenSanctions `targets.simple.csv`: one row per target, for any OpenSanctions dataset (a lighter alternative
to `ftm`). Format: https://www.opensanctions.org/docs/bulk/csv/

Columns id, schema, name, aliases, birth_date, countries, addresses, identifiers, sanctions, phones, emails,
program_ids, dataset, first_seen, last_seen, last_change; multi-values are `;`-joined, an item that holds `;` or
quotes is CSV-quoted inside the cell (so `""` is an empty list). Identifiers carry no type: "IMO1234567" reads as
an IMO number (a ship's, or a company's on non-vessels), nine digits on a vessel as its MMSI, the rest as OTHER.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping

from service.errors import ConfigError, ParseError
from service.model import (
    Address,
    DateSpec,
    Entity,
    EntityKind,
    Identifier,
    IdentifierType,
    Name,
    NameType,
    SourceRecord,
    entity_id,
)
from service.normalize.countries import to_country_code
from service.normalize.dates import parse_date_spec
from service.normalize.scripts import detect_script
from service.sources.base import ParseReport, require
from service.sources.ftm import PARTY_KINDS

RESOURCE = "targets.simple.csv"
REQUIRED = ("id", "schema", "name")
_MULTI = ("aliases", "birth_date", "countries", "addresses", "identifiers", "sanctions", "phones", "emails")
_IMO = re.compile(r"^IMO\s*(\d{7})$", re.IGNORECASE)
_MMSI = re.compile(r"^\d{9}$")
# Long free-text sanction summaries exceed csv's default 128 KiB field limit in the big datasets.
_FIELD_LIMIT = 16 * 1024 * 1024


def parse(
    files: Mapping[str, bytes], report: ParseReport | None = None, *, list_id: str | None = None
) -> Iterator[Entity]:
    """One entity per row of a party schema, in file order; ParseError names the line of a malformed row."""
    if not list_id:
        raise ConfigError("the opensanctions_simple format serves any dataset: the manifest must give the list id")
    report = report if report is not None else ParseReport()
    data = require(files, RESOURCE)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{RESOURCE}: not UTF-8 ({exc})") from exc
    csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or ())]
    if missing:
        raise ParseError(f"{RESOURCE}: header lacks {', '.join(missing)}; got {reader.fieldnames!r}")
    seen: set[str] = set()
    latest: str | None = None
    try:
        for row in reader:
            if None in row:  # DictReader files surplus cells under None
                raise ParseError(f"{RESOURCE} line {reader.line_num}: more cells than the header has columns")
            ftm_id, schema, name = ((row.get(k) or "").strip() for k in REQUIRED)
            if not ftm_id or not name:
                raise ParseError(f"{RESOURCE} line {reader.line_num}: row without id or name")
            for stamp in (row.get("last_seen"), row.get("last_change")):
                if stamp and (latest is None or stamp > latest):
                    latest = stamp
            kind = PARTY_KINDS.get(schema)
            if kind is None:
                report.count(f"skipped.{schema or 'no_schema'}")
                continue
            if ftm_id in seen:
                report.warn(f"line {reader.line_num}: duplicate id {ftm_id}, row skipped")
                continue
            seen.add(ftm_id)
            entity = _entity(list_id, row, report, ftm_id=ftm_id, schema=schema, kind=kind, name=name)
            report.count(f"kind.{kind.value}")
            report.count("entities")
            yield entity
    except csv.Error as exc:
        raise ParseError(f"{RESOURCE} line {reader.line_num}: {exc}") from exc
    if not seen:
        raise ParseError(f"{RESOURCE}: no targets")
    report.published_at = latest


def _entity(
    list_id: str, row: Mapping[str, str], report: ParseReport, *, ftm_id: str, schema: str, kind: EntityKind, name: str
) -> Entity:
    multi = {k: _items(row.get(k) or "") for k in _MULTI}
    aliases = [a for a in dict.fromkeys(multi["aliases"]) if a.casefold() != name.casefold()]
    birth_dates: list[DateSpec] = []
    for value in multi["birth_date"]:
        spec = parse_date_spec(value)
        if spec is None:
            report.count("dates_unparsed")
        elif spec not in birth_dates:
            birth_dates.append(spec)
    return Entity(
        id=entity_id(list_id, ftm_id),
        list_id=list_id,
        kind=kind,
        name=Name(full=name, type=NameType.PRIMARY, script=detect_script(name)),
        aliases=tuple(Name(full=a, type=NameType.AKA, script=detect_script(a)) for a in aliases),
        identifiers=tuple(_identifier(v, schema) for v in dict.fromkeys(multi["identifiers"])),
        birth_dates=tuple(birth_dates) if kind is EntityKind.PERSON else (),
        addresses=tuple(Address(full=a) for a in dict.fromkeys(multi["addresses"])),
        countries=tuple(dict.fromkeys(to_country_code(c) or c for c in multi["countries"] if c.lower() != "zz")),
        programs=tuple(dict.fromkeys(_items(row.get("program_ids") or ""))),
        remarks=tuple(dict.fromkeys(multi["sanctions"])),
        properties={"schema": schema},
        source=SourceRecord(list_id=list_id, upstream_id=ftm_id, fields={k: v for k, v in row.items() if v}),
    )


def _items(cell: str) -> list[str]:
    """The values of a `;`-joined cell whose items are CSV-quoted when they need to be."""
    if not cell.strip():
        return []
    try:
        items = next(csv.reader([cell], delimiter=";"), [])
    except csv.Error:
        items = cell.split(";")  # malformed inner quoting: fall back to the plain split
    return [v for v in (i.strip() for i in items) if v]


def _identifier(value: str, schema: str) -> Identifier:
    if m := _IMO.match(value):
        return Identifier(
            type=IdentifierType.IMO if schema == "Vessel" else IdentifierType.IMO_COMPANY, value=m[1], label="IMO"
        )
    if schema == "Vessel" and _MMSI.match(value):
        return Identifier(type=IdentifierType.MMSI, value=value, label="MMSI")
    return Identifier(type=IdentifierType.OTHER, value=value, label="identifier (type not given)")
