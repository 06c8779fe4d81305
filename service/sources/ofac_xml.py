"""OFAC's legacy `sdnList` XML: SDN.XML (SDN list) and CONSOLIDATED.XML (the non-SDN lists).

Official URLs: https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/SDN.XML and
.../CONSOLIDATED.XML. Quirks: the header is OFAC's misspelt `publshInformation/Publish_Date` (MM/DD/YYYY);
`idList` mixes identifiers with remarks ("Secondary sanctions risk:", "Gender", "Website"), read through the same
vocabulary as the CSV remarks (`ofac_fields`); weak a.k.a.s are `category` "weak". Entity ids equal the CSV's.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping

from service.errors import ParseError
from service.model import Address, Entity, EntityKind, NameQuality, NameType
from service.normalize.dates import parse_date
from service.sources.base import ParseReport, text_of, xml_root
from service.sources.ofac_fields import KINDS, EntityDraft, country_or_text, finish, split_name

# Which list each of OFAC's XML files is, when the manifest does not say.
LIST_IDS = {"sdn.xml": "us_ofac_sdn", "consolidated.xml": "us_ofac_cons"}
_AKA_TYPES = {"a.k.a.": NameType.AKA, "f.k.a.": NameType.FKA, "n.k.a.": NameType.NKA}


def parse(
    files: Mapping[str, bytes], report: ParseReport | None = None, *, list_id: str | None = None
) -> Iterator[Entity]:
    """Entities of one OFAC legacy XML file, ids `<list_id>:<uid>` (uid is the CSV's ent_num)."""
    report = report if report is not None else ParseReport()
    name = _pick(files)
    list_id = list_id or LIST_IDS.get(name.lower())
    if list_id is None:
        raise ParseError(f"{name}: cannot tell which OFAC list this is; pass list_id")
    root = xml_root(files, name, "sdnList")
    published = text_of(root, "publshInformation/Publish_Date") or text_of(root, "publishInformation/Publish_Date")
    if published:
        report.published_at = parse_date(published, month_first=True) or published
    entries = root.findall("sdnEntry")
    if not entries:
        raise ParseError(f"{name}: no sdnEntry elements")
    declared = text_of(root, "publshInformation/Record_Count") or text_of(root, "publishInformation/Record_Count")
    if declared and declared.isdigit() and int(declared) != len(entries):
        report.warn(f"{name}: Record_Count says {declared}, the file holds {len(entries)} entries")
    drafts: dict[str, EntityDraft] = {}
    for entry in entries:
        draft = _draft(entry, list_id, name, report)
        if draft.upstream_id in drafts:
            raise ParseError(f"{name}: uid {draft.upstream_id} appears twice")
        drafts[draft.upstream_id] = draft
    return finish(list(drafts.values()), report)


def _pick(files: Mapping[str, bytes]) -> str:
    xml_files = sorted(n for n in files if n.lower().endswith(".xml"))
    if len(xml_files) != 1:
        raise ParseError(f"expected one OFAC XML file, got {xml_files or 'none'}")
    return xml_files[0]


def _full_name(el: ET.Element) -> str:
    """OFAC's CSV form of a name, "LAST, First", so that both formats yield the same names."""
    last, first = text_of(el, "lastName"), text_of(el, "firstName")
    if last and first:
        return f"{last}, {first}"
    return last or first or ""


def _draft(entry: ET.Element, list_id: str, name: str, report: ParseReport) -> EntityDraft:
    uid = text_of(entry, "uid")
    if not uid or not uid.isdigit():
        raise ParseError(f"{name}: sdnEntry without a numeric uid ({uid!r})")
    sdn_type = (text_of(entry, "sdnType") or "").lower()
    kind = KINDS.get(sdn_type)
    if kind is None:
        report.count("unknown_types")
        report.warn(f"uid {uid}: unknown sdnType {sdn_type!r}")
        kind = EntityKind.UNKNOWN
    full = _full_name(entry)
    if not full:
        raise ParseError(f"{name}: uid {uid} has no name")
    programs = [p.text.strip() for p in entry.findall("programList/program") if p.text and p.text.strip()]
    remarks = text_of(entry, "remarks")
    draft = EntityDraft(
        list_id=list_id,
        upstream_id=uid,
        kind=kind,
        name=split_name(full, kind, NameType.PRIMARY, NameQuality.STRONG),
        report=report,
        fields={
            "uid": uid,
            "firstName": text_of(entry, "firstName"),
            "lastName": text_of(entry, "lastName"),
            "title": text_of(entry, "title"),
            "sdnType": text_of(entry, "sdnType"),
            "programList": programs,
            "remarks": remarks,
        },
    )
    draft.programs.extend(programs)
    if title := text_of(entry, "title"):
        draft.titles.append(title)
    for aka in entry.findall("akaList/aka"):
        alias = _full_name(aka)
        aka_type = (text_of(aka, "type") or "a.k.a.").lower()
        quality = NameQuality.WEAK if (text_of(aka, "category") or "").lower() == "weak" else NameQuality.STRONG
        draft.add_alias(alias, _AKA_TYPES.get(aka_type, NameType.AKA), quality)
    for item in entry.findall("idList/id"):
        _apply_id(draft, item)
    for address in entry.findall("addressList/address"):
        _add_address(draft, address)
    for el in entry.findall("nationalityList/nationality"):
        if country := text_of(el, "country"):
            draft.apply("nationality", country)
    for el in entry.findall("citizenshipList/citizenship"):
        if country := text_of(el, "country"):
            draft.apply("citizen", country)
    for el in entry.findall("dateOfBirthList/dateOfBirthItem"):
        if (text := text_of(el, "dateOfBirth")) and not draft.apply("DOB", text):
            draft.add_remark(f"DOB {text}")
    for el in entry.findall("placeOfBirthList/placeOfBirthItem"):
        if place := text_of(el, "placeOfBirth"):
            draft.apply("POB", place)
    vessel = entry.find("vesselInfo")
    if vessel is not None:
        draft.add_vessel_columns(
            call_sign=text_of(vessel, "callSign"),
            vessel_type=text_of(vessel, "vesselType"),
            tonnage=text_of(vessel, "tonnage"),
            grt=text_of(vessel, "grossRegisteredTonnage"),
            flag=text_of(vessel, "vesselFlag"),
            owner=text_of(vessel, "vesselOwner"),
        )
    if remarks:
        draft.apply_remarks(remarks)
    return draft


def _apply_id(draft: EntityDraft, item: ET.Element) -> None:
    id_type, number = text_of(item, "idType"), text_of(item, "idNumber")
    if not id_type or not number:
        return
    issued, expires = text_of(item, "issueDate"), text_of(item, "expirationDate")
    note = " ".join(p for p in (f"issued {issued}" if issued else "", f"expires {expires}" if expires else "") if p)
    if not draft.apply(id_type, number, country=text_of(item, "idCountry"), note=note or None):
        # Not in the vocabulary: keep it as the CSV would show it ("Secondary sanctions risk: ...").
        country = text_of(item, "idCountry")
        draft.add_remark(f"{id_type} {number}" + (f" ({country})" if country else ""))
        draft.report.count("remarks_kept")


def _add_address(draft: EntityDraft, el: ET.Element) -> None:
    street = ", ".join(t for t in (text_of(el, f"address{i}") for i in (1, 2, 3)) if t) or None
    city, region, postal = text_of(el, "city"), text_of(el, "stateOrProvince"), text_of(el, "postalCode")
    country, area = text_of(el, "country"), text_of(el, "region")
    parts = [p for p in (street, city, region, postal, area, country) if p]
    if not parts:
        return
    draft.addresses.append(
        Address(
            full=", ".join(parts),
            street=street,
            city=city,
            region=region,
            postal_code=postal,
            country=country_or_text(country) if country else None,
        )
    )
