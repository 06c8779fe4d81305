"""The consolidated non-SDN CSV set parsed for real: the excerpt in tests/fixtures/mirror/us_ofac_cons (cut from the
set of about 2025-12 in ../shared; the whole files' figures are checked by tests/sync/test_worker.py)."""

from __future__ import annotations

import csv
import io
from collections import Counter

import pytest

from service.errors import ParseError
from service.model import Entity, EntityKind, IdentifierType, NameQuality, NameType
from service.sources import ParseReport, us_ofac_cons
from tests.conftest import read_fixture_files


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return read_fixture_files("us_ofac_cons")


@pytest.fixture(scope="module")
def parsed(files: dict[str, bytes]) -> tuple[dict[str, Entity], ParseReport]:
    report = ParseReport()
    return {e.id: e for e in us_ofac_cons.parse(files, report)}, report


def rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("ascii").rstrip("\x1a"), newline="")))


def test_us_ofac_cons_counts_by_kind_agree_with_the_file(
    files: dict[str, bytes], parsed: tuple[dict[str, Entity], ParseReport]
) -> None:
    entities, report = parsed
    types = Counter(r[2].strip() for r in rows(files["cons_prim.csv"]))
    assert types == {"individual": 12, "-0-": 15}
    kinds = Counter(e.kind for e in entities.values())
    assert kinds == {EntityKind.PERSON: 12, EntityKind.ORGANIZATION: 15}
    assert len(entities) == report.counts["entities"] == 27
    assert all(e.id.startswith("us_ofac_cons:") for e in entities.values())


def test_us_ofac_cons_set_is_consistent(files: dict[str, bytes], parsed: tuple[dict[str, Entity], ParseReport]) -> None:
    _, report = parsed
    # Unlike the SDN mirror, the four consolidated files are from one publication: nothing is orphaned and every
    # comments row continues a remark cut at 1000 characters.
    assert report.counts["orphan_addresses"] == report.counts["orphan_aliases"] == 0
    assert report.counts["orphan_comments"] == 0
    assert report.counts["comments_joined"] == len(rows(files["cons_comments.csv"])) == 10
    assert report.warnings == []


def test_us_ofac_cons_person_with_weak_and_strong_aliases(parsed: tuple[dict[str, Entity], ParseReport]) -> None:
    person = parsed[0]["us_ofac_cons:9647"]
    assert (person.name.family, person.name.given) == ("ZAHHAR", "Mahmoud Khaled")
    assert [(a.full, a.type, a.quality) for a in person.aliases] == [
        ("ZAHAR, Mahmoud", NameType.AKA, NameQuality.WEAK),
        ("AL-ZAHAR, Mahmoud", NameType.AKA, NameQuality.WEAK),
        ("AL ZAHAR, Mahmoud Khaled", NameType.AKA, NameQuality.STRONG),
    ]
    assert [d.start for d in person.birth_dates] == ["1945"]
    assert person.birth_places == ("Gaza Strip",)
    assert person.nationalities == ("PS",)  # OFAC writes "Palestinian"
    assert person.programs == ("SDGT", "NS-PLC")
    # HAMAS is on the SDN list, not this one: the link keeps the name, unresolved.
    assert [(lk.name, lk.target_id) for lk in person.links] == [("HAMAS", None)]


def test_us_ofac_cons_bank_identifiers_and_properties(parsed: tuple[dict[str, Entity], ParseReport]) -> None:
    bank = parsed[0]["us_ofac_cons:17015"]
    ids = {(i.type, i.value, i.country) for i in bank.identifiers}
    assert {
        (IdentifierType.SWIFT_BIC, "BFEARUMM", None),
        (IdentifierType.TAX_ID, "7750004150", "RU"),
        (IdentifierType.REGISTRATION, "1077711000102", "RU"),
    } <= ids
    assert bank.properties["established"] == "1922-08-18"
    assert bank.properties["target_type"] == "State-Owned Enterprise; Financial Institution"
    assert "Executive Order 13662 Directive Determination - Subject to Directive 1" in bank.remarks


def test_us_ofac_cons_parse_is_deterministic(
    files: dict[str, bytes], parsed: tuple[dict[str, Entity], ParseReport]
) -> None:
    assert list(us_ofac_cons.parse(files)) == list(parsed[0].values())


def test_us_ofac_cons_wrong_column_count_raises(files: dict[str, bytes]) -> None:
    first, rest = files["cons_alt.csv"].split(b"\r\n", 1)
    bad = first + b',"extra"\r\n' + rest
    with pytest.raises(ParseError, match=r"cons_alt\.csv: line 1 has 6 columns, expected 5"):
        list(us_ofac_cons.parse({**files, "cons_alt.csv": bad}))


def test_us_ofac_cons_truncated_primary_raises(files: dict[str, bytes]) -> None:
    data = files["cons_prim.csv"]
    with pytest.raises(ParseError, match=r"cons_prim\.csv"):
        list(us_ofac_cons.parse({**files, "cons_prim.csv": data[: len(data) // 3]}))


def test_us_ofac_cons_non_numeric_ent_num_raises(files: dict[str, bytes]) -> None:
    html = b"<html><body>Service unavailable, please retry</body></html>\r\n"
    with pytest.raises(ParseError):
        list(us_ofac_cons.parse({**files, "cons_prim.csv": html}))
