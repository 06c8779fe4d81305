"""UK Sanctions List (FCDO), XML (https://sanctionslist.fcdo.gov.uk/docs/UK-Sanctions-List.xml).

`Designations/DateGenerated` (dd/mm/yyyy) and `Designation` records keyed by UniqueID (e.g. AFG0001), each an
Individual, Entity or Ship. Quirks kept as data: names come in parts Name1..Name6 (Name6 is the family or
entity name), "Primary Name Variation" names, alias strength in words ("Low quality a.k.a"), unknown date
parts written as placeholders ("dd/mm/1945"), IMO numbers with an "IMO" prefix, repeated passports, and
ship owners, parents and subsidiaries given only by name (kept as links).
"""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping

import pycountry

from service.errors import ParseError
from service.model import (
    Address,
    DateSpec,
    Entity,
    EntityKind,
    Identifier,
    IdentifierType,
    Link,
    Name,
    NameQuality,
    NameType,
    SourceRecord,
    entity_id,
)
from service.normalize.dates import parse_date, parse_date_specs
from service.sources._common import (
    add_name,
    child_text,
    clean,
    country,
    dedupe,
    element_fields,
    identifier_type,
    make_address,
    make_name,
    texts,
    unique_dates,
    unique_entities,
)
from service.sources.base import ParseReport, xml_root

LIST_ID = "gb_fcdo_sanctions"
RESOURCE = "UK-Sanctions-List.xml"

_KINDS = {"individual": EntityKind.PERSON, "entity": EntityKind.ORGANIZATION, "ship": EntityKind.VESSEL}
_GENDER = {"male": "male", "female": "female"}
_IMO_PREFIX = re.compile(r"^\s*IMO[\s:.-]*", re.IGNORECASE)
# Ship elements read into typed fields; any other leaf under ShipDetails/Ship is kept as a property.
_SHIP_KNOWN = frozenset(
    {
        "IMONumber",
        "CurrentOwnerOperator",
        "PreviousOwnerOperator",
        "CurrentBelievedFlagOfShip",
        "CurrentFlag",
        "PreviousFlag",
        "TypeOfShip",
        "TonnageOfShip",
        "LengthOfShip",
        "YearBuilt",
        "PreviousName",
        "HullIdentificationNumber",
    }
)


def parse(
    files: Mapping[str, bytes], report: ParseReport | None = None, *, list_id: str | None = None
) -> Iterator[Entity]:
    """Entities of the UK Sanctions List, in file order."""
    list_id = list_id or LIST_ID
    report = report if report is not None else ParseReport()
    root = xml_root(files, RESOURCE, "Designations")
    records = root.findall("Designation")
    if not records:
        raise ParseError(f"{RESOURCE}: no Designation records")
    generated = child_text(root, "DateGenerated")
    report.published_at = parse_date(generated) if generated else None
    if report.published_at is None or len(report.published_at) != 10:
        report.warn(f"{RESOURCE}: DateGenerated missing or not dd/mm/yyyy: {generated!r}")
        report.published_at = None
    yield from unique_entities((_entity(el, list_id, report) for el in records), report, "UniqueID")


