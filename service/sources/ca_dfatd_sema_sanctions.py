"""Canada Consolidated Autonomous Sanctions List (SEMA and JVCFOR), XML `data-set/record` (sema-lmes.xml).

Official URL: https://www.international.gc.ca/world-monde/assets/office_docs/international_relations-relations_internationales/sanctions/sema-lmes.xml
Canada publishes no record id and no file date (published_at stays None). Entity ids are derived from the
record: `<regime>.<schedule>.<item>`, e.g. `russia.1-part-1.12`, where regime is the English half of Country
slugged (or its upper-case acronym in parentheses: "... (JVCFOR)" -> `jvcfor`), schedule is Schedule slugged
("1, Part 1" and "1,Part 3" spellings meet) and left out when blank, and item is Item. If two records ever
share a key, each gets `-<8 hex>` of a hash of its own content (then `~2`, `~3` for identical records), so ids
never depend on record order. Quirks kept as data: Aliases is free text in several scripts ("; ", " or ",
commas, "Russian: ..." labels), birth dates like "1963 or 1964" and "born in the early 1970s".
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import orjson
import pycountry

from service.errors import ParseError
from service.model import (
    DateSpec,
    Entity,
    EntityKind,
    Identifier,
    IdentifierType,
    Name,
    NameQuality,
    NameType,
    SourceRecord,
    entity_id,
)
from service.normalize.dates import parse_date, parse_date_specs
from service.sources._common import (
    add_name,
    clean,
    element_fields,
    is_patronymic,
    make_name,
    slug,
    unique_dates,
)
from service.sources.base import ParseReport, xml_root

LIST_ID = "ca_dfatd_sema_sanctions"
RESOURCE = "sema-lmes.xml"

_ACRONYM = re.compile(r"\(([A-Z]{3,})\)\s*$")
# Alias separators: semicolons and " or " between names, then commas within each (see _split_commas).
_ALIAS_SPLIT = re.compile(r"\s*;\s*|\s+or\s+", re.IGNORECASE)
_COMMA_SPLIT = re.compile(r"\s*,\s*")
# Legal-form suffixes written after a comma ("Море Река Сервис, ООО", "RFNC - Vniief, FSUE"): they rejoin the name.
_LEGAL_FORMS = frozenset(
    {
        "ао",
        "оао",
        "зао",
        "пао",
        "ооо",
        "нао",
        "ано",
        "сао",
        "фгуп",
        "фгбу",
        "гуп",
        "уп",
        "мк",
        "ao",
        "oao",
        "zao",
        "pao",
        "ooo",
        "jsc",
        "ojsc",
        "cjsc",
        "pjsc",
        "fsue",
        "llc",
        "ltd",
        "ltd.",
        "limited",
        "inc",
        "inc.",
        "co",
        "co.",
        "plc",
        "llp",
        "gmbh",
        "s.a.",
        "sa",
        "ag",
    }
)
# "Russian: Анна ..." - a language label in front of an alias.
_LANGUAGE_LABEL = re.compile(r"^(?P<label>[A-Z][a-z]+)\s*:\s*(?P<name>.+)$")
_LANGUAGE_SPELLINGS = {"belarussian": "be", "farsi": "fa"}


@dataclass(frozen=True, slots=True)
class _Record:
    fields: dict[str, str]  # leaf texts by tag, whitespace collapsed
    raw: dict[str, object]  # the record as published, for SourceRecord.fields


def parse(
    files: Mapping[str, bytes], report: ParseReport | None = None, *, list_id: str | None = None
) -> Iterator[Entity]:
    """Entities of the Canadian consolidated autonomous sanctions list, in file order."""
    list_id = list_id or LIST_ID
    report = report if report is not None else ParseReport()
    root = xml_root(files, RESOURCE, "data-set")
    records = [_Record(_leaf_texts(el), element_fields(el)) for el in root.iterfind("record")]
    if not records:
        raise ParseError(f"{RESOURCE}: no record elements")
    listings = sorted(d for d in (r.fields.get("DateOfListing") for r in records) if d)
    report.published_at = None
    report.warn(
        f"{RESOURCE} carries no publication date; published_at left unset "
        f"(the latest DateOfListing, {listings[-1] if listings else 'none'}, is a listing date, not the file's date)"
    )
    keys = stable_keys([r.fields for r in records])
    for record, key in zip(records, keys, strict=True):
        entity = _entity(record, key, list_id, report)
        if entity is not None:
            report.count(entity.kind.value)
            yield entity


def _leaf_texts(el: ET.Element) -> dict[str, str]:
    return {child.tag: text for child in el if (text := clean(child.text))}


def regime_key(country_text: str) -> str:
    """Slug of the regime: the English half of "Russia / Russie", or its upper-case acronym "(JVCFOR)"."""
    english = country_text.split(" / ", maxsplit=1)[0].strip()
    if m := _ACRONYM.search(english):
        return m[1].lower()
    return slug(english)


def record_key(fields: Mapping[str, str]) -> str:
    """`<regime>.<schedule>.<item>` of one record, schedule left out when blank (see the module docstring)."""
    parts = [regime_key(fields.get("Country", "")), slug(fields.get("Schedule", "")), slug(fields.get("Item", ""))]
    return ".".join(p for p in parts if p)


def stable_keys(records: list[dict[str, str]]) -> list[str]:
    """One unique key per record, independent of record order: colliding keys get a hash of the record's own
    content, and records identical in content are numbered (their order cannot be told apart anyway)."""
    keys = [record_key(r) for r in records]
    counts = Counter(keys)
    out: list[str] = []
    for key, fields in zip(keys, records, strict=True):
        if counts[key] > 1:
            digest = hashlib.sha256(orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)).hexdigest()[:8]
            out.append(f"{key}-{digest}")
        else:
            out.append(key)
    seen: Counter[str] = Counter()
    final = []
    for key in out:
        seen[key] += 1
        final.append(key if seen[key] == 1 else f"{key}~{seen[key]}")
    return final


def _entity(record: _Record, key: str, list_id: str, report: ParseReport) -> Entity | None:
    f = record.fields
    last, given = f.get("LastName"), f.get("GivenName")
    org_name, title_or_type, imo = f.get("EntityOrShip"), f.get("TitleOrShip"), f.get("ShipIMONumber")
    if not key or not (last or given or org_name):
        report.warn(f"record {key or '(no Country/Item)'} without a name or key: skipped")
        report.count("skipped")
        return None
    if last or given:
        kind = EntityKind.PERSON
        full = " ".join(p for p in (given, last) if p)
        middle = None
        # GivenName often ends in the patronymic ("Aleksandr Grigoryevich"); make_name files it as such.
        if given and len(tokens := given.split()) > 1 and is_patronymic(tokens[-1]):
            given, middle = " ".join(tokens[:-1]), tokens[-1]
        name = make_name(full, given=given, middle=middle, family=last)
    else:
        # TitleOrShip on a non-person record is the ship type ("LNG Tanker"): a vessel even without IMO.
        kind = EntityKind.VESSEL if imo or title_or_type else EntityKind.ORGANIZATION
        name = make_name(org_name or "")
    names: list[Name] = [name]
    for alias in split_aliases(f.get("Aliases", "")):
        add_name(names, _alias_name(alias, kind))

    remarks: list[str] = []
    birth_dates: tuple[DateSpec, ...] = ()
    properties: dict[str, str] = {}
    identifiers: list[Identifier] = []
    dated = f.get("DateOfBirthOrShipBuildDate")
    if kind is EntityKind.VESSEL:
        if dated:
            properties["year_built"] = dated
        if title_or_type:
            properties["vessel_type"] = title_or_type
    elif dated:
        birth_dates = unique_dates(parse_date_specs(dated))
        if not birth_dates:
            remarks.append(f"Date of birth: {dated}")
    if imo:
        identifiers.append(Identifier(IdentifierType.IMO, imo, label="Ship IMO number"))
    for field_name, prop in (("Schedule", "schedule"), ("Item", "item")):
        if value := f.get(field_name):
            properties[prop] = value
    regime = f.get("Country", "")
    listed = f.get("DateOfListing")
    return Entity(
        id=entity_id(list_id, key),
        list_id=list_id,
        kind=kind,
        name=names[0],
        aliases=tuple(names[1:]),
        identifiers=tuple(identifiers),
        birth_dates=birth_dates,
        titles=(title_or_type,) if kind is EntityKind.PERSON and title_or_type else (),
        programs=(regime.split(" / ")[0].strip(),) if regime else (),
        listed_on=parse_date(listed) if listed else None,
        remarks=tuple(remarks),
        properties=properties,
        source=SourceRecord(list_id=list_id, upstream_id=key, fields=record.raw),
    )


def split_aliases(text: str) -> list[str]:
    """The Aliases field split into names on ";", " or " and commas; commas inside parentheses and before
    or after a legal form ("Море Река Сервис, ООО", "ОАО, БЭТО") do not split; stray brackets are dropped."""
    pieces: list[str] = []
    for segment in _ALIAS_SPLIT.split(clean(text) or ""):
        pieces.extend(_split_commas(segment))
    return [p for p in pieces if len(p) > 1]


def _split_commas(segment: str) -> list[str]:
    merged: list[str] = []
    for piece in _COMMA_SPLIT.split(segment):
        if merged and merged[-1].count("(") > merged[-1].count(")"):
            merged[-1] = f"{merged[-1]}, {piece}"
        elif piece.strip():
            merged.append(piece)
    pieces: list[str] = []
    prefix = ""
    for piece in map(_tidy, merged):
        if piece.casefold() in _LEGAL_FORMS:
            if pieces:
                pieces[-1] = f"{pieces[-1]}, {piece}"
            else:
                prefix = f"{prefix}{piece}, "
            continue
        pieces.append(prefix + piece)
        prefix = ""
    if prefix:
        pieces.append(prefix.rstrip(", "))
    return pieces


def _tidy(piece: str) -> str:
    piece = piece.strip(" ,;")
    if piece.lower().startswith("and "):
        piece = piece[4:].lstrip()
    if piece.startswith("(") and ")" not in piece:
        piece = piece[1:].lstrip()
    if piece.endswith(")") and "(" not in piece:
        piece = piece[:-1].rstrip()
    return piece


def _alias_name(text: str, kind: EntityKind) -> Name:
    lang = None
    if m := _LANGUAGE_LABEL.match(text):
        lang = _language_code(m["label"])
        if lang is not None:
            text = m["name"].strip()
    # A one-word alias of a person ("Alexander") is a fragment of a longer alias: kept, but weak.
    quality = NameQuality.WEAK if kind is EntityKind.PERSON and " " not in text else NameQuality.STRONG
    return make_name(text, type=NameType.AKA, quality=quality, lang=lang)


def _language_code(label: str) -> str | None:
    if code := _LANGUAGE_SPELLINGS.get(label.lower()):
        return code
    try:
        language = pycountry.languages.lookup(label)
    except LookupError:
        return None
    code = getattr(language, "alpha_2", None)
    return str(code) if code else None
