"""OFAC's field vocabulary, shared by the CSV (`ofac_csv`) and legacy XML (`ofac_xml`) parsers.

The CSV `Remarks` segments ("Passport A123 (Iran); DOB 1962; Linked To: X.") and the XML `idList/idType` values
use the same labels; `FIELDS` maps each label onto the entity model once. Unknown labels stay verbatim in remarks.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache

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
from service.normalize.dates import parse_date, parse_date_spec
from service.normalize.scripts import detect_script
from service.sources.base import ParseReport

# OFAC writes "-0-" (often "-0- ") for an empty CSV cell.
NULL = "-0-"

# OFAC's SDN_Type / sdnType -> kind. The CSV leaves entities' type empty ("-0-").
KINDS: dict[str, EntityKind] = {
    "individual": EntityKind.PERSON,
    "entity": EntityKind.ORGANIZATION,
    "": EntityKind.ORGANIZATION,
    "vessel": EntityKind.VESSEL,
    "aircraft": EntityKind.AIRCRAFT,
}

# Country spellings in OFAC data that service.normalize.countries does not resolve (seen in the 2024-2025 files).
_OFAC_COUNTRIES: dict[str, str] = {
    "palestinian": "PS",
    "palestinian authority": "PS",
    "gaza": "PS",
    "north gaza": "PS",
    "northern gaza": "PS",
    "west bank": "PS",
    "north macedonia, the republic of": "MK",
    "cote d ivoire": "CI",
    "macau": "MO",
    "man, isle of": "IM",
    "st. kitts & nevis": "KN",
    "u.k.": "GB",
    "northern mali": "ML",
}
_COUNTRY_PREFIX = re.compile(r"^(?:region:\s*|possibly\s+)", re.IGNORECASE)


@lru_cache(maxsize=4096)
def country_code(text: str | None) -> str | None:
    """ISO alpha-2 code for an OFAC country text ("Korea, North", "Region: Crimea", "Palestinian"), or None."""
    if not text:
        return None
    s = _COUNTRY_PREFIX.sub("", text.strip())
    return to_country_code(s) or _OFAC_COUNTRIES.get(s.lower())


def country_or_text(text: str) -> str:
    """The entity model's country convention: the code when resolvable, else the publisher's text."""
    return country_code(text) or text.strip()


class Act(Enum):
    """What a labelled value becomes."""

    ID = "id"
    DOB = "dob"
    POB = "pob"
    NATIONALITY = "nationality"
    CITIZENSHIP = "citizenship"
    GENDER = "gender"
    TITLE = "title"
    LINK = "link"  # spec.prop is the relation
    ALIAS = "alias"  # spec.prop is the NameType value; remark a.k.a.s are OFAC's weak aliases
    PROPERTY = "property"  # spec.prop is the property key
    DATE_PROPERTY = "date_property"  # ISO date when readable, else the text
    COUNTRY = "country"  # a country tie: Entity.countries and properties[spec.prop]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    act: Act
    id_type: IdentifierType | None = None
    prop: str | None = None


def _ids(id_type: IdentifierType, *labels: str) -> dict[str, FieldSpec]:
    return {label: FieldSpec(Act.ID, id_type) for label in labels}


_T = IdentifierType

# Labels as OFAC writes them (remark keys in the CSV, idType in the XML; matched case-insensitively, without a
# trailing ":", "#" or "-"). Sources: every label seen in sdn.csv 2024-05-03, cons_prim.csv and consolidated.xml
# 2025, plus OFAC's published idType names. Labels not listed here are kept verbatim in Entity.remarks.
FIELDS: dict[str, FieldSpec] = {
    **_ids(
        _T.PASSPORT,
        "Passport",
        "Diplomatic Passport",
        "British National Overseas Passport",
        "Stateless Person Passport",
        "Passport Booklet",
    ),
    **_ids(
        _T.NATIONAL_ID,
        "National ID No.",
        "Cedula No.",
        "C.U.R.P.",
        "CURP",
        "D.N.I.",
        "DNI",
        "Personal ID Card",
        "Kenyan ID No.",
        "Bosnian Personal ID No.",
        "Turkish Identification Number",
        "Moroccan Personal ID No.",
        "Pakistan National ID No.",
        "Tazkira National ID Card",
        "National Foreign ID Number",
        "C.U.I.",
        "C.U.I.P.",
        "Citizen's Card Number",
        "CNP (Personal Numerical Code)",
        "UAE Identification",
        "Numero de Identidad",
        "N.I.E.",
        "Stateless Person ID Card",
        "Refugee ID Card",
        "Romanian Permanent Resident",
        "Residency Number",
        "Credencial electoral",
        "Electoral Registry No.",
        "I.F.E.",
        "Birth Certificate Number",
        "Military Registration Number",
        "Cartilla de Servicio Militar Nacional",
        "Driver's License No.",
        "SSN",
        "Identity Number",
        "Immigration No.",
        "Public Security and Immigration No.",
    ),
    **_ids(
        _T.TAX_ID,
        "Tax ID No.",
        "R.F.C.",
        "RFC",
        "NIT",
        "RUC",
        "RIF",
        "C.U.I.T.",
        "CUIT",
        "C.I.F.",
        "US FEIN",
        "Italian Fiscal Code",
        "Fiscal Code",
        "Romanian Tax Registration",
        "V.A.T. Number",
        "VAT Number",
        "Paraguayan tax identification number",
        "RTN",
        "Numero Unico de Identificacao Tributaria (NUIT)",
        "Numero Unico de Identificacion Tributaria (NUIT)",
        "NUIT",
        "N.I.F.",
    ),
    **_ids(
        _T.REGISTRATION,
        "Registration Number",
        "Registration ID",
        "Business Registration Number",
        "Business Registration Document",
        "Company Number",
        "UK Company Number",
        "Commercial Registry Number",
        "Public Registration Number",
        "Government Gazette Number",
        "Unified Social Credit Code (USCC)",
        "United Social Credit Code Certificate (USCCC)",
        "Legal Entity Number",
        "Folio Mercantil No.",
        "Matricula Mercantil No",
        "Matricula Mercantil No.",
        "C.R. No.",
        "Romanian C.R.",
        "Trade License No.",
        "Economic Register Number (CBLS)",
        "Chamber of Commerce Number",
        "Istanbul Chamber of Comm. No.",
        "Dubai Chamber of Commerce Membership No.",
        "Central Registration System Number",
        "Certificate of Incorporation Number",
        "Enterprise Number",
        "Business Number",
        "Branch Unit Number",
        "Registered Charity No.",
        "D-U-N-S Number",
        "Organization Code",
        "LE Number",
        "License",
        "Afghan Money Service Provider License Number",
        "File Number",
        "MSB Registration Number",
        "Tourism License No.",
        "Registration Certificate Number",
        "Russian State Individual Business Registration Number Pattern (OGRNIP)",
        "C.I.N.",
    ),
    **_ids(_T.SWIFT_BIC, "SWIFT/BIC"),
    **_ids(_T.CRYPTO, "Digital Currency Address"),
    **_ids(_T.MMSI, "MMSI"),
    **_ids(_T.CALL_SIGN, "Other Vessel Call Sign", "Call Sign"),
    **_ids(_T.TAIL_NUMBER, "Aircraft Tail Number", "Previous Aircraft Tail Number"),
    **_ids(_T.AIRCRAFT_MSN, "Aircraft Manufacturer's Serial Number (MSN)", "Aircraft Serial Identification"),
    **_ids(
        _T.OTHER,
        "Vessel Registration Identification",  # IMO when the value is an IMO number, see _identifier
        "Identification Number",  # person: national id; company: registration or IMO company number
        "Aircraft Construction Number (also called L/N or S/N or F/N)",
        "Aircraft Mode S Transponder Code",
        "ISIN",
        "Equity Ticker",
        "BIK (RU)",
        "Travel Document Number",
        "Pilot License Number",
        "VisaNumberID",
        "SRE Permit No.",
        "Permit Number",
        "Serial No.",
        "Seafarer's Identification Document",
        "Email Address",
        "Email",
        "Website",
        "Phone Number",
        "Phone",
        "Telephone",
        "Telephone No.",
        "Telephone Number",
        "Fax",
        "Fax No.",
    ),
    "DOB": FieldSpec(Act.DOB),
    "POB": FieldSpec(Act.POB),
    "nationality": FieldSpec(Act.NATIONALITY),
    "citizen": FieldSpec(Act.CITIZENSHIP),
    "Gender": FieldSpec(Act.GENDER),
    "Title": FieldSpec(Act.TITLE),
    "Linked To": FieldSpec(Act.LINK, prop="linked_to"),
    "Aircraft Operator": FieldSpec(Act.LINK, prop="operator"),
    "a.k.a.": FieldSpec(Act.ALIAS, prop=NameType.AKA.value),
    "f.k.a.": FieldSpec(Act.ALIAS, prop=NameType.FKA.value),
    "n.k.a.": FieldSpec(Act.ALIAS, prop=NameType.NKA.value),
    "Organization Established Date": FieldSpec(Act.DATE_PROPERTY, prop="established"),
    "Organization Type": FieldSpec(Act.PROPERTY, prop="organization_type"),
    "Target Type": FieldSpec(Act.PROPERTY, prop="target_type"),
    "Aircraft Model": FieldSpec(Act.PROPERTY, prop="model"),
    "Aircraft Manufacture Date": FieldSpec(Act.DATE_PROPERTY, prop="build_date"),
    "Vessel Year of Build": FieldSpec(Act.DATE_PROPERTY, prop="build_date"),
    "Other Vessel Type": FieldSpec(Act.PROPERTY, prop="other_vessel_type"),
    "Former Vessel Flag": FieldSpec(Act.PROPERTY, prop="former_flags"),
    "Other Vessel Flag": FieldSpec(Act.COUNTRY, prop="other_flags"),
    "Nationality of Registration": FieldSpec(Act.COUNTRY, prop="registration_country"),
}
_BY_KEY: dict[str, tuple[str, FieldSpec]] = {label.lower(): (label, spec) for label, spec in FIELDS.items()}

# A remark segment: optional "alt." (an alternative value), a known label, a separator, the value.
# Longest labels first so that "Passport Booklet" wins over "Passport" and "Nationality of Registration" over
# "nationality"; the lookahead keeps "citizen" from matching "Citizen's Card Number".
_SEGMENT = re.compile(
    r"^(?:alt\.\s*)?(?P<key>"
    + "|".join(re.escape(k) for k in sorted(FIELDS, key=len, reverse=True))
    + r")(?=[\s:#\-]|$)[\s:#]*(?P<value>.*)$",
    re.IGNORECASE | re.DOTALL,
)
# An identifier value: the number, an optional "(Country)", optional "issued ... expires ..." notes.
_ID_VALUE = re.compile(
    r"^(?P<value>.*?)(?:\s*\((?P<country>[^()]*)\))?(?P<note>,?\s+(?:issued|expires|expired|expiring)\b.*)?$",
    re.IGNORECASE | re.DOTALL,
)
_IMO = re.compile(r"^(?:IMO\s*)?(\d{7})$", re.IGNORECASE)
_IMO_PREFIXED = re.compile(r"^IMO\s*(\d{7})$", re.IGNORECASE)
_CRYPTO = re.compile(r"^-?\s*(?P<currency>[A-Za-z0-9]+)\s+(?P<address>\S+)$")
_QUOTED = re.compile(r"^'(.*)'$", re.DOTALL)
_NON_ALNUM = re.compile(r"[\W_]+")
_ASCII_PUNCT = str.maketrans({c: " " for c in map(chr, range(128)) if not c.isalnum()})


def split_name(full: str, kind: EntityKind, name_type: NameType, quality: NameQuality) -> Name:
    """A Name from OFAC's "FAMILY NAME, Given Names" form (persons); other kinds keep the full name only."""
    family = given = None
    if kind is EntityKind.PERSON and "," in full:
        parts = [p.strip() for p in full.split(",")]
        family = parts[0] or None
        given = parts[1] or None  # a third part is a suffix ("Jr."), kept in `full` only
    # OFAC's own names are ASCII; detect_script only for the rest (it is the slow part of a full parse).
    script = "Latn" if full.isascii() else detect_script(full)
    return Name(full=full, type=name_type, quality=quality, given=given, family=family, script=script)


