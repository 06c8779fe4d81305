"""The SECO parser against a hand-written sample of the swiss-sanctions-list XML (no real file was available)."""

from __future__ import annotations

import pytest

from service.errors import HostileInputError, ParseError
from service.model import Entity, EntityKind, IdentifierType, Link, NameQuality, NameType
from service.sources import ch_seco_sanctions, get_parser
from service.sources.base import ParseReport
from tests.conftest import FIXTURES

SAMPLE = FIXTURES / "ch_seco_sample.xml"
UKRAINE = "Ordinance of 4 March 2022 on Measures in connection with the Situation in Ukraine (SR 946.231.176.72)"


@pytest.fixture(scope="module")
def parsed() -> tuple[dict[str, Entity], ParseReport]:
    report = ParseReport()
    entities = list(ch_seco_sanctions.parse({"seco.xml": SAMPLE.read_bytes()}, report))
    return {e.upstream_id: e for e in entities}, report


def _parse(xml: str) -> list[Entity]:
    return list(ch_seco_sanctions.parse({"seco.xml": xml.encode()}))


def test_ch_seco_sanctions_reads_every_listed_target(parsed: tuple[dict[str, Entity], ParseReport]) -> None:
    by_id, report = parsed
    assert list(by_id) == ["50001", "50101", "50201", "60001"]  # 60101 was de-listed
    assert report.counts["delisted"] == 1
    assert (report.counts["kind.person"], report.counts["kind.organization"], report.counts["kind.vessel"]) == (1, 2, 1)
    assert report.published_at == "2025-03-14"
    assert report.warnings == []


def test_ch_seco_sanctions_person_with_cyrillic_variants_and_passport(
    parsed: tuple[dict[str, Entity], ParseReport],
) -> None:
    e = parsed[0]["50001"]
    assert (e.id, e.kind, e.gender) == ("ch_seco_sanctions:50001", EntityKind.PERSON, "male")
    n = e.name
    # The title name-part is left out of the name and kept as a title.
    assert (n.full, n.given, n.patronymic, n.family) == ("Ivan Petrovich Sidorov", "Ivan", "Petrovich", "Sidorov")
    assert e.titles == ("General",)
    assert [(a.full, a.type, a.quality, a.script) for a in e.aliases] == [
        ("Иван Петрович Сидоров", NameType.ORIGINAL_SCRIPT, NameQuality.STRONG, "Cyrl"),
        ("Ivan Sydorov", NameType.AKA, NameQuality.STRONG, "Latn"),
        ("Vanya", NameType.AKA, NameQuality.LOW, "Latn"),
        ("Ivan Kozlov", NameType.FKA, NameQuality.STRONG, "Latn"),
        ("Ivan Sidorow", NameType.AKA, NameQuality.STRONG, "Latn"),  # primary name of a second identity
    ]
    assert e.aliases[0].lang == "rus"
    assert [(d.start, d.raw) for d in e.birth_dates] == [("1965-03-14", "14.3.1965"), ("1966", "1966")]
    assert e.birth_places == ("Tula, USSR (former)",)
    assert e.nationalities == ("RU",)
    assert [(i.type, i.value, i.country, i.note) for i in e.identifiers] == [
        (IdentifierType.PASSPORT, "7512345678", "RU", "issued 2015-04-01; expires 2025-04-01"),
        (IdentifierType.NATIONAL_ID, "4509 123456", "RU", "Internal passport"),
    ]
    [address] = e.addresses
    assert (address.street, address.city, address.postal_code, address.country) == (
        "ul. Znamenka 19",
        "Moscow",
        "119019",
        "RU",
    )
    assert e.programs == (UKRAINE,)
    assert e.properties["sanctions_set"] == "Annex 8"
    assert e.listed_on == "2022-02-28"
    assert e.remarks[0].startswith("Deputy Minister of Defence of the Russian Federation.")
    assert e.links == (Link("related_to", "Blue Ocean Shipping LLC", "ch_seco_sanctions:50101"),)
    assert e.source is not None and e.source.fields["@ssid"] == "50001"


def test_ch_seco_sanctions_entity_with_identifiers_in_other_information(
    parsed: tuple[dict[str, Entity], ParseReport],
) -> None:
    e = parsed[0]["50101"]
    assert e.kind is EntityKind.ORGANIZATION
    assert [(a.full, a.type) for a in e.aliases] == [
        ("ООО Блу Оушен Шиппинг", NameType.ORIGINAL_SCRIPT),
        ("Black Sea Tankers LLC", NameType.FKA),
    ]
    assert [(i.type, i.value) for i in e.identifiers] == [
        (IdentifierType.REGISTRATION, "1027700123456"),
        (IdentifierType.TAX_ID, "7701234567"),
        (IdentifierType.IMO_COMPANY, "5912345"),  # an IMO number on a company is its owner number
    ]
    assert "Website: www.blue-ocean-shipping.example" in e.remarks
    assert e.properties["registration_date"] == "2004-06-01"
    assert e.addresses[0].full == "Prospekt Mira 10, office 5, Moscow, 129090, Russian Federation, P.O. Box 77"

    korea = parsed[0]["60001"]
    assert korea.programs[0].startswith("Ordinance of 17 October 2007")
    assert korea.properties["foreign_identifier"] == "KPe.048"
    assert korea.addresses[0].country == "KP"


def test_ch_seco_sanctions_vessel_object(parsed: tuple[dict[str, Entity], ParseReport]) -> None:
    e = parsed[0]["50201"]
    assert (e.kind, e.name.full) == (EntityKind.VESSEL, "SEA STAR")
    assert [(a.full, a.type) for a in e.aliases] == [("OCEAN PEARL", NameType.FKA)]
    assert [(i.type, i.value) for i in e.identifiers] == [(IdentifierType.IMO, "9123453")]
    assert e.countries == ("RU",)
    assert e.links == (Link("owned_or_controlled_by", "Blue Ocean Shipping LLC", "ch_seco_sanctions:50101"),)


def test_ch_seco_sanctions_relation_to_an_unlisted_target_keeps_its_ssid() -> None:
    xml = """<swiss-sanctions-list date="2025-01-01"><target ssid="1" sanctions-set-id="9"><individual>
      <identity ssid="2" main="true"><name name-type="primary-name" quality="good">
      <name-part order="1" name-part-type="whole-name"><value>A B</value></name-part></name></identity>
      <relation ssid="3" target-id="77" relation-type="associated-with"/></individual></target>
      </swiss-sanctions-list>"""
    [e] = _parse(xml)
    assert e.links == (Link("associated_with", "SECO target 77", None),)
    assert e.programs == ()


def test_ch_seco_sanctions_list_id_argument_stamps_ids() -> None:
    [first, *_] = get_parser("ch_seco_sanctions")({"seco.xml": SAMPLE.read_bytes()}, list_id="ch_test")
    assert first.id == "ch_test:50001"


@pytest.mark.parametrize(
    ("xml", "error"),
    [
        ("<swiss-sanctions-list date='2025-01-01'>", ParseError),
        ("<other-root/>", ParseError),
        ("<swiss-sanctions-list date='2025-01-01'/>", ParseError),
        (
            '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa">]><swiss-sanctions-list>&a;</swiss-sanctions-list>',
            HostileInputError,
        ),
    ],
)
def test_ch_seco_sanctions_refuses_broken_or_hostile_xml(xml: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        _parse(xml)
