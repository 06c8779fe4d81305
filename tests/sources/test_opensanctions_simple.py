"""The targets.simple.csv parser: on a hand-made sample of the format (tests/fixtures; OpenSanctions data is
CC BY-NC, so no excerpt of it is committed) and against the real "Ukraine War and Sanctions" export in ../shared
(2026-03-13, 5,600 rows)."""

from __future__ import annotations

import csv
import io
from collections import Counter

import pytest

from service.errors import ConfigError, ParseError
from service.model import Entity, EntityKind, IdentifierType, NameType
from service.sources import get_parser, opensanctions_simple
from service.sources.base import ParseReport
from tests.conftest import FIXTURES, read_list_file

FILE = "opensanctions/ua_war_sanctions_2026-03-13/targets.simple.csv"
HEADER = "id,schema,name,aliases,birth_date,countries,addresses,identifiers,sanctions,phones,emails,program_ids\n"


@pytest.fixture(scope="module")
def real() -> bytes:
    return read_list_file(FILE)


def _parse_file(data: bytes, list_id: str) -> tuple[dict[str, Entity], ParseReport]:
    report = ParseReport()
    entities = list(opensanctions_simple.parse({"targets.simple.csv": data}, report, list_id=list_id))
    return {e.upstream_id: e for e in entities}, report


@pytest.fixture(scope="module")
def parsed(real: bytes) -> tuple[dict[str, Entity], ParseReport]:
    return _parse_file(real, "ua_war_sanctions")


@pytest.fixture(scope="module")
def sample() -> tuple[dict[str, Entity], ParseReport]:
    return _parse_file((FIXTURES / "opensanctions_simple_sample.csv").read_bytes(), "sample")


def _parse(text: str) -> list[Entity]:
    return list(opensanctions_simple.parse({"targets.simple.csv": text.encode()}, list_id="os"))


def test_opensanctions_simple_counts_agree_with_the_file(
    real: bytes, parsed: tuple[dict[str, Entity], ParseReport]
) -> None:
    by_id, report = parsed
    rows = list(csv.DictReader(io.StringIO(real.decode("utf-8"), newline="")))
    schemas = Counter(r["schema"] for r in rows)
    assert len(rows) == len(by_id) == report.counts["entities"] == 5600
    kinds = Counter(e.kind for e in by_id.values())
    assert kinds[EntityKind.PERSON] == schemas["Person"] == 1543
    assert kinds[EntityKind.VESSEL] == schemas["Vessel"] == 1340
    assert kinds[EntityKind.ORGANIZATION] == schemas["Company"] + schemas["LegalEntity"] == 2717
    assert report.published_at == "2026-03-13T05:41:01"
    idents = Counter(i.type for e in by_id.values() for i in e.identifiers)
    assert idents[IdentifierType.IMO] == 1337  # three of the 1,340 vessels have no IMO number
    assert idents[IdentifierType.IMO_COMPANY] == 1515


def test_opensanctions_simple_sample_reads_every_party_row() -> None:
    data = (FIXTURES / "opensanctions_simple_sample.csv").read_bytes()
    by_id, report = _parse_file(data, "sample")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
    parties = [r for r in rows if r["schema"] in ("Person", "Company", "LegalEntity", "Vessel")]
    assert parties and sorted(by_id) == sorted(r["id"] for r in parties)
    assert report.counts["skipped.Address"] == sum(1 for r in rows if r["schema"] == "Address") == 1
    assert report.published_at == "2026-03-13T05:41:01"


def test_opensanctions_simple_vessel_with_aliases_and_flags(sample: tuple[dict[str, Entity], ParseReport]) -> None:
    e = sample[0]["NK-sampleVessel0001"]
    assert (e.id, e.kind, e.name.full) == ("sample:NK-sampleVessel0001", EntityKind.VESSEL, "NORTHERN EXAMPLE")
    assert [a.full for a in e.aliases] == ["Example Sea", "Sample Star", "Testwind"]
    assert [(i.type, i.value) for i in e.identifiers] == [(IdentifierType.IMO, "9074729")]
    assert e.countries == ("LR", "PA", "SG")
    assert e.programs == ("UA-WS-MARE",)
    company = sample[0]["NK-sampleCompany001"]
    assert [(i.type, i.value) for i in company.identifiers] == [(IdentifierType.IMO_COMPANY, "6500001")]


def test_opensanctions_simple_person_with_cyrillic_aliases(sample: tuple[dict[str, Entity], ParseReport]) -> None:
    e = sample[0]["NK-samplePerson0001"]
    assert e.name.full == "EXAMPLEVA Ilona Petrovna"
    assert [(a.full, a.type, a.script) for a in e.aliases] == [
        ("ЭКЗАМПЛЕВА Илона Петровна", NameType.AKA, "Cyrl"),
        ("ЕКЗАМПЛЕВА Ілона Петрівна", NameType.AKA, "Cyrl"),
    ]
    assert [d.start for d in e.birth_dates] == ["1987-09-14"]
    assert [(i.type, i.value) for i in e.identifiers] == [(IdentifierType.OTHER, "773000000001")]
    assert e.remarks == ("Invented record for the parser tests, no such person",)


def test_opensanctions_simple_sanction_text_keeps_its_semicolons(
    sample: tuple[dict[str, Entity], ParseReport],
) -> None:
    # The sanctions cell is a ;-joined list whose items are CSV-quoted: '""' is no item, a quoted item keeps ';'.
    by_id = sample[0]
    assert not by_id["NK-sampleVessel0001"].remarks and not by_id["NK-sampleCompany001"].remarks
    [institute] = by_id["NK-sampleLegal00001"].remarks
    assert institute.startswith("An invented institute whose main activities are:")
    assert "example facilities;\n- development of small test devices." in institute


def test_opensanctions_simple_real_export_keeps_its_quirks(parsed: tuple[dict[str, Entity], ParseReport]) -> None:
    by_id = parsed[0]
    vessel = by_id["NK-24cf2zYe7LEKhr2zFck73j"]
    assert [a.full for a in vessel.aliases] == ["Ceram Sea", "Gold Sun", "Nurkez"] and vessel.countries == (
        "LR",
        "PA",
        "SG",
        "ST",
    )
    assert sum(1 for e in by_id.values() if not e.remarks) == 3266
    [gosniip] = by_id["NK-2RgKvhQa6p7oUeeCT27wAP"].remarks
    assert "civilian facilities;\n- research and development of algorithms" in gosniip


def test_opensanctions_simple_needs_the_list_id() -> None:
    with pytest.raises(ConfigError):
        list(get_parser("opensanctions_simple")({"targets.simple.csv": HEADER.encode()}))


@pytest.mark.parametrize(
    "text",
    [
        "id,name\na,B\n",  # no schema column
        HEADER + "a,Person,,,,,,,,,,\n",  # no name
        HEADER + "a,Person,A,,,,,,,,,,extra\n",  # more cells than columns
        HEADER,  # no rows
        HEADER + 'a,Person,"A\n',  # unterminated quote
    ],
)
def test_opensanctions_simple_malformed_files_are_parse_errors(text: str) -> None:
    with pytest.raises(ParseError):
        _parse(text)


def test_opensanctions_simple_skips_rows_of_other_schemata() -> None:
    report = ParseReport()
    text = HEADER + "a,Person,Ann Example,,,,,,,,,\nb,Address,Main St 1,,,,,,,,,\n"
    entities = list(opensanctions_simple.parse({"targets.simple.csv": text.encode()}, report, list_id="os"))
    assert [e.id for e in entities] == ["os:a"]
    assert report.counts["skipped.Address"] == 1
