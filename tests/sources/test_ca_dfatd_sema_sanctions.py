import random
import xml.etree.ElementTree as ET

import orjson
import pytest

from service.errors import HostileInputError, ParseError
from service.model import DateSpec, Entity, EntityKind, IdentifierType, NameQuality
from service.model.codec import entity_from_dict, entity_to_dict
from service.sources.base import ParseReport
from service.sources.ca_dfatd_sema_sanctions import parse, record_key, split_aliases, stable_keys
from tests.conftest import FIXTURES, read_fixture_files

RESOURCE = "sema-lmes.xml"
SAMPLE = FIXTURES / "ca_dfatd_sema_sanctions_sample.xml"


def _parse(data: bytes) -> tuple[list[Entity], ParseReport]:
    report = ParseReport()
    return list(parse({RESOURCE: data}, report)), report


def _reordered(data: bytes, seed: int) -> bytes:
    root = ET.fromstring(data)
    records = list(root)
    random.Random(seed).shuffle(records)
    root[:] = records
    return ET.tostring(root, encoding="utf-8")


@pytest.fixture(scope="module")
def real_bytes() -> bytes:
    return read_fixture_files("ca_dfatd_sema_sanctions")[RESOURCE]


@pytest.fixture(scope="module")
def real(real_bytes: bytes) -> tuple[list[Entity], ParseReport]:
    return _parse(real_bytes)


def test_parse_real_file_counts_agree_with_the_file(real_bytes: bytes, real: tuple[list[Entity], ParseReport]) -> None:
    entities, report = real
    records = ET.fromstring(real_bytes).findall("record")
    people = sum(1 for r in records if r.findtext("LastName") or r.findtext("GivenName"))
    ships = sum(1 for r in records if r.findtext("ShipIMONumber"))
    assert (len(records), people, ships) == (41, 31, 5)
    kinds = [e.kind for e in entities]
    assert len(entities) == 41
    assert kinds.count(EntityKind.PERSON) == people
    assert kinds.count(EntityKind.VESSEL) == ships
    assert kinds.count(EntityKind.ORGANIZATION) == 41 - people - ships
    assert report.counts == {"person": 31, "organization": 5, "vessel": 5}
    assert report.published_at is None  # the file carries no date of its own
    assert len(report.warnings) == 1
    assert "2025-03-20" in report.warnings[0]


def test_parse_real_ids_are_unique_and_survive_reordering(
    real_bytes: bytes, real: tuple[list[Entity], ParseReport]
) -> None:
    entities, _ = real
    ids = [e.id for e in entities]
    assert len(set(ids)) == len(ids) == 41
    assert all("-" not in e.upstream_id.rsplit(".", 1)[-1] for e in entities)  # no collision needed a hash
    shuffled, _ = _parse(_reordered(real_bytes, seed=20260101))
    assert {e.id: e for e in shuffled} == {e.id: e for e in entities}


def test_parse_real_vessel_with_imo(real: tuple[list[Entity], ParseReport]) -> None:
    by_id = {e.upstream_id: e for e in real[0]}
    ship = by_id["russia.1-1.1"]
    assert ship.id == "ca_dfatd_sema_sanctions:russia.1-1.1"
    assert ship.kind is EntityKind.VESSEL
    assert ship.name.full == "Balitiyskiy III"
    assert [(i.type, i.value) for i in ship.identifiers] == [(IdentifierType.IMO, "7612448")]
    assert ship.properties["vessel_type"] == "General Cargo / Multi Purpose"
    assert ship.properties["year_built"] == "1980"
    assert ship.birth_dates == ()
    assert ship.programs == ("Russia",)
    assert ship.listed_on == "2025-02-21"


def test_parse_real_people_with_aliases_and_birth_dates(real: tuple[list[Entity], ParseReport]) -> None:
    by_id = {e.upstream_id: e for e in real[0]}
    leusik = by_id["belarus.1-part-1.116"]
    assert (leusik.name.full, leusik.name.given, leusik.name.patronymic, leusik.name.family) == (
        "Hanna Borisovna LEUSIK",
        "Hanna",
        "Borisovna",
        "LEUSIK",
    )
    assert [(a.full, a.script, a.lang) for a in leusik.aliases] == [
        ("Hanna Borisovna Liavusik", "Latn", None),
        ("Anna Borisovna Leusik", "Latn", None),
        ("Ганна Барысаўна Лявусiк", "Cyrl", "be"),
        ("Анна Борисовна Леусик", "Cyrl", "ru"),
    ]
    assert leusik.birth_dates == (DateSpec("1973-10-07", raw="1973-10-07"),)
    rahpeik = by_id["iran.1-part-2-1.107"]
    assert [d.start for d in rahpeik.birth_dates] == ["1963", "1964"]  # "1963 or 1964"
    assert by_id["russia.1-part-1.1114"].remarks == ("Date of birth: Sep-99",)
    syria = [e for e in real[0] if e.titles == ("Major General/major-général",)]
    assert syria
    assert all(e.kind is EntityKind.PERSON for e in syria)


