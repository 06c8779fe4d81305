"""The targets.simple.csv parser against the real "Ukraine War and Sanctions" export (2026-03-13, 5,600 rows)."""

from __future__ import annotations

import csv
import io
from collections import Counter

import pytest

from service.errors import ConfigError, ParseError
from service.model import Entity, EntityKind, IdentifierType, NameType
from service.sources import get_parser, opensanctions_simple
from service.sources.base import ParseReport
from tests.conftest import read_list_file

FILE = "opensanctions/ua_war_sanctions_2026-03-13/targets.simple.csv"
HEADER = "id,schema,name,aliases,birth_date,countries,addresses,identifiers,sanctions,phones,emails,program_ids\n"


@pytest.fixture(scope="module")
def real() -> bytes:
    return read_list_file(FILE)


@pytest.fixture(scope="module")
def parsed(real: bytes) -> tuple[dict[str, Entity], ParseReport]:
    report = ParseReport()
    entities = list(opensanctions_simple.parse({"targets.simple.csv": real}, report, list_id="ua_war_sanctions"))
    return {e.upstream_id: e for e in entities}, report


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


def test_opensanctions_simple_vessel_with_aliases_and_flags(parsed: tuple[dict[str, Entity], ParseReport]) -> None:
    e = parsed[0]["NK-24cf2zYe7LEKhr2zFck73j"]
    assert (e.id, e.kind, e.name.full) == ("ua_war_sanctions:NK-24cf2zYe7LEKhr2zFck73j", EntityKind.VESSEL, "ROSALIN")
    assert [a.full for a in e.aliases] == ["Ceram Sea", "Gold Sun", "Nurkez"]
    assert [(i.type, i.value) for i in e.identifiers] == [(IdentifierType.IMO, "9253325")]
    assert e.countries == ("LR", "PA", "SG", "ST")
    assert e.programs == ("UA-WS-MARE",)


def test_opensanctions_simple_person_with_cyrillic_aliases(parsed: tuple[dict[str, Entity], ParseReport]) -> None:
    e = parsed[0]["NK-29dGPcB5CxPwUQt4N3ZVEj"]
    assert e.name.full == "USPENSKAYA Olesya Igorevna"
    assert [(a.full, a.type, a.script) for a in e.aliases] == [
        ("УСПЕНСКАЯ Олеся Игоревна", NameType.AKA, "Cyrl"),
        ("УСПЕНСЬКА Олеся Ігорівна", NameType.AKA, "Cyrl"),
    ]
    assert [d.start for d in e.birth_dates] == ["1987-09-14"]
    assert [(i.type, i.value) for i in e.identifiers] == [(IdentifierType.OTHER, "773006863179")]
    assert e.remarks[0].startswith("Carried out an illegal cultural and chronological determination")


def test_opensanctions_simple_sanction_text_keeps_its_semicolons(
    parsed: tuple[dict[str, Entity], ParseReport],
) -> None:
    # The sanctions cell is a ;-joined list whose items are CSV-quoted: '""' is no item, a quoted item keeps ';'.
    by_id = parsed[0]
    assert sum(1 for e in by_id.values() if not e.remarks) == 3266
    [gosniip] = by_id["NK-2RgKvhQa6p7oUeeCT27wAP"].remarks
    assert gosniip.startswith("A russian research institute whose main activities are:")
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
