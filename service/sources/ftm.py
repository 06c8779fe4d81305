"""OpenSanctions FollowTheMoney export `entities.ftm.json` (one JSON entity per line), for any OpenSanctions dataset.

Format: https://www.opensanctions.org/docs/bulk/json/, schemata at https://followthemoney.tech/explorer/. Only
targets (the listed parties, "target": true) of party schemata become entities; Sanction, Passport/Identification,
Address, CryptoWallet, Occupancy and relationship entities fold into the parties they point at, and non-target
parties appear only as link names. References resolve in a second pass, by id or through `referents` (the source
ids an export merged into one canonical entity). Entity ids are `<list_id>:<ftm id>`; the list id is required.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from service.errors import ConfigError, ParseError
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
from service.normalize.countries import to_country_code
from service.normalize.dates import parse_date_spec
from service.normalize.scripts import detect_script
from service.sources.base import ParseReport, require

RESOURCE = "entities.ftm.json"

PARTY_KINDS: Mapping[str, EntityKind] = {
    "Person": EntityKind.PERSON,
    "Organization": EntityKind.ORGANIZATION,
    "Company": EntityKind.ORGANIZATION,
    "LegalEntity": EntityKind.ORGANIZATION,
    "PublicBody": EntityKind.ORGANIZATION,
    "Vessel": EntityKind.VESSEL,
    "Airplane": EntityKind.AIRCRAFT,
    # Other named "things" a list may sanction.
    "Vehicle": EntityKind.UNKNOWN,
    "Asset": EntityKind.UNKNOWN,
    "RealEstate": EntityKind.UNKNOWN,
    "Security": EntityKind.UNKNOWN,
    "BankAccount": EntityKind.UNKNOWN,
    "Thing": EntityKind.UNKNOWN,
    "Project": EntityKind.UNKNOWN,
}
_VEHICLES = frozenset({"Vessel", "Airplane", "Vehicle"})

# Relationship schemata: (end A, end B, what A sees B as, what B sees A as).
RELATIONS: Mapping[str, tuple[str, str, str, str]] = {
    "Ownership": ("owner", "asset", "owns", "owner"),
    "Directorship": ("director", "organization", "director_of", "director"),
    "Family": ("person", "relative", "family", "family"),
    "Associate": ("person", "associate", "associate", "associate"),
    "UnknownLink": ("subject", "object", "linked_to", "linked_to"),
    "Representation": ("agent", "client", "agent_of", "agent"),
    "Employment": ("employee", "employer", "employer", "employee"),
    "Membership": ("member", "organization", "member_of", "member"),
    "Succession": ("predecessor", "successor", "successor", "predecessor"),
}
# Schemata the second pass reads in full, targets or not (vehicles for their owner/operator links).
_SATELLITES = frozenset(
    {
        "Sanction",
        "Passport",
        "Identification",
        "CryptoWallet",
        "Occupancy",
        "Position",
        "Address",
        *RELATIONS,
        *_VEHICLES,
    }
)
# Properties of a vehicle pointing at a party: (property, what the vehicle sees, what the party sees).
_VEHICLE_PARTIES = (("owner", "owner", "owns"), ("operator", "operator", "operates"))

# Identifier properties -> type; None means "depends on the schema" (see _identifier_type).
_ID_PROPS: Mapping[str, IdentifierType | None] = {
    "passportNumber": IdentifierType.PASSPORT,
    "idNumber": None,
    "taxNumber": IdentifierType.TAX_ID,
    "innCode": IdentifierType.TAX_ID,
    "vatCode": IdentifierType.TAX_ID,
    "registrationNumber": None,
    "ogrnCode": IdentifierType.REGISTRATION,
    "okpoCode": IdentifierType.REGISTRATION,
    "leiCode": IdentifierType.OTHER,
    "dunsCode": IdentifierType.OTHER,
    "swiftBic": IdentifierType.SWIFT_BIC,
    "imoNumber": None,
    "mmsi": IdentifierType.MMSI,
    "callSign": IdentifierType.CALL_SIGN,
    "serialNumber": None,
    "publicKey": IdentifierType.CRYPTO,
}
_NAME_PROPS = (
    ("name", NameType.AKA, NameQuality.STRONG),
    ("alias", NameType.AKA, NameQuality.STRONG),
    ("previousName", NameType.FKA, NameQuality.STRONG),
    ("weakAlias", NameType.AKA, NameQuality.WEAK),
)
_NAME_PARTS = ("firstName", "secondName", "middleName", "fatherName", "lastName")
_COUNTRY_PROPS = ("country", "jurisdiction", "mainCountry", "flag", "birthCountry")
# Kind-specific facts kept as Entity.properties (FtM property -> our key).
_EXTRA_PROPS = {
    "flag": "flag",
    "type": "type",
    "model": "model",
    "manufacturer": "manufacturer",
    "buildDate": "build_date",
    "incorporationDate": "incorporation_date",
    "dissolutionDate": "dissolution_date",
    "legalForm": "legal_form",
    "status": "status",
    "tonnage": "tonnage",
    "grossRegisteredTonnage": "gross_registered_tonnage",
}


@dataclass
class _Index:
    """Everything the second pass needs to fold satellite entities into parties."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    referents: dict[str, str] = field(default_factory=dict)
    sanctions: defaultdict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    documents: defaultdict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    posts: defaultdict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    links: defaultdict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))
    published_at: str | None = None

    def resolve(self, ref: str) -> str | None:
        return ref if ref in self.records else self.referents.get(ref)


