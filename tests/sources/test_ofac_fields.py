"""OFAC's remark/idType vocabulary, one segment at a time (segments copied from sdn.csv and consolidated.xml)."""

from __future__ import annotations

import pytest

from service.model import EntityKind, Identifier, IdentifierType, NameQuality, NameType
from service.sources import ParseReport
from service.sources.ofac_fields import EntityDraft, country_code, split_name, split_programs


def draft(kind: EntityKind = EntityKind.ORGANIZATION) -> EntityDraft:
    return EntityDraft(
        "us_ofac_sdn", "1", kind, split_name("X", kind, NameType.PRIMARY, NameQuality.STRONG), ParseReport()
    )


@pytest.mark.parametrize(
    ("segment", "kind", "expected"),
    [
        (
            "Passport 1084010 (Egypt)",
            EntityKind.PERSON,
            Identifier(IdentifierType.PASSPORT, "1084010", "EG", "Passport"),
        ),
        (
            "alt. Passport L 191609 issued 28 Feb 1996 expires 27 Feb 2001",
            EntityKind.PERSON,
            Identifier(IdentifierType.PASSPORT, "L 191609", None, "Passport", "issued 28 Feb 1996 expires 27 Feb 2001"),
        ),
        (
            "NIT # 800018928-0 (Colombia)",
            EntityKind.ORGANIZATION,
            Identifier(IdentifierType.TAX_ID, "800018928-0", "CO", "NIT"),
        ),
        (
            "Registration Number HRA 738077 (Stuttgart) (Germany)",
            EntityKind.ORGANIZATION,
            Identifier(IdentifierType.REGISTRATION, "HRA 738077 (Stuttgart)", "DE", "Registration Number"),
        ),
        (
            "Unified Social Credit Code (USCC) 9113100033607322XK (China)",
            EntityKind.ORGANIZATION,
            Identifier(IdentifierType.REGISTRATION, "9113100033607322XK", "CN", "Unified Social Credit Code (USCC)"),
        ),
        (
            "Vessel Registration Identification IMO  8730455",
            EntityKind.VESSEL,
            Identifier(IdentifierType.IMO, "8730455", None, "Vessel Registration Identification"),
        ),
        (
            "Vessel Registration Identification RS 150443 (Russia)",
            EntityKind.VESSEL,
            Identifier(IdentifierType.OTHER, "RS 150443", "RU", "Vessel Registration Identification"),
        ),
        (
            "Company Number IMO 5055293",
            EntityKind.ORGANIZATION,
            Identifier(IdentifierType.IMO_COMPANY, "5055293", None, "Company Number IMO"),
        ),
        (
            "Identification Number 2.194.575 (Paraguay)",
            EntityKind.PERSON,
            Identifier(IdentifierType.NATIONAL_ID, "2.194.575", "PY", "Identification Number"),
        ),
        (
            "alt. Digital Currency Address - XBT 1Kys8fqDen8NGFUJ6AFcXfFW5qquuTH4eh",
            EntityKind.PERSON,
            Identifier(
                IdentifierType.CRYPTO,
                "1Kys8fqDen8NGFUJ6AFcXfFW5qquuTH4eh",
                None,
                "Digital Currency Address - XBT",
                "XBT",
            ),
        ),
        (
            "Aircraft Tail Number YV3360",
            EntityKind.AIRCRAFT,
            Identifier(IdentifierType.TAIL_NUMBER, "YV3360", None, "Aircraft Tail Number"),
        ),
        (
            "Previous Aircraft Tail Number 2-WGLP",
            EntityKind.AIRCRAFT,
            Identifier(IdentifierType.TAIL_NUMBER, "2-WGLP", None, "Previous Aircraft Tail Number", "previous"),
        ),
        ("MMSI 319766000", EntityKind.VESSEL, Identifier(IdentifierType.MMSI, "319766000", None, "MMSI")),
        (
            "SWIFT/BIC KYCBKPPY",
            EntityKind.ORGANIZATION,
            Identifier(IdentifierType.SWIFT_BIC, "KYCBKPPY", None, "SWIFT/BIC"),
        ),
    ],
)
def test_ofac_fields_remark_identifiers(segment: str, kind: EntityKind, expected: Identifier) -> None:
    d = draft(kind)
    d.apply_segment(segment)
    assert d.identifiers == [expected]
    assert d.remarks == []


