import xml.etree.ElementTree as ET

import orjson
import pytest

from service.errors import HostileInputError, ParseError
from service.model import DateSpec, Entity, EntityKind, IdentifierType, Link, NameQuality, NameType
from service.model.codec import entity_from_dict, entity_to_dict
from service.sources.base import ParseReport
from service.sources.gb_fcdo_sanctions import parse
from tests.conftest import FIXTURES, read_fixture_files

RESOURCE = "UK-Sanctions-List.xml"
SAMPLE = FIXTURES / "gb_fcdo_sanctions_sample.xml"


def _parse(data: bytes) -> tuple[dict[str, Entity], ParseReport]:
    report = ParseReport()
    return {e.upstream_id: e for e in parse({RESOURCE: data}, report)}, report


@pytest.fixture(scope="module")
def real() -> tuple[dict[str, Entity], ParseReport]:
    return _parse(read_fixture_files("gb_fcdo_sanctions")[RESOURCE])


@pytest.fixture(scope="module")
def sample() -> tuple[dict[str, Entity], ParseReport]:
    return _parse(SAMPLE.read_bytes())


def test_parse_real_excerpt_counts_agree_with_the_file(real: tuple[dict[str, Entity], ParseReport]) -> None:
    entities, report = real
    root = ET.fromstring(read_fixture_files("gb_fcdo_sanctions")[RESOURCE])
    kinds = [d.findtext("IndividualEntityShip") for d in root.iter("Designation")]
    assert (kinds.count("Individual"), kinds.count("Entity"), kinds.count("Ship")) == (2, 2, 1)
    assert list(entities) == ["AFG0001", "AFG0006", "BEL0107", "DPR0075", "AQD0195"]
    assert report.counts == {"organization": 2, "person": 2, "vessel": 1}
    assert report.published_at == "2026-09-10"  # DateGenerated 10/09/2026 is day first
    assert report.warnings == []


def test_parse_real_ship_imo_owner_and_flag(real: tuple[dict[str, Entity], ParseReport]) -> None:
    ship = real[0]["DPR0075"]
    assert ship.id == "gb_fcdo_sanctions:DPR0075"
    assert ship.kind is EntityKind.VESSEL
    assert ship.name.full == "Petrel 8"
    assert ship.name.family is None
    assert [a.full for a in ship.aliases] == ["Tian Tai 36"]
    assert [(i.type, i.value, i.note) for i in ship.identifiers] == [(IdentifierType.IMO, "9562233", "IMO9562233")]
    assert ship.links == (Link("owner", "Global United Shipping India"),)
    assert ship.countries == ("KM",)
    assert ship.properties["vessel_type"] == "Bulk Carrier"
    assert ship.properties["previous_flags"] == "India"
    assert ship.properties["un_reference"] == "KPv.001"


def test_parse_real_person_with_dobs_passport_and_non_latin_name(real: tuple[dict[str, Entity], ParseReport]) -> None:
    e = real[0]["AFG0006"]
    assert (e.name.full, e.name.given, e.name.middle, e.name.family) == (
        "MOHAMMAD HASSAN AKHUND",
        "MOHAMMAD",
        "HASSAN",
        "AKHUND",
    )
    assert [(a.full, a.type) for a in e.aliases] == [
        ("Mohammad Akhwand", NameType.AKA),
        ("محمد حسن آخوند", NameType.ORIGINAL_SCRIPT),
    ]
    assert e.aliases[1].script == "Arab"
    assert e.birth_dates == (
        DateSpec("1958-05-12", raw="12/05/1958"),
        DateSpec("1945", raw="dd/mm/1945"),
        DateSpec("1946", raw="1946"),
    )
    # The file repeats the passport; it is kept once.
    assert [(i.type, i.value) for i in e.identifiers] == [
        (IdentifierType.PASSPORT, "P04581926"),
        (IdentifierType.NATIONAL_ID, "2132370"),
    ]
    assert e.titles == ("Mullah", "Haji")
    assert e.nationalities == ("AF",)
    assert e.birth_places == ("Pashmul village, Panjwai District, Afghanistan",)
    assert e.listed_on == "2001-01-25"
    assert e.source is not None
    assert e.source.version == "2026-04-14"


