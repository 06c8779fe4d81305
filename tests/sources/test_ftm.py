"""The generic FtM parser against yente's real 7-entity export and a hand-written sample with every satellite schema."""

from __future__ import annotations

import pytest

from service.errors import ConfigError, ParseError
from service.model import Entity, EntityKind, IdentifierType, Link, NameQuality, NameType
from service.sources import ftm, get_parser
from service.sources.base import ParseReport
from tests.conftest import FIXTURES, read_list_file

LIST_ID = "opensanctions_sample"


def _parse(data: bytes, list_id: str = LIST_ID) -> tuple[dict[str, Entity], ParseReport]:
    report = ParseReport()
    entities = list(ftm.parse({"entities.ftm.json": data}, report, list_id=list_id))
    return {e.upstream_id: e for e in entities}, report


@pytest.fixture(scope="module")
def sample() -> tuple[dict[str, Entity], ParseReport]:
    return _parse((FIXTURES / "opensanctions_ftm_sample.ftm.json").read_bytes())


def _idents(e: Entity) -> list[tuple[IdentifierType, str, str | None]]:
    return [(i.type, i.value, i.country) for i in e.identifiers]


# --- the real yente fixture ------------------------------------------------------------------------------------


def test_ftm_reads_the_yente_fixture() -> None:
    by_id, report = _parse(read_list_file("opensanctions/fixtures_yente/t1_entities.ftm.json"), "opensanctions_t1")
    # 7 records: 4 persons and 2 organizations are targets; one Address is not (and no target refers to it).
    assert report.counts["records"] == 7
    assert len(by_id) == report.counts["entities"] == 6
    assert report.counts["kind.person"] == 4 and report.counts["kind.organization"] == 2
    assert report.published_at == "2024-06-01T10:57:03"
    # Both organizations point at addr-... ids that the export left out.
    assert report.counts["address_refs_unresolved"] == 2

    e = by_id["NK-2Ka3UvopqbpZmVDFjWd4LA"]
    assert e.id == "opensanctions_t1:NK-2Ka3UvopqbpZmVDFjWd4LA" and e.list_id == "opensanctions_t1"
    assert e.kind is EntityKind.PERSON
    assert (e.name.full, e.name.given, e.name.family) == ("Vitaly Yurievich KUZMENKO", "Vitaly", "KUZMENKO")
    assert "Виталий Юрьевич КУЗЬМЕНКО" in [a.full for a in e.aliases if a.script == "Cyrl"]
    assert _idents(e) == [(IdentifierType.TAX_ID, "366510784303", None)]
    assert [d.start for d in e.birth_dates] == ["1971-01-22"]
    assert (e.nationalities, e.gender, e.listed_on) == (("RU",), "male", "2024-02-23")
    assert e.source is not None and "ch-seco-72953" in e.source.fields["referents"]  # type: ignore[operator]

    irgc = by_id["NK-2PacmNpiLUmoz4XD2mSt7A"]
    assert irgc.kind is EntityKind.ORGANIZATION
    assert [n.full for n in irgc.all_names()] == ["IRGC", "Iranian Revolutionary Guard Corps"]
    assert irgc.countries == ("IR",)
    tobacco = by_id["NK-2GdmHtZTeNXjNVrBGEXZNj"]
    assert tobacco.name.full == "RAB „Inter Tobacco“"  # the export's caption
    assert len(tobacco.aliases) == 11
    assert {a.script for a in tobacco.aliases} == {"Latn", "Cyrl", "Grek"}
    assert _idents(tobacco) == [(IdentifierType.REGISTRATION, "808000714", None)]


# --- the hand-written sample -------------------------------------------------------------------------------------


def test_ftm_sample_keeps_targets_of_party_schemata_only(sample: tuple[dict[str, Entity], ParseReport]) -> None:
    by_id, report = sample
    assert set(by_id) == {"NK-person-1", "NK-company-1", "NK-vessel-1", "NK-operator-1", "NK-airplane-1"}
    assert report.counts["skipped_target.Address"] == 1
    assert report.counts["links_unresolved"] == 1  # the Associate points at an id the file lacks
    assert report.published_at == "2025-03-01T06:00:00"