def parse(
    files: Mapping[str, bytes], report: ParseReport | None = None, *, list_id: str | None = None
) -> Iterator[Entity]:
    """Party entities of an FtM export, in file order; ParseError names the line of a malformed record."""
    if not list_id:
        raise ConfigError("the ftm format serves any OpenSanctions dataset: the manifest must give the list id")
    report = report if report is not None else ParseReport()
    data = files[RESOURCE] if RESOURCE in files or len(files) != 1 else next(iter(files.values()))
    index = _collect(require({RESOURCE: data}, RESOURCE), report)
    _fold(index, report)
    report.published_at = index.published_at
    emitted = {i for i, r in index.records.items() if _is_party_target(r)}
    for ftm_id, record in index.records.items():
        if ftm_id not in emitted:
            if record.get("target") and record["schema"] not in PARTY_KINDS:
                report.count(f"skipped_target.{record['schema']}")
            continue
        entity = _entity(list_id, record, index, emitted, report)
        if entity is None:
            continue
        report.count(f"kind.{entity.kind.value}")
        report.count("entities")
        yield entity


def _collect(data: bytes, report: ParseReport) -> _Index:
    index = _Index()
    for lineno, line in enumerate(io.BytesIO(data), start=1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"{RESOURCE} line {lineno}: not JSON ({exc})") from exc
        if not isinstance(record, dict) or not isinstance(record.get("id"), str) or not record.get("schema"):
            raise ParseError(f"{RESOURCE} line {lineno}: not an FtM entity (needs 'id' and 'schema')")
        props = record.get("properties") or {}
        if not isinstance(props, dict):
            raise ParseError(f"{RESOURCE} line {lineno}: 'properties' is not an object")
        record["properties"] = {
            k: [str(v) for v in (vs if isinstance(vs, list) else [vs]) if v not in (None, "")]
            for k, vs in props.items()
        }
        if record["id"] in index.records:
            report.warn(f"line {lineno}: duplicate entity id {record['id']}, the later record wins")
        index.records[record["id"]] = record if _is_needed(record) else _slim(record)
        for ref in record.get("referents") or ():
            if isinstance(ref, str):
                index.referents.setdefault(ref, record["id"])
        for stamp in (record.get("last_change"), record.get("last_seen")):
            if isinstance(stamp, str) and (index.published_at is None or stamp > index.published_at):
                index.published_at = stamp
        report.count("records")
    if not index.records:
        raise ParseError(f"{RESOURCE}: no entities")
    return index


