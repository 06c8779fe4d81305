"""The one entity model every list parser produces: frozen values, no I/O.

Partial dates are ISO prefixes ("1962", "1962-11", "1962-11-23"); countries are ISO 3166-1 alpha-2 codes
where the publisher's text could be resolved, else the publisher's text as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from service.model.pickling import pickled_by_fields


class EntityKind(StrEnum):
    PERSON = "person"
    ORGANIZATION = "organization"
    VESSEL = "vessel"
    AIRCRAFT = "aircraft"
    UNKNOWN = "unknown"


class NameQuality(StrEnum):
    """How much the publisher stands behind a name (OFAC/UN/EU "weak" or "low quality" a.k.a.s)."""

    STRONG = "strong"
    WEAK = "weak"
    LOW = "low"


class NameType(StrEnum):
    PRIMARY = "primary"
    AKA = "aka"  # also known as
    FKA = "fka"  # formerly known as
    NKA = "nka"  # now known as
    ORIGINAL_SCRIPT = "original_script"


class IdentifierType(StrEnum):
    TAIL_NUMBER = "tail_number"  # aircraft registration mark, e.g. RA-78765
    AIRCRAFT_MSN = "aircraft_msn"  # manufacturer's serial number
    IMO = "imo"  # ship IMO number (7 digits with check digit)
    IMO_COMPANY = "imo_company"  # IMO unique company/registered-owner number: not a ship
    MMSI = "mmsi"
    CALL_SIGN = "call_sign"
    PASSPORT = "passport"
    NATIONAL_ID = "national_id"
    TAX_ID = "tax_id"
    REGISTRATION = "registration"  # company registration number (OGRN, reg. no., ...)
    SWIFT_BIC = "swift_bic"
    CRYPTO = "crypto"
    OTHER = "other"


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Name:
    full: str
    type: NameType = NameType.PRIMARY
    quality: NameQuality = NameQuality.STRONG
    given: str | None = None
    middle: str | None = None
    family: str | None = None
    patronymic: str | None = None
    script: str = "Latn"  # ISO 15924 code of the dominant script (service.normalize.scripts.detect_script)
    lang: str | None = None


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Identifier:
    type: IdentifierType
    value: str  # as published
    country: str | None = None  # issuing country
    label: str | None = None  # the publisher's own label ("Cedula No.", "OGRN", "Vessel Registration ...")
    note: str | None = None


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class DateSpec:
    """A date, a partial date, or a range (`start`..`end`), keeping the publisher's text."""

    start: str  # ISO prefix: YYYY, YYYY-MM or YYYY-MM-DD
    end: str | None = None  # set for ranges ("1960 to 1965")
    circa: bool = False
    raw: str | None = None


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Address:
    full: str | None = None
    street: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Link:
    """A relation to another party: aircraft -> operator, vessel -> owner, OFAC "Linked To:"."""

    relation: str  # "operator", "owner", "linked_to", "manager", ...
    name: str  # the other party's name as the publisher wrote it
    target_id: str | None = None  # the other entity's id when resolved within the list


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class SourceRecord:
    list_id: str
    upstream_id: str
    version: str = ""
    fields: Mapping[str, object] = field(default_factory=dict)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Entity:
    id: str  # "<list_id>:<upstream id>"
    list_id: str
    kind: EntityKind
    name: Name
    aliases: tuple[Name, ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    birth_dates: tuple[DateSpec, ...] = ()
    birth_places: tuple[str, ...] = ()
    nationalities: tuple[str, ...] = ()
    citizenships: tuple[str, ...] = ()
    addresses: tuple[Address, ...] = ()
    countries: tuple[str, ...] = ()  # other country ties (registration, flag, jurisdiction)
    gender: str | None = None  # "male", "female" or None
    titles: tuple[str, ...] = ()
    positions: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()
    listed_on: str | None = None  # ISO date or prefix
    remarks: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    properties: Mapping[str, str] = field(default_factory=dict)  # kind-specific: vessel_type, flag, model...
    source: SourceRecord | None = None

    @property
    def upstream_id(self) -> str:
        return self.id.split(":", 1)[1]

    def all_names(self) -> tuple[Name, ...]:
        return (self.name, *self.aliases)


def entity_id(list_id: str, upstream_id: str) -> str:
    return f"{list_id}:{upstream_id}"
