"""The review page's view helpers: the token alignment read from real matcher evidence and from every form the
evidence text takes, the text highlighting, and the small formatters."""

from __future__ import annotations

from typing import Any

import pytest

from service.api.ui.views import (
    FUZZY,
    LIST_ONLY,
    MATCH,
    NOTE,
    QUERY_ONLY,
    Token,
    age,
    align,
    group_alerts,
    highlight,
    split_values,
)
from service.match.matcher import Matcher
from service.model import Query
from service.screening.wire import hit_to_dict
from tests.conftest import read_fixture_files
from tests.match.conftest import _snapshots


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher.build(_snapshots(read_fixture_files))


def _name_evidence(matcher: Matcher, query: Query, entity_id: str) -> dict[str, Any]:
    hits = [hit_to_dict(h) for h in matcher.screen(query, threshold=0.5, limit=10)]
    hit = next(h for h in hits if h["entity_id"] == entity_id)
    evidence: dict[str, Any] = next(e for e in hit["evidence"] if e["field"] == "name")
    return evidence


def test_align_reads_a_real_fuzzy_pair_and_a_listed_token_the_query_lacks(matcher: Matcher) -> None:
    ev = _name_evidence(matcher, Query(name="Wladimir Putin"), "au_dfat_sanctions:6678")
    a = align(ev)
    assert a.label.endswith("(strong)")
    kinds = {t.kind: t for t in a.tokens}
    assert kinds[MATCH] == Token(MATCH, "putin", "putin")
    fuzzy = kinds[FUZZY]
    assert (fuzzy.query, fuzzy.listed, fuzzy.method) == ("wladimir", "vladimir", "fuzzy")
    assert fuzzy.score is not None and 0.5 < fuzzy.score < 1.0
    assert kinds[LIST_ONLY].listed == "vladimirovich"
    assert NOTE not in kinds


def test_align_reads_a_real_query_token_missing_from_the_listed_name(matcher: Matcher) -> None:
    a = align(_name_evidence(matcher, Query(name="Vladimir Putin Moskva"), "us_ofac_sdn:35096"))
    assert [t.kind for t in a.tokens] == [MATCH, MATCH, QUERY_ONLY]
    assert a.tokens[2].query == "moskva"


def test_align_shows_a_code_match_as_one_matched_pair_when_the_detail_names_no_tokens(matcher: Matcher) -> None:
    ev = _name_evidence(matcher, Query(name="RA78765"), "us_ofac_sdn:40185")
    a = align(ev)
    assert a.tokens[0] == Token(MATCH, "ra78765", "ra 78765"), ev
    assert all(t.kind == NOTE for t in a.tokens[1:])  # the matcher's words on how it compared, kept as notes


@pytest.mark.parametrize(
    ("detail", "qn", "ln", "expected"),
    [
        (
            "aka (weak); nicolas; maduro; list only: moros",
            "nicolas maduro",
            "maduro moros nicolas",
            [(MATCH, "nicolas", "nicolas"), (MATCH, "maduro", "maduro"), (LIST_ONLY, "", "moros")],
        ),
        (
            "primary (strong); ooo~llc (legal_form 0.90); query only: trading gmbh",
            "ooo trading gmbh",
            "llc",
            [(FUZZY, "ooo", "llc"), (QUERY_ONLY, "trading", ""), (QUERY_ONLY, "gmbh", "")],
        ),
        (
            "joined: abcsa ~ abcs (0.93)",
            "abc sa",
            "abcs",
            [(FUZZY, "abcsa", "abcs")],
        ),
        (
            "identical after normalization",
            "putin vladimir",
            "putin vladimir",
            [(MATCH, "putin", "putin"), (MATCH, "vladimir", "vladimir")],
        ),
        (  # a format this parser does not know: the text is kept, the tokens come from the normalized values
            "aligned 2 of 3 (greedy)",
            "ivan petrov",
            "petrov ivan sergeyevich",
            [
                (MATCH, "ivan", "ivan"),
                (MATCH, "petrov", "petrov"),
                (LIST_ONLY, "", "sergeyevich"),
                (NOTE, "aligned 2 of 3 (greedy)", ""),
            ],
        ),
        (None, "", "", []),
    ],
)
def test_align_reads_each_form_of_the_evidence_text(
    detail: str | None, qn: str, ln: str, expected: list[tuple[str, str, str]]
) -> None:
    a = align({"field": "name", "detail": detail, "query_normalized": qn, "list_normalized": ln})
    assert [(t.kind, t.query, t.listed) for t in a.tokens] == expected


def test_highlight_cuts_the_text_at_the_mentions_and_loses_nothing() -> None:
    text = "The Il-76 RA-78765 of Aviacon Zitotrans landed."
    mentions = [
        {"start": 22, "end": 39},  # Aviacon Zitotrans
        {"start": 10, "end": 18},  # RA-78765
        {"start": 30, "end": 39},  # overlaps the first: listed, not marked
        {"start": 40, "end": 400},  # past the end: ignored
    ]
    segments = highlight(text, mentions)
    assert "".join(s.text for s in segments) == text
    marked = [(s.text, s.mention) for s in segments if s.mention is not None]
    assert marked == [("RA-78765", 1), ("Aviacon Zitotrans", 0)]


def test_age_reads_like_a_person_would_say_it() -> None:
    assert age(None) == ""
    assert age(42) == "42 s"
    assert age(3 * 3600 + 5 * 60 + 7) == "3 h 5 min"
    assert age(2 * 86400 + 3600) == "2 d 1 h"


def test_split_values_and_group_alerts() -> None:
    assert split_values(" VE, RU ;\nIMO 9562233,, ") == ["VE", "RU", "IMO 9562233"]
    items = [{"ref": "b", "entity_id": "1"}, {"ref": "a", "entity_id": "2"}, {"ref": "b", "entity_id": "3"}]
    groups = group_alerts(items)
    assert [(ref, [i["entity_id"] for i in alerts]) for ref, alerts in groups] == [("b", ["1", "3"]), ("a", ["2"])]