def test_ftm_person_with_sanctions_documents_and_posts(sample: tuple[dict[str, Entity], ParseReport]) -> None:
    e = sample[0]["NK-person-1"]
    assert e.kind is EntityKind.PERSON
    n = e.name
    assert (n.full, n.given, n.patronymic, n.family) == ("Ivan Petrovich SIDOROV", "Ivan", "Petrovich", "SIDOROV")
    assert [(a.full, a.type, a.quality, a.script) for a in e.aliases] == [
        ("Иван Петрович СИДОРОВ", NameType.AKA, NameQuality.STRONG, "Cyrl"),
        ("Ivan Sidorov", NameType.AKA, NameQuality.STRONG, "Latn"),
        ("Ivan Petrovich KOZLOV", NameType.FKA, NameQuality.STRONG, "Latn"),
        ("Vanya", NameType.AKA, NameQuality.WEAK, "Latn"),
    ]
    assert _idents(e) == [
        (IdentifierType.PASSPORT, "7512345678", "RU"),
        (IdentifierType.TAX_ID, "772512345678", "RU"),
        (IdentifierType.CRYPTO, "bc1qexamplewallet0000000000000000000000", None),
    ]
    assert [d.start for d in e.birth_dates] == ["1965-03-14", "1966"]
    assert (e.nationalities, e.citizenships, e.gender, e.titles) == (("RU",), ("RU", "CY"), "male", ("General",))
    assert e.positions == ("Deputy Minister of Defence", "Member of the Security Council of the Russian Federation")
    # The second Sanction names the person by a referent id (gb-hmt-15000): it resolves all the same.
    assert e.programs == ("EU restrictive measures in respect of actions undermining Ukraine", "Russia")
    assert e.properties["program_ids"] == "EU-UKR"
    assert e.properties["topics"] == "sanction; role.pep"
    assert e.listed_on == "2022-02-28"
    assert any(r.startswith("Sanction: authority: Council of the European Union") for r in e.remarks)
    assert "Listed for supporting actions undermining Ukraine." in e.remarks
    assert [(a.full, a.city, a.postal_code, a.country) for a in e.addresses] == [
        ("ul. Znamenka 19, 119019 Moscow, Russia", "Moscow", "119019", "RU"),
        ("Moscow, Russia", None, None, None),
    ]
    # The son is not a target: only a link name, never an entity of his own.
    assert e.links == (
        Link("family", "Petr Ivanovich SIDOROV", None),
        Link("director_of", "Blue Ocean Shipping LLC", f"{LIST_ID}:NK-company-1"),
    )


def test_ftm_company_owning_a_vessel(sample: tuple[dict[str, Entity], ParseReport]) -> None:
    company, vessel = sample[0]["NK-company-1"], sample[0]["NK-vessel-1"]
    assert company.kind is EntityKind.ORGANIZATION
    assert _idents(company) == [
        (IdentifierType.TAX_ID, "7701234567", None),
        (IdentifierType.REGISTRATION, "1027700123456", None),
        (IdentifierType.SWIFT_BIC, "BOSHRUMM", None),
        (IdentifierType.IMO_COMPANY, "5912345", None),  # imoNumber on a company is its owner number
    ]
    assert company.countries == ("RU",)
    assert company.properties["incorporation_date"] == "2004-06-01"
    assert Link("owns", "SEA STAR", f"{LIST_ID}:NK-vessel-1") in company.links
    assert Link("director", "Ivan Petrovich SIDOROV", f"{LIST_ID}:NK-person-1") in company.links

    assert vessel.kind is EntityKind.VESSEL
    assert _idents(vessel) == [
        (IdentifierType.IMO, "9123453", None),
        (IdentifierType.MMSI, "273123456", None),
        (IdentifierType.CALL_SIGN, "UBCD7", None),
    ]
    assert [(a.full, a.type) for a in vessel.aliases] == [("OCEAN PEARL", NameType.FKA)]
    assert vessel.countries == ("RU",)
    assert (vessel.properties["type"], vessel.properties["build_date"]) == ("Oil Tanker", "2005")
    assert vessel.links == (Link("owner", "Blue Ocean Shipping LLC", f"{LIST_ID}:NK-company-1"),)


def test_ftm_airplane_with_tail_number_and_operator(sample: tuple[dict[str, Entity], ParseReport]) -> None:
    plane, operator = sample[0]["NK-airplane-1"], sample[0]["NK-operator-1"]
    assert plane.kind is EntityKind.AIRCRAFT
    assert _idents(plane) == [
        (IdentifierType.TAIL_NUMBER, "RA-78765", None),
        (IdentifierType.AIRCRAFT_MSN, "1023409321", None),
    ]
    assert (plane.properties["model"], plane.properties["manufacturer"]) == ("Il-76TD", "Ilyushin")
    assert plane.links == (Link("operator", "Sky Cargo JSC", f"{LIST_ID}:NK-operator-1"),)
    assert operator.links == (Link("operates", "Ilyushin Il-76TD RA-78765", f"{LIST_ID}:NK-airplane-1"),)


# --- errors ---------------------------------------------------------------------------------------------------


def test_ftm_bad_json_line_is_a_parse_error_with_its_line_number() -> None:
    lines = (FIXTURES / "opensanctions_ftm_sample.ftm.json").read_bytes().splitlines(keepends=True)
    broken = b"".join([*lines[:2], b'{"id": "x", "schema": "Person", \n', *lines[2:]])
    with pytest.raises(ParseError, match="line 3"):
        _parse(broken)


def test_ftm_record_without_schema_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="line 2: not an FtM entity"):
        _parse(b'{"id": "a", "schema": "Person", "properties": {"name": ["A"]}}\n[1, 2]\n')


def test_ftm_empty_export_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        _parse(b"\n\n")


def test_ftm_needs_the_list_id() -> None:
    with pytest.raises(ConfigError, match="list id"):
        list(get_parser("ftm")({"entities.ftm.json": b'{"id": "a", "schema": "Person"}\n'}))


def test_ftm_records_without_target_flag_are_read_as_listed() -> None:
    by_id, _ = _parse(b'{"id": "a", "schema": "Person", "properties": {"name": ["Old Export"]}}\n')
    assert by_id["a"].name.full == "Old Export"
