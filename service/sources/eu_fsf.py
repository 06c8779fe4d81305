"""EU consolidated financial sanctions list, FSF XML 1.1 (namespace http://eu.europa.ec/fpi/fsd/export).

Official URL: https://webgate.ec.europa.eu/fsd/fsf/public/files/xmlFullSanctionsList_1_1/content?token=dG9rZW4tMjAxNw
(the token is public). `export@generationDate` holds `sanctionEntity@logicalId` records whose data sits in
attributes. Quirks kept as data: every name is a `nameAlias` (the primary name is chosen, see `_primary`),
`strong="true"` is set on almost every alias while the real quality hides in a remark ("low quality alias"),
`countryIso2Code="00"` means unknown, `city="-"` means none, ISLAMIC-calendar birth dates carry their Gregorian
equivalent in `birthdate`, and `identificationTypeCode` values beyond the common ones fall back to OTHER.
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
from service.normalize.countries import country_name
from service.normalize.dates import parse_date
from service.sources._common import (
    add_name,
    clean,
    country,
    dedupe,
    element_fields,
    identifier_type,
    iso_timestamp,
    make_address,
    make_name,
    unique_dates,
    unique_entities,
)
from service.sources.base import ParseReport, xml_root

LIST_ID = "eu_fsf"
RESOURCE = "eu_fsf.xml"

_KINDS = {"person": EntityKind.PERSON, "enterprise": EntityKind.ORGANIZATION}
_GENDER = {"m": "male", "f": "female"}
# identificationTypeCode values of the FSF 1.1 export; anything else goes through the label heuristics.
_ID_CODES = {
    "passport": IdentifierType.PASSPORT,
    "id": IdentifierType.NATIONAL_ID,
    "ssn": IdentifierType.NATIONAL_ID,
    "regnumber": IdentifierType.REGISTRATION,
    "fiscalcode": IdentifierType.TAX_ID,
    "tax": IdentifierType.TAX_ID,
    "swiftbic": IdentifierType.SWIFT_BIC,
    "imo": IdentifierType.IMO,
    "other": IdentifierType.OTHER,
}
_ID_FLAGS = ("diplomatic", "knownExpired", "knownFalse", "reportedLost", "revokedByIssuer")
_LOW_QUALITY = re.compile(r"\blow[- ]quality\b", re.IGNORECASE)
_GOOD_QUALITY = re.compile(r"^\(?\s*good[- ]quality\s+ali+as\s*\)?\.?$", re.IGNORECASE)
_NO_VALUE = frozenset({"-", "00", "unknown"})


def parse(
    files: Mapping[str, bytes], report: ParseReport | None = None, *, list_id: str | None = None
) -> Iterator[Entity]:
    """Entities of the EU FSF 1.1 export, in file order."""
    list_id = list_id or LIST_ID
    report = report if report is not None else ParseReport()
    root = xml_root(files, RESOURCE, "export")
    records = root.findall("sanctionEntity")
    if not records:
        raise ParseError(f"{RESOURCE}: no sanctionEntity records")
    report.published_at = iso_timestamp(root.get("generationDate"))
    if report.published_at is None:
        report.warn(f"{RESOURCE}: generationDate missing or not ISO: {root.get('generationDate')!r}")
    yield from unique_entities((_entity(el, list_id, report) for el in records), report, "logicalId")


def _attr(el: ET.Element, name: str) -> str | None:
    value = clean(el.get(name))
    return None if value is None or value.lower() in _NO_VALUE else value


def _entity(el: ET.Element, list_id: str, report: ParseReport) -> Entity | None:
    logical_id = _attr(el, "logicalId")
    if logical_id is None:
        report.warn(f"sanctionEntity euReferenceNumber={el.get('euReferenceNumber')!r} without logicalId: skipped")
        report.count("skipped")
        return None
    subject = el.find("subjectType")
    code = (subject.get("code") or "").lower() if subject is not None else ""
    kind = _KINDS.get(code, EntityKind.UNKNOWN)
    if kind is EntityKind.UNKNOWN:
        report.warn(f"sanctionEntity {logical_id}: unknown subjectType {code!r}")
    remarks = [r for r in (clean(x.text) for x in el.iterfind("remark")) if r]
    if details := _attr(el, "designationDetails"):
        remarks.append(details)

    names: list[Name] = []
    titles: list[str] = []
    positions: list[str] = []
    genders: list[str] = []
    for alias in el.iterfind("nameAlias"):
        name, alias_remarks = _alias(alias)
        if name is not None:
            names.append(name)
        remarks.extend(alias_remarks)
        titles.extend(t for t in [_attr(alias, "title")] if t)
        positions.extend(p for p in [_attr(alias, "function")] if p)
        if gender := _GENDER.get((alias.get("gender") or "").lower()):
            genders.append(gender)
    if not names:
        report.warn(f"sanctionEntity {logical_id}: no nameAlias with a name: skipped")
        report.count("skipped")
        return None
    primary = _primary(names)
    ordered: list[Name] = [primary]
    for n in names:
        if n is not primary:
            add_name(ordered, n)

    birth_dates: list[DateSpec] = []
    birth_places: list[str] = []
    for b in el.iterfind("birthdate"):
        spec, remark = _birth_date(b)
        if spec is not None:
            birth_dates.append(spec)
        if remark:
            remarks.append(remark)
        if place := _birth_place(b):
            birth_places.append(place)

    properties: dict[str, str] = {}
    if ref := _attr(el, "euReferenceNumber"):
        properties["eu_reference"] = ref
    if un_id := _attr(el, "unitedNationId"):
        properties["un_reference"] = un_id
    addresses: list[Address] = []
    contacts: dict[str, list[str]] = {}
    for a in el.iterfind("address"):
        if address := _address(a):
            addresses.append(address)
        remarks.extend(r for r in (clean(x.text) for x in a.iterfind("remark")) if r)
        for info in a.iterfind("contactInfo"):
            key, value = (info.get("key") or "").lower(), clean(info.get("value"))
            if key and value:
                contacts.setdefault(key, []).append(value)
    # contactInfo keys (PHONE, WEB, EMAIL, FAX) become properties; the same value often repeats per address.
    properties.update({key: "; ".join(dict.fromkeys(values)) for key, values in contacts.items()})

    regulations = el.findall("regulation")
    return Entity(
        id=entity_id(list_id, logical_id),
        list_id=list_id,
        kind=kind,
        name=ordered[0],
        aliases=tuple(ordered[1:]),
        identifiers=dedupe(i for i in (_identification(x, kind) for x in el.iterfind("identification")) if i),
        birth_dates=unique_dates(birth_dates),
        birth_places=dedupe(birth_places),
        citizenships=dedupe(c for c in (_country_code(x) for x in el.iterfind("citizenship")) if c),
        addresses=dedupe(addresses),
        gender=genders[0] if genders else None,
        titles=dedupe(titles),
        positions=dedupe(positions),
        programs=dedupe(p for p in (_attr(r, "programme") for r in regulations) if p),
        listed_on=parse_date(el.get("designationDate") or ""),
        remarks=dedupe(remarks),
        properties=properties,
        source=SourceRecord(list_id=list_id, upstream_id=logical_id, fields=element_fields(el)),
    )


def _alias(alias: ET.Element) -> tuple[Name | None, list[str]]:
    """A nameAlias -> (name, remarks that are not about the alias' quality)."""
    remarks = [r for r in (clean(x.text) for x in alias.iterfind("remark")) if r]
    whole = _attr(alias, "wholeName")
    first, middle, last = _attr(alias, "firstName"), _attr(alias, "middleName"), _attr(alias, "lastName")
    full = whole or " ".join(p for p in (first, middle, last) if p)
    if not full:
        return None, remarks
    quality = NameQuality.STRONG
    if (alias.get("strong") or "true").lower() == "false":
        quality = NameQuality.WEAK
    if any(_LOW_QUALITY.search(r) for r in remarks):
        quality = NameQuality.LOW
    lang = (alias.get("nameLanguage") or "").strip().lower() or None
    name = make_name(full, type=NameType.AKA, quality=quality, given=first, middle=middle, family=last, lang=lang)
    if name.script != "Latn":
        name = dataclasses.replace(name, type=NameType.ORIGINAL_SCRIPT)
    kept = [r for r in remarks if not _LOW_QUALITY.search(r) and not _GOOD_QUALITY.match(r)]
    return name, kept


def _primary(names: list[Name]) -> Name:
    """The first strong alias, preferring Latin script in English or no stated language: the EU gives most
    names in several EU languages and scripts, in no particular order. It becomes the PRIMARY name."""
    strong = [n for n in names if n.quality is NameQuality.STRONG]
    latin = [n for n in strong if n.script == "Latn"]
    english = [n for n in latin if n.lang in (None, "en")]
    chosen = (english or latin or strong or names)[0]
    return dataclasses.replace(chosen, type=NameType.PRIMARY)


def _birth_date(b: ET.Element) -> tuple[DateSpec | None, str | None]:
    circa = (b.get("circa") or "").lower() == "true"
    calendar = (b.get("calendarType") or "GREGORIAN").upper()
    remark_texts = [r for r in (clean(x.text) for x in b.iterfind("remark")) if r]
    full, year = _attr(b, "birthdate"), _attr(b, "year")
    month, day = _attr(b, "monthOfYear"), _attr(b, "dayOfMonth")
    range_from, range_to = _attr(b, "yearRangeFrom"), _attr(b, "yearRangeTo")
    raw = "; ".join(remark_texts) or None
    start: str | None = None
    end: str | None = None
    if calendar != "GREGORIAN":
        # Year/month/day are in the other calendar; `birthdate` carries the Gregorian equivalent when known.
        parts = "-".join(p for p in (year, month, day) if p)
        raw = f"{parts} ({calendar.lower()} calendar)" + (f"; {raw}" if raw else "")
        start = parse_date(full) if full else None
        if start is None:
            return None, f"Date of birth: {raw}"
    elif full:
        start = parse_date(full)
    elif year:
        start = parse_date("-".join(p.zfill(2) for p in (year, month, day) if p))
    elif range_from and range_to:
        start, end = parse_date(range_from), parse_date(range_to)
    if start is None:
        return None, f"Date of birth: {raw}" if raw else None
    return DateSpec(start=start, end=end, circa=circa, raw=raw), None


def _birth_place(b: ET.Element) -> str | None:
    code = _country_code(b)
    parts = [_attr(b, "place"), _attr(b, "city"), _attr(b, "region"), country_name(code) if code else None]
    return ", ".join(dict.fromkeys(p for p in parts if p)) or None


def _country_code(el: ET.Element) -> str | None:
    return country(_attr(el, "countryIso2Code")) or country(_attr(el, "countryDescription"))


def _address(a: ET.Element) -> Address | None:
    code = _country_code(a)
    street = ", ".join(p for p in (_attr(a, "street"), _attr(a, "poBox")) if p) or None
    return make_address(
        street=street,
        city=_attr(a, "city"),
        region=_attr(a, "region"),
        postal_code=_attr(a, "zipCode"),
        country_text=country_name(code) if code else None,
        extra=[_attr(a, "place")],
    )


def _identification(i: ET.Element, kind: EntityKind) -> Identifier | None:
    number = _attr(i, "number") or _attr(i, "latinNumber")
    if number is None:
        return None
    code = (i.get("identificationTypeCode") or "").strip()
    label = _attr(i, "identificationTypeDescription") or code or None
    id_type = _ID_CODES.get(code.lower()) or identifier_type(label)
    if id_type is IdentifierType.IMO and kind is not EntityKind.VESSEL:
        # FSF subjects are persons and enterprises: an IMO number on an enterprise is its IMO company number.
        id_type = IdentifierType.IMO_COMPANY
    notes = [r for r in (clean(x.text) for x in i.iterfind("remark")) if r]
    for attr, prefix in (("issuedBy", "issued by"), ("issueDate", "issued"), ("validFrom", "valid from")):
        if value := _attr(i, attr):
            notes.append(f"{prefix} {value}")
    if valid_to := _attr(i, "validTo"):
        notes.append(f"valid to {valid_to}")
    if region := _attr(i, "region"):
        notes.append(f"region {region}")
    if (latin := _attr(i, "latinNumber")) and latin != number:
        notes.append(f"latin number {latin}")
    if on_doc := _attr(i, "nameOnDocument"):
        notes.append(f"name on document {on_doc}")
    notes.extend(flag for flag in _ID_FLAGS if (i.get(flag) or "").lower() == "true")
    return Identifier(type=id_type, value=number, country=_country_code(i), label=label, note="; ".join(notes) or None)
