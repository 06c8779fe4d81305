"""Small helpers the XML list parsers share: whitespace, names with script detection, countries, raw fields.

Private to `service.sources` (the leading underscore keeps `get_parser` from mistaking it for a format).
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Hashable, Iterable, Iterator
from datetime import datetime
from typing import TypeVar

from service.model import Address, DateSpec, Entity, IdentifierType, Name, NameQuality, NameType
from service.normalize import vocabulary
from service.normalize.countries import to_country_code
from service.normalize.scripts import detect_script
from service.sources.base import ParseReport

T = TypeVar("T", bound=Hashable)

_SPACE = re.compile(r"\s+")
# Values publishers put in a country field to mean "not known"; "na" would otherwise read as Namibia.
_NO_COUNTRY = frozenset({"na", "n/a", "none", "unknown", "-", "00", "not known"})


def clean(text: str | None) -> str | None:
    """Text with runs of whitespace (line breaks included) collapsed to one space; None when blank."""
    if text is None:
        return None
    value = _SPACE.sub(" ", text).strip()
    return value or None


def child_text(el: ET.Element | None, tag: str) -> str | None:
    """Cleaned text of the first child `tag` of `el` (None when absent or blank)."""
    if el is None:
        return None
    return clean(el.findtext(tag))


def texts(el: ET.Element | None, path: str) -> list[str]:
    """Cleaned, non-blank texts of every element at `path` below `el`, in document order."""
    if el is None:
        return []
    return [t for t in (clean(x.text) for x in el.iterfind(path)) if t]


def dedupe(items: Iterable[T]) -> tuple[T, ...]:
    """Items in first-seen order without repeats."""
    return tuple(dict.fromkeys(items))


def unique_dates(specs: Iterable[DateSpec]) -> tuple[DateSpec, ...]:
    """Dates without repeats of the same (start, end, circa); the first wording is kept."""
    out: dict[tuple[str, str | None, bool], DateSpec] = {}
    for s in specs:
        out.setdefault((s.start, s.end, s.circa), s)
    return tuple(out.values())


def country(text: str | None) -> str | None:
    """ISO alpha-2 code for a publisher's country text, the cleaned text when unresolved, None when blank/unknown."""
    value = clean(text)
    if value is None or value.lower() in _NO_COUNTRY:
        return None
    return to_country_code(value) or value


def is_patronymic(part: str) -> bool:
    """A one-word East Slavic patronymic, by the vocabulary the matcher classes tokens by (Friedrich is not one)."""
    return vocabulary.is_patronymic(part)


def make_name(
    full: str,
    *,
    type: NameType = NameType.PRIMARY,
    quality: NameQuality = NameQuality.STRONG,
    given: str | None = None,
    middle: str | None = None,
    family: str | None = None,
    lang: str | None = None,
) -> Name:
    """A Name with its script detected; a single Slavic-patronymic middle part is filed as the patronymic."""
    full = clean(full) or full
    given, middle, family = clean(given), clean(middle), clean(family)
    patronymic = None
    if middle and is_patronymic(middle):
        patronymic, middle = middle, None
    return Name(
        full=full,
        type=type,
        quality=quality,
        given=given,
        middle=middle,
        family=family,
        patronymic=patronymic,
        script=detect_script(full),
        lang=lang,
    )


def add_name(names: list[Name], name: Name) -> None:
    """Append `name` unless the same text (ignoring case) is already there; the first, stronger entry wins."""
    key = name.full.casefold()
    if all(n.full.casefold() != key for n in names):
        names.append(name)


def make_address(
    *,
    street: str | None = None,
    city: str | None = None,
    region: str | None = None,
    postal_code: str | None = None,
    country_text: str | None = None,
    extra: Iterable[str | None] = (),
) -> Address | None:
    """An Address whose `full` is every part as published, comma-joined; None when nothing is given."""
    street, city, region, postal_code = clean(street), clean(city), clean(region), clean(postal_code)
    country_text = clean(country_text)
    parts = [p for p in (street, city, region, postal_code, country_text, *map(clean, extra)) if p]
    if not parts:
        return None
    return Address(
        full=", ".join(dict.fromkeys(parts)),
        street=street,
        city=city,
        region=region,
        postal_code=postal_code,
        country=country(country_text),
    )


# Keywords of free-text document labels, checked in this order (a "tax identification number" is a tax id).
_ID_LABELS: tuple[tuple[re.Pattern[str], IdentifierType], ...] = (
    (re.compile(r"passport|passeport|pasaporte|laissez"), IdentifierType.PASSPORT),
    (re.compile(r"\bimo\b"), IdentifierType.IMO),
    (re.compile(r"\bswift\b|\bbic\b"), IdentifierType.SWIFT_BIC),
    (re.compile(r"\btax\b|fiscal|\binn\b|\bvat\b|\btin\b"), IdentifierType.TAX_ID),
    (re.compile(r"registration|regnumber|company (?:no|number)|\bogrn\b|\breg\. ?no"), IdentifierType.REGISTRATION),
    (
        re.compile(r"identification|identity|\bid\b|tazkira|social security|national (?:id|number)"),
        IdentifierType.NATIONAL_ID,
    ),
)


def identifier_type(label: str | None) -> IdentifierType:
    """Identifier type from a publisher's free-text document label ("Passport", "National Identification Number")."""
    text = clean(label or "") or ""
    text = text.casefold()
    for pattern, kind in _ID_LABELS:
        if pattern.search(text):
            return kind
    return IdentifierType.OTHER


def element_fields(el: ET.Element) -> dict[str, object]:
    """The element as published, as plain data: attributes as "@name", leaf children as text, nested children
    as dicts; a tag that repeats becomes a list. Blank values are left out."""
    out: dict[str, object] = {}
    for key, value in el.attrib.items():
        if value.strip():
            out[f"@{key}"] = value.strip()
    for child in el:
        item: object = element_fields(child) if len(child) or child.attrib else (child.text or "").strip()
        if not item:
            continue
        if child.tag in out:
            existing = out[child.tag]
            if isinstance(existing, list):
                existing.append(item)
            else:
                out[child.tag] = [existing, item]
        else:
            out[child.tag] = item
    if len(el) and el.text and el.text.strip():
        out["#text"] = el.text.strip()
    return out


def iso_timestamp(text: str | None) -> str | None:
    """The publisher's generation stamp if it is valid ISO 8601 (kept as written), else None."""
    value = clean(text)
    if value is None:
        return None
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return None
    return value


def slug(text: str) -> str:
    """Lowercase ASCII letters and digits joined by single hyphens ("1, Part 1" -> "1-part-1")."""
    folded = unicodedata.normalize("NFKD", text).casefold().encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")


def unique_entities(entities: Iterable[Entity | None], report: ParseReport, id_label: str) -> Iterator[Entity]:
    """Entities in file order, each id once: a later record reusing an id is skipped and reported; kinds counted."""
    seen: set[str] = set()
    for entity in entities:
        if entity is None:
            continue
        if entity.id in seen:
            report.warn(f"duplicate {id_label} {entity.upstream_id}: later record skipped")
            report.count("skipped")
            continue
        seen.add(entity.id)
        report.count(entity.kind.value)
        yield entity