def _fold(index: _Index, report: ParseReport) -> None:
    """Second pass: attach sanctions, documents, posts and relationships to the ids of the parties they name."""
    for ftm_id, record in index.records.items():
        schema, props = record["schema"], record["properties"]
        if schema == "Sanction":
            for ref in props.get("entity", ()):
                if (target := index.resolve(ref)) is not None:
                    index.sanctions[target].append(record)
        elif schema in ("Passport", "Identification", "CryptoWallet"):
            for ref in props.get("holder", ()):
                if (holder := index.resolve(ref)) is not None:
                    index.documents[holder].append(record)
        elif schema == "Occupancy":
            posts = [_caption(index.records[p]) for r in props.get("post", ()) if (p := index.resolve(r))]
            for ref in props.get("holder", ()):
                if (holder := index.resolve(ref)) is not None:
                    index.posts[holder].extend(p for p in posts if p)
        elif schema in RELATIONS:
            end_a, end_b, a_sees, b_sees = RELATIONS[schema]
            _pair(index, report, props.get(end_a, ()), props.get(end_b, ()), a_sees=a_sees, b_sees=b_sees)
        if schema in _VEHICLES:
            for prop, vehicle_sees, party_sees in _VEHICLE_PARTIES:
                _pair(index, report, [ftm_id], props.get(prop, ()), a_sees=vehicle_sees, b_sees=party_sees)


def _pair(index: _Index, report: ParseReport, refs_a: Any, refs_b: Any, *, a_sees: str, b_sees: str) -> None:
    for ref_a in refs_a:
        for ref_b in refs_b:
            a, b = index.resolve(ref_a), index.resolve(ref_b)
            if a is None or b is None:
                report.count("links_unresolved")
                continue
            index.links[a].append((a_sees, b))
            index.links[b].append((b_sees, a))


def _is_needed(record: Mapping[str, Any]) -> bool:
    """Whether the second pass reads more of the record than its caption."""
    return _is_party_target(record) or record["schema"] in _SATELLITES


def _slim(record: Mapping[str, Any]) -> dict[str, Any]:
    # Non-target parties (often half of a dataset) are only ever link names: keep the caption, drop the rest.
    return {
        "id": record["id"],
        "schema": record["schema"],
        "target": record.get("target"),
        "caption": _caption(record),
        "properties": {},
    }


def _is_party_target(record: Mapping[str, Any]) -> bool:
    # Exports before 2023 carry no "target" flag; there every party-schema entity is read as listed.
    return record["schema"] in PARTY_KINDS and record.get("target", True) is True


def _caption(record: Mapping[str, Any]) -> str | None:
    caption = record.get("caption")
    if isinstance(caption, str) and caption.strip():
        return caption.strip()
    props = record["properties"]
    for prop in ("name", "alias", "full", "registrationNumber", "publicKey", "number"):
        if props.get(prop):
            return str(props[prop][0]).strip()
    return None


# --- one party ------------------------------------------------------------------------------------------------