def split_programs(text: str) -> list[str]:
    """Programme codes from OFAC's "SDGT] [IRGC" style (the CSV drops the outer brackets)."""
    return [p.strip() for p in text.replace("[", "]").split("]") if p.strip()]


def name_key(text: str) -> str:
    """Case- and punctuation-insensitive form used to resolve links to names."""
    if text.isascii():
        return " ".join(text.lower().translate(_ASCII_PUNCT).split())
    return " ".join(_NON_ALNUM.sub(" ", text.casefold()).split())


@dataclass
class EntityDraft:
    """An entity being assembled from one primary record and its companions; `build` freezes it."""

    list_id: str
    upstream_id: str
    kind: EntityKind
    name: Name
    report: ParseReport
    aliases: list[Name] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)
    birth_dates: list[DateSpec] = field(default_factory=list)
    birth_places: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)
    citizenships: list[str] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    gender: str | None = None
    titles: list[str] = field(default_factory=list)
    programs: list[str] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)
    fields: dict[str, object] = field(default_factory=dict)
    _identifier_keys: set[tuple[IdentifierType, str]] = field(default_factory=set, repr=False)

    @property
    def id(self) -> str:
        return entity_id(self.list_id, self.upstream_id)

    # -- adders (deduplicating, order-preserving) --

    def add_alias(self, full: str, name_type: NameType, quality: NameQuality = NameQuality.STRONG) -> None:
        full = full.strip()
        if not full:
            return
        if any(a.full == full and a.type is name_type and a.quality is quality for a in self.aliases):
            return
        self.aliases.append(split_name(full, self.kind, name_type, quality))

    def add_identifier(self, ident: Identifier) -> None:
        key = (ident.type, name_key(ident.value))
        if key not in self._identifier_keys:
            self._identifier_keys.add(key)
            self.identifiers.append(ident)

    def add_country(self, text: str) -> None:
        value = country_or_text(text)
        if value and value not in self.countries:
            self.countries.append(value)

    def add_property(self, key: str, value: str) -> None:
        value = value.strip()
        old = self.properties.get(key)
        if not old:
            self.properties[key] = value
        elif value not in old.split("; "):
            self.properties[key] = f"{old}; {value}"

    def add_link(self, relation: str, name: str) -> None:
        name = name.strip()
        if name and not any(lk.relation == relation and lk.name == name for lk in self.links):
            self.links.append(Link(relation=relation, name=name))

    def add_remark(self, text: str) -> None:
        if text and text not in self.remarks:
            self.remarks.append(text)

    def add_vessel_columns(
        self,
        *,
        call_sign: str | None,
        vessel_type: str | None,
        tonnage: str | None,
        grt: str | None,
        flag: str | None,
        owner: str | None,
    ) -> None:
        """The vessel columns of sdn.csv / the `vesselInfo` element of the XML."""
        if call_sign:
            self.add_identifier(Identifier(IdentifierType.CALL_SIGN, call_sign, label="Call Sign"))
        if vessel_type:
            self.add_property("vessel_type", vessel_type)
        if tonnage:
            self.add_property("tonnage", tonnage)
        if grt:
            self.add_property("gross_registered_tonnage", grt)
        if flag:
            self.add_property("flag", flag)
            self.add_country(flag)
        if owner:
            self.add_link("owner", owner)

    # -- the shared vocabulary --

    def apply(self, label: str, value: str, *, country: str | None = None, note: str | None = None) -> bool:
        """Apply one labelled value (an XML `idType`/`idNumber`, or a parsed remark segment).

        `country` and `note` come from the XML's idCountry/issueDate; for remarks they are read from the value.
        Returns False when the label is not in the vocabulary (the caller keeps the text as a remark).
        """
        found = _BY_KEY.get(_clean_label(label).lower())
        if found is None:
            # "Digital Currency Address - XBT": the label carries a suffix; split it like a remark segment.
            m = _SEGMENT.match(label.strip())
            if m is None or m["key"].lower() not in _BY_KEY:
                return False
            found = _BY_KEY[m["key"].lower()]
            suffix = m["value"].strip()
            if suffix and found[1].id_type is IdentifierType.CRYPTO:
                value = f"{suffix} {value}"
            elif suffix:
                return False
        canonical, spec = found
        return self._apply(canonical, spec, value.strip(), country=country, note=note, from_remark=False)

    def apply_remarks(self, text: str) -> None:
        """Parse a full OFAC Remarks text: `;`-separated segments, each a labelled value or free text."""
        text = text.strip()
        if text.endswith("."):
            text = text[:-1]
        for raw in text.split(";"):
            segment = raw.strip()
            if segment:
                self.apply_segment(segment)

    def apply_segment(self, segment: str) -> None:
        if segment in self.titles:
            return  # OFAC repeats the Title column in the remarks ("President of the Bolivarian Republic ...")
        inner = segment
        if inner.startswith("(") and inner.endswith(")"):
            inner = inner[1:-1].strip()  # the XML writes "(Linked To: X)"
        m = _SEGMENT.match(inner)
        if m is not None:
            canonical, spec = _BY_KEY[m["key"].lower()]
            value = m["value"].strip()
            if value and self._apply(canonical, spec, value, country=None, note=None, from_remark=True):
                return
        self.report.count("remarks_kept")
        self.add_remark(segment)

    def _apply(
        self, label: str, spec: FieldSpec, value: str, *, country: str | None, note: str | None, from_remark: bool
    ) -> bool:
        if not value:
            return False
        match spec.act:
            case Act.ID:
                ident = self._identifier(label, spec, value, country=country, note=note)
                if ident is None:
                    return False
                self.add_identifier(ident)
            case Act.DOB:
                spec_date = parse_date_spec(value)
                if spec_date is None:
                    self.report.count("dates_unparsed")
                    return False
                if spec_date not in self.birth_dates:
                    self.birth_dates.append(spec_date)
            case Act.POB:
                if value not in self.birth_places:
                    self.birth_places.append(value)
            case Act.NATIONALITY:
                code = country_or_text(value)
                if code not in self.nationalities:
                    self.nationalities.append(code)
            case Act.CITIZENSHIP:
                code = country_or_text(value)
                if code not in self.citizenships:
                    self.citizenships.append(code)
            case Act.GENDER:
                gender = value.lower()
                if gender not in ("male", "female"):
                    return False
                self.gender = gender
            case Act.TITLE:
                if value not in self.titles:
                    self.titles.append(value)
            case Act.LINK:
                self.add_link(spec.prop or "linked_to", value)
            case Act.ALIAS:
                m = _QUOTED.match(value)
                alias = m[1] if m else value
                # OFAC publishes its weak ("low quality") a.k.a.s only inside the remarks, in quotes.
                quality = NameQuality.WEAK if from_remark else NameQuality.STRONG
                self.add_alias(alias, NameType(spec.prop or NameType.AKA.value), quality)
            case Act.PROPERTY:
                self.add_property(spec.prop or label, value)
            case Act.DATE_PROPERTY:
                single = parse_date(value)
                self.add_property(spec.prop or label, single or value)
            case Act.COUNTRY:
                self.add_property(spec.prop or label, value)
                self.add_country(value)
        return True

    def _identifier(
        self,
        label: str,
        spec: FieldSpec,
        value: str,
        *,
        country: str | None,
        note: str | None,
    ) -> Identifier | None:
        id_type = spec.id_type or IdentifierType.OTHER
        if id_type is IdentifierType.CRYPTO:
            m = _CRYPTO.match(value)
            if m is None:
                return None
            currency = m["currency"].upper()
            return Identifier(id_type, m["address"], label=f"{label} - {currency}", note=currency)
        # Remarks carry the country and dates inside the value; so do a few XML idNumbers ("33556474 (Russia)").
        if country is None and id_type not in (IdentifierType.TAIL_NUMBER, IdentifierType.MMSI):
            parsed = _ID_VALUE.match(value)
            if parsed is not None:
                text = parsed["country"]
                if parsed["note"]:
                    note = parsed["note"].strip(" ,")
                if text is not None and country_code(text):
                    value, country = parsed["value"].strip(), text
                else:  # no country, or a bracket that is part of the number: "HRA 738077 (Stuttgart)"
                    value = value[: parsed.start("note")].strip() if parsed["note"] else value
        if not value:
            return None
        code = country_or_text(country) if country else None
        is_vessel_label = label == "Vessel Registration Identification"
        m = (_IMO if is_vessel_label else _IMO_PREFIXED).match(value)
        if m is not None:
            # An IMO number names a ship only on a vessel entry; on a company ("Identification Number IMO
            # 3001731") it is IMO's registered-owner number. OFAC's label is not always right: 9 DPRK companies
            # carry "Vessel Registration Identification IMO", one vessel "Identification Number IMO".
            imo_type = IdentifierType.IMO if self.kind is EntityKind.VESSEL else IdentifierType.IMO_COMPANY
            if (imo_type is IdentifierType.IMO) is not is_vessel_label:
                self.report.count("imo_label_mismatch")
            imo_label = label if is_vessel_label else f"{label} IMO"
            return Identifier(imo_type, m[1], country=code, label=imo_label, note=note)
        if is_vessel_label:
            return Identifier(IdentifierType.OTHER, value, country=code, label=label, note=note)
        if label == "Identification Number":
            id_type = IdentifierType.NATIONAL_ID if self.kind is EntityKind.PERSON else IdentifierType.REGISTRATION
        if label == "Previous Aircraft Tail Number":
            note = "previous"
        return Identifier(id_type, value, country=code, label=label, note=note)

    def finish_aircraft(self) -> None:
        """An aircraft's SDN name is its tail number ("EP-GOM"), or "MSN 391" when OFAC knows only the serial."""
        if self.kind is not EntityKind.AIRCRAFT:
            return
        full = self.name.full.strip()
        if full.upper().startswith("MSN "):
            msn = full[4:].strip()
            self.add_identifier(Identifier(IdentifierType.AIRCRAFT_MSN, msn, label="SDN name"))
        elif full:
            self.add_identifier(Identifier(IdentifierType.TAIL_NUMBER, full, label="SDN name"))

    def build(self, links: Iterable[Link]) -> Entity:
        return Entity(
            id=self.id,
            list_id=self.list_id,
            kind=self.kind,
            name=self.name,
            aliases=tuple(self.aliases),
            identifiers=tuple(self.identifiers),
            birth_dates=tuple(self.birth_dates),
            birth_places=tuple(self.birth_places),
            nationalities=tuple(self.nationalities),
            citizenships=tuple(self.citizenships),
            addresses=tuple(self.addresses),
            countries=tuple(self.countries),
            gender=self.gender,
            titles=tuple(self.titles),
            programs=tuple(self.programs),
            remarks=tuple(self.remarks),
            links=tuple(links),
            properties=dict(self.properties),
            source=SourceRecord(self.list_id, self.upstream_id, fields=dict(self.fields)),
        )


