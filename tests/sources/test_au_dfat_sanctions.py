"""The DFAT workbook parser against an excerpt of the real regulation8_consolidated.xlsx (2024-11; its real rows in
tests/fixtures/mirror, rewritten with openpyxl) and small workbooks built here."""

from __future__ import annotations

import io
import re
import time
import zipfile
from collections import Counter
from datetime import datetime

import openpyxl
import pytest

from service.errors import HostileInputError, ParseError
from service.model import Entity, EntityKind, IdentifierType, NameQuality, NameType
from service.sources import au_dfat_sanctions, get_parser
from service.sources.base import ParseReport
from tests.conftest import read_fixture_files

RESOURCE = "regulation8_consolidated.xlsx"
HEADER = (
    "Reference",
    "Name of Individual or Entity",
    "Type",
    "Name Type",
    "Date of Birth",
    "Place of Birth",
    "Citizenship",
    "Address",
    "Additional Information",
    "Listing Information",
    "Committees",
    "Control Date",
)


@pytest.fixture(scope="module")
def real_files() -> dict[str, bytes]:
    return read_fixture_files("au_dfat_sanctions")


@pytest.fixture(scope="module")
def parsed(real_files: dict[str, bytes]) -> tuple[dict[str, Entity], ParseReport, float]:
    report = ParseReport()
    started = time.perf_counter()
    entities = list(au_dfat_sanctions.parse(real_files, report))
    elapsed_s = time.perf_counter() - started
    by_ref = {e.upstream_id: e for e in entities}
    assert len(by_ref) == len(entities), "entity ids must be unique"
    return by_ref, report, elapsed_s


def _workbook(rows: list[tuple[object, ...]], header: tuple[str, ...] = HEADER) -> dict[str, bytes]:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return {RESOURCE: out.getvalue()}


def _one(rows: list[tuple[object, ...]]) -> Entity:
    entities = list(au_dfat_sanctions.parse(_workbook(rows)))
    assert len(entities) == 1
    return entities[0]


def _rezip(data: bytes, replace: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, replace.get(info.filename, src.read(info.filename)))
    return out.getvalue()


# --- the real file ------------------------------------------------------------------------------------------


def test_au_dfat_sanctions_counts_agree_with_the_workbook(
    real_files: dict[str, bytes], parsed: tuple[dict[str, Entity], ParseReport, float]
) -> None:
    by_ref, report, _ = parsed
    # Count independently of the parser: name rows, base references, Type of each primary row.
    wb = openpyxl.load_workbook(io.BytesIO(real_files[RESOURCE]), read_only=True)
    rows = [r[:4] for r in wb.worksheets[0].iter_rows(min_row=2, values_only=True) if r[0] is not None]
    wb.close()
    bases = {re.match(r"\d+", str(r[0]).strip())[0] for r in rows}  # type: ignore[index]
    kinds = Counter(str(r[2]).strip().lower() for r in rows if str(r[3]).strip().lower() == "primary name")

    assert len(rows) == report.counts["name_rows"] == 255
    assert len(bases) == len(by_ref) == report.counts["entities"] == 39
    assert set(by_ref) == bases
    got = Counter(e.kind for e in by_ref.values())
    assert got[EntityKind.PERSON] == kinds["individual"] == 31
    assert got[EntityKind.ORGANIZATION] == kinds["entity"] == 8
    assert got[EntityKind.VESSEL] == 0  # this edition lists ships' owners, never a ship
    names = sum(1 + len(e.aliases) for e in by_ref.values())
    assert 200 < names <= 255  # repeated names within one reference collapse
    assert report.warnings == []


def test_au_dfat_sanctions_published_at_is_the_docprops_stamp(
    parsed: tuple[dict[str, Entity], ParseReport, float],
) -> None:
    _, report, elapsed_s = parsed
    assert report.published_at == "2024-11-11T01:01:21Z"
    assert report.counts["published_at.docprops_modified"] == 1
    # Generous bound (the suite shares 2 cores); typical is 2-3 s.
    assert elapsed_s < 20