def _entity(el: ET.Element, list_id: str, report: ParseReport) -> Entity | None:
    unique_id = child_text(el, "UniqueID")
    if unique_id is None:
        report.warn(f"Designation OFSIGroupID={child_text(el, 'OFSIGroupID')} without UniqueID: skipped")
        report.count("skipped")
        return None
    kind_text = (child_text(el, "IndividualEntityShip") or "").lower()
    kind = _KINDS.get(kind_text, EntityKind.UNKNOWN)
    if kind is EntityKind.UNKNOWN:
        report.warn(f"Designation {unique_id}: unknown IndividualEntityShip {kind_text!r}")
    names = _names(el, is_person=kind is EntityKind.PERSON)
    if not names:
        report.warn(f"Designation {unique_id}: no name: skipped")
        report.count("skipped")
        return None

    remarks = [r for r in (child_text(el, "OtherInformation"), child_text(el, "UKStatementofReasons")) if r]
    properties: dict[str, str] = {}
    for key, path in (
        ("ofsi_group_id", "OFSIGroupID"),
        ("un_reference", "UNReferenceNumber"),
        ("designation_source", "DesignationSource"),
        ("sanctions_imposed", "SanctionsImposed"),
        ("phone", "PhoneNumbers/PhoneNumber"),
        ("email", "EmailAddresses/EmailAddress"),
        ("website", "Websites/Website"),
    ):
        if values := texts(el, path):
            properties[key] = "; ".join(dict.fromkeys(values))

    identifiers: list[Identifier] = []
    birth_dates: list[DateSpec] = []
    birth_places: list[str] = []
    nationalities: list[str] = []
    positions: list[str] = []
    genders: list[str] = []
    links: list[Link] = []
    countries: list[str] = []
    for person in el.iterfind("IndividualDetails/Individual"):
        for dob in texts(person, "DOBs/DOB"):
            specs = parse_date_specs(dob)
            birth_dates.extend(specs)
            if not specs:
                remarks.append(f"Date of birth: {dob}")
        nationalities.extend(c for c in map(country, texts(person, "Nationalities/Nationality")) if c)
        positions.extend(texts(person, "Positions/Position"))
        genders.extend(g for g in (_GENDER.get(x.lower()) for x in texts(person, "Genders/Gender")) if g)
        identifiers.extend(_documents(person))
        for place in person.iterfind("BirthDetails/Location"):
            parts = [child_text(place, t) for t in ("TownOfBirth", "CountryOfBirth")]
            if text := ", ".join(p for p in parts if p):
                birth_places.append(text)
    for org in el.iterfind("EntityDetails/Entity"):
        if types := texts(org, "TypeOfEntities/TypeOfEntity"):
            properties["entity_type"] = "; ".join(dict.fromkeys(types))
        for number in texts(org, "BusinessRegistrationNumbers/BusinessRegistrationNumber"):
            identifiers.append(Identifier(IdentifierType.REGISTRATION, number, label="Business registration number"))
        links.extend(Link("parent", n) for n in texts(org, "ParentCompanies/ParentCompany"))
        links.extend(Link("subsidiary", n) for n in texts(org, "Subsidiaries/Subsidiary"))
    for ship in el.iterfind("ShipDetails/Ship"):
        _ship(ship, names=names, identifiers=identifiers, links=links, countries=countries, properties=properties)

    listed = child_text(el, "DateDesignated")
    updated = child_text(el, "LastUpdated")
    return Entity(
        id=entity_id(list_id, unique_id),
        list_id=list_id,
        kind=kind,
        name=names[0],
        aliases=tuple(names[1:]),
        identifiers=dedupe(identifiers),
        birth_dates=unique_dates(birth_dates),
        birth_places=dedupe(birth_places),
        nationalities=dedupe(nationalities),
        addresses=dedupe(a for a in (_address(x) for x in el.iterfind("Addresses/Address")) if a),
        countries=dedupe(countries),
        gender=genders[0] if genders else None,
        titles=dedupe(texts(el, ".//Titles/Title")),
        positions=dedupe(positions),
        programs=tuple(texts(el, "RegimeName")),
        listed_on=parse_date(listed) if listed else None,
        remarks=dedupe(remarks),
        links=dedupe(links),
        properties=properties,
        source=SourceRecord(
            list_id=list_id,
            upstream_id=unique_id,
            version=(parse_date(updated) or updated) if updated else "",
            fields=element_fields(el),
        ),
    )


def _names(el: ET.Element, *, is_person: bool) -> list[Name]:
    """The first "Primary Name" first, then variations and aliases in file order, then non-Latin names."""
    collected: list[Name] = []
    for n in el.iterfind("Names/Name"):
        parts = [child_text(n, f"Name{i}") for i in range(1, 7)]
        full = " ".join(p for p in parts if p)
        if not full:
            continue
        type_text = (child_text(n, "NameType") or "").lower()
        name_type = NameType.AKA
        if type_text == "primary name" and all(x.type is not NameType.PRIMARY for x in collected):
            name_type = NameType.PRIMARY
        elif "previous" in type_text or "former" in type_text:
            name_type = NameType.FKA
        quality = NameQuality.LOW if "low" in (child_text(n, "AliasStrength") or "").lower() else NameQuality.STRONG
        given = middle = family = None
        if is_person:
            # Name1 is the first given name, Name2..Name5 further names, Name6 the family name; UN-derived
            # records sometimes stop at Name2, whose last part then serves as the family name.
            present = [p for p in parts[:5] if p]
            family = parts[5] or (present.pop() if len(present) > 1 else None)
            given = present[0] if present else None
            middle = " ".join(present[1:]) or None
        collected.append(make_name(full, type=name_type, quality=quality, given=given, middle=middle, family=family))
    if not collected:
        return []
    primary = next((x for x in collected if x.type is NameType.PRIMARY), None)
    if primary is None:
        primary = dataclasses.replace(collected[0], type=NameType.PRIMARY, quality=NameQuality.STRONG)
        collected = collected[1:]
    names = [primary]
    for name in collected:
        if name is not primary:
            add_name(names, name)
    for n in el.iterfind("NonLatinNames/NonLatinName"):
        if text := child_text(n, "NameNonLatinScript"):
            add_name(names, make_name(text, type=NameType.ORIGINAL_SCRIPT, lang=_language(n)))
    return names