def _clean_label(label: str) -> str:
    """An XML idType without OFAC's trailing punctuation ("Organization Type:", "... Determination -")."""
    return label.strip().rstrip(":#-").strip()


def finish(drafts: list[EntityDraft], report: ParseReport) -> Iterator[Entity]:
    """Resolve links within the list, count, and freeze.

    A link resolves to the one other entity whose primary name equals it (case and punctuation aside); failing
    that, to the one whose primary name or alias does ("NATIONAL IRANIAN TANKER COMPANY" is also an alias of
    its representative office). Ambiguous or unknown names stay unresolved.
    """
    by_primary: dict[str, set[str]] = defaultdict(set)
    by_name: dict[str, set[str]] = defaultdict(set)
    names: dict[tuple[str, str], str] = {}
    for d in drafts:
        d.finish_aircraft()
        own_id = d.id
        for n in (d.name, *d.aliases):
            key = name_key(n.full)
            if n is d.name:
                by_primary[key].add(own_id)
            by_name[key].add(own_id)
            names.setdefault((own_id, key), n.full)
    counts: Counter[str] = Counter()
    entities = []
    for d in drafts:
        own_id = d.id
        links = []
        for link in d.links:
            key = name_key(link.name)
            targets = by_primary.get(key, set()) - {own_id} or by_name.get(key, set()) - {own_id}
            if len(targets) == 1:
                target = next(iter(targets))
                # The matched name as the list spells it (remark texts lose a final "." to the sentence end).
                links.append(Link(link.relation, names[(target, key)], target_id=target))
                counts["links_resolved"] += 1
            else:
                links.append(link)
        counts[d.kind.value] += 1
        counts["aliases"] += len(d.aliases)
        counts["weak_aliases"] += sum(a.quality is NameQuality.WEAK for a in d.aliases)
        counts["identifiers"] += len(d.identifiers)
        counts["links"] += len(links)
        entities.append(d.build(links))
    counts["entities"] = len(entities)
    for key, total in sorted(counts.items()):
        report.count(key, total)
    return iter(entities)
