import xml.etree.ElementTree as ET

import orjson
import pytest

from service.errors import HostileInputError, ParseError
from service.model import DateSpec, Entity, EntityKind, IdentifierType, NameQuality, NameType
from service.model.codec import entity_from_dict, entity_to_dict
from service.sources.base import ParseReport
from service.sources.eu_fsf import parse
from tests.conftest import FIXTURES, read_fixture_files

SAMPLE = FIXTURES / "eu_fsf_sample.xml"
NS = "{http://eu.europa.ec/fpi/fsd/export}"


def _parse(data: bytes) -> tuple[dict[str, Entity], ParseReport]:
    report = ParseReport()
    return {e.upstream_id: e for e in parse({"eu_fsf.xml": data}, report)}, report


@pytest.fixture(scope="module")
def real() -> tuple[dict[str, Entity], ParseReport]:
    return _parse(read_fixture_files("eu_fsf")["eu_fsf.xml"])


@pytest.fixture(scope="module")
def sample() -> tuple[dict[str, Entity], ParseReport]:
    return _parse(SAMPLE.read_bytes())


def test_parse_real_excerpt_counts_agree_with_the_file(real: tuple[dict[str, Entity], ParseReport]) -> None:
    entities, report = real
    root = ET.fromstring(read_fixture_files("eu_fsf")["eu_fsf.xml"])
    subjects = [s.get("code") for s in root.iter(f"{NS}subjectType")]
    assert subjects.count("person") == 4
    assert subjects.count("enterprise") == 1
    assert sorted(entities) == ["191", "3822", "521", "6106", "6177"]
    assert report.counts == {"person": 4, "organization": 1}
    assert report.published_at == "2026-08-05T16:47:04.449+02:00"
    assert report.warnings == []


def test_parse_real_person_with_aliases_birth_dates_and_passport(real: tuple[dict[str, Entity], ParseReport]) -> None:
    e = real[0]["6177"]
    assert e.id == "eu_fsf:6177"
    assert e.kind is EntityKind.PERSON
    assert e.name.full == "Ibrahim al-'Asiri"  # first strong Latin-script English alias; the Arabic ones come first
    arabic = [a for a in e.aliases if a.script == "Arab"]
    assert [(a.type, a.lang) for a in arabic] == [(NameType.ORIGINAL_SCRIPT, "ar")] * 2
    # The quality sits in remarks: "low quality alias" although strong="true".
    low = {a.full for a in e.aliases if a.quality is NameQuality.LOW}
    assert low == {"Abu-Salaah", "Abosslah", "Abu Saleh"}
    named = next(a for a in e.aliases if a.full == "Ibrahim Hassan Tali Al-Asiri")
    assert (named.given, named.middle, named.family) == ("Ibrahim", "Hassan Tali", "Al-Asiri")
    assert [d.start for d in e.birth_dates] == ["1982-04-18", "1982-04-19"]  # the Hijri date equals 1982-04-19
    assert e.birth_places == ("Riyadh, Saudi Arabia",)
    assert e.citizenships == ("SA",)
    assert [(i.type, i.value, i.country) for i in e.identifiers] == [
        (IdentifierType.NATIONAL_ID, "1028745097", "SA"),
        (IdentifierType.PASSPORT, "F654645", "SA"),
    ]
    assert "knownExpired" in (e.identifiers[1].note or "")
    assert e.programs == ("TAQA",)
    assert e.listed_on == "2011-03-24"
    assert e.positions == ("Operative and principal bomb maker of Al-Qaida in the Arabian Peninsula (AQAP)",)
    assert e.properties["eu_reference"] == "EU.3092.36"


def test_parse_real_enterprise_and_circa_range(real: tuple[dict[str, Entity], ParseReport]) -> None:
    pci = real[0]["3822"]
    assert pci.kind is EntityKind.ORGANIZATION
    assert pci.name.full == "Parchin Chemical Industries (PCI)"
    assert (pci.identifiers[0].type, pci.identifiers[0].value) == (IdentifierType.REGISTRATION, "892")
    assert "UN designation:24/03/2007 (no longer valid)" in pci.remarks
    assert pci.properties["web"] == "http://icig.ir/"
    assert {a.country for a in pci.addresses} == {"IR"}
    jan = real[0]["521"]
    assert jan.birth_dates == (DateSpec("1953", end="1958", circa=True, raw="between 1953 and 1958"),)
    assert jan.titles == ("Maulavi",)
    assert real[0]["6106"].properties["un_reference"] == "LYi.006"
    assert real[0]["191"].listed_on is None  # no designationDate on this record