def test_parse_real_entity_links_registration_and_alias_strength(real: tuple[dict[str, Entity], ParseReport]) -> None:
    bnk = real[0]["BEL0107"]
    assert [(a.full, a.quality) for a in bnk.aliases] == [
        ("BNK UK Limited", NameQuality.STRONG),
        ("BNK", NameQuality.LOW),
    ]
    assert bnk.identifiers[0].type is IdentifierType.REGISTRATION
    assert bnk.identifiers[0].value == "UK Company no. 06527449"
    assert [(x.relation, x.name) for x in bnk.links] == [
        ("parent", "CJSC Belarusian Oil Company"),
        ("parent", "Belneftekhim"),
        ("subsidiary", "BNK (Deutschland) GmbH"),
    ]
    assert bnk.addresses[0].postal_code == "SM2 5DA"
    assert bnk.addresses[0].country == "GB"
    assert any("controlled by CJSC Belarusian Oil Company" in r for r in bnk.remarks)
    fadhil = real[0]["AQD0195"]
    assert (fadhil.name.given, fadhil.name.family) == ("Fadhil", "Harun")
    assert fadhil.birth_dates == (DateSpec("1972", raw="dd/mm/1972"),)


def test_parse_sample_individual_with_dob_passport_and_non_latin_name(
    sample: tuple[dict[str, Entity], ParseReport],
) -> None:
    e = sample[0]["RUS9001"]
    assert (e.name.given, e.name.patronymic, e.name.family) == ("Olga", "Sergeyevna", "PRIMEROVA")
    variation, low, cyrillic = e.aliases
    assert (variation.full, variation.type, variation.quality) == (
        "Olha Serhiivna PRYMEROVA",
        NameType.AKA,
        NameQuality.STRONG,
    )
    assert (low.full, low.quality) == ("Olya", NameQuality.LOW)
    assert (cyrillic.type, cyrillic.script, cyrillic.lang) == (NameType.ORIGINAL_SCRIPT, "Cyrl", "ru")
    assert [d.start for d in e.birth_dates] == ["1970-07-21", "1971-07"]
    assert "Date of birth: unknown" in e.remarks
    assert e.nationalities == ("RU", "UA")
    assert e.gender == "female"
    assert [(i.type, i.value) for i in e.identifiers] == [
        (IdentifierType.PASSPORT, "750000001"),
        (IdentifierType.TAX_ID, "770000000001"),  # a "national identifier" that the UK says is an INN
    ]
    assert e.addresses[0].full == "Flat 1, 2 Sample Street, Moscow, 101000, Russia"
    assert e.addresses[0].country == "RU"
    assert e.titles == ("Dr",)


def test_parse_sample_ship_previous_names_and_unknown_fields(sample: tuple[dict[str, Entity], ParseReport]) -> None:
    entities, report = sample
    ship = entities["RUS9002"]
    assert ("SAMPLE STAR", NameType.FKA) in [(a.full, a.type) for a in ship.aliases]
    assert [(i.type, i.value) for i in ship.identifiers] == [
        (IdentifierType.IMO, "9000007"),
        (IdentifierType.OTHER, "HIN-0001"),
    ]
    assert ship.links == (Link("owner", "Sample Maritime Ltd"), Link("previous_owner", "Old Sample Shipping Co"))
    assert ship.properties["year_built"] == "2004"
    assert ship.properties["previous_flags"] == "Panama; Liberia"
    assert ship.properties["call_sign"] == "TRSM7"  # an element this parser does not know is kept
    assert ship.countries == ("GA",)
    odd = entities["CYB9003"]
    assert odd.kind is EntityKind.UNKNOWN
    assert (odd.name.full, odd.name.type) == ("Sample Hackers Group", NameType.PRIMARY)
    assert any("unknown IndividualEntityShip 'aircraft'" in w for w in report.warnings)
    assert report.published_at == "2026-02-03"


def test_parse_is_deterministic_and_round_trips(sample: tuple[dict[str, Entity], ParseReport]) -> None:
    again, _ = _parse(SAMPLE.read_bytes())
    assert list(again.values()) == list(sample[0].values())
    for e in sample[0].values():
        assert entity_from_dict(orjson.loads(orjson.dumps(entity_to_dict(e)))) == e


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"<Designations><Designation>",
        b"<export/>",
        b"<Designations><DateGenerated>01/01/2026</DateGenerated></Designations>",
    ],
    ids=["empty", "truncated", "wrong-root", "zero-records"],
)
def test_parse_rejects_incomplete_files(payload: bytes) -> None:
    with pytest.raises(ParseError):
        list(parse({RESOURCE: payload}))


def test_parse_rejects_hostile_xml() -> None:
    xxe = b'<!DOCTYPE d [<!ENTITY x SYSTEM "http://127.0.0.1:1/">]><Designations>&x;</Designations>'
    with pytest.raises(HostileInputError):
        list(parse({RESOURCE: xxe}))