def test_parse_real_is_deterministic_and_round_trips(real_bytes: bytes, real: tuple[list[Entity], ParseReport]) -> None:
    again, _ = _parse(real_bytes)
    assert again == real[0]
    for e in real[0][:500]:
        assert entity_from_dict(orjson.loads(orjson.dumps(entity_to_dict(e)))) == e


def test_parse_sample_kinds_keys_and_aliases() -> None:
    entities, report = _parse(SAMPLE.read_bytes())
    by_id = {e.upstream_id: e for e in entities}
    person = by_id["russia.1-part-1.9001"]
    assert [(a.full, a.quality, a.lang) for a in person.aliases] == [
        ("Petr Obraztsov", NameQuality.STRONG, None),
        ("Piotr OBRAZCOV", NameQuality.STRONG, None),
        ("Пётр Иванович Образцов", NameQuality.STRONG, "ru"),
        ("Petya", NameQuality.WEAK, None),
    ]
    assert [d.start for d in person.birth_dates] == ["1961-07-15", "1962"]
    assert by_id["russia.1-1.1"].kind is EntityKind.VESSEL
    barge = by_id["russia.1-1.2"]  # no IMO, but TitleOrShip names a ship type
    assert (barge.kind, barge.identifiers, barge.properties["vessel_type"]) == (EntityKind.VESSEL, (), "Barge")
    company = by_id["russia.1-part-2.501"]
    assert [a.full for a in company.aliases] == ["Образец Шиппинг, АО", "ОАО, Образец (ОШ, АО)"]
    jvcfor = by_id["jvcfor.7"]  # no Schedule: the key has two parts
    assert jvcfor.programs == ("Justice for Victims of Corrupt Foreign Officials Regulations (JVCFOR)",)
    assert jvcfor.titles == ("Colonel/colonel",)
    assert jvcfor.remarks == ("Date of birth: born in the early 1970s",)
    # Two records share Ukraine / Part 1 / item 12: each key gets a hash of its own content.
    twins = sorted(k for k in by_id if k.startswith("ukraine.part-1.12-"))
    assert len(twins) == 2
    assert {by_id[k].name.full for k in twins} == {"First Sample Company", "Second Sample Company"}
    reordered, _ = _parse(_reordered(SAMPLE.read_bytes(), seed=3))
    assert {e.id: e.name.full for e in reordered} == {e.id: e.name.full for e in entities}
    assert report.counts == {"person": 2, "vessel": 2, "organization": 3}


def test_stable_keys_number_identical_records_and_ignore_order() -> None:
    a = {"Country": "Iran", "Schedule": "Part 1", "Item": "3", "EntityOrShip": "A"}
    b = {"Country": "Iran", "Schedule": "Part 1", "Item": "3", "EntityOrShip": "B"}
    keys = stable_keys([a, b, dict(a)])
    assert len(set(keys)) == 3
    assert keys[2] == f"{keys[0]}~2"
    assert stable_keys([b, a])[0] == keys[1]
    assert record_key({"Country": "Syria / Syrie", "Schedule": "1,Part 3", "Item": "4"}) == "syria.1-part-3.4"


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Море Река Сервис, ООО", ["Море Река Сервис, ООО"]),
        ("RNRC, RNPK", ["RNRC", "RNPK"]),
        ("First in Moldova or Perviy Kanal Moldova", ["First in Moldova", "Perviy Kanal Moldova"]),
        ("Центральный институт (ЦНИИМаш, АО)", ["Центральный институт (ЦНИИМаш, АО)"]),
        ("Следственный Комитет or СКР)", ["Следственный Комитет", "СКР"]),
        ("Sudokhodnaya Kompaniya Azia LLC,\nAZSCO", ["Sudokhodnaya Kompaniya Azia LLC", "AZSCO"]),
    ],
)
def test_split_aliases_reads_canadian_alias_text(text: str, names: list[str]) -> None:
    assert split_aliases(text) == names


@pytest.mark.parametrize(
    "payload",
    [b"", b"<data-set><record><LastName>X</LastName>", b"<Designations/>", b"<data-set/>"],
    ids=["empty", "truncated", "wrong-root", "zero-records"],
)
def test_parse_rejects_incomplete_files(payload: bytes) -> None:
    with pytest.raises(ParseError):
        list(parse({RESOURCE: payload}))


def test_parse_rejects_hostile_xml() -> None:
    xxe = b'<!DOCTYPE data-set [<!ENTITY x SYSTEM "file:///etc/hostname">]><data-set>&x;</data-set>'
    with pytest.raises(HostileInputError):
        list(parse({RESOURCE: xxe}))