def test_au_dfat_sanctions_person_with_original_script_and_range_dates(
    parsed: tuple[dict[str, Entity], ParseReport, float],
) -> None:
    e = parsed[0]["2"]
    assert e.id == "au_dfat_sanctions:2"
    assert e.kind is EntityKind.PERSON
    assert e.name.full == "MOHAMMAD HASSAN AKHUND"
    assert [(a.full, a.type, a.script) for a in e.aliases] == [("محمد حسن أخوند", NameType.ORIGINAL_SCRIPT, "Arab")]
    assert [(d.start, d.end, d.circa) for d in e.birth_dates] == [("1955", "1958", True), ("1945", "1950", True)]
    assert e.birth_dates[0].raw == "Approximately 1955- 1958"
    assert e.citizenships == ("AF",)
    assert e.titles == ("Mullah", "Haji")
    assert e.positions[0] == "First Deputy, Council of Ministers under the Taliban regime"
    assert e.programs == ("1988 (Taliban)",)
    assert e.listed_on == "2001-01-25"
    assert e.properties["control_date"] == "2014-12-15"
    assert e.source is not None and e.source.fields["references"] == ["2", "2a"]
    assert e.remarks[0].startswith("Title: a) Mullah b) Haji.")


def test_au_dfat_sanctions_person_with_aliases_passport_and_several_dobs(
    parsed: tuple[dict[str, Entity], ParseReport, float],
) -> None:
    e = parsed[0]["11"]
    assert e.name.full == "Akhtar Mohammad Mansour Shah Mohammed"
    assert "Akhtar Muhammad Mansoor" in [a.full for a in e.aliases if a.type is NameType.AKA]
    assert [(d.start, d.circa) for d in e.birth_dates] == [("1960", True), ("1966", False)]
    passports = [(i.value, i.country) for i in e.identifiers if i.type is IdentifierType.PASSPORT]
    assert passports == [("SE-011697", "AF")]

    e = parsed[0]["34"]  # "OR1961825" and "OR 1961825" are one passport
    values = [i.value for i in e.identifiers if i.type is IdentifierType.PASSPORT]
    assert values == ["OR1961825", "TR024417"]
    assert [a.full for a in e.aliases if a.type is NameType.FKA] == ["Abdul Jalil Haqqani"]


def test_au_dfat_sanctions_date_cells_and_hijri_dates(parsed: tuple[dict[str, Entity], ParseReport, float]) -> None:
    by_ref, report, _ = parsed
    assert [d.start for d in by_ref["319"].birth_dates] == ["1967-04-29"]  # an Excel date cell
    # "c) 24/06/1402 (Hijri Calendar)" is not read as the year 1402; it stays in the raw fields.
    e = by_ref["1254"]
    assert [d.start for d in e.birth_dates] == ["1982-04-19", "1982-04-18"]
    assert e.source is not None and "Hijri" in str(e.source.fields["dob"])
    assert report.counts["dob_unparsed"] == 3  # the Hijri date, "Approximately (30-35 years old)", "10/061962"
    persons = [e for e in by_ref.values() if e.kind is EntityKind.PERSON]
    assert sum(1 for p in persons if p.birth_dates) == 29


def test_au_dfat_sanctions_entity_with_company_imo_and_addresses(
    parsed: tuple[dict[str, Entity], ParseReport, float],
) -> None:
    e = parsed[0]["2947"]
    assert e.kind is EntityKind.ORGANIZATION
    assert e.name.full == "OCEAN MARITIME MANAGEMENT COMPANY, LIMITED (OMM)"
    assert "East Sea Shipping Company" in [a.full for a in e.aliases]
    assert [(i.type, i.value) for i in e.identifiers] == [(IdentifierType.IMO_COMPANY, "1790183")]
    assert {a.country for a in e.addresses} == {"KP"}
    assert e.programs == ("1718 (DPRK)",)
    bank = parsed[0]["2780"]
    assert (IdentifierType.REGISTRATION, "1027800000084", "RU") in [
        (i.type, i.value, i.country) for i in bank.identifiers
    ]
    assert (IdentifierType.TAX_ID, "7831000122") in [(i.type, i.value) for i in bank.identifiers]


def test_au_dfat_sanctions_cyrillic_names_and_nationality_adjectives(
    parsed: tuple[dict[str, Entity], ParseReport, float],
) -> None:
    by_ref = parsed[0]
    scripts = Counter(n.script for e in by_ref.values() for n in e.all_names())
    assert scripts["Arab"] > 20 and scripts["Cyrl"] >= 5 and scripts["Hani"] >= 2
    codes = Counter(c for e in by_ref.values() for c in e.citizenships)
    assert codes["RU"] >= 4 and codes["UA"] >= 2  # "Russian", "Russian and Ukrainian", "Ukrainian"
    assert "NA" not in codes  # "na" placeholders are not Namibia


