"""The use cases on a small real serving state: lists chosen, hits found, the audit record that proves it."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from service.errors import NotReadyError, QueryError, TooLargeError
from service.model import EntityKind, Query
from service.screening.audit import canonical_sha256
from service.screening.runtime import ServingState
from service.screening.usecases import Filters, FixedState, Options, Party, Screener
from service.screening.wire import query_to_dict

MADURO = "us_ofac_sdn:22790"
PUTIN = "us_ofac_sdn:35096"


@pytest.fixture
def screener(sample_state: ServingState) -> Screener:
    return Screener(FixedState(sample_state, ["us_ofac_sdn", "un_sc_sanctions"]), threshold=0.8, max_batch=3)


def test_screen_finds_the_listed_party_and_records_what_it_screened(screener: Screener) -> None:
    query = Query(name="Nicolas Maduro", kind=EntityKind.PERSON, birth_date="1962-11-23")
    outcome = screener.screen(query, Options(), actor="key-1", ref="cust-7")
    (result,) = outcome.results
    assert result.hits, "Maduro is on the OFAC sample"
    assert result.hits[0].entity_id == MADURO and result.hits[0].match
    record = outcome.record.to_dict()
    assert record["kind"] == "screen" and record["api_key_id"] == "key-1" and record["threshold"] == 0.8
    assert record["lists"] == {"un_sc_sanctions": "un-v1", "us_ofac_sdn": "sdn-v1"}
    (item,) = record["items"]
    assert item["ref"] == "cust-7" and item["query"] is None
    assert item["query_sha256"] == canonical_sha256(query_to_dict(query))
    assert item["hits"][0] == {"entity_id": MADURO, "score": round(result.hits[0].score, 4), "match": True}
    assert [li.id for li in outcome.lists] == ["un_sc_sanctions", "us_ofac_sdn"]


def test_screen_on_chosen_lists_only_and_refuses_unknown_ones(screener: Screener) -> None:
    putin = Query(name="Vladimir Putin")
    only_un = screener.screen(putin, Options(filters=Filters(lists=("un_sc_sanctions",))), actor="k")
    assert [li.id for li in only_un.lists] == ["un_sc_sanctions"]
    assert all(h.list_id == "un_sc_sanctions" for h in only_un.results[0].hits)
    assert PUTIN in {h.entity_id for h in screener.screen(putin, Options(), actor="k").results[0].hits}
    with pytest.raises(QueryError, match="unknown list id"):
        screener.screen(putin, Options(filters=Filters(lists=("xx_nowhere",))), actor="k")


def test_batch_options_override_the_batch_and_excluded_ids_add_up(screener: Screener) -> None:
    parties = [
        Party(Query(name="Nicolas Maduro"), ref="a"),
        Party(Query(name="Nicolas Maduro"), ref="b", threshold=0.99),
        Party(Query(name="Nicolas Maduro"), ref="c", exclude_ids=(MADURO,)),
    ]
    outcome = screener.batch(parties, Options(threshold=0.7), actor="k")
    a, b, c = outcome.results
    assert a.threshold == 0.7 and any(h.entity_id == MADURO and h.match for h in a.hits)
    assert b.threshold == 0.99 and any(h.entity_id == MADURO and not h.match for h in b.hits)
    assert MADURO not in {h.entity_id for h in c.hits}
    assert [i["ref"] for i in outcome.record.to_dict()["items"]] == ["a", "b", "c"]


def test_batch_over_the_cap_is_refused_before_any_screening(screener: Screener) -> None:
    parties = [Party(Query(name=f"name {i}"), ref=str(i)) for i in range(4)]
    with pytest.raises(TooLargeError, match="over the limit of 3"):
        screener.batch(parties, Options(), actor="k")


def test_text_finds_mentions_with_spans_and_audits_them(screener: Screener) -> None:
    text = "Officials said Nicolas Maduro met a delegation on Tuesday."
    outcome = screener.text(text, threshold=None, lists=None, actor="k")
    spans = {(m.start, m.end): m for m in outcome.mentions}
    assert spans, "the article names a listed person"
    mention = next(m for m in outcome.mentions if MADURO in {h.entity_id for h in m.hits})
    assert text[mention.start : mention.end] == mention.text == "Nicolas Maduro"
    audited = outcome.record.to_dict()["items"][0]["hits"]
    assert {"entity_id": MADURO, "span": [mention.start, mention.end]}.items() <= next(
        h for h in audited if h["entity_id"] == MADURO
    ).items()
    with pytest.raises(TooLargeError):
        Screener(screener.source, threshold=0.8, max_text_chars=10).text(text, threshold=None, lists=None, actor="k")


def test_compare_uses_the_default_threshold_unless_given(screener: Screener) -> None:
    result, threshold = screener.compare(Query(name="Vladimir Putin"), Query(name="PUTIN, Vladimir"), threshold=None)
    assert threshold == 0.8 and result.match and result.evidence
    strict, threshold = screener.compare(Query(name="Vladimir Putin"), Query(name="PUTIN, Vladimir"), threshold=1.0)
    assert threshold == 1.0 and strict.score == result.score


def test_match_drops_results_under_the_cutoff_and_screens_no_list_when_none_chosen(screener: Screener) -> None:
    queries = {"q1": Query(name="Nicolas Maduro"), "q2": Query(name="Vladimir Putin")}

    def run(lists: list[str], cutoff: float) -> dict[str, list[str]]:
        outcome = screener.match(
            queries,
            lists=lambda state: lists,
            kinds=None,
            limit=5,
            threshold=None,
            cutoff=cutoff,
            exclude_ids=(),
            actor="k",
            echo=lambda name: {"name": name},
        )
        return {r.ref or "": [h.entity_id for h in r.hits] for r in outcome.results}

    everything = run(["us_ofac_sdn"], 0.0)
    assert MADURO in everything["q1"] and PUTIN in everything["q2"]
    assert run(["us_ofac_sdn"], 1.01 - 1e-9) == {"q1": [], "q2": []}
    assert run([], 0.0) == {"q1": [], "q2": []}


def test_use_cases_answer_not_ready_with_the_loader_s_reason() -> None:
    @dataclass
    class Empty:
        state: ServingState | None = None
        list_ids: list[str] = field(default_factory=lambda: ["us_ofac_sdn"])
        last_error: str | None = "no snapshot in the store for any configured list; run `sanctions sync`"

    screener = Screener(Empty(), threshold=0.8)
    with pytest.raises(NotReadyError, match="run `sanctions sync`"):
        screener.screen(Query(name="anyone"), Options(), actor="k")