def _language(el: ET.Element) -> str | None:
    """ISO 639-1 code of NonLatinScriptLanguage ("Arabic" -> "ar"), None when absent or unknown."""
    text = child_text(el, "NonLatinScriptLanguage")
    if not text:
        return None
    try:
        language = pycountry.languages.lookup(text.split(";")[0].strip())
    except LookupError:
        return None
    code = getattr(language, "alpha_2", None)
    return str(code) if code else None


def _documents(person: ET.Element) -> list[Identifier]:
    out: list[Identifier] = []
    groups = (
        ("PassportDetails/Passport", "PassportNumber", "PassportAdditionalInformation", IdentifierType.PASSPORT),
        (
            "NationalIdentifierDetails/NationalIdentifier",
            "NationalIdentifierNumber",
            "NationalIdentifierAdditionalInformation",
            IdentifierType.NATIONAL_ID,
        ),
    )
    for path, number_tag, info_tag, default_type in groups:
        for doc in person.iterfind(path):
            if number := child_text(doc, number_tag):
                info = child_text(doc, info_tag)
                # "National identifiers" include tax numbers (INN, NIF): the additional information says which.
                id_type = identifier_type(info) if default_type is IdentifierType.NATIONAL_ID else default_type
                if id_type not in (IdentifierType.TAX_ID, IdentifierType.REGISTRATION, IdentifierType.PASSPORT):
                    id_type = default_type
                out.append(Identifier(id_type, number, note=info))
    # Some versions list bare numbers without the details wrapper.
    out.extend(Identifier(IdentifierType.PASSPORT, n) for n in texts(person, "PassportNumbers/PassportNumber"))
    out.extend(
        Identifier(IdentifierType.NATIONAL_ID, n)
        for n in texts(person, "NationalIdentifierNumbers/NationalIdentifierNumber")
    )
    return out


def _ship(
    ship: ET.Element,
    *,
    names: list[Name],
    identifiers: list[Identifier],
    links: list[Link],
    countries: list[str],
    properties: dict[str, str],
) -> None:
    for imo in texts(ship, ".//IMONumber"):
        identifiers.append(Identifier(IdentifierType.IMO, _IMO_PREFIX.sub("", imo), label="IMO number", note=imo))
    for hin in texts(ship, ".//HullIdentificationNumber"):
        identifiers.append(Identifier(IdentifierType.OTHER, hin, label="Hull identification number (HIN)"))
    links.extend(Link("owner", n) for n in texts(ship, ".//CurrentOwnerOperator"))
    links.extend(Link("previous_owner", n) for n in texts(ship, ".//PreviousOwnerOperator"))
    for previous in texts(ship, ".//PreviousName"):
        add_name(names, make_name(previous, type=NameType.FKA))
    # The published XML says CurrentBelievedFlagOfShip; the CSV/ODS heading (and older drafts) "current flag".
    flags = texts(ship, ".//CurrentBelievedFlagOfShip") + texts(ship, ".//CurrentFlag")
    countries.extend(c for c in map(country, flags) if c)
    if flags:
        properties["flag"] = "; ".join(dict.fromkeys(flags))
    for key, tag in (
        ("previous_flags", "PreviousFlag"),
        ("vessel_type", "TypeOfShip"),
        ("tonnage", "TonnageOfShip"),
        ("length", "LengthOfShip"),
        ("year_built", "YearBuilt"),
    ):
        if values := texts(ship, f".//{tag}"):
            properties[key] = "; ".join(dict.fromkeys(values))
    for leaf in ship.iter():
        if len(leaf) == 0 and leaf is not ship and leaf.tag not in _SHIP_KNOWN and (value := clean(leaf.text)):
            key = re.sub(r"(?<!^)(?=[A-Z])", "_", leaf.tag).lower()
            properties[key] = f"{properties[key]}; {value}" if key in properties else value


def _address(a: ET.Element) -> Address | None:
    lines = [child_text(a, f"AddressLine{i}") for i in range(1, 7)]
    return make_address(
        street=", ".join(p for p in lines[:4] if p) or None,
        region=lines[4],
        city=lines[5],
        postal_code=child_text(a, "AddressPostalCode"),
        country_text=child_text(a, "AddressCountry"),
    )