def test_parse_sample_person_with_several_birth_dates_and_passport(
    sample: tuple[dict[str, Entity], ParseReport],
) -> None:
    e = sample[0]["900001"]
    assert e.name.full == "Pyotr Ivanovich OBRAZTSOV"
    assert (e.name.given, e.name.patronymic, e.name.family) == ("Pyotr", "Ivanovich", "OBRAZTSOV")
    cyrillic = next(a for a in e.aliases if a.script == "Cyrl")
    assert (cyrillic.full, cyrillic.type, cyrillic.patronymic) == (
        "Петр Иванович ОБРАЗЦОВ",
        NameType.ORIGINAL_SCRIPT,
        "Иванович",
    )
    qualities = {a.full: a.quality for a in e.aliases}
    assert qualities["Petya"] is NameQuality.WEAK
    assert qualities["P. Obraz"] is NameQuality.LOW
    assert [(d.start, d.end, d.circa) for d in e.birth_dates] == [
        ("1961-07-15", None, False),
        ("1962-07", None, False),
        ("1960", None, True),
        ("1958", "1959", False),
    ]
    assert "Date of birth: 1381-1-3 (islamic calendar)" in e.remarks
    assert "Deputy chairman of a fictitious committee" in e.remarks
    assert e.birth_places == ("Leningrad, Russian Federation",)
    assert e.citizenships == ("RU",)
    assert e.gender == "male"
    assert e.titles == ("Colonel",)
    assert e.positions == ("Member of the State Duma",)
    assert e.programs == ("UKR", "RUS")
    passport, diplomatic, ssn = e.identifiers
    assert (passport.type, passport.value, passport.country) == (IdentifierType.PASSPORT, "4509 123456", "RU")
    assert passport.note == "issued by Ministry of Foreign Affairs"
    assert diplomatic.note == "diplomatic; knownExpired"
    assert ssn.type is IdentifierType.NATIONAL_ID
    assert e.addresses[0].full == "Okhotny Ryad 1, Moscow, 103265, Russian Federation"
    assert e.properties["email"] == "sample@example.org"


def test_parse_sample_enterprise_identifiers_and_unknown_subject(sample: tuple[dict[str, Entity], ParseReport]) -> None:
    entities, report = sample
    company = entities["900002"]
    assert company.kind is EntityKind.ORGANIZATION
    assert [(i.type, i.value) for i in company.identifiers] == [
        (IdentifierType.REGISTRATION, "1027700000000"),
        (IdentifierType.SWIFT_BIC, "SAMPRUMM"),
        (IdentifierType.IMO_COMPANY, "5999999"),
        (IdentifierType.TAX_ID, "7700000000"),
    ]
    assert company.identifiers[0].note == "OGRN"
    assert ("SSJSC", NameQuality.WEAK) in [(a.full, a.quality) for a in company.aliases]
    group = entities["900003"]
    assert group.kind is EntityKind.UNKNOWN
    assert (group.name.full, group.name.type, group.name.script) == ("جماعة العينة", NameType.PRIMARY, "Arab")
    assert any("unknown subjectType 'group'" in w for w in report.warnings)
    assert report.counts == {"person": 1, "organization": 1, "unknown": 1}
    assert report.published_at == "2026-03-01T09:15:00.000+01:00"


def test_parse_is_deterministic_and_round_trips(sample: tuple[dict[str, Entity], ParseReport]) -> None:
    again, _ = _parse(SAMPLE.read_bytes())
    assert list(again.values()) == list(sample[0].values())
    for e in sample[0].values():
        assert entity_from_dict(orjson.loads(orjson.dumps(entity_to_dict(e)))) == e


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b'<export xmlns="http://eu.europa.ec/fpi/fsd/export"><sanctionEntity logicalId="1">',
        b"<CONSOLIDATED_LIST/>",
        b'<export xmlns="http://eu.europa.ec/fpi/fsd/export" generationDate="2026-01-01T00:00:00"/>',
    ],
    ids=["empty", "truncated", "wrong-root", "zero-records"],
)
def test_parse_rejects_incomplete_files(payload: bytes) -> None:
    with pytest.raises(ParseError):
        list(parse({"eu_fsf.xml": payload}))


def test_parse_rejects_hostile_xml() -> None:
    bomb = b'<!DOCTYPE export [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><export>&b;</export>'
    with pytest.raises(HostileInputError):
        list(parse({"eu_fsf.xml": bomb}))
