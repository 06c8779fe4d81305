"""Dates as publishers write them -> ISO prefixes ("1962", "1962-11", "1962-11-23") and ranges.

Handles "23 Nov 1962", "23/11/1962", "1962-11-23", "Nov 1962", "circa 1962", "1960 to 1965", "1960-1965",
"Between 1960 and 1965", "approximately 1962", "00/00/1962" and "dd/mm/1962" (unknown day and month), and
alternatives ("1963 or 1964") through `parse_date_specs`.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

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
# The UK Sanctions List writes unknown parts as literal placeholders: "dd/mm/1945", "dd/05/1958".
_PLACEHOLDER = re.compile(r"\b(?:dd|mm)(?=[./-])", re.IGNORECASE)
# Several possible dates in one field: "1963 or 1964", "1972-08-10 OR 1972-08-11", "1970; 1971".
_ALTERNATIVES = re.compile(r"\s+or\s+|\s*;\s*", re.IGNORECASE)


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
    s = _PLACEHOLDER.sub("00", text.strip().strip(".;,"))
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
        if b and not a:
            # The first end may borrow the year of the second: "Between Aug. and Sep. 1977".
            a = parse_date(f"{m['a']} {b[:4]}", month_first=month_first)
            a = a if a and len(a) > 4 else None
        if a and b:
            return DateSpec(start=a, end=b, circa=circa, raw=raw)
    return None


def parse_date_specs(text: str, *, month_first: bool = False) -> tuple[DateSpec, ...]:
    """Every date in a field that may list alternatives ("1963 or 1964"); empty when none is readable.

    A field that reads as one date or range as a whole is not split, so "Between 1960 and 1965" stays a range.
    """
    whole = parse_date_spec(text, month_first=month_first)
    if whole is not None:
        return (whole,)
    specs = []
    for part in _ALTERNATIVES.split(text):
        spec = parse_date_spec(part, month_first=month_first) if part.strip() else None
        if spec is not None and spec not in specs:
            specs.append(spec)
    return tuple(specs)


def year_of(iso_prefix: str) -> int | None:
    try:
        return int(iso_prefix[:4])
    except ValueError:
        return None


def parse_timestamp(value: str | None) -> datetime | None:
    """An ISO 8601 time stamp as this service writes them ("2026-11-26T17:34:18Z"), timezone-aware (UTC when the
    value names none); None when absent or unreadable."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
