"""UN Security Council Consolidated List, XML (https://scsanctions.un.org/resources/xml/en/consolidated.xml).

`CONSOLIDATED_LIST@dateGenerated` holds INDIVIDUALS/INDIVIDUAL and ENTITIES/ENTITY records keyed by
REFERENCE_NUMBER (e.g. QDi.196). Quirks kept as data: name parts FIRST..FOURTH_NAME are in the person's own
order (DPRK names put the family name first), alias QUALITY "Low" and f.k.a. aliases, NAME_ORIGINAL_SCRIPT
names, birth dates split over DATE/YEAR/FROM_YEAR/TO_YEAR with free-text NOTEs ("Sep.", "30-35 years old",
Hijri dates), alias-specific birth dates, and document numbers written as prose ("Afghan passport number ...").
"""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping

from service.errors import ParseError
from service.model import (
    Address,
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
from service.normalize.dates import parse_date, parse_date_spec
from service.sources._common import (
    add_name,
    child_text,
    clean,
    country,
    dedupe,
    element_fields,
    identifier_type,
    iso_timestamp,
    make_address,
    make_name,
    texts,
    unique_dates,
    unique_entities,
)
from service.sources.base import ParseReport, xml_root

LIST_ID = "un_sc_sanctions"
RESOURCE = "consolidated.xml"

_QUALITY = {"good": NameQuality.STRONG, "low": NameQuality.LOW, "a.k.a.": NameQuality.STRONG}
_ALIAS_TYPE = {"f.k.a.": NameType.FKA, "n.k.a.": NameType.NKA}
_GENDER = {"male": "male", "female": "female"}
_NAME_TAGS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
# Entity alias notes such as "in Arabic script: شركة الكوثر" carry the original-script name.
_SCRIPT_NOTE = re.compile(r"^in \w+ script:\s*(?P<name>.+)$", re.IGNORECASE)


def parse(
    files: Mapping[str, bytes], report: ParseReport | None = None, *, list_id: str | None = None
) -> Iterator[Entity]:
    """Entities of the UN consolidated list, individuals first, in file order."""
    list_id = list_id or LIST_ID
    report = report if report is not None else ParseReport()
    root = xml_root(files, RESOURCE, "CONSOLIDATED_LIST")
    individuals, organizations = root.find("INDIVIDUALS"), root.find("ENTITIES")
    if individuals is None or organizations is None:
        raise ParseError(f"{RESOURCE}: <INDIVIDUALS> or <ENTITIES> section missing")
    records = [*individuals.iterfind("INDIVIDUAL"), *organizations.iterfind("ENTITY")]
    if not records:
        raise ParseError(f"{RESOURCE}: no INDIVIDUAL or ENTITY records")
    report.published_at = iso_timestamp(root.get("dateGenerated"))
    if report.published_at is None:
        report.warn(f"{RESOURCE}: dateGenerated missing or not ISO: {root.get('dateGenerated')!r}")
    yield from unique_entities((_entity(el, list_id, report) for el in records), report, "REFERENCE_NUMBER")


def _entity(el: ET.Element, list_id: str, report: ParseReport) -> Entity | None:
    ref = child_text(el, "REFERENCE_NUMBER")
    is_person = el.tag == "INDIVIDUAL"
    parts = [p for p in (child_text(el, t) for t in (_NAME_TAGS if is_person else _NAME_TAGS[:1])) if p]
    if ref is None or not parts:
        report.warn(f"{el.tag} DATAID={child_text(el, 'DATAID')} without REFERENCE_NUMBER or name: skipped")
        report.count("skipped")
        return None
    program = child_text(el, "UN_LIST_TYPE")
    names = [_primary_name(parts, program) if is_person else make_name(parts[0])]
    remarks = [r for r in [clean(el.findtext("COMMENTS1"))] if r]
    birth_dates: list[DateSpec] = []
    birth_places: list[str] = []
    for dob in el.iterfind("INDIVIDUAL_DATE_OF_BIRTH"):
        spec, remark = _birth_date(dob)
        if spec is not None:
            birth_dates.append(spec)
        if remark:
            remarks.append(remark)
    for pob in el.iterfind("INDIVIDUAL_PLACE_OF_BIRTH"):
        if place := _join(pob, ("STREET", "CITY", "STATE_PROVINCE", "COUNTRY", "NOTE")):
            birth_places.append(place)
    alias_tag = "INDIVIDUAL_ALIAS" if is_person else "ENTITY_ALIAS"
    for alias in el.iterfind(alias_tag):
        _add_alias(names, alias, birth_dates, birth_places)
    if original := child_text(el, "NAME_ORIGINAL_SCRIPT"):
        add_name(names, make_name(original, type=NameType.ORIGINAL_SCRIPT))
    address_tag = "INDIVIDUAL_ADDRESS" if is_person else "ENTITY_ADDRESS"
    addresses = [a for a in (_address(x) for x in el.iterfind(address_tag)) if a]
    identifiers = [i for i in (_document(x) for x in el.iterfind("INDIVIDUAL_DOCUMENT")) if i]
    listed_on = clean(el.findtext("LISTED_ON"))
    return Entity(
        id=entity_id(list_id, ref),
        list_id=list_id,
        kind=EntityKind.PERSON if is_person else EntityKind.ORGANIZATION,
        name=names[0],
        aliases=tuple(names[1:]),
        identifiers=dedupe(identifiers),
        birth_dates=unique_dates(birth_dates),
        birth_places=dedupe(birth_places),
        nationalities=dedupe(c for c in map(country, texts(el, "NATIONALITY/VALUE")) if c),
        addresses=dedupe(addresses),
        gender=_GENDER.get((child_text(el, "GENDER") or "").lower()),
        titles=dedupe(texts(el, "TITLE/VALUE")),
        positions=dedupe(texts(el, "DESIGNATION/VALUE")),
        programs=(program,) if program else (),
        listed_on=parse_date(listed_on[:10]) if listed_on else None,
        remarks=dedupe(remarks),
        source=SourceRecord(
            list_id=list_id,
            upstream_id=ref,
            version=child_text(el, "VERSIONNUM") or "",
            fields=element_fields(el),
        ),
    )


def _primary_name(parts: list[str], program: str | None) -> Name:
    full = " ".join(parts)
    if len(parts) == 1:
        return make_name(full)
    if program == "DPRK":
        # Korean names are listed family name first: FIRST_NAME=KIM, SECOND_NAME=TONG CHOL.
        return make_name(full, family=parts[0], given=" ".join(parts[1:]))
    return make_name(full, given=parts[0], middle=" ".join(parts[1:-1]) or None, family=parts[-1])


def _add_alias(names: list[Name], alias: ET.Element, birth_dates: list[DateSpec], birth_places: list[str]) -> None:
    text = child_text(alias, "ALIAS_NAME")
    if not text:
        return
    quality_text = (child_text(alias, "QUALITY") or "").lower()
    name_type = _ALIAS_TYPE.get(quality_text, NameType.AKA)
    add_name(names, make_name(text, type=name_type, quality=_QUALITY.get(quality_text, NameQuality.STRONG)))
    note = child_text(alias, "NOTE")
    if note and (m := _SCRIPT_NOTE.match(note)):
        add_name(names, make_name(m["name"], type=NameType.ORIGINAL_SCRIPT))
    # Some aliases carry the birth date and place used under that name (false documents).
    if (dob := child_text(alias, "DATE_OF_BIRTH")) and (spec := parse_date_spec(dob)):
        birth_dates.append(spec)
    if place := _join(alias, ("CITY_OF_BIRTH", "COUNTRY_OF_BIRTH")):
        birth_places.append(place)


def _birth_date(dob: ET.Element) -> tuple[DateSpec | None, str | None]:
    """One INDIVIDUAL_DATE_OF_BIRTH -> (date spec, remark for whatever the spec cannot hold)."""
    kind = (child_text(dob, "TYPE_OF_DATE") or "").upper()
    date, year = child_text(dob, "DATE"), child_text(dob, "YEAR")
    from_year, to_year = child_text(dob, "FROM_YEAR"), child_text(dob, "TO_YEAR")
    note = child_text(dob, "NOTE")
    circa = kind == "APPROXIMATELY"
    if note and note.lower().rstrip(".") in ("approximately", "approx", "circa"):
        circa, note = True, None
    spec: DateSpec | None = None
    raw = date or year or (f"{from_year}-{to_year}" if from_year and to_year else None)
    if date:
        spec = parse_date_spec(date)
    elif from_year and to_year:
        spec = parse_date_spec(f"{from_year} to {to_year}")
    elif year and note and (combined := parse_date_spec(f"{note} {year}")):
        # A month in NOTE completes YEAR: YEAR=1958, NOTE="Sep." -> 1958-09.
        spec, raw, note = combined, f"{note} {year}", None
    elif year:
        spec = parse_date_spec(year)
    elif note and (spec := parse_date_spec(note)):
        raw, note = note, None
    if spec is not None:
        spec = dataclasses.replace(spec, circa=spec.circa or circa, raw=raw)
    remark = None
    if note:
        remark = f"Date of birth {raw}: {note}" if raw else f"Date of birth: {note}"
    elif spec is None and raw:
        remark = f"Date of birth: {raw}"
    return spec, remark


def _document(doc: ET.Element) -> Identifier | None:
    kind_label = child_text(doc, "TYPE_OF_DOCUMENT")
    detail = child_text(doc, "TYPE_OF_DOCUMENT2")
    number = child_text(doc, "NUMBER")
    if number is None:
        # Some records put the whole document in TYPE_OF_DOCUMENT2: "... (tazkira) number 545167".
        if detail and any(ch.isdigit() for ch in detail):
            number = detail
        else:
            return None
    id_type = identifier_type(kind_label)
    # TYPE_OF_DOCUMENT2 refines the type: "National Identification Number" / "Italian Fiscal Code".
    refined = identifier_type(detail) if detail else IdentifierType.OTHER
    if id_type is IdentifierType.OTHER or refined in (IdentifierType.TAX_ID, IdentifierType.PASSPORT):
        id_type = refined if refined is not IdentifierType.OTHER else id_type
    note_parts = []
    if issued := child_text(doc, "DATE_OF_ISSUE"):
        note_parts.append(f"issued {issued}")
    if city := child_text(doc, "CITY_OF_ISSUE"):
        note_parts.append(f"issued in {city}")
    if note := child_text(doc, "NOTE"):
        note_parts.append(note)
    return Identifier(
        type=id_type,
        value=number,
        country=country(child_text(doc, "ISSUING_COUNTRY") or child_text(doc, "COUNTRY_OF_ISSUE")),
        label=detail if detail and detail != number else kind_label,
        note="; ".join(note_parts) or None,
    )


def _address(el: ET.Element) -> Address | None:
    return make_address(
        street=child_text(el, "STREET"),
        city=child_text(el, "CITY"),
        region=child_text(el, "STATE_PROVINCE"),
        postal_code=child_text(el, "ZIP_CODE"),
        country_text=child_text(el, "COUNTRY"),
        extra=[child_text(el, "NOTE")],
    )


def _join(el: ET.Element, tags: tuple[str, ...]) -> str | None:
    parts = [p for p in (child_text(el, t) for t in tags) if p]
    return ", ".join(dict.fromkeys(parts)) or None
