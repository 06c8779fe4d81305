import xml.etree.ElementTree as ET

import orjson
import pytest

from service.errors import HostileInputError, ParseError
from service.model import DateSpec, Entity, EntityKind, IdentifierType, NameQuality, NameType
from service.model.codec import entity_from_dict, entity_to_dict
from service.sources.base import ParseReport
from service.sources.un_sc_sanctions import parse
from tests.conftest import FIXTURES, read_fixture_files

SAMPLE = FIXTURES / "un_sc_sanctions_sample.xml"


def _parse(files: dict[str, bytes]) -> tuple[list[Entity], ParseReport]:
    report = ParseReport()
    return list(parse(files, report)), report


def _by_id(entities: list[Entity]) -> dict[str, Entity]:
    return {e.upstream_id: e for e in entities}


@pytest.fixture(scope="module")
def real() -> tuple[list[Entity], ParseReport]:
    return _parse(read_fixture_files("un_sc_sanctions"))


@pytest.fixture(scope="module")
def sample() -> dict[str, Entity]:
    entities, _ = _parse({"consolidated.xml": SAMPLE.read_bytes()})
    return _by_id(entities)


def test_parse_real_file_counts_agree_with_the_file(real: tuple[list[Entity], ParseReport]) -> None:
    entities, report = real
    root = ET.fromstring(read_fixture_files("un_sc_sanctions")["consolidated.xml"])
    assert len(root.findall("INDIVIDUALS/INDIVIDUAL")) == 27
    assert len(root.findall("ENTITIES/ENTITY")) == 11
    kinds = [e.kind for e in entities]
    assert (kinds.count(EntityKind.PERSON), kinds.count(EntityKind.ORGANIZATION)) == (27, 11)
    assert report.counts == {"person": 27, "organization": 11}
    assert report.published_at == "2026-02-27T00:00:09.554Z"
    assert report.warnings == []
    assert len({e.id for e in entities}) == 38
    assert all(e.id == f"un_sc_sanctions:{e.source.upstream_id}" for e in entities if e.source)


def test_parse_real_person_with_aliases_birth_date_and_original_script(
    real: tuple[list[Entity], ParseReport],
) -> None:
    e = _by_id(real[0])["QDi.196"]
    assert e.id == "un_sc_sanctions:QDi.196"
    assert e.name.full == "ALI SAYYID MUHAMED MUSTAFA BAKRI"
    assert (e.name.given, e.name.family) == ("ALI", "MUSTAFA BAKRI")
    assert [a.full for a in e.aliases if a.type is NameType.AKA] == ["Ali Salim", "Abd Al-Aziz al-Masri"]
    original = [a for a in e.aliases if a.type is NameType.ORIGINAL_SCRIPT]
    assert [(a.full, a.script) for a in original] == [("على السيد محمد مصطفى بكري", "Arab")]
    assert e.birth_dates == (DateSpec("1966-04-18", raw="1966-04-18"),)
    assert e.birth_places == ("Beni-Suef, Egypt",)
    assert e.nationalities == ("EG",)
    assert e.programs == ("Al-Qaida",)
    assert e.listed_on == "2005-09-29"


def test_parse_real_low_quality_alias_and_cyrillic_original_script(real: tuple[list[Entity], ParseReport]) -> None:
    by_id = _by_id(real[0])
    gaston = by_id["CDi.003"]
    assert ("Rumuli", NameQuality.LOW) in [(a.full, a.quality) for a in gaston.aliases]
    assert gaston.positions[0] == "FDLR Interim President"
    chataev = by_id["QDi.365"]
    assert chataev.name.patronymic == "RAJAPOVICH"
    assert any(a.type is NameType.ORIGINAL_SCRIPT and a.script == "Cyrl" for a in chataev.aliases)


def test_parse_real_ranges_approximate_dates_and_documents(real: tuple[list[Entity], ParseReport]) -> None:
    by_id = _by_id(real[0])
    assert by_id["TAi.002"].birth_dates == (
        DateSpec("1955", end="1958", circa=True, raw="1955-1958"),
        DateSpec("1945", end="1950", circa=True, raw="1945-1950"),
    )
    assert by_id["QDi.395"].birth_dates == (DateSpec("1958-09", raw="Sep. 1958"),)
    assert by_id["QDi.306"].birth_dates[0].start == "1977-08"
    assert "Date of birth: 24/06/1402 (Hijri Calendar)" in by_id["QDi.291"].remarks
    passports = [i for i in by_id["KPi.077"].identifiers if i.type is IdentifierType.PASSPORT]
    assert [(i.value, i.country) for i in passports] == [("654234735", "KP")]
    # DPRK names are listed family name first.
    assert (by_id["KPi.077"].name.family, by_id["KPi.077"].name.given) == ("RI", "SONG HYOK")