def test_ofac_fields_remark_person_facts() -> None:
    d = draft(EntityKind.PERSON)
    d.apply_remarks(
        "DOB 1951 to 1953; alt. DOB circa 1960; POB Leningrad, Russia; nationality Korea, North; "
        "citizen Palestinian; Gender Female; a.k.a. 'ZAHAR, Mahmoud'; f.k.a. 'OLD NAME'; Linked To: HAMAS."
    )
    assert [(b.start, b.end, b.circa) for b in d.birth_dates] == [("1951", "1953", False), ("1960", None, True)]
    assert d.birth_places == ["Leningrad, Russia"]
    assert (d.nationalities, d.citizenships, d.gender) == (["KP"], ["PS"], "female")
    assert [(a.full, a.family, a.given, a.type, a.quality) for a in d.aliases] == [
        ("ZAHAR, Mahmoud", "ZAHAR", "Mahmoud", NameType.AKA, NameQuality.WEAK),
        ("OLD NAME", None, None, NameType.FKA, NameQuality.WEAK),  # no comma: parts unknown
    ]
    assert [(lk.relation, lk.name) for lk in d.links] == [("linked_to", "HAMAS")]


def test_ofac_fields_unknown_or_unreadable_segments_stay_verbatim() -> None:
    d = draft()
    d.apply_remarks(
        "Secondary sanctions risk: section 1(b) of Executive Order 13224; alt. DOB sometime in the 1960s; "
        "Gender unknown; Chinese Commercial Code 1728 4320."
    )
    assert d.remarks == [
        "Secondary sanctions risk: section 1(b) of Executive Order 13224",
        "alt. DOB sometime in the 1960s",
        "Gender unknown",
        "Chinese Commercial Code 1728 4320",
    ]
    assert d.birth_dates == [] and d.gender is None
    assert d.report.counts == {"remarks_kept": 4, "dates_unparsed": 1}


def test_ofac_fields_xml_id_types_use_the_same_vocabulary() -> None:
    d = draft()
    assert d.apply("Digital Currency Address - ETH", "0x098B716B8Aaf21512996dC57EB0615e2383E2f96")
    assert d.apply("Organization Type:", "Activities of holding companies")
    assert d.apply("Organization Established Date", "17 Oct 1990")
    assert d.apply("Registration ID", "1027739609391", country="Russia")
    assert not d.apply("Executive Order 13662 Directive Determination -", "Subject to Directive 1")
    assert [(i.type, i.value, i.country, i.label) for i in d.identifiers] == [
        (IdentifierType.CRYPTO, "0x098B716B8Aaf21512996dC57EB0615e2383E2f96", None, "Digital Currency Address - ETH"),
        (IdentifierType.REGISTRATION, "1027739609391", "RU", "Registration ID"),
    ]
    assert d.properties == {"organization_type": "Activities of holding companies", "established": "1990-10-17"}


def test_ofac_fields_vessel_and_aircraft_properties() -> None:
    d = draft(EntityKind.VESSEL)
    d.apply_remarks(
        "Vessel Year of Build 1999; Other Vessel Flag Panama; alt. Former Vessel Flag Malta; Former Vessel Flag Tuvalu."
    )
    assert d.properties == {"build_date": "1999", "other_flags": "Panama", "former_flags": "Malta; Tuvalu"}
    assert d.countries == ["PA"]
    plane = draft(EntityKind.AIRCRAFT)
    plane.apply_remarks("Aircraft Model IL76-TD; Aircraft Manufacture Date Sep 1984; Aircraft Operator YAS AIR.")
    assert plane.properties == {"model": "IL76-TD", "build_date": "1984-09"}
    assert [(lk.relation, lk.name) for lk in plane.links] == [("operator", "YAS AIR")]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Korea, North", "KP"),
        ("Region: Crimea", "UA"),
        ("Palestinian", "PS"),
        ("Region: Kafia Kingi", None),
        ("Burma", "MM"),
    ],
)
def test_ofac_fields_country_spellings(text: str, code: str | None) -> None:
    assert country_code(text) == code


def test_ofac_fields_programs_from_bracketed_column() -> None:
    assert split_programs("SDGT] [IRGC] [IFSR") == ["SDGT", "IRGC", "IFSR"]
    assert split_programs("CAATSA - RUSSIA") == ["CAATSA - RUSSIA"]
