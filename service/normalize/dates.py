"""Dates as publishers write them -> ISO prefixes ("1962", "1962-11", "1962-11-23") and ranges.

Handles "23 Nov 1962", "23/11/1962", "1962-11-23", "Nov 1962", "circa 1962", "1960 to 1965", "1960-1965",
"Between 1960 and 1965", "approximately 1962", "00/00/1962" (unknown day and month).
"""

from __future__ import annotations

import re
from datetime import date

from service.model import DateSpec

_MONTHS = {
    m: i
    for i, names in enumerate(
        (
            ("jan", "january", "janvier", "enero"),
            ("feb", "february", "fevrier", "février", "febrero"),
            ("mar", "march", "mars", "marzo"),
            ("apr", "april", "avril", "abril"),
            ("may", "mai", "mayo"),
            ("jun", "june", "juin", "junio"),
            ("jul", "july", "juillet", "julio"),
            ("aug", "august", "aout", "août", "agosto"),
            ("sep", "sept", "september", "septembre", "septiembre"),
            ("oct", "october", "octobre", "octubre"),
            ("nov", "november", "novembre", "noviembre"),
            ("dec", "december", "decembre", "décembre", "diciembre"),
        ),
        start=1,
    )
    for m in names
}

_CIRCA = re.compile(r"\b(circa|ca\.?|approx(?:imately)?\.?|about|around|c\.)\s*", re.IGNORECASE)
_RANGE = re.compile(
    r"^(?:between\s+)?(?P<a>.+?)\s*(?:\bto\b|\band\b|–|—|\s-\s|(?<=\d{4})-(?=\d{4}$))\s*(?P<b>.+)$",
    re.IGNORECASE,
)
_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:T.*)?$")
_DMY = re.compile(r"^(\d{1,2})[./\s-](\d{1,2})[./\s-](\d{4})$")
_YMD_SLASH = re.compile(r"^(\d{4})[./](\d{1,2})[./](\d{1,2})$")
_TEXT = re.compile(r"^(?:(\d{1,2})(?:st|nd|rd|th)?\s+)?([A-Za-zéû]+)\.?,?\s+(\d{4})$")
_TEXT_MDY = re.compile(r"^([A-Za-zéû]+)\.?\s+(\d{1,2}),?\s+(\d{4})$")
_YEAR = re.compile(r"^(\d{4})$")


def _valid(y: int, m: int | None, d: int | None) -> str | None:
    if not 1800 <= y <= 2100:
        return None
    if m is None or m == 0:
        return f"{y:04d}"
    if not 1 <= m <= 12:
        return None
    if d is None or d == 0:
        return f"{y:04d}-{m:02d}"
    try:
        date(y, m, d)
    except ValueError:
        return None
    return f"{y:04d}-{m:02d}-{d:02d}"


def parse_date(text: str, *, month_first: bool = False) -> str | None:
    """One date (full or partial) -> ISO prefix, or None when it is not a date we can read."""
    s = text.strip().strip(".;,")
    if not s:
        return None
    if m := _ISO.match(s):
        return _valid(int(m[1]), int(m[2]) if m[2] else None, int(m[3]) if m[3] else None)
    if m := _YMD_SLASH.match(s):
        return _valid(int(m[1]), int(m[2]), int(m[3]))
    if m := _DMY.match(s):
        a, b = int(m[1]), int(m[2])
        day, month = (b, a) if month_first else (a, b)
        return _valid(int(m[3]), month, day)
    if m := _TEXT.match(s):
        tmonth = _MONTHS.get(m[2].lower())
        if tmonth is None:
            return None
        return _valid(int(m[3]), tmonth, int(m[1]) if m[1] else None)
    if m := _TEXT_MDY.match(s):
        tmonth = _MONTHS.get(m[1].lower())
        if tmonth is None:
            return None
        return _valid(int(m[3]), tmonth, int(m[2]))
    return None


def parse_date_spec(text: str, *, month_first: bool = False) -> DateSpec | None:
    """A date, partial date or range as written -> DateSpec keeping the raw text; None when unreadable."""
    raw = text.strip()
    s = raw
    circa = False
    if _CIRCA.search(s):
        circa = True
        s = _CIRCA.sub("", s).strip()
    single = parse_date(s, month_first=month_first)
    if single:
        return DateSpec(start=single, circa=circa, raw=raw)
    if m := _RANGE.match(s):
        a = parse_date(m["a"], month_first=month_first)
        b = parse_date(m["b"], month_first=month_first)
        if a and b:
            return DateSpec(start=a, end=b, circa=circa, raw=raw)
    return None


def year_of(iso_prefix: str) -> int | None:
    try:
        return int(iso_prefix[:4])
    except ValueError:
        return None
