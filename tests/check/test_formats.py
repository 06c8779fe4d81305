"""Every report format, produced from a real screening of the fixture files and read back by a parser or schema."""

from __future__ import annotations

import copy
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from service.check.formats import artifact_uri, escape_data, escape_property
from service.check.local import LocalScreener
from service.check.report import FailOn
from service.check.run import CheckOptions, run_check
from tests.check.conftest import CHECK_FIXTURES, SARIF_SCHEMA
from tests.conftest import ROOT

FILES = ("tests/fixtures/check/counterparties.csv", "tests/fixtures/check/counterparties.yaml")
# What the real lists hold for the fixture records (entity ids read from the OFAC SDN and UN files).
EXPECTED = {
    ("tests/fixtures/check/counterparties.csv", 3): "us_ofac_sdn:12927",  # MAHAN AIR
    ("tests/fixtures/check/counterparties.csv", 5): "us_ofac_sdn:15037",  # ARK III, IMO 9187655
    ("tests/fixtures/check/counterparties.csv", 6): "us_ofac_sdn:40182",  # tail number RA-76842
    ("tests/fixtures/check/counterparties.csv", 7): "us_ofac_sdn:16681",  # BANK ROSSIYA, SWIFT ROSYRU2P
    ("tests/fixtures/check/counterparties.yaml", 5): "us_ofac_sdn:12927",
    ("tests/fixtures/check/counterparties.yaml", 9): "us_ofac_sdn:15037",
    ("tests/fixtures/check/counterparties.yaml", 13): "un_sc_sanctions:KPi.006",  # PAEK CHANG-HO, born 1964-06-18
}


def render(screener: LocalScreener, fmt: str, files: tuple[str, ...] = FILES, **kw: Any) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    options = CheckOptions(files=files, min_score=kw.pop("min_score", 0.8), format=fmt, **kw)
    code = run_check(options, lambda: screener, stdout=out, stderr=err, cwd=ROOT)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def outputs(screener: LocalScreener, monkeypatch_module: pytest.MonkeyPatch) -> dict[str, tuple[int, str, str]]:
    monkeypatch_module.chdir(ROOT)
    return {fmt: render(screener, fmt) for fmt in ("table", "json", "junit", "sarif", "github")}


@pytest.fixture(scope="module")
def monkeypatch_module() -> Any:
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_formats_json_lists_every_record_and_its_hits(outputs: dict[str, tuple[int, str, str]]) -> None:
    code, text, err = outputs["json"]
    assert code == 1
    doc = json.loads(text)
    assert doc["summary"] == {
        "files": 2,
        "records": 11,
        "screened": 11,
        "skipped": 0,
        "matching": len(EXPECTED),
        "suppressed_records": 0,
        "hits": doc["summary"]["hits"],
        "suppressed_hits": 0,
        "result": "fail",
        "exit_code": 1,
    }
    assert {li["id"] for li in doc["lists"]} == {"us_ofac_sdn", "un_sc_sanctions"}
    by_loc = {(r["file"], r["line"]): r for r in doc["results"]}
    for loc, entity_id in EXPECTED.items():
        assert by_loc[loc]["status"] == "match", loc
        assert entity_id in [h["entity_id"] for h in by_loc[loc]["hits"]], loc
    clean = [r for r in doc["results"] if r["status"] == "clean"]
    assert {r["record"]["name"] for r in clean} >= {"Acme Widgets Limited", "Nordfjord Timber AS"}
    vessel = next(h for h in by_loc[("tests/fixtures/check/counterparties.csv", 5)]["hits"])
    ident = next(e for e in vessel["evidence"] if e["field"] == "identifier")
    assert (ident["query_value"], ident["list_value"]) == ("9187655", "9187655")
    assert vessel["score"] >= 0.8 and vessel["match"] is True and vessel["suppressed"] is None
    assert "FAIL" in err  # the verdict also reaches stderr when stdout carries a machine format


def test_formats_junit_one_testcase_per_record(outputs: dict[str, tuple[int, str, str]]) -> None:
    code, text, _ = outputs["junit"]
    assert code == 1
    root = ET.fromstring(text.encode())
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures")) == ("11", str(len(EXPECTED)))
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == set(FILES)
    csv_suite = suites[FILES[0]]
    cases = csv_suite.findall("testcase")
    assert len(cases) == int(csv_suite.get("tests") or 0) == 7
    failing = {int(c.get("line") or 0): c.find("failure") for c in cases if c.find("failure") is not None}
    assert set(failing) == {line for (f, line) in EXPECTED if f == FILES[0]}
    failure = failing[5]
    assert failure is not None
    assert "us_ofac_sdn:15037" in (failure.get("message") or "")
    assert 'identifier "9187655" matches' in (failure.text or "")
    assert all(c.get("file") == FILES[0] for c in cases)