def test_au_dfat_sanctions_short_aliases_are_weak(parsed: tuple[dict[str, Entity], ParseReport, float]) -> None:
    e = parsed[0]["275"]
    weak = {a.full for a in e.aliases if a.quality is NameQuality.WEAK}
    assert weak == {"GI", "IG"}


# --- small workbooks ---------------------------------------------------------------------------------------


def test_au_dfat_sanctions_groups_rows_by_base_reference() -> None:
    rows = [
        (7, "JOHN DOE", "Individual", "Primary Name", "a) 1 Jan. 1960 b) 1962", None, "Russian and Ukrainian"),
        ("7a", "Ivan Doe", "Individual", "aka", "1 Jan. 1960", None, "Russian"),
        ("7a1", "Иван Доу", "Individual ", "Original script ", None),
        (
            8,
            "ACME LLC",
            "Entity",
            "Primary Name",
            None,
            None,
            None,
            "Moscow, Russia",
            "Tax ID No.: 7701234567 (Russia)",
        ),
        ("7b", "Johnny Doe (previously listed as)", "Individual", "aka"),
    ]
    entities = list(au_dfat_sanctions.parse(_workbook(rows)))
    assert [e.id for e in entities] == ["au_dfat_sanctions:7", "au_dfat_sanctions:8"]
    person, org = entities
    assert [(n.full, n.type) for n in person.all_names()] == [
        ("JOHN DOE", NameType.PRIMARY),
        ("Ivan Doe", NameType.AKA),
        ("Иван Доу", NameType.ORIGINAL_SCRIPT),
        ("Johnny Doe", NameType.FKA),
    ]
    assert [d.start for d in person.birth_dates] == ["1960-01-01", "1962"]
    assert person.citizenships == ("RU", "UA")
    assert org.kind is EntityKind.ORGANIZATION
    assert [(i.type, i.value, i.country) for i in org.identifiers] == [(IdentifierType.TAX_ID, "7701234567", "RU")]
    assert org.addresses[0].country == "RU"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Approximately 1955- 1958", [("1955", "1958", True)]),
        ("a) 16/11/1977; b) 16 Nov 1974", [("1977-11-16", None, False), ("1974-11-16", None, False)]),
        ("21/09/1964; alt DOB: 1962", [("1964-09-21", None, False), ("1962", None, False)]),
        ("a) 1/01/1968 b) 23-Apr-68", [("1968-01-01", None, False), ("1968-04-23", None, False)]),
        ("a) 03/1965; b) 04/1965", [("1965-03", None, False), ("1965-04", None, False)]),
        ("a) Between Aug. and Sep 1960", [("1960-08", "1960-09", False)]),
        ("29-Aprl-1967", [("1967-04-29", None, False)]),
        ("14. Jul 1960; 1961", [("1960-07-14", None, False), ("1961", None, False)]),
        (
            "25/10/1983 (as Ibrahim Sabawi)  1977 (as Muhammad Salman)",
            [("1983-10-25", None, False), ("1977", None, False)],
        ),
        (
            "01/10/1983,15/10/1983, 01/01/1980",
            [("1983-10-01", None, False), ("1983-10-15", None, False), ("1980-01-01", None, False)],
        ),
        ("approximately 1977/1978", [("1977", "1978", True)]),
        ("Approximately (30-35 years old)", []),
        ("c) 24/06/1402 (Hijri Calendar)", []),
        (1969, [("1969", None, False)]),
        (datetime(1967, 4, 29), [("1967-04-29", None, False)]),
    ],
)
def test_au_dfat_sanctions_reads_dob_cells(cell: object, expected: list[tuple[str, str | None, bool]]) -> None:
    e = _one([(1, "X Y", "Individual", "Primary Name", cell)])
    assert [(d.start, d.end, d.circa) for d in e.birth_dates] == expected


def test_au_dfat_sanctions_published_at_falls_back_to_the_latest_control_date() -> None:
    rows = [
        (1, "A B", "Individual", "Primary Name", None, None, None, None, None, None, None, datetime(2024, 3, 1)),
        ("1a", "C D", "Individual", "aka", None, None, None, None, None, None, None, datetime(2024, 5, 2)),
        (2, "E F", "Entity", "Primary Name", None, None, None, None, None, None, None, datetime(2023, 1, 9)),
    ]
    data = _workbook(rows)[RESOURCE]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != "docProps/core.xml":  # no document properties at all
                dst.writestr(info.filename, src.read(info.filename))
    report = ParseReport()
    entities = list(au_dfat_sanctions.parse({RESOURCE: out.getvalue()}, report))
    assert report.published_at == "2024-05-02"
    assert report.counts["published_at.latest_control_date"] == 1
    assert entities[0].properties["control_date"] == "2024-05-02"


