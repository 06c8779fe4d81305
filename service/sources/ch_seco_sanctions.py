"""Swiss SECO sanctions list, XML "Gesamtliste" (root `swiss-sanctions-list`): one `target` per listing.

Official URL: https://www.sesam.search.admin.ch/sesam-search-web/pages/downloadXmlGesamtliste.xhtml?lang=en&action=downloadXmlGesamtlisteAction
Built from SECO's published XML format and UNVERIFIED against a live file (none was available; the manifest is
opt-in for that reason). Shape: `sanctions-program` (program-name per lang, `sanctions-set@ssid`), top-level
`place@ssid`, and `target@ssid/@sanctions-set-id` with `modification`s and one `individual`/`entity`/`object`
holding `identity`s (names of ordered `name-part`s with `spelling-variant`s, `day-month-year`, `place-of-birth`,
`nationality`, `identification-document`, `address`), `justification`, `relation`, `other-information`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace

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
from service.normalize.dates import parse_date_spec
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
    unique_dates,
)
from service.sources.base import ParseReport, xml_root

LIST_ID = "ch_seco_sanctions"
RESOURCE = "seco.xml"
ROOT = "swiss-sanctions-list"

_OBJECT_KINDS = {"vessel": EntityKind.VESSEL, "aircraft": EntityKind.AIRCRAFT}
_NAME_TYPES = {
    "primary-name": NameType.PRIMARY,
    "alias": NameType.AKA,
    "formerly-known-as": NameType.FKA,
}
_QUALITY = {"good": NameQuality.STRONG, "low": NameQuality.LOW}
_GENDER = {"male": "male", "female": "female", "m": "male", "f": "female"}
_PROGRAM_LANGS = ("eng", "ger", "fre", "ita")
# Document types SECO uses; others go through the label heuristics of `identifier_type`.
_DOC_TYPES = {
    "passport": IdentifierType.PASSPORT,
    "diplomatic-passport": IdentifierType.PASSPORT,
    "service-passport": IdentifierType.PASSPORT,
    "id-card": IdentifierType.NATIONAL_ID,
    "national-id": IdentifierType.NATIONAL_ID,
}
# "Label: value" lines of other-information that state an identifier.
_OTHER_IDS: tuple[tuple[re.Pattern[str], IdentifierType], ...] = (
    (re.compile(r"^IMO(?:\s+(?:number|no\.?))?\s*:?\s*(\d{7})\.?$", re.IGNORECASE), IdentifierType.IMO),
    (re.compile(r"^MMSI(?:\s+(?:number|no\.?))?\s*:?\s*(\d{9})\.?$", re.IGNORECASE), IdentifierType.MMSI),
    (re.compile(r"^Call\s+sign\s*:?\s*(\S+)$", re.IGNORECASE), IdentifierType.CALL_SIGN),
    (
        re.compile(
            r"^(?:Taxpayer\s+Identification\s+Number|Tax\s+(?:registration\s+)?number|INN)\s*:?\s*(\d+)\.?$", re.I
        ),
        IdentifierType.TAX_ID,
    ),
    (
        re.compile(r"^(?:(?:State|Business)\s+)?Registration\s+number\s*:?\s*(?:ОГРН/main\s*)?(\d[\d ]*\d)\.?$", re.I),
        IdentifierType.REGISTRATION,
    ),
    (re.compile(r"^(?:OGRN|ОГРН)\s*:?\s*(\d+)\.?$", re.IGNORECASE), IdentifierType.REGISTRATION),
    (re.compile(r"^SWIFT(?:/BIC)?\s*:?\s*([A-Z0-9]{8}(?:[A-Z0-9]{3})?)$", re.IGNORECASE), IdentifierType.SWIFT_BIC),
    (
        re.compile(r"^(?:Registration|Tail)\s+(?:mark|number)\s*:?\s*([A-Z0-9]{1,3}-[A-Z0-9]{2,6})$", re.I),
        IdentifierType.TAIL_NUMBER,
    ),
)
_FLAG = re.compile(r"^Flag\s*:?\s*(.+?)\.?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Place:
    location: str | None
    area: str | None
    country_code: str | None  # iso-code attribute
    country_name: str | None

    def text(self) -> str | None:
        return ", ".join(p for p in (self.location, self.area, self.country_name or self.country_code) if p) or None


def parse(
    files: Mapping[str, bytes], report: ParseReport | None = None, *, list_id: str | None = None
) -> Iterator[Entity]:
    """Listed targets, in document order; de-listed targets are left out (and counted)."""
    report = report if report is not None else ParseReport()
    lid = list_id or LIST_ID
    root = xml_root(files, RESOURCE, ROOT)
    targets = root.findall("target")
    if not targets:
        raise ParseError(f"{RESOURCE}: no <target> elements")
    report.published_at = clean(root.get("date"))
    programs = _programs(root)
    places = {ssid: _place(p) for p in root.iter("place") if (ssid := p.get("ssid"))}
    listed = [t for t in targets if not _is_delisted(t)]
    report.count("delisted", len(targets) - len(listed))
    # Relations name other targets by ssid: their primary names are needed before any entity is built.
    captions = {ssid: name for t in listed if (ssid := t.get("ssid")) and (name := _caption(t))}
    for target in listed:
        entity = _entity(lid, target, programs=programs, places=places, captions=captions, report=report)
        if entity is None:
            continue
        report.count(f"kind.{entity.kind.value}")
        report.count("entities")
        yield entity


def _programs(root: ET.Element) -> dict[str, tuple[str | None, str | None]]:
    """sanctions-set ssid -> (program name, set name), English where SECO gives it."""
    out: dict[str, tuple[str | None, str | None]] = {}
    for prog in root.iter("sanctions-program"):
        name = _by_lang(prog, "program-name")
        sets: dict[str, list[ET.Element]] = {}
        for s in prog.findall("sanctions-set"):
            if ssid := s.get("ssid"):
                sets.setdefault(ssid, []).append(s)
        for ssid, elements in sets.items():
            holder = ET.Element("sets")
            holder.extend(elements)
            out[ssid] = (name, _by_lang(holder, "sanctions-set"))
    return out


def _by_lang(el: ET.Element, tag: str) -> str | None:
    found = {(c.get("lang") or ""): clean(c.text) for c in el.findall(tag)}
    for lang in _PROGRAM_LANGS:
        if found.get(lang):
            return found[lang]
    return next((v for v in found.values() if v), None)


def _place(el: ET.Element) -> _Place:
    c = el.find("country")
    return _Place(
        location=child_text(el, "location"),
        area=child_text(el, "area"),
        country_code=clean(c.get("iso-code")) if c is not None else None,
        country_name=clean(c.text) if c is not None else None,
    )


def _is_delisted(target: ET.Element) -> bool:
    mods = target.findall("modification")
    return bool(mods) and mods[-1].get("modification-type") == "de-listed"


def _subject(target: ET.Element) -> tuple[ET.Element | None, EntityKind]:
    for tag, kind in (("individual", EntityKind.PERSON), ("entity", EntityKind.ORGANIZATION)):
        if (el := target.find(tag)) is not None:
            return el, kind
    if (el := target.find("object")) is not None:
        return el, _OBJECT_KINDS.get((el.get("object-type") or "").lower(), EntityKind.UNKNOWN)
    return None, EntityKind.UNKNOWN


def _identities(subject: ET.Element) -> list[ET.Element]:
    # The main identity first: its primary name is the entity's name.
    identities = subject.findall("identity")
    return sorted(identities, key=lambda i: i.get("main") != "true")


def _caption(target: ET.Element) -> str | None:
    subject, _ = _subject(target)
    if subject is None:
        return None
    for identity in _identities(subject):
        for name_el in identity.findall("name"):
            if name_el.get("name-type") == "primary-name" and (built := _build_names(name_el)):
                return built[0].full
    return None


# --- one target -----------------------------------------------------------------------------------------------


def _entity(
    list_id: str,
    target: ET.Element,
    *,
    programs: Mapping[str, tuple[str | None, str | None]],
    places: Mapping[str, _Place],
    captions: Mapping[str, str],
    report: ParseReport,
) -> Entity | None:
    ssid = clean(target.get("ssid"))
    subject, kind = _subject(target)
    if ssid is None or subject is None:
        report.warn(f"target {ssid!r} without ssid or subject (individual/entity/object), skipped")
        report.count("skipped")
        return None
    if kind is EntityKind.UNKNOWN:
        report.warn(f"target {ssid}: unknown object-type {subject.get('object-type')!r}")

    names: list[Name] = []
    birth_dates: list[DateSpec] = []
    founded: list[str] = []
    birth_places: list[str] = []
    nationalities: list[str] = []
    identifiers: list[Identifier] = []
    addresses: list[Address] = []
    titles: list[str] = []
    for n, identity in enumerate(_identities(subject)):
        for name_el in identity.findall("name"):
            for name in _build_names(name_el, demote_primary=bool(names) or n > 0):
                add_name(names, name)
            titles.extend(_parts(name_el, "title"))
        for dmy in identity.findall("day-month-year"):
            spec = _date(dmy)
            if spec is None:
                report.count("dates_unparsed")
            elif kind is EntityKind.PERSON:
                birth_dates.append(spec)
            else:
                founded.append(spec.start)
        for pob in identity.findall("place-of-birth"):
            if text := _place_of(pob, places).text():
                birth_places.append(text)
        for nat in identity.findall("nationality"):
            if (c := nat.find("country")) is not None and (code := country(c.get("iso-code")) or country(c.text)):
                nationalities.append(code)
        identifiers.extend(_document(doc) for doc in identity.findall("identification-document") if _doc_number(doc))
        addresses.extend(a for el in identity.findall("address") if (a := _address(el, places)))
    if not names:
        report.warn(f"target {ssid}: no name, skipped")
        report.count("skipped")
        return None

    remarks = [t for el in subject.findall("justification") if (t := clean(el.text))]
    properties: dict[str, str] = {}
    countries: list[str] = []
    for el in subject.findall("other-information"):
        text = clean(el.text)
        if not text:
            continue
        remarks.append(text)
        if ident := _other_identifier(text, kind):
            identifiers.append(ident)
        elif (m := _FLAG.match(text)) and (flag := country(m[1])):
            countries.append(flag)
            properties["flag"] = m[1]

    links = [
        Link(
            relation=(rel.get("relation-type") or "related-to").replace("-", "_"),
            name=captions.get(other, f"SECO target {other}"),
            target_id=entity_id(list_id, other) if other in captions else None,
        )
        for rel in subject.findall("relation")
        if (other := clean(rel.get("target-id")))
    ]

    program, sanctions_set = programs.get(target.get("sanctions-set-id") or "", (None, None))
    if program is None:
        report.count("program_unknown")
    if sanctions_set:
        properties["sanctions_set"] = sanctions_set
    if foreign := child_text(target, "foreign-identifier"):
        properties["foreign_identifier"] = foreign
    if founded:
        properties["registration_date"] = founded[0]
    listed = [d for m in target.findall("modification") if m.get("modification-type") == "listed" for d in _mod_date(m)]

    return Entity(
        id=entity_id(list_id, ssid),
        list_id=list_id,
        kind=kind,
        name=names[0],
        aliases=tuple(names[1:]),
        identifiers=_unique_identifiers(identifiers),
        birth_dates=unique_dates(birth_dates),
        birth_places=dedupe(birth_places),
        nationalities=dedupe(nationalities),
        addresses=dedupe(addresses),
        countries=dedupe(countries),
        gender=_GENDER.get((subject.get("sex") or "").lower()),
        titles=dedupe(titles),
        programs=(program,) if program else (),
        listed_on=min(listed) if listed else None,
        remarks=dedupe(remarks),
        links=dedupe(links),
        properties=properties,
        source=SourceRecord(list_id=list_id, upstream_id=ssid, fields=element_fields(target)),
    )


def _parts(name_el: ET.Element, part_type: str) -> list[str]:
    return [
        v
        for p in name_el.findall("name-part")
        if p.get("name-part-type") == part_type and (v := child_text(p, "value"))
    ]


def _build_names(name_el: ET.Element, *, demote_primary: bool = False) -> list[Name]:
    """The name as published, then one name per spelling-variant script (Cyrillic, Arabic, ...)."""
    type_ = _NAME_TYPES.get(name_el.get("name-type") or "", NameType.AKA)
    if type_ is NameType.PRIMARY and demote_primary:
        type_ = NameType.AKA
    quality = _QUALITY.get(name_el.get("quality") or "good", NameQuality.STRONG)
    parts = sorted(
        (p for p in name_el.findall("name-part") if p.get("name-part-type") != "title"),
        key=lambda p: int(p.get("order") or 0) if (p.get("order") or "").isdigit() else 0,
    )
    values = [(p.get("name-part-type") or "", child_text(p, "value")) for p in parts]
    full = " ".join(v for _, v in values if v)
    if not full:
        return []

    names = [_name(full, type_, quality, values)]
    # Spelling variants of the parts, grouped by script; a variant name is built when every part has one.
    scripts: dict[tuple[str | None, str | None], list[tuple[str, str | None]]] = {}
    for p in parts:
        for variant in p.findall("spelling-variant"):
            key = (variant.get("lang"), variant.get("script"))
            scripts.setdefault(key, [])
    for (lang, script), pairs in scripts.items():
        for p in parts:
            v = next(
                (
                    clean(sv.text)
                    for sv in p.findall("spelling-variant")
                    if (sv.get("lang"), sv.get("script")) == (lang, script)
                ),
                None,
            )
            pairs.append((p.get("name-part-type") or "", v))
        if all(v for _, v in pairs):
            # A name written in the person's own script (Cyrillic for a Russian name) is its original script.
            variant_type = NameType.ORIGINAL_SCRIPT if type_ in (NameType.PRIMARY, NameType.AKA) else type_
            names.append(_name(" ".join(v for _, v in pairs if v), variant_type, quality, pairs, lang=lang))
    return names


def _name(
    full: str, type_: NameType, quality: NameQuality, parts: list[tuple[str, str | None]], *, lang: str | None = None
) -> Name:
    def part(kind: str) -> str | None:
        return " ".join(v for t, v in parts if t == kind and v) or None

    name = make_name(
        full,
        type=type_,
        quality=quality,
        given=part("given-name"),
        middle=part("further-given-name"),
        family=part("family-name") or part("maiden-name"),
        lang=lang,
    )
    patronymic = part("father-name")
    return replace(name, patronymic=patronymic) if patronymic and not name.patronymic else name


def _date(el: ET.Element) -> DateSpec | None:
    year, month, day = (clean(el.get(k)) for k in ("year", "month", "day"))
    if not year:
        return None
    text = year + (f"-{int(month):02d}" if month and month.isdigit() else "")
    if month and month.isdigit() and day and day.isdigit():
        text += f"-{int(day):02d}"
    spec = parse_date_spec(text)
    if spec is None:
        return None
    return DateSpec(start=spec.start, end=spec.end, circa=spec.circa, raw=".".join(p for p in (day, month, year) if p))


def _place_of(el: ET.Element, places: Mapping[str, _Place]) -> _Place:
    """The referenced top-level place, with anything the element gives inline taking precedence."""
    ref = places.get(el.get("place-id") or "")
    inline = _place(el)
    if ref is None:
        return inline
    return _Place(
        location=inline.location or ref.location,
        area=inline.area or ref.area,
        country_code=inline.country_code or ref.country_code,
        country_name=inline.country_name or ref.country_name,
    )


def _address(el: ET.Element, places: Mapping[str, _Place]) -> Address | None:
    place = _place_of(el, places)
    po_box = child_text(el, "p-o-box")
    address = make_address(
        street=child_text(el, "address-details"),
        city=place.location,
        region=place.area,
        postal_code=child_text(el, "zip-code"),
        country_text=place.country_name or place.country_code,
        extra=(child_text(el, "c-o"), f"P.O. Box {po_box}" if po_box else None, child_text(el, "remark")),
    )
    if address is not None and place.country_code and (code := country(place.country_code)):
        address = replace(address, country=code)  # the iso-code attribute beats the country's name
    return address


def _doc_number(doc: ET.Element) -> str | None:
    return child_text(doc, "number")


def _document(doc: ET.Element) -> Identifier:
    doc_type = (doc.get("document-type") or "").lower()
    issuer = doc.find("issuer")
    issuer_country = None
    if issuer is not None:
        issuer_country = country(issuer.get("code")) or country(issuer.text)
    notes = [
        f"{label} {value}"
        for label, tag in (("issued", "date-of-issue"), ("expires", "expiry-date"))
        if (value := child_text(doc, tag))
    ]
    if remark := child_text(doc, "remark"):
        notes.append(remark)
    return Identifier(
        type=_DOC_TYPES.get(doc_type) or identifier_type(doc_type.replace("-", " ")),
        value=_doc_number(doc) or "",
        country=issuer_country,
        label=doc_type or None,
        note="; ".join(notes) or None,
    )


def _other_identifier(text: str, kind: EntityKind) -> Identifier | None:
    for pattern, id_type in _OTHER_IDS:
        if m := pattern.match(text):
            typ = id_type
            if id_type is IdentifierType.IMO and kind is not EntityKind.VESSEL:
                typ = IdentifierType.IMO_COMPANY
            return Identifier(type=typ, value=m[1].strip(), label=clean(text.split(":", 1)[0]) if ":" in text else None)
    return None


def _mod_date(mod: ET.Element) -> list[str]:
    for attr in ("publication-date", "effective-date", "enactment-date"):
        if (value := clean(mod.get(attr))) and (spec := parse_date_spec(value)):
            return [spec.start]
    return []


def _unique_identifiers(identifiers: list[Identifier]) -> tuple[Identifier, ...]:
    seen: set[tuple[IdentifierType, str]] = set()
    out = []
    for ident in identifiers:
        key = (ident.type, ident.value)
        if key not in seen:
            seen.add(key)
            out.append(ident)
    return tuple(out)