def test_formats_sarif_validates_against_the_2_1_0_schema(outputs: dict[str, tuple[int, str, str]]) -> None:
    code, text, _ = outputs["sarif"]
    assert code == 1
    doc = json.loads(text)
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema)
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(doc)]
    assert errors == []
    # The validator does bite: a result without a message is refused.
    broken = copy.deepcopy(doc)
    del broken["runs"][0]["results"][0]["message"]
    assert not validator.is_valid(broken)

    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted({r["id"] for r in rules})
    results = run["results"]
    located = {
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["properties"]["entity_id"],
        )
        for r in results
    }
    for (path, line), entity_id in EXPECTED.items():
        assert (path, line, entity_id) in located
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"] == f"sanctions/{r['properties']['list']}"
        assert r["level"] == "error" and 0.8 <= r["properties"]["score"] <= 1.0
        assert r["properties"]["evidence"], r
    assert len(results) == json.loads(outputs["json"][1])["summary"]["hits"]


def test_formats_github_annotations(outputs: dict[str, tuple[int, str, str]]) -> None:
    code, text, _ = outputs["github"]
    assert code == 1
    pattern = re.compile(r"^::(error|warning|notice) file=([^,]+),line=(\d+),title=([^:]+)::(.+)$")
    annotations = [pattern.match(line) for line in text.splitlines() if line.startswith("::")]
    assert annotations and all(annotations)
    found = {(m[2], int(m[3])) for m in annotations if m}
    assert set(EXPECTED) <= found
    first = next(m for m in annotations if m and (m[2], int(m[3])) == (FILES[0], 5))
    assert first[4].startswith("Sanctions match%3A us_ofac_sdn%3A")
    assert "%0A" in first[5] and "\n" not in first[5]
    assert text.splitlines()[-1].startswith("FAIL: 11 record(s) in 2 file(s)")


def test_formats_table_plain_when_not_a_terminal(outputs: dict[str, tuple[int, str, str]]) -> None:
    code, text, _ = outputs["table"]
    assert code == 1
    assert "\x1b[" not in text
    assert "us_ofac_sdn:16681" in text and "un_sc_sanctions:KPi.006" in text
    assert "FAIL: 11 record(s)" in text


def test_formats_escaping_of_workflow_commands() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_formats_github_escapes_odd_paths_and_names(screener: LocalScreener, tmp_path: Path) -> None:
    odd = tmp_path / "odd, name: 100%.csv"
    odd.write_text('name,id\nMAHAN AIR,"K:1,2%\nX"\n', encoding="utf-8")
    code, text, _ = render(screener, "github", files=(str(odd),))
    assert code == 1
    line = next(ln for ln in text.splitlines() if ln.startswith("::error"))
    props, _, message = line[len("::error ") :].partition("::")
    assert "file=" + escape_property(artifact_uri(str(odd), ROOT)) in props
    assert ",line=2," in props
    assert "key K:1,2%25%0AX" in message  # message escaping leaves ':' and ',' alone


def test_formats_artifact_uri_relative_or_file_uri(tmp_path: Path) -> None:
    assert artifact_uri("tests/fixtures/check/clean.csv", ROOT) == "tests/fixtures/check/clean.csv"
    assert artifact_uri(str(ROOT / "a b.csv"), ROOT) == "a%20b.csv"
    assert artifact_uri(str(tmp_path / "x.csv"), ROOT).startswith("file:///")


def test_formats_fail_on_none_reports_warnings_and_exits_zero(screener: LocalScreener) -> None:
    code, text, _ = render(
        screener, "sarif", files=(str(CHECK_FIXTURES / "counterparties.jsonl"),), fail_on=FailOn.NONE
    )
    assert code == 0
    results = json.loads(text)["runs"][0]["results"]
    assert results and {r["level"] for r in results} == {"warning"}
    code, text, _ = render(
        screener, "junit", files=(str(CHECK_FIXTURES / "counterparties.jsonl"),), fail_on=FailOn.NONE
    )
    assert code == 0
    assert ET.fromstring(text.encode()).get("failures") == "0"
