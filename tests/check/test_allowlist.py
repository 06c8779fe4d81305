"""Allowlist files: what a well-formed entry needs, how it matches a record, and when it stops suppressing."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from service.check.allowlist import AllowlistError, load_allowlist
from service.screening.records import read_file
from tests.check.conftest import CHECK_FIXTURES

TODAY = date.today()


def _write_yaml(path: Path, body: str) -> str:
    path.write_text(body, encoding="utf-8")
    return str(path)


def test_allowlist_yaml_entries_with_lines(tmp_path: Path) -> None:
    path = _write_yaml(
        tmp_path / "allow.yaml",
        f"""# reviewed false positives
entries:
  - entity_id: us_ofac_sdn:12927
    record: C-002
    reason: different airline, same name
    reviewer: j.doe
    expires: {TODAY + timedelta(days=30)}
    ticket: COMP-42
  - entity_id: us_ofac_sdn:15037
    record: 9187655
    reason: hull renamed
    reviewer: a.n.other
    expires: "{TODAY - timedelta(days=1)}"
""",
    )
    allow = load_allowlist(path)
    first, second = allow.entries
    assert (first.line, second.line) == (3, 9)
    assert first.extra == {"ticket": "COMP-42"}
    assert second.record == "9187655"  # an unquoted number is still a record handle
    assert [e.entity_id for e in allow.expired(TODAY)] == ["us_ofac_sdn:15037"]
    assert first.is_active(TODAY + timedelta(days=30)) and not first.is_active(TODAY + timedelta(days=31))


def test_allowlist_matches_by_name_key_or_identifier_case_insensitively(tmp_path: Path) -> None:
    records = {r.key: r for r in read_file(str(CHECK_FIXTURES / "counterparties.csv")).records}
    until = (TODAY + timedelta(days=10)).isoformat()
    entries = [
        {
            "entity_id": "us_ofac_sdn:12927",
            "record": "  mahan   air ",
            "reason": "r",
            "reviewer": "x",
            "expires": until,
        },
        {"entity_id": "us_ofac_sdn:15037", "record": "9187655", "reason": "r", "reviewer": "x", "expires": until},
        {"entity_id": "us_ofac_sdn:40182", "record": "c-004", "reason": "r", "reviewer": "x", "expires": until},
    ]
    path = tmp_path / "allow.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    allow = load_allowlist(str(path))
    assert allow.find("us_ofac_sdn:12927", records["C-002"], TODAY) is allow.entries[0]
    assert allow.find("us_ofac_sdn:15037", records["C-003"], TODAY) is allow.entries[1]
    assert allow.find("us_ofac_sdn:40182", records["C-004"], TODAY) is allow.entries[2]
    # The same entity for another record, or another entity for the same record, is not cleared.
    assert allow.find("us_ofac_sdn:12927", records["C-005"], TODAY) is None
    assert allow.find("us_ofac_sdn:16681", records["C-002"], TODAY) is None
    # After the expiry date the entry no longer suppresses.
    assert allow.find("us_ofac_sdn:12927", records["C-002"], TODAY + timedelta(days=11)) is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("- entity_id: us_ofac_sdn:1\n  record: X\n  reason: r\n  reviewer: x\n", r"allow.yaml:1: missing expires"),
        (
            "- entity_id: us_ofac_sdn:1\n  record: X\n  reason: r\n  reviewer: x\n  expires: next year\n",
            r"'expires' must be an ISO date",
        ),
        ("- entity_id: 12927\n  record: X\n  reason: r\n  reviewer: x\n  expires: 2030-01-01\n", r"<list id>"),
        ("- just a string\n", r"each entry must be a mapping"),
        ("entity_id: us_ofac_sdn:1\n", r"expected a list of entries"),
        ("- entity_id: [unclosed\n", r"malformed YAML"),
        ("- entity_id: us_ofac_sdn:1\n  record: X\n  reason: ''\n  reviewer: x\n  expires: 2030-01-01\n", "reason"),
    ],
)
def test_allowlist_malformed_is_an_error(tmp_path: Path, body: str, message: str) -> None:
    path = _write_yaml(tmp_path / "allow.yaml", body)
    with pytest.raises(AllowlistError, match=message):
        load_allowlist(path)


def test_allowlist_malformed_json_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "allow.json"
    path.write_text('[{"entity_id": "us_ofac_sdn:1",]', encoding="utf-8")
    with pytest.raises(AllowlistError, match=r"allow.json:1: malformed JSON"):
        load_allowlist(str(path))
    with pytest.raises(AllowlistError, match="no such file"):
        load_allowlist(str(tmp_path / "absent.yaml"))


def test_allowlist_empty_file_has_no_entries(tmp_path: Path) -> None:
    assert load_allowlist(_write_yaml(tmp_path / "allow.yaml", "# nothing reviewed yet\n")).entries == ()