def _entity(
    list_id: str, record: dict[str, Any], index: _Index, emitted: set[str], report: ParseReport
) -> Entity | None:
    ftm_id, schema, props = record["id"], record["schema"], record["properties"]
    kind = PARTY_KINDS[schema]
    names = _names(record)
    if not names:
        report.warn(f"{ftm_id}: {schema} without any name, skipped")
        report.count("skipped.no_name")
        return None

    identifiers: list[Identifier] = []
    for prop, fixed in _ID_PROPS.items():
        for value in props.get(prop, ()):
            _add_identifier(
                identifiers, Identifier(type=fixed or _identifier_type(prop, schema), value=value, label=prop)
            )
    for doc in index.documents.get(ftm_id, ()):
        _add_identifier(identifiers, *_document_identifiers(doc, kind))

    positions = list(props.get("position", ())) + index.posts.get(ftm_id, [])
    programs: list[str] = list(props.get("program", ()))
    remarks: list[str] = list(props.get("notes", ()))
    listing_dates: list[str] = []
    start_dates: list[str] = []
    program_ids: list[str] = list(props.get("programId", ()))
    for sanction in index.sanctions.get(ftm_id, ()):
        sp = sanction["properties"]
        programs.extend(sp.get("program", ()))
        program_ids.extend(sp.get("programId", ()))
        listing_dates.extend(sp.get("listingDate", ()))
        start_dates.extend(sp.get("startDate", ()))
        if summary := _sanction_summary(sp):
            remarks.append(summary)
    if not programs:
        programs = program_ids
    listed = [d for d in (listing_dates or start_dates or list(props.get("createdAt", ()))) if d]

    links: list[Link] = []
    for relation, other in index.links.get(ftm_id, ()):
        other_name = _caption(index.records[other])
        if other_name is None or other == ftm_id:
            continue
        link = Link(
            relation=relation, name=other_name, target_id=entity_id(list_id, other) if other in emitted else None
        )
        if link not in links:
            links.append(link)

    properties = {key: "; ".join(props[prop]) for prop, key in _EXTRA_PROPS.items() if props.get(prop)}
    if props.get("topics"):
        properties["topics"] = "; ".join(props["topics"])
    if program_ids:
        properties["program_ids"] = "; ".join(dict.fromkeys(program_ids))
    gender = next((g.lower() for g in props.get("gender", ()) if g.lower() in ("male", "female")), None)

    return Entity(
        id=entity_id(list_id, ftm_id),
        list_id=list_id,
        kind=kind,
        name=names[0],
        aliases=tuple(names[1:]),
        identifiers=tuple(identifiers),
        birth_dates=_dates(props.get("birthDate", ()), report),
        birth_places=_unique(props.get("birthPlace", ())),
        nationalities=_countries(props.get("nationality", ())),
        citizenships=_countries(props.get("citizenship", ())),
        addresses=_addresses(props, index, report),
        countries=_countries(v for p in _COUNTRY_PROPS for v in props.get(p, ())),
        gender=gender,
        titles=_unique(props.get("title", ())),
        positions=_unique(positions),
        programs=_unique(programs),
        listed_on=min(listed)[:10] if listed else None,
        remarks=_unique(remarks),
        links=tuple(links),
        properties=properties,
        source=SourceRecord(
            list_id=list_id,
            upstream_id=ftm_id,
            fields={
                k: record[k]
                for k in ("schema", "caption", "datasets", "referents", "first_seen", "last_seen", "last_change")
                if record.get(k)
            }
            | {"properties": props},
        ),
    )


def _names(record: Mapping[str, Any]) -> list[Name]:
    props = record["properties"]
    found: list[tuple[str, NameType, NameQuality]] = []
    for prop, type_, quality in _NAME_PROPS:
        for value in props.get(prop, ()):
            if value.strip() and all(value.strip().casefold() != f[0].casefold() for f in found):
                found.append((value.strip(), type_, quality))
    if not found and record["schema"] == "Airplane" and props.get("registrationNumber"):
        found.append((props["registrationNumber"][0], NameType.AKA, NameQuality.STRONG))  # tail number as name
    if not found:
        return []
    # The export's caption is its display name; it is one of the names unless the record has none.
    caption = _caption(record)
    primary = next(
        (f for f in found if caption and f[0].casefold() == caption.casefold() and f[1] is NameType.AKA), None
    )
    primary = primary or next((f for f in found if f[1] is NameType.AKA and f[2] is NameQuality.STRONG), found[0])
    names = [_name(primary[0], NameType.PRIMARY, primary[2], props if record["schema"] == "Person" else None)]
    names.extend(
        _name(text, type_, quality, None) for text, type_, quality in found if (text, type_, quality) != primary
    )
    return names


def _name(full: str, type_: NameType, quality: NameQuality, person_props: Mapping[str, list[str]] | None) -> Name:
    parts: dict[str, str | None] = {}
    if person_props is not None:
        # FtM keeps name parts of every spelling side by side; take those that occur in this name.
        words = full.casefold().split()
        for prop in _NAME_PARTS:
            value = next((v for v in person_props.get(prop, ()) if v.casefold() in words), None)
            parts[prop] = value
    return Name(
        full=full,
        type=type_,
        quality=quality,
        given=parts.get("firstName"),
        middle=parts.get("middleName") or parts.get("secondName"),
        family=parts.get("lastName"),
        patronymic=parts.get("fatherName"),
        script=detect_script(full),
    )


