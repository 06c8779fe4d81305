"""OFAC's legacy sdnList XML: an excerpt of the real CONSOLIDATED.XML of 2025-03-28 (tests/fixtures/lists, the records
of the us_ofac_cons CSV excerpt) and a hand-written SDN.XML sample."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter

import pytest

from service.errors import HostileInputError, ParseError
from service.model import Entity, EntityKind, IdentifierType, NameQuality, NameType
from service.sources import ParseReport, get_parser, ofac_xml, us_ofac_cons
from tests.conftest import FIXTURE_LISTS, FIXTURES, read_fixture_files

CONSOLIDATED = "ofac/consolidated_non_sdn_xml_2025-03-28/consolidated.xml"
NS = "{https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/XML}"


@pytest.fixture(scope="module")
def consolidated() -> bytes:
    return (FIXTURE_LISTS / CONSOLIDATED).read_bytes()


@pytest.fixture(scope="module")
def cons(consolidated: bytes) -> tuple[dict[str, Entity], ParseReport]:
    report = ParseReport()
    return {e.id: e for e in ofac_xml.parse({"consolidated.xml": consolidated}, report)}, report


@pytest.fixture(scope="module")
def sample() -> tuple[dict[str, Entity], ParseReport]:
    report = ParseReport()
    files = {"SDN.XML": (FIXTURES / "ofac" / "SDN.XML").read_bytes()}
    return {e.id: e for e in ofac_xml.parse(files, report)}, report


def test_ofac_xml_consolidated_counts_agree_with_the_file(
    consolidated: bytes, cons: tuple[dict[str, Entity], ParseReport]
) -> None:
    entities, report = cons
    root = ET.fromstring(consolidated)
    types = Counter(e.findtext(f"{NS}sdnType") for e in root.iter(f"{NS}sdnEntry"))
    assert types == {"Individual": 12, "Entity": 15}
    assert Counter(e.kind for e in entities.values()) == {EntityKind.PERSON: 12, EntityKind.ORGANIZATION: 15}
    assert len(entities) == report.counts["entities"] == 27
    assert report.published_at == "2025-03-28"
    assert report.warnings == []  # Record_Count (set to the excerpt's 26) agrees
    weak = sum(1 for a in root.iter(f"{NS}aka") if a.findtext(f"{NS}category") == "weak")
    assert report.counts["weak_aliases"] == weak == 9


def test_ofac_xml_ids_match_the_csv_parser(cons: tuple[dict[str, Entity], ParseReport]) -> None:
    entities, _ = cons
    csv_entities = {e.id: e for e in us_ofac_cons.parse(read_fixture_files("us_ofac_cons"))}
    # The CSV set is newer (2025-12) than this XML (2025-03); every CSV entity has the same id in the XML.
    assert set(csv_entities) <= set(entities)
    for entity_id in ("us_ofac_cons:9647", "us_ofac_cons:17015"):
        x, c = entities[entity_id], csv_entities[entity_id]
        assert (x.kind, x.name, x.birth_dates, x.nationalities, x.gender) == (
            c.kind,
            c.name,
            c.birth_dates,
            c.nationalities,
            c.gender,
        )
        assert set(x.aliases) == set(c.aliases)
        assert sorted(x.programs) == sorted(c.programs)
        assert [(lk.relation, lk.name) for lk in x.links] == [(lk.relation, lk.name) for lk in c.links]


def test_ofac_xml_consolidated_person_and_id_list(cons: tuple[dict[str, Entity], ParseReport]) -> None:
    entities, _ = cons
    person = entities["us_ofac_cons:9647"]
    assert [(a.full, a.quality) for a in person.aliases] == [
        ("AL ZAHAR, Mahmoud Khaled", NameQuality.STRONG),
        ("ZAHAR, Mahmoud", NameQuality.WEAK),
        ("AL-ZAHAR, Mahmoud", NameQuality.WEAK),
    ]
    assert person.gender == "male"  # an idList entry in the XML
    assert person.addresses[0].full == "Region: Gaza" and person.addresses[0].country == "PS"
    assert person.remarks == (
        "Secondary sanctions risk: section 1(b) of Executive Order 13224, as amended by Executive Order 13886",
    )
    bank = entities["us_ofac_cons:17064"]
    # A few idNumbers carry the country in brackets instead of idCountry.
    assert (IdentifierType.REGISTRATION, "1026303117642", "RU") in {
        (i.type, i.value, i.country) for i in bank.identifiers
    }


def test_ofac_xml_sample_publish_date_and_counts(sample: tuple[dict[str, Entity], ParseReport]) -> None:
    entities, report = sample
    assert report.published_at == "2024-05-03"
    assert report.warnings == []
    assert Counter(e.kind for e in entities.values()) == {
        EntityKind.PERSON: 3,
        EntityKind.ORGANIZATION: 3,
        EntityKind.VESSEL: 1,
        EntityKind.AIRCRAFT: 1,
    }
    assert all(e.id.startswith("us_ofac_sdn:") for e in entities.values())


def test_ofac_xml_sample_aircraft(sample: tuple[dict[str, Entity], ParseReport]) -> None:
    plane = sample[0]["us_ofac_sdn:15431"]
    assert plane.kind is EntityKind.AIRCRAFT
    assert {(i.type, i.value) for i in plane.identifiers} == {
        (IdentifierType.TAIL_NUMBER, "EP-GOM"),
        (IdentifierType.AIRCRAFT_MSN, "1023409321"),
        (IdentifierType.OTHER, "8401"),
    }
    assert plane.properties == {"build_date": "1992", "model": "IL76-TD"}
    assert [(lk.relation, lk.name, lk.target_id) for lk in plane.links] == [
        ("operator", "YAS AIR", "us_ofac_sdn:13109"),
        ("linked_to", "POUYA AIR", "us_ofac_sdn:13109"),
    ]


def test_ofac_xml_sample_vessel_and_company_imo(sample: tuple[dict[str, Entity], ParseReport]) -> None:
    entities, _ = sample
    ship = entities["us_ofac_sdn:37445"]
    assert {(i.type, i.value) for i in ship.identifiers} == {
        (IdentifierType.IMO, "1006960"),
        (IdentifierType.MMSI, "319766000"),
        (IdentifierType.CALL_SIGN, "ZCGR"),
    }
    assert ship.properties == {"vessel_type": "Yacht", "gross_registered_tonnage": "776", "flag": "Cayman Islands"}
    assert ship.countries == ("KY",)
    assert [(lk.name, lk.target_id) for lk in ship.links] == [("PUTIN, Vladimir Vladimirovich", "us_ofac_sdn:35096")]
    company = entities["us_ofac_sdn:37446"]
    assert [(i.type, i.value) for i in company.identifiers] == [(IdentifierType.IMO_COMPANY, "3001731")]
    assert company.properties == {
        "organization_type": "Activities of holding companies",
        "target_type": "Private Company",
    }
    address = company.addresses[0]
    assert (address.city, address.postal_code, address.country) == ("Limassol", "3106", "CY")


def test_ofac_xml_sample_weak_and_non_latin_aliases(sample: tuple[dict[str, Entity], ParseReport]) -> None:
    entities, _ = sample
    weak = entities["us_ofac_sdn:30421"].aliases
    assert [(a.full, a.type, a.quality) for a in weak] == [("EX-CLE", NameType.AKA, NameQuality.WEAK)]
    putin = entities["us_ofac_sdn:35096"]
    cyrillic = putin.aliases[1]
    assert (cyrillic.full, cyrillic.family, cyrillic.given, cyrillic.script) == (
        "ПУТИН, Владимир Владимирович",
        "ПУТИН",
        "Владимир Владимирович",
        "Cyrl",
    )
    assert putin.name.script == "Latn"


def test_ofac_xml_sample_person_fields(sample: tuple[dict[str, Entity], ParseReport]) -> None:
    entities, _ = sample
    maduro = entities["us_ofac_sdn:22790"]
    assert (maduro.name.full, maduro.name.family, maduro.name.given) == (
        "MADURO MOROS, Nicolas",
        "MADURO MOROS",
        "Nicolas",
    )
    assert [(i.type, i.value, i.country) for i in maduro.identifiers] == [(IdentifierType.NATIONAL_ID, "5892464", "VE")]
    assert maduro.citizenships == ("VE",) and maduro.gender == "male"
    assert maduro.titles == ("President of the Bolivarian Republic of Venezuela",)
    assert maduro.remarks == ()
    assert maduro.programs == ("VENEZUELA", "IRAN-CON-ARMS-EO")
    cyber = entities["us_ofac_sdn:29584"]
    assert [(d.start, d.circa) for d in cyber.birth_dates] == [("1995-09-14", False), ("1990", True)]
    by_type = {i.type: i for i in cyber.identifiers}
    assert by_type[IdentifierType.CRYPTO].value == "0x7F367cC41522cE07553e823bf3be79A889DEbe1B"
    assert by_type[IdentifierType.CRYPTO].label == "Digital Currency Address - ETH"
    passport = by_type[IdentifierType.PASSPORT]
    assert (passport.value, passport.country, passport.note) == (
        "720000000",
        "RU",
        "issued 12 Mar 2015 expires 12 Mar 2025",
    )


def test_ofac_xml_list_id_from_argument_or_file_name() -> None:
    data = (FIXTURES / "ofac" / "SDN.XML").read_bytes()
    assert next(ofac_xml.parse({"SDN.XML": data})).id == "us_ofac_sdn:22790"
    assert next(ofac_xml.parse({"CONSOLIDATED.XML": data})).id == "us_ofac_cons:22790"
    assert next(ofac_xml.parse({"feed.xml": data}, list_id="my_list")).id == "my_list:22790"
    with pytest.raises(ParseError, match="pass list_id"):
        list(ofac_xml.parse({"feed.xml": data}))
    assert get_parser("ofac_xml") is ofac_xml.parse


def test_ofac_xml_parse_is_deterministic(consolidated: bytes, cons: tuple[dict[str, Entity], ParseReport]) -> None:
    assert list(ofac_xml.parse({"consolidated.xml": consolidated})) == list(cons[0].values())


def test_ofac_xml_truncated_file_raises(consolidated: bytes) -> None:
    with pytest.raises(ParseError, match="malformed XML"):
        list(ofac_xml.parse({"consolidated.xml": consolidated[: len(consolidated) // 2]}))


def test_ofac_xml_refuses_entity_expansion() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><sdnList>&b;</sdnList>'
    with pytest.raises(HostileInputError):
        list(ofac_xml.parse({"SDN.XML": bomb}))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<export/>", "expected <sdnList>"),
        (b"<sdnList><publshInformation><Record_Count>0</Record_Count></publshInformation></sdnList>", "no sdnEntry"),
        (b"<sdnList><sdnEntry><lastName>X</lastName><sdnType>Entity</sdnType></sdnEntry></sdnList>", "numeric uid"),
        (b"", "empty"),
    ],
)
def test_ofac_xml_incomplete_documents_raise(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        list(ofac_xml.parse({"SDN.XML": body}))


def test_ofac_xml_record_count_mismatch_is_a_warning() -> None:
    data = (FIXTURES / "ofac" / "SDN.XML").read_bytes().replace(b"<Record_Count>8<", b"<Record_Count>9<")
    report = ParseReport()
    assert len(list(ofac_xml.parse({"SDN.XML": data}, report))) == 8
    assert report.warnings == ["SDN.XML: Record_Count says 9, the file holds 8 entries"]
