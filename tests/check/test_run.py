"""`sanctions check` end to end: exit codes from the real CLI process, allowlist suppression and expiry."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest

from service.check.local import LocalScreener, NoListsError
from service.check.run import CheckOptions, run_check
from tests.check.conftest import CHECK_FIXTURES, SARIF_SCHEMA, run_cli
from tests.conftest import ROOT

TODAY = date.today()


def _allowlist(path: Path, *entries: dict[str, str]) -> str:
    path.write_text(json.dumps(list(entries), indent=1), encoding="utf-8")
    return str(path)


def _entry(entity_id: str, record: str, expires: date) -> dict[str, str]:
    return {
        "entity_id": entity_id,
        "record": record,
        "reason": "same name, different company (registry extract on file)",
        "reviewer": "compliance@example.org",
        "expires": expires.isoformat(),
    }


def _mahan_only(tmp_path: Path) -> str:
    path = tmp_path / "one.csv"
    path.write_text("id,name,country\nX-1,MAHAN AIR,IR\n", encoding="utf-8")
    return str(path)


def _run_json(screener: LocalScreener, files: list[str], **kw: object) -> tuple[int, dict[str, object], str]:
    out, err = io.StringIO(), io.StringIO()
    options = CheckOptions(files=tuple(files), min_score=0.8, format="json", **kw)  # type: ignore[arg-type]
    code = run_check(options, lambda: screener, stdout=out, stderr=err, cwd=ROOT)
    return code, json.loads(out.getvalue()), err.getvalue()


# --- allowlist (in process, on the shared matcher) -------------------------------------------------------------


def test_run_allowlist_suppresses_cleared_hit_and_passes(screener: LocalScreener, tmp_path: Path) -> None:
    files = [_mahan_only(tmp_path)]
    code, doc, _ = _run_json(screener, files)
    assert code == 1
    hits = doc["results"][0]["hits"]  # type: ignore[index]
    assert [h["entity_id"] for h in hits] == ["us_ofac_sdn:12927"]

    allow = _allowlist(tmp_path / "allow.json", _entry("us_ofac_sdn:12927", "x-1", TODAY + timedelta(days=90)))
    code, doc, err = _run_json(screener, files, allowlist=allow)
    assert code == 0
    result = doc["results"][0]  # type: ignore[index]
    assert result["status"] == "suppressed"
    assert result["hits"][0]["suppressed"]["reviewer"] == "compliance@example.org"
    assert doc["summary"]["suppressed_hits"] == 1 and doc["summary"]["result"] == "pass"  # type: ignore[index]
    assert "warning" not in err


def test_run_allowlist_expired_entry_stops_suppressing_and_warns(screener: LocalScreener, tmp_path: Path) -> None:
    files = [_mahan_only(tmp_path)]
    allow = _allowlist(tmp_path / "allow.json", _entry("us_ofac_sdn:12927", "MAHAN AIR", TODAY - timedelta(days=1)))
    code, doc, err = _run_json(screener, files, allowlist=allow)
    assert code == 1
    assert doc["results"][0]["status"] == "match"  # type: ignore[index]
    assert f"expired on {(TODAY - timedelta(days=1)).isoformat()}; it no longer suppresses" in err
    assert any("expired" in w for w in doc["warnings"])  # type: ignore[attr-defined]
    # The last day of validity still suppresses.
    allow = _allowlist(tmp_path / "allow2.json", _entry("us_ofac_sdn:12927", "MAHAN AIR", TODAY))
    assert _run_json(screener, files, allowlist=allow)[0] == 0


def test_run_allowlist_unknown_entity_warns(screener: LocalScreener, tmp_path: Path) -> None:
    allow = _allowlist(tmp_path / "allow.json", _entry("us_ofac_sdn:99999999", "MAHAN AIR", TODAY + timedelta(days=5)))
    code, doc, err = _run_json(screener, [_mahan_only(tmp_path)], allowlist=allow)
    assert code == 1
    assert "us_ofac_sdn:99999999" in err and "unknown to the loaded lists" in err
    assert any("us_ofac_sdn:99999999" in w for w in doc["warnings"])  # type: ignore[attr-defined]


def test_run_allowlist_suppressed_hit_in_sarif(screener: LocalScreener, tmp_path: Path) -> None:
    allow = _allowlist(tmp_path / "allow.json", _entry("us_ofac_sdn:12927", "MAHAN AIR", TODAY + timedelta(days=1)))
    out = io.StringIO()
    options = CheckOptions(files=(_mahan_only(tmp_path),), min_score=0.8, format="sarif", allowlist=allow)
    assert run_check(options, lambda: screener, stdout=out, stderr=io.StringIO(), cwd=ROOT) == 0
    doc = json.loads(out.getvalue())
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))).validate(doc)
    (result,) = doc["runs"][0]["results"]
    (suppression,) = result["suppressions"]
    assert suppression["status"] == "accepted" and suppression["kind"] == "external"
    assert suppression["justification"].startswith("same name")


def test_run_skipped_records_are_reported_not_screened(screener: LocalScreener, tmp_path: Path) -> None:
    path = tmp_path / "gaps.csv"
    path.write_text("name,imo,notes\n,,only a note\nAcme Widgets Limited,,\n", encoding="utf-8")
    code, doc, _ = _run_json(screener, [str(path)])
    assert code == 0
    assert [r["status"] for r in doc["results"]] == ["skipped", "clean"]  # type: ignore[attr-defined]
    assert doc["summary"]["skipped"] == 1  # type: ignore[index]


def test_run_no_lists_in_empty_store(tmp_path: Path) -> None:
    with pytest.raises(NoListsError, match="no lists available"):
        LocalScreener(tmp_path / "empty")


def test_run_configured_list_never_synced_is_an_error(check_data_dir: Path) -> None:
    with pytest.raises(NoListsError, match="eu_fsf configured"):
        LocalScreener(check_data_dir, list_ids=["us_ofac_sdn", "eu_fsf"])


# --- the real CLI process ------------------------------------------------------------------------------------------


def test_run_cli_exit_1_with_sarif_output_file(check_data_dir: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.sarif"
    proc = run_cli(
        "tests/fixtures/check/counterparties.csv",
        "tests/fixtures/check/counterparties.jsonl",
        "--format",
        "sarif",
        "--output",
        str(report),
        env={"SANCTIONS_DATA_DIR": str(check_data_dir)},
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == ""
    assert "sanctions check: FAIL: 10 record(s) in 2 file(s); 6 matching" in proc.stderr
    doc = json.loads(report.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))).validate(doc)
    lines = {
        (loc["physicalLocation"]["artifactLocation"]["uri"], loc["physicalLocation"]["region"]["startLine"])
        for r in doc["runs"][0]["results"]
        for loc in r["locations"]
    }
    assert ("tests/fixtures/check/counterparties.jsonl", 4) in lines  # RA-76842 by tail number
    assert ("tests/fixtures/check/counterparties.jsonl", 2) in lines  # CONGOMET TRADING HOUSE (UN CDe.004)


def test_run_cli_exit_0_on_clean_file(check_data_dir: Path) -> None:
    # UN only keeps the process fast; test_formats shows these parties clean against OFAC SDN as well.
    env = {"SANCTIONS_DATA_DIR": str(check_data_dir), "SANCTIONS_LISTS": "un_sc_sanctions"}
    proc = run_cli("tests/fixtures/check/clean.csv", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "PASS: 3 record(s) in 1 file(s); 0 matching" in proc.stdout


def test_run_cli_min_score_defaults_to_settings_threshold(check_data_dir: Path) -> None:
    env = {
        "SANCTIONS_DATA_DIR": str(check_data_dir),
        "SANCTIONS_LISTS": "un_sc_sanctions",
        "SANCTIONS_THRESHOLD": "0.95",
    }
    proc = run_cli("tests/fixtures/check/counterparties.yaml", "--format", "json", env=env)
    assert proc.returncode == 1, proc.stderr  # PAEK CHANG-HO scores 1.0
    doc = json.loads(proc.stdout)
    assert doc["min_score"] == 0.95
    assert [li["id"] for li in doc["lists"]] == ["un_sc_sanctions"]
    proc = run_cli(
        "tests/fixtures/check/counterparties.yaml",
        "--format",
        "json",
        "--min-score",
        "0.5",
        "--fail-on",
        "none",
        env=env,
    )
    assert proc.returncode == 0, proc.stderr  # report only
    doc = json.loads(proc.stdout)
    assert (doc["min_score"], doc["fail_on"], doc["summary"]["matching"]) == (0.5, "none", 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tests/fixtures/check/counterparties.csv", "--field", "name=Supplier Name"], "no such column"),
        (["tests/fixtures/check/vendors_semicolon.csv"], "no usable name or identifier column"),
        (["tests/fixtures/check/absent.csv"], "absent.csv: no such file"),
        (["tests/fixtures/check/clean.csv", "--min-score", "1.5"], "--min-score 1.5"),
        (["tests/fixtures/check/clean.csv", "--fail-on", "sometimes"], "invalid choice"),
        (["tests/fixtures/check/clean.csv", "--allowlist", "tests/fixtures/check/clean.csv"], "allowlist"),
    ],
)
def test_run_cli_exit_2_on_usage_and_data_errors(tmp_path: Path, args: list[str], message: str) -> None:
    proc = run_cli(*args, env={"SANCTIONS_DATA_DIR": str(tmp_path / "never-synced")})
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert message in proc.stderr
    assert proc.stdout == ""


def test_run_cli_exit_2_on_bad_encoding(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("name\nSoci\xe9t\xe9 G\xe9n\xe9rale\n".encode("latin-1"))
    proc = run_cli(str(path), env={"SANCTIONS_DATA_DIR": str(tmp_path)})
    assert proc.returncode == 2
    assert "latin1.csv:2: not valid UTF-8" in proc.stderr


def test_run_cli_exit_2_when_no_lists_synced(tmp_path: Path) -> None:
    proc = run_cli("tests/fixtures/check/clean.csv", env={"SANCTIONS_DATA_DIR": str(tmp_path / "empty")})
    assert proc.returncode == 2
    assert "no lists available" in proc.stderr and "run `sanctions sync` first" in proc.stderr


def test_run_cli_field_mapping_and_input_format(check_data_dir: Path, tmp_path: Path) -> None:
    export = tmp_path / "vendors.export"
    shutil.copy(CHECK_FIXTURES / "vendors_semicolon.csv", export)
    proc = run_cli(
        str(export),
        "--input-format",
        "csv",
        "--field",
        "name=Beneficiary",
        "--field",
        "identifiers=Aircraft Reg",
        "--field",
        "id=Vendor No",
        "--format",
        "json",
        env={"SANCTIONS_DATA_DIR": str(check_data_dir), "SANCTIONS_LISTS": "un_sc_sanctions"},
    )
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    records = {r["record"]["key"]: r for r in doc["results"]}
    assert set(records) == {"V-100", "V-101", "V-102"}
    assert records["V-102"]["record"]["identifiers"] == ["EP-GOM"]  # from the `Aircraft Reg` column
    assert [h["entity_id"] for h in records["V-100"]["hits"]] == ["un_sc_sanctions:CDe.004"]  # CONGOMET
    assert records["V-101"]["status"] == "clean"


def test_run_local_warns_when_lists_not_confirmed_for_a_week(check_data_dir: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(check_data_dir, data_dir, ignore=shutil.ignore_patterns("*.lock", "audit.sqlite3*"))
    later = datetime.now(UTC) + timedelta(days=30)
    screener = LocalScreener(data_dir, list_ids=["un_sc_sanctions"], now=later)
    (warning,) = screener.warnings
    assert warning.startswith("list un_sc_sanctions was last confirmed current on ")
    assert "(30 days ago): run `sanctions sync`" in warning or "(29 days ago)" in warning
    assert LocalScreener(data_dir, list_ids=["un_sc_sanctions"]).warnings == []


def test_run_cli_table_on_a_terminal(check_data_dir: Path) -> None:
    """On a (pseudo-)terminal the table is drawn in colour at the terminal's width, ids never truncated."""
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANCTIONS_") and k not in ("NO_COLOR", "COLUMNS")}
    env.update(SANCTIONS_DATA_DIR=str(check_data_dir), SANCTIONS_LISTS="un_sc_sanctions", PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "service", "check", "tests/fixtures/check/counterparties.jsonl"],
        cwd=ROOT,
        env=env,
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    assert proc.wait(timeout=120) == 1
    text = b"".join(chunks).decode()
    assert "\x1b[" in text  # colour codes: rich saw a terminal
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
    assert "CONGOMET" in plain and "FAIL: 3 record(s)" in plain
    assert "…" not in plain
