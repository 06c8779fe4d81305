"""Mentions of listed parties in free text (news, manifests, invoices): names, IMO numbers, tail numbers.

Candidate spans are runs of capitalised or non-Latin words (with name particles and legal forms inside them),
screened whole and by sub-span with the ordinary scorer; single words only count when they equal a listed
one-word name exactly and are rare on the lists, so ordinary words and place names do not raise hits.
Identifiers are found by pattern (IMO with a valid check digit, registration marks) and looked up exactly.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from service.match.matcher import Matcher
from service.model import EntityKind, Hit, Query
from service.normalize.countries import to_country_code
from service.normalize.identifiers import canonical, find_imos, looks_like_tail_number
from service.normalize.names import TokenClass, analyze, classify

_WORD = re.compile(r"[^\W\d_][\w'’.\-]*[\w]|[^\W\d_]", re.UNICODE)
_TAIL = re.compile(r"\b([A-Z0-9]{1,2}-[A-Z0-9]{3,5}|(?:RA|EP|UP|YK|UR|EW|EX|EY|EZ|4K)-?\d{4,5})\b")
MAX_SPAN_WORDS = 6
_ONE_WORD_KINDS = (EntityKind.ORGANIZATION, EntityKind.UNKNOWN)
MIN_SINGLE_WORD_LEN = 5
# One-word mentions must be about as rare as a name that appears on a handful of list entries.
MIN_SINGLE_WORD_IDF = 6.0
_CONNECTORS = frozenset(
    "al el bin ibn bint abu abd de da do dos das del di du la le van von der den of and y e ul".split()
)
_STOP = frozenset(
    "the a an in on at to for from by with minister president general director said says told "
    "according reported report news mr mrs ms dr".split()
)


@dataclass(frozen=True, slots=True)
class Mention:
    text: str
    start: int
    end: int
    kind: str  # "name", "imo", "tail_number"
    hits: tuple[Hit, ...]


def _is_name_word(word: str) -> bool:
    first = word[0]
    if first.isupper() or (not first.isascii() and first.isalpha() and not first.islower()):
        return True
    # "al-Zawahiri", "bin-Laden", "d'Estaing": a lower-case particle joined to a capitalised name
    for sep in "-'’":
        head, _, tail = word.partition(sep)
        if tail and tail[0].isupper() and head.lower() in _CONNECTORS | {"d", "l"}:
            return True
    return False


def _spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of candidate name runs."""
    words = [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(text)]
    runs: list[list[tuple[int, int, str]]] = []
    current: list[tuple[int, int, str]] = []
    for start, end, word in words:
        gap = text[current[-1][1] : start] if current else ""
        contiguous = not current or (len(gap) <= 3 and not any(ch in gap for ch in ".;:!?()\n"))
        starts = _is_name_word(word) and word.lower() not in _STOP
        if starts or (current and word.lower() in _CONNECTORS and contiguous):
            if not contiguous:
                runs.append(current)
                current = []
            current.append((start, end, word))
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    spans: list[tuple[int, int]] = []
    for whole in runs:
        run = list(whole)
        while run and run[-1][2].lower() in _CONNECTORS:
            run.pop()
        n = len(run)
        for i in range(n):
            if run[i][2].lower() in _CONNECTORS:
                continue
            for j in range(i + 1, min(n, i + MAX_SPAN_WORDS) + 1):
                if run[j - 1][2].lower() in _CONNECTORS:
                    continue
                spans.append((run[i][0], run[j - 1][1]))
    return spans


def find_mentions(
    matcher: Matcher, text: str, *, threshold: float, lists: Collection[str] | None = None
) -> list[Mention]:
    found: list[Mention] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    # identifiers first: exact and strong
    for start, end, digits in find_imos(text):
        hits = _matches(matcher, Query(identifiers=(digits,)), threshold, lists)
        if hits:
            found.append(Mention(text[start:end], start, end, "imo", hits))
            taken.append((start, end))
    for m in _TAIL.finditer(text):
        value = m.group(1)
        if not looks_like_tail_number(value) or not free(m.start(), m.end()):
            continue
        hits = _matches(matcher, Query(identifiers=(value,)), threshold, lists)
        hits = tuple(h for h in hits if any(ev.field == "identifier" for ev in h.evidence))
        if hits:
            found.append(Mention(value, m.start(), m.end(), "tail_number", hits))
            taken.append((m.start(), m.end()))

    scored: list[tuple[float, int, int, tuple[Hit, ...]]] = []
    for start, end in _spans(text):
        span = text[start:end]
        norm = analyze(span)
        if not norm.tokens or all(c != TokenClass.NORMAL for c in norm.classes):
            continue
        if to_country_code(span):
            continue
        if len(norm.tokens) == 1 and not _single_word_ok(matcher, norm.tokens[0]):
            continue
        hits = _matches(matcher, Query(name=span), threshold, lists)
        if len(norm.tokens) == 1:
            # one word: only an organization listed under exactly that word (Hamas, Rosneft), never a
            # person's or vessel's name that is also an ordinary given name or word ("Maria", "Olympia")
            hits = tuple(h for h in hits if h.kind in _ONE_WORD_KINDS and _exact_alias(h, norm.text))
        if hits:
            scored.append((hits[0].score, start, end, hits))
    # best, then longest, non-overlapping spans win
    scored.sort(key=lambda s: (-s[0], -(s[2] - s[1]), s[1]))
    for _, start, end, hits in scored:
        if free(start, end):
            found.append(Mention(text[start:end], start, end, "name", hits))
            taken.append((start, end))
    found.sort(key=lambda m: m.start)
    return found


def _single_word_ok(matcher: Matcher, token: str) -> bool:
    if len(token) < MIN_SINGLE_WORD_LEN or classify(token) != TokenClass.NORMAL:
        return False
    return token in matcher.index.exact and matcher.index.idf(token) >= MIN_SINGLE_WORD_IDF


def _exact_alias(hit: Hit, norm_text: str) -> bool:
    return any(ev.field == "name" and ev.list_normalized == norm_text for ev in hit.evidence)


def _matches(matcher: Matcher, query: Query, threshold: float, lists: Collection[str] | None) -> tuple[Hit, ...]:
    return tuple(h for h in matcher.screen(query, threshold=threshold, limit=5, lists=lists) if h.match)


__all__ = ["Mention", "canonical", "find_mentions"]