def test_au_dfat_sanctions_unknown_name_type_is_an_alias_with_a_warning() -> None:
    report = ParseReport()
    entities = list(
        au_dfat_sanctions.parse(
            _workbook([(1, "A B", "Individual", "Primary Name"), ("1a", "C D", "Individual", "Nickname")]), report
        )
    )
    assert entities[0].aliases[0].type is NameType.AKA
    assert any("Nickname" in w for w in report.warnings)


def test_au_dfat_sanctions_list_id_argument_stamps_ids() -> None:
    e = next(get_parser("au_dfat_sanctions")(_workbook([(5, "A B", "Entity", "Primary Name")]), list_id="au_test"))
    assert (e.id, e.list_id) == ("au_test:5", "au_test")


def test_au_dfat_sanctions_missing_column_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="name_type"):
        list(au_dfat_sanctions.parse(_workbook([(1, "A", "Individual")], header=HEADER[:3])))


# --- damaged and hostile files -----------------------------------------------------------------------------


def test_au_dfat_sanctions_truncated_workbook_is_a_parse_error(real_files: dict[str, bytes]) -> None:
    data = real_files[RESOURCE]
    with pytest.raises(ParseError, match="not a readable XLSX"):
        list(au_dfat_sanctions.parse({RESOURCE: data[: len(data) // 2]}))


def test_au_dfat_sanctions_missing_or_non_zip_resource_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        list(au_dfat_sanctions.parse({}))
    with pytest.raises(ParseError, match="not a readable XLSX"):
        list(au_dfat_sanctions.parse({RESOURCE: b"<html>Service unavailable</html>"}))


def test_au_dfat_sanctions_corrupt_member_is_a_parse_error() -> None:
    data = _workbook([(1, "A B", "Individual", "Primary Name")])[RESOURCE]
    with pytest.raises(ParseError, match="damaged workbook"):
        list(au_dfat_sanctions.parse({RESOURCE: _rezip(data, {"xl/worksheets/sheet1.xml": b"<worksheet><sheetData"})}))


def test_au_dfat_sanctions_zip_bomb_is_refused_before_inflating() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (8 * 1024 * 1024))  # 8 MiB -> about 8 KB
    with pytest.raises(HostileInputError, match="compressed"):
        list(au_dfat_sanctions.parse({RESOURCE: out.getvalue()}))


def test_au_dfat_sanctions_too_many_members_is_hostile() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for i in range(au_dfat_sanctions.MAX_XLSX_MEMBERS + 1):
            zf.writestr(f"m{i}", b"")
    with pytest.raises(HostileInputError, match="zip members"):
        list(au_dfat_sanctions.parse({RESOURCE: out.getvalue()}))


def test_au_dfat_sanctions_total_size_cap(monkeypatch: pytest.MonkeyPatch, real_files: dict[str, bytes]) -> None:
    # A cap one byte below what the workbook inflates to must refuse it (the cap itself is 256 MiB).
    with zipfile.ZipFile(io.BytesIO(real_files[RESOURCE])) as z:
        inflated = sum(m.file_size for m in z.infolist())
    monkeypatch.setattr(au_dfat_sanctions, "MAX_XLSX_UNCOMPRESSED_BYTES", inflated - 1)
    with pytest.raises(HostileInputError, match="inflates to"):
        list(au_dfat_sanctions.parse(real_files))


def test_au_dfat_sanctions_entity_expansion_inside_the_workbook_is_hostile() -> None:
    assert openpyxl.DEFUSEDXML is True  # openpyxl picks defusedxml up when it is installed
    data = _workbook([(1, "A B", "Individual", "Primary Name")])[RESOURCE]
    member = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        sheet = zf.read(member).decode()
    bomb = '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
    sheet = bomb + sheet.replace(">A B<", ">&b;<")
    with pytest.raises(HostileInputError, match="hostile XML"):
        list(au_dfat_sanctions.parse({RESOURCE: _rezip(data, {member: sheet.encode()})}))


def test_au_dfat_sanctions_refuses_to_read_without_defusedxml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openpyxl, "DEFUSEDXML", False)
    with pytest.raises(ParseError, match="defusedxml"):
        list(au_dfat_sanctions.parse(_workbook([(1, "A B", "Individual", "Primary Name")])))