def test_parse_real_entity_aliases_keep_fka_and_script_notes(real: tuple[list[Entity], ParseReport]) -> None:
    adf = _by_id(real[0])["CDe.001"]
    assert adf.kind is EntityKind.ORGANIZATION
    assert adf.name.full == "ADF"
    assert [(a.full, a.type) for a in adf.aliases][:2] == [
        ("Allied Democratic Forces", NameType.AKA),
        ("Forces Démocratiques Alliées-Armée Nationale de Libération de l’Ouganda", NameType.FKA),
    ]
    assert adf.addresses[0].country == "CD"


def test_parse_real_file_is_deterministic_and_round_trips(real: tuple[list[Entity], ParseReport]) -> None:
    again, _ = _parse(read_fixture_files("un_sc_sanctions"))
    assert again == real[0]
    for e in real[0]:
        assert entity_from_dict(orjson.loads(orjson.dumps(entity_to_dict(e)))) == e


def test_parse_sample_keeps_upstream_oddities(sample: dict[str, Entity]) -> None:
    ivan = sample["QDi.901"]
    assert (ivan.name.given, ivan.name.patronymic, ivan.name.family) == ("IVAN", "PETROVICH", "SAMPLOV")
    assert [(a.full, a.quality) for a in ivan.aliases if a.type is NameType.AKA] == [
        ("Ivan Samplov", NameQuality.STRONG),
        ("Abu Sample", NameQuality.LOW),
        ("Iwan Samplow", NameQuality.STRONG),
    ]
    assert [(s.start, s.end, s.circa) for s in ivan.birth_dates] == [
        ("1970-05-06", None, False),
        ("1969", None, True),
        ("1965", "1968", False),
        ("1972-09", None, False),
        ("1971-02-03", None, False),  # the date given with the alias "Iwan Samplow"
    ]
    assert "Date of birth: 24/06/1390 (Hijri Calendar)" in ivan.remarks
    assert "Fictitious record for tests. Second line of the comment." in ivan.remarks
    assert ivan.nationalities == ("RU",)  # "na" is not Namibia
    assert ivan.birth_places == ("Kazan, Russian Federation", "Iraq")
    assert ivan.gender == "male"
    assert ivan.titles == ("Dr.",)
    passport, tazkira = ivan.identifiers
    assert (passport.type, passport.value, passport.country) == (IdentifierType.PASSPORT, "75 1234567", "RU")
    assert passport.note == "issued 2010-01-02; expires 1 Jan. 2020"
    assert tazkira.type is IdentifierType.NATIONAL_ID
    assert tazkira.value.endswith("545167")
    assert ivan.addresses[0].full == "1 Sample Street, Mosul, Iraq, as of 2015"
    assert ivan.source is not None
    assert ivan.source.version == "2"
    assert ivan.source.fields["LAST_DAY_UPDATED"] == {"VALUE": ["2016-01-01", "2020-01-01"]}


def test_parse_sample_dprk_order_timezone_listing_and_entity(sample: dict[str, Entity]) -> None:
    kim = sample["KPi.901"]
    assert (kim.name.family, kim.name.given) == ("KIM", "SAMPLE CHOL")
    assert kim.listed_on == "2017-06-02"
    assert kim.birth_dates == ()
    org = sample["QDe.901"]
    assert [(a.full, a.type) for a in org.aliases] == [
        ("Sample Co.", NameType.AKA),
        ("شركة عينة", NameType.ORIGINAL_SCRIPT),
        ("Old Sample Establishment", NameType.FKA),
        ("شركة العينة", NameType.ORIGINAL_SCRIPT),
    ]
    assert org.addresses[1].country in ("PS", "State of Palestine")


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"<CONSOLIDATED_LIST><INDIVIDUALS>",
        b"<sdnList/>",
        b"<CONSOLIDATED_LIST><INDIVIDUALS/></CONSOLIDATED_LIST>",
        b"<CONSOLIDATED_LIST><INDIVIDUALS/><ENTITIES/></CONSOLIDATED_LIST>",
    ],
    ids=["empty", "truncated", "wrong-root", "no-entities-section", "zero-records"],
)
def test_parse_rejects_incomplete_files(payload: bytes) -> None:
    with pytest.raises(ParseError):
        list(parse({"consolidated.xml": payload}))


def test_parse_rejects_missing_resource_and_hostile_xml() -> None:
    with pytest.raises(ParseError):
        list(parse({}))
    hostile = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><CONSOLIDATED_LIST>&e;</CONSOLIDATED_LIST>'
    with pytest.raises(HostileInputError):
        list(parse({"consolidated.xml": hostile}))


def test_parse_uses_the_given_list_id() -> None:
    entities = list(parse({"consolidated.xml": SAMPLE.read_bytes()}, list_id="un_copy"))
    assert entities[0].id == "un_copy:QDi.901"
    assert entities[0].list_id == "un_copy"
