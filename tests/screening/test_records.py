"""Counterparty files in every input format: mapping by default column names and --field, line numbers, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.model import EntityKind
from service.screening.records import InputError, parse_field_specs, read_file, sniff_delimiter
from tests.check.conftest import CHECK_FIXTURES


def _by_key(path: Path, **kw: object) -> dict[str | None, object]:
    fr = read_file(str(path), **kw)  # type: ignore[arg-type]
    return {r.key: r for r in fr.records}


def test_readers_csv_maps_default_columns_and_physical_lines() -> None:
    fr = read_file(str(CHECK_FIXTURES / "counterparties.csv"))
    assert fr.format == "csv"
    assert fr.mapping["name"] == ("name",)
    assert fr.mapping["identifiers"] == ("registration", "imo")
    assert fr.mapping["id"] == ("id",)
    by_key = {r.key: r for r in fr.records}
    assert len(fr.records) == 7  # the blank line is not a record
    # C-002's quoted note spans two physical lines, so every later row sits one line further down.
    assert [(r.key, r.line) for r in fr.records] == [
        ("C-001", 2),
        ("C-002", 3),
        ("C-003", 5),
        ("C-004", 6),
        ("C-005", 7),
        ("C-006", 8),
        ("C-007", 10),
    ]
    vessel = by_key["C-003"].query
    assert (vessel.name, vessel.kind, vessel.identifiers) == ("Ark III", EntityKind.VESSEL, ("9187655",))
    aircraft = by_key["C-004"].query
    assert aircraft.kind is EntityKind.AIRCRAFT and aircraft.identifiers == ("RA-76842",)
    assert aircraft.countries == ("RU",)
    person = by_key["C-006"].query
    assert person.kind is EntityKind.PERSON and person.birth_date == "1984-02-29"


def test_readers_csv_semicolon_needs_field_mapping(tmp_path: Path) -> None:
    path = CHECK_FIXTURES / "vendors_semicolon.csv"
    with pytest.raises(InputError, match=r"no usable name or identifier column.*Beneficiary"):
        read_file(str(path))
    fields = parse_field_specs(["name=Beneficiary", "identifiers=Aircraft Reg", "kind=category", "id=vendor no"])
    fr = read_file(str(path), overrides=fields)
    assert fr.columns == ("Vendor No", "Beneficiary", "Category", "Aircraft Reg", "Country")
    recs = {r.key: r for r in fr.records}
    assert recs["V-102"].query.identifiers == ("EP-GOM",)
    assert recs["V-102"].line == 4
    assert recs["V-100"].query.kind is EntityKind.ORGANIZATION
    assert recs["V-100"].query.countries == ("CD",)


def test_readers_field_unknown_column_is_a_usage_error() -> None:
    fields = parse_field_specs(["name=Supplier Name"])
    with pytest.raises(InputError, match=r"--field name=Supplier Name: no such column; columns are: id, name"):
        read_file(str(CHECK_FIXTURES / "counterparties.csv"), overrides=fields)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("name", "expected ROLE=COLUMN"),
        ("colour=Name", "unknown role 'colour'"),
        ("name=", "expected ROLE=COLUMN"),
    ],
)
def test_readers_field_spec_errors(spec: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_field_specs([spec])


def test_readers_field_identifiers_repeatable_and_aliases() -> None:
    assert parse_field_specs(["identifier=IMO", "identifiers=Tail", "dob=Born"]) == {
        "identifiers": ("IMO", "Tail"),
        "birth_date": ("Born",),
    }
    with pytest.raises(InputError, match="given twice"):
        parse_field_specs(["name=A", "name=B"])


def test_readers_json_records_wrapper_lines_found_by_decoder() -> None:
    fr = read_file(str(CHECK_FIXTURES / "counterparties.json"))
    assert [(r.key, r.line) for r in fr.records] == [("J-1", 4), ("J-2", 9), ("J-3", 10)]
    # Name taken from whichever name column a record has; numbers keep their digits.
    j1, j2, j3 = fr.records
    assert j1.query.name == "Harbour Lights Catering"
    assert (j2.query.name, j2.query.kind, j2.query.identifiers) == ("OLYMPIA", EntityKind.VESSEL, ("1006960",))
    assert j3.query.kind is EntityKind.PERSON
    assert j3.query.birth_date == "1964-06-18"  # 18/06/1964, read day first
    assert j3.query.countries == ("KP",)  # "North Korea"


def test_readers_json_top_level_array_and_tricky_strings(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(
        '[{"name": "A [bracket], {brace}\\n", "imo": 9187655},\n\n {"name": "B \\"quoted\\" ]"},  {"name": "C"}\n]\n',
        encoding="utf-8",
    )
    fr = read_file(str(path))
    assert [(r.query.name, r.line) for r in fr.records] == [
        ("A [bracket], {brace}", 1),
        ('B "quoted" ]', 3),
        ("C", 3),
    ]


def test_readers_jsonl_line_numbers_skip_blank_lines() -> None:
    fr = read_file(str(CHECK_FIXTURES / "counterparties.jsonl"))
    assert [(r.key, r.line) for r in fr.records] == [("L-1", 1), ("L-2", 2), ("L-3", 4)]
    assert fr.records[2].query.name == "Skyline Charter"  # `operator` column
    assert fr.records[2].query.identifiers == ("RA-76842",)


def test_readers_yaml_lines_and_no_implicit_typing() -> None:
    fr = read_file(str(CHECK_FIXTURES / "counterparties.yaml"))
    assert [r.line for r in fr.records] == [2, 5, 9, 13]
    norway, mahan, ark, paek = (r.query for r in fr.records)
    assert norway.countries == ("NO",)  # not False: YAML 1.1 booleans are off
    assert mahan.countries == ("IR",) and mahan.kind is EntityKind.ORGANIZATION
    assert ark.identifiers == ("9187655",)
    assert paek.birth_date == "1964-06-18" and paek.countries == ("KP",)


def test_readers_multi_valued_cells_split_on_semicolon_and_pipe(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text('name,identifiers,countries\nX,"IMO 9187655; RA-76842|ROSYRU2P",RU|IR\n', encoding="utf-8")
    (rec,) = read_file(str(path)).records
    assert rec.query.identifiers == ("IMO 9187655", "RA-76842", "ROSYRU2P")
    assert rec.query.countries == ("RU", "IR")


def test_readers_unknown_type_and_bad_dates_warn(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text("name,type,dob\nA,supplier,not a date\nB,person,1970-13-45\nC,any,1970\n", encoding="utf-8")
    fr = read_file(str(path))
    assert [r.query.kind for r in fr.records] == [None, EntityKind.PERSON, None]
    assert [r.query.birth_date for r in fr.records] == [None, None, "1970"]
    assert any("unrecognised type value(s) 'supplier'" in w for w in fr.warnings)
    assert any("2 birth date(s) not readable" in w and "line 2" in w for w in fr.warnings)


def test_readers_records_without_name_or_identifier_are_not_screenable(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text("name,imo,notes\n , ,\n ,,a note only\nZ,,\n", encoding="utf-8")
    fr = read_file(str(path))
    assert [(r.line, r.is_screenable()) for r in fr.records] == [(3, False), (4, True)]  # line 2 is blank


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("latin1.csv", "name\nSoci\xe9t\xe9 G\xe9n\xe9rale\n".encode("latin-1"), r"latin1.csv:2: not valid UTF-8"),
        ("bad.json", b'[{"name": "A"},\n {"name": }]', r"bad.json:2: malformed JSON"),
        ("obj.json", b'{"name": "A"}', r"expected an array of objects"),
        ("scalars.json", b'["A", "B"]', r"scalars.json:1: expected an object"),
        ("bad.jsonl", b'{"name": "A"}\n{"name": "B"\n', r"bad.jsonl:2: malformed JSON line"),
        ("bad.yaml", b"- name: A\n  imo: [1, 2\n- name: B\n", r"bad.yaml:3: malformed YAML"),
        ("map.yaml", b"name: A\n", r"expected a list of mappings"),
        ("empty.csv", b"", r"empty file"),
        ("quotes.csv", b'name,imo\n"unterminated,1\n', r"malformed CSV"),
        ("data.xlsx", b"PK\x03\x04", r"cannot tell the format"),
    ],
)
def test_readers_malformed_files_are_data_errors(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_file(str(path))


def test_readers_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_file(str(tmp_path / "absent.csv"))
    folder = tmp_path / "dir.csv"
    folder.mkdir()
    with pytest.raises(InputError, match="is a directory"):
        read_file(str(folder))


def test_readers_input_format_overrides_extension(tmp_path: Path) -> None:
    path = tmp_path / "export.dat"
    path.write_text('{"name": "MAHAN AIR"}\n', encoding="utf-8")
    (rec,) = read_file(str(path), input_format="jsonl").records
    assert rec.query.name == "MAHAN AIR"


def test_readers_bom_and_tab_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    path.write_bytes("\ufeffName\tIMO Number\nArk III\t9187655\n".encode())
    fr = read_file(str(path))
    assert fr.columns == ("Name", "IMO Number")
    assert fr.records[0].query.identifiers == ("9187655",)


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [("a,b,c", ","), ("a;b;c", ";"), ("a\tb", "\t"), ("a|b|c", "|"), ('"x;y",b,c', ","), ("name", ",")],
)
def test_readers_sniff_delimiter_from_header(header: str, delimiter: str) -> None:
    assert sniff_delimiter(header) == delimiter


def test_readers_yaml_alias_bomb_does_not_expand(tmp_path: Path) -> None:
    levels = ['a0: &a0 ["IMO 9187655", "IMO 9187655", "IMO 9187655", "IMO 9187655", "IMO 9187655"]']
    levels += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 12)]
    path = tmp_path / "bomb.yaml"
    path.write_text("records:\n- name: X\n  identifiers: *a11\n" + "\n".join(levels) + "\n", encoding="utf-8")
    with pytest.raises(InputError):  # anchors must precede aliases: the bomb as written is refused...
        read_file(str(path))
    path.write_text("\n".join(levels) + "\nrecords:\n- name: X\n  identifiers: *a11\n", encoding="utf-8")
    (rec,) = read_file(str(path)).records  # ...and written properly it does not expand 5**12 strings
    assert rec.query.identifiers == ()
