"""Mentions of listed parties in free text, on the real lists."""

from __future__ import annotations

from service.match.matcher import Matcher
from service.match.text import find_mentions

ARTICLE = """MOSCOW, March 3 - An Ilyushin Il-76 with registration EP-GOM, operated by Pouya Air, flew from Tehran
to Damascus on Tuesday, according to flight tracking data. Minister Vladimir Putin asked Nicolas Maduro for help.
The tanker OLYMPIA (IMO 1006960) was seen near Cyprus. The Islamic Revolutionary Guard Corps denied it.
Officials in Washington and London said Mahan Air was discussed, and so was Ayman al-Zawahiri.
John Smith of Acme Logistics LLC declined
to comment. The United Nations and the European Union met in Brussels on Friday."""


def test_screen_text_finds_every_listed_mention_with_spans(real_matcher: Matcher) -> None:
    mentions = find_mentions(real_matcher, ARTICLE, threshold=0.8)
    by_text = {m.text: m for m in mentions}
    for m in mentions:
        assert ARTICLE[m.start : m.end] == m.text
    assert by_text["EP-GOM"].kind == "tail_number"
    assert by_text["EP-GOM"].hits[0].entity_id == "us_ofac_sdn:15431"
    assert by_text["IMO 1006960"].kind == "imo"
    assert by_text["IMO 1006960"].hits[0].entity_id == "us_ofac_sdn:37445"
    assert "us_ofac_sdn:13109" in {h.entity_id for h in by_text["Pouya Air"].hits}
    assert "us_ofac_sdn:35096" in {h.entity_id for h in by_text["Vladimir Putin"].hits}
    assert "us_ofac_sdn:22790" in {h.entity_id for h in by_text["Nicolas Maduro"].hits}
    assert "us_ofac_sdn:12927" in {h.entity_id for h in by_text["Mahan Air"].hits}
    assert "Islamic Revolutionary Guard Corps" in by_text
    assert "Ayman al-Zawahiri" in by_text


def test_screen_text_ignores_places_ordinary_words_and_unlisted_parties(real_matcher: Matcher) -> None:
    mentions = {m.text for m in find_mentions(real_matcher, ARTICLE, threshold=0.8)}
    for word in ("MOSCOW", "Tehran", "Damascus", "Cyprus", "Washington", "London", "Brussels", "Tuesday"):
        assert not any(word in m for m in mentions), word
    assert not any("John Smith" in m or "Acme" in m or "United Nations" in m for m in mentions)


def test_screen_text_without_listed_parties_is_empty(real_matcher: Matcher) -> None:
    text = "The weather in Paris was mild on Monday. Shares of Apple and Microsoft rose; Maria Lopez said so."
    assert find_mentions(real_matcher, text, threshold=0.8) == []
