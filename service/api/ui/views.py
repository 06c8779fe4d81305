"""What the review page's templates read: the API's wire dicts turned into small view values. Pure functions.

`align` is the one place that reads the matcher's evidence text: when the matcher's evidence format changes,
this function (and its tests) is what adapts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MATCH = "match"  # the same token on both sides
FUZZY = "fuzzy"  # a close spelling, a phonetic or vowel variant, an initial, an equivalent legal form
QUERY_ONLY = "query_only"  # a screened token the listed name lacks
LIST_ONLY = "list_only"  # a listed token the screened name lacks
NOTE = "note"  # evidence text this parser does not recognise: shown as it is, never dropped


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # MATCH, FUZZY, QUERY_ONLY, LIST_ONLY or NOTE
    query: str = ""  # the screened token ("" for LIST_ONLY)
    listed: str = ""  # the listed token ("" for QUERY_ONLY)
    method: str = ""  # how a FUZZY pair was matched ("fuzzy", "phonetic", "initial", ...)
    score: float | None = None  # a FUZZY pair's similarity


@dataclass(frozen=True, slots=True)
class Alignment:
    label: str  # which listed name matched and how much the publisher stands by it: "aka (strong)"
    tokens: tuple[Token, ...]


# "vladimir~wladimir (fuzzy 0.91)": a token pair and the method that paired them
_PAIR = re.compile(r"^(?P<q>\S+)~(?P<l>\S+) \((?P<method>[a-z_ ]+?) (?P<score>[0-9.]+)\)$")
# "joined: abcsa ~ abcs (0.93)": the names written together matched where the words did not
_JOINED = re.compile(r"^joined: (?P<q>\S+) ~ (?P<l>\S+) \((?P<score>[0-9.]+)\)$")
# "aka (strong)", "primary (weak)": the listed name's type and quality
_LABEL = re.compile(r"^[a-z_]+ \((?:strong|weak|low)\)$")
_IDENTICAL = "identical after normalization"


def align(evidence: Mapping[str, Any]) -> Alignment:
    """The token-by-token alignment of a name evidence item: matched, fuzzy and missing tokens.

    Read from the evidence's `detail` ("aka (strong); nicolas; maduro; list only: moros", pairs written
    "a~b (fuzzy 0.91)"). Where the detail names no tokens (an exact or code match, another format), the
    normalized values are compared token by token instead, so every name evidence shows its tokens.
    """
    detail = str(evidence.get("detail") or "")
    label = ""
    tokens: list[Token] = []
    identical = False
    for raw in detail.split(";"):
        part = raw.strip()
        if not part:
            continue
        if not label and not tokens and _LABEL.match(part):
            label = part
        elif part == _IDENTICAL:
            identical = True
        elif part.startswith("query only:"):
            tokens += [Token(QUERY_ONLY, query=t) for t in part.removeprefix("query only:").split()]
        elif part.startswith("list only:"):
            tokens += [Token(LIST_ONLY, listed=t) for t in part.removeprefix("list only:").split()]
        elif m := _PAIR.match(part):
            tokens.append(Token(FUZZY, m["q"], m["l"], m["method"], _float(m["score"])))
        elif m := _JOINED.match(part):
            tokens.append(Token(FUZZY, m["q"], m["l"], "joined", _float(m["score"])))
        elif " " not in part and "~" not in part:
            tokens.append(Token(MATCH, part, part))
        else:
            tokens.append(Token(NOTE, query=part))
    if identical or not any(t.kind != NOTE for t in tokens):
        tokens = [*_compare(evidence.get("query_normalized"), evidence.get("list_normalized")), *tokens]
    return Alignment(label, tuple(tokens))


def _float(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _compare(query: object, listed: object) -> list[Token]:
    """Tokens of two normalized names, paired where equal (query order), then the listed ones left over. Names
    equal once written together ("ra78765" and "ra 78765": a code, a joined name) are one matched pair."""
    q = str(query or "").split()
    rest = str(listed or "").split()
    if q and len(q) != len(rest) and "".join(q) == "".join(rest):
        return [Token(MATCH, " ".join(q), " ".join(rest))]
    out = []
    for t in q:
        if t in rest:
            rest.remove(t)
            out.append(Token(MATCH, t, t))
        else:
            out.append(Token(QUERY_ONLY, query=t))
    out += [Token(LIST_ONLY, listed=t) for t in rest]
    return out


# --- text highlighting --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    mention: int | None = None  # index into the mentions when this segment is a highlighted mention


def highlight(text: str, mentions: Sequence[Mapping[str, Any]]) -> list[Segment]:
    """`text` cut into plain and highlighted segments at the mentions' character offsets. A mention that
    overlaps one already highlighted is left unmarked in the text (it is still listed with its hits)."""
    out: list[Segment] = []
    pos = 0
    for i, m in sorted(enumerate(mentions), key=lambda im: (int(im[1]["start"]), -int(im[1]["end"]))):
        start, end = int(m["start"]), int(m["end"])
        if start < pos or end <= start or end > len(text):
            continue
        if start > pos:
            out.append(Segment(text[pos:start]))
        out.append(Segment(text[start:end], i))
        pos = end
    if pos < len(text):
        out.append(Segment(text[pos:]))
    return out


# --- small formatting helpers -------------------------------------------------------------------------------

_UNITS = ((86400, "d"), (3600, "h"), (60, "min"))


def age(seconds: float | None) -> str:
    """A duration as an analyst reads it: "3 d 4 h", "2 h 5 min", "40 s"; "" when unknown."""
    if seconds is None:
        return ""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s} s"
    parts = []
    for size, unit in _UNITS:
        if s >= size:
            parts.append(f"{s // size} {unit}")
            s %= size
        if len(parts) == 2:
            break
    return " ".join(parts)


def group_alerts(items: Iterable[Mapping[str, Any]]) -> list[tuple[str, list[Mapping[str, Any]]]]:
    """Alerts (oldest first) grouped by party ref, the parties in the order of their oldest alert."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for item in items:
        groups.setdefault(str(item["ref"]), []).append(item)
    return list(groups.items())


def split_values(value: str) -> list[str]:
    """A form field holding several values ("VE, RU" or one identifier per line) as a list."""
    return [v.strip() for v in re.split(r"[,;\n]", value) if v.strip()]
