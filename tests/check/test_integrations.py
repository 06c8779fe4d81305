"""The shipped integrations run as their hosts run them: the action's shell step, the pre-commit hook's entry."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from tests.check.conftest import CHECK_FIXTURES, SARIF_SCHEMA
from tests.conftest import ROOT

BIN = str(Path(sys.executable).parent)  # where the `sanctions` console script of this environment lives


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANCTIONS_")}
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    env.update(extra)
    return env


def _action_step(name: str) -> dict[str, Any]:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    step: dict[str, Any] = next(s for s in action["runs"]["steps"] if s.get("name") == name)
    return step


def _run_check_step(
    tmp_path: Path, data_dir: Path, **inputs: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """Run the action's 'Screen counterparty files' step with bash, inputs passed the way the runner does."""
    step = _action_step("Screen counterparty files")
    output = tmp_path / "github_output"
    output.write_text("", encoding="utf-8")
    env = _env(
        GITHUB_OUTPUT=str(output),
        FILES=inputs.get("files", ""),
        URL="",
        SANCTIONS_API_KEY="",
        SANCTIONS_DATA_DIR=str(data_dir),
        SANCTIONS_LISTS=inputs.get("lists", ""),
        MIN_SCORE=inputs.get("min-score", ""),
        FAIL_ON=inputs.get("fail-on", "match"),
        ALLOWLIST="",
        FIELDS=inputs.get("fields", ""),
        INPUT_FORMAT="",
        SARIF_FILE=str(tmp_path / "out.sarif"),
        ANNOTATIONS=inputs.get("annotations", "false"),
    )
    assert set(step["env"]) <= set(env), "the test passes every input the step reads"
    proc = subprocess.run(
        ["bash", "-e", "-c", step["run"]], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    outputs = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines())
    return proc, outputs


def test_integrations_action_step_globs_and_sarif(check_data_dir: Path, tmp_path: Path) -> None:
    proc, outputs = _run_check_step(
        tmp_path,
        check_data_dir,
        files="tests/fixtures/check/clean.csv\n  tests/fixtures/**/counterparties.y*ml",
        lists="un_sc_sanctions",
    )
    assert proc.returncode == 0, proc.stderr  # the step records the verdict; the Verdict step fails the job
    assert outputs["exit-code"] == "1"
    sarif = json.loads(Path(outputs["sarif-file"]).read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))).validate(sarif)
    located = {
        (loc["physicalLocation"]["artifactLocation"]["uri"], loc["physicalLocation"]["region"]["startLine"])
        for r in sarif["runs"][0]["results"]
        for loc in r["locations"]
    }
    assert located == {("tests/fixtures/check/counterparties.yaml", 13)}  # PAEK CHANG-HO, the UN-listed party
    assert "FAIL: 7 record(s) in 2 file(s)" in proc.stderr


def test_integrations_action_step_fields_and_annotations(check_data_dir: Path, tmp_path: Path) -> None:
    proc, outputs = _run_check_step(
        tmp_path,
        check_data_dir,
        files="tests/**/vendors_*.csv",
        fields="name=Beneficiary\nidentifiers=Aircraft Reg\n",
        lists="un_sc_sanctions",
        annotations="true",
    )
    assert outputs["exit-code"] == "1", proc.stderr
    assert re.search(r"^::error file=tests/fixtures/check/vendors_semicolon.csv,line=2,", proc.stdout, re.M)


def test_integrations_action_step_reports_exit_2_without_sarif(tmp_path: Path) -> None:
    proc, outputs = _run_check_step(tmp_path, tmp_path / "no-lists", files="tests/fixtures/check/clean.csv")
    assert proc.returncode == 0
    assert outputs["exit-code"] == "2"
    assert "sarif-file" not in outputs  # nothing to upload: the Verdict step fails the job with 2
    assert "no lists available" in proc.stderr


def test_integrations_action_verdict_step_fails_on_1_and_2() -> None:
    step = _action_step("Verdict")
    for code, expected in (("0", 0), ("1", 1), ("2", 2)):
        proc = subprocess.run(
            ["bash", "-e", "-c", step["run"]], env=_env(CODE=code), capture_output=True, text=True, check=False
        )
        assert proc.returncode == expected, (code, proc.stdout)


def test_integrations_pre_commit_hook_runs_its_entry(check_data_dir: Path) -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert (hook["id"], hook["entry"], hook["language"], hook["pass_filenames"]) == (
        "sanctions-check",
        "sanctions check",
        "python",
        True,
    )
    pattern = re.compile(hook["files"])
    assert all(pattern.search(p.name) for p in CHECK_FIXTURES.iterdir())
    assert not pattern.search("README.md") and not pattern.search("service/cli.py")
    # pre-commit appends the staged file names to the entry and fails the commit on a non-zero exit.
    files = ["tests/fixtures/check/clean.csv", "tests/fixtures/check/counterparties.jsonl"]
    env = _env(SANCTIONS_DATA_DIR=str(check_data_dir), SANCTIONS_LISTS="un_sc_sanctions")
    proc = subprocess.run(
        [*hook["entry"].split(), *files], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert proc.returncode == 1, proc.stderr
    assert "un_sc_sanctions:CDe.004" in proc.stdout  # CONGOMET TRADING HOUSE


def test_integrations_gitlab_example_writes_the_junit_report_it_publishes() -> None:
    job = yaml.safe_load((ROOT / "examples" / "gitlab-ci.yml").read_text(encoding="utf-8"))["sanctions-check"]
    script = "\n".join(job["script"])
    assert "--format junit --output sanctions-junit.xml" in script
    assert job["artifacts"]["reports"]["junit"] == "sanctions-junit.xml"
    assert job["artifacts"]["when"] == "always"


def test_integrations_action_sync_step_then_check(fixture_mirror: Path, tmp_path: Path) -> None:
    """Local mode as the action runs it: its Sync step fills an empty data dir from a mirror, then the check runs."""
    step = _action_step("Sync the lists")
    data_dir = tmp_path / "sanctions-data"
    env = _env(
        SANCTIONS_DATA_DIR=str(data_dir),
        SANCTIONS_LISTS_DIR=str(ROOT / "lists"),  # ${{ github.action_path }}/lists
        SANCTIONS_LISTS="un_sc_sanctions",
        SANCTIONS_MIRROR=str(fixture_mirror),
    )
    assert set(step["env"]) == {"SANCTIONS_DATA_DIR", "SANCTIONS_LISTS_DIR", "SANCTIONS_LISTS", "SANCTIONS_MIRROR"}
    proc = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "::warning" not in proc.stdout  # every list synced
    proc, outputs = _run_check_step(
        tmp_path, data_dir, files="tests/fixtures/check/counterparties.jsonl", lists="un_sc_sanctions"
    )
    assert outputs["exit-code"] == "1", proc.stderr