def _identifier_type(prop: str, schema: str) -> IdentifierType:
    if prop == "imoNumber":
        return IdentifierType.IMO if schema == "Vessel" else IdentifierType.IMO_COMPANY
    if prop == "registrationNumber":
        return IdentifierType.TAIL_NUMBER if schema == "Airplane" else IdentifierType.REGISTRATION
    if prop == "serialNumber":
        return IdentifierType.AIRCRAFT_MSN if schema == "Airplane" else IdentifierType.OTHER
    if prop == "idNumber":
        return IdentifierType.NATIONAL_ID if schema == "Person" else IdentifierType.REGISTRATION
    return IdentifierType.OTHER


def _document_identifiers(doc: Mapping[str, Any], holder_kind: EntityKind) -> list[Identifier]:
    props = doc["properties"]
    if doc["schema"] == "CryptoWallet":
        currency = next(iter(props.get("currency", ())), None)
        return [Identifier(type=IdentifierType.CRYPTO, value=v, label=currency) for v in props.get("publicKey", ())]
    label = next(iter(props.get("type", ())), None)
    text = (label or "").casefold()
    if doc["schema"] == "Passport" or "passport" in text:
        type_ = IdentifierType.PASSPORT
    elif "tax" in text or "inn" in text.split():
        type_ = IdentifierType.TAX_ID
    elif holder_kind is EntityKind.PERSON:
        type_ = IdentifierType.NATIONAL_ID
    else:
        type_ = IdentifierType.REGISTRATION
    country = next(iter(_countries(props.get("country", ()))), None)
    note = "; ".join(f"{k} {v[0]}" for k, v in props.items() if k in ("startDate", "endDate", "authority") and v)
    return [
        Identifier(type=type_, value=number, country=country, label=label or doc["schema"], note=note or None)
        for number in [*props.get("number", ()), *props.get("passportNumber", ())]
    ]


def _add_identifier(identifiers: list[Identifier], *new: Identifier) -> None:
    for ident in new:
        value = ident.value.strip()
        if value and all((i.type, i.value) != (ident.type, value) for i in identifiers):
            identifiers.append(
                ident if value == ident.value else Identifier(ident.type, value, ident.country, ident.label, ident.note)
            )


def _sanction_summary(props: Mapping[str, list[str]]) -> str | None:
    parts = []
    for prop, label in (
        ("authority", "authority"),
        ("program", "program"),
        ("reason", "reason"),
        ("provisions", "provisions"),
        ("listingDate", "listed"),
        ("startDate", "from"),
        ("endDate", "until"),
    ):
        if props.get(prop):
            parts.append(f"{label}: {'; '.join(props[prop])}")
    return "Sanction: " + " | ".join(parts) if parts else None


def _addresses(props: Mapping[str, list[str]], index: _Index, report: ParseReport) -> tuple[Address, ...]:
    out: list[Address] = []
    for ref in props.get("addressEntity", ()):
        target = index.resolve(ref)
        if target is None:
            report.count("address_refs_unresolved")  # exports may leave out Address entities of other datasets
            continue
        ap = index.records[target]["properties"]
        first = {k: (v[0] if v else None) for k, v in ap.items()}
        country = next(iter(_countries(ap.get("country", ()))), None)
        parts = [first.get(k) for k in ("street", "city", "postalCode", "region")]
        full = first.get("full") or ", ".join(p for p in parts if p) or None
        out.append(
            Address(
                full=full,
                street=first.get("street"),
                city=first.get("city"),
                region=first.get("region"),
                postal_code=first.get("postalCode"),
                country=country,
            )
        )
    # "address" strings often repeat an addressEntity's full text: keep the structured one
    known = {(a.full or "").casefold() for a in out}
    out.extend(Address(full=a) for a in props.get("address", ()) if a.casefold() not in known)
    return tuple(dict.fromkeys(out))


def _dates(values: Any, report: ParseReport) -> tuple[DateSpec, ...]:
    out: list[DateSpec] = []
    for value in values:
        spec = parse_date_spec(value)
        if spec is None:
            report.count("dates_unparsed")
        elif spec not in out:
            out.append(spec)
    return tuple(out)


def _countries(values: Any) -> tuple[str, ...]:
    # FtM codes are lower-case ISO alpha-2 plus a few of its own ("suhh" Soviet Union, "zz" global): the latter
    # stay as written.
    return _unique(to_country_code(v) or v for v in values if v and v.lower() != "zz")


def _unique(values: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))
