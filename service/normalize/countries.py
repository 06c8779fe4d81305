"""Country names as sanctions lists write them -> ISO 3166-1 alpha-2 codes (pycountry plus list spellings)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import pycountry

# Spellings the lists use that pycountry's official/common names do not cover.
_EXTRA: dict[str, str] = {
    "russia": "RU",
    "russian federation": "RU",
    "iran": "IR",
    "iran islamic republic of": "IR",
    "syria": "SY",
    "north korea": "KP",
    "korea north": "KP",
    "korea democratic peoples republic of": "KP",
    "democratic peoples republic of korea": "KP",
    "dprk": "KP",
    "south korea": "KR",
    "korea south": "KR",
    "korea republic of": "KR",
    "republic of korea": "KR",
    "venezuela": "VE",
    "bolivia": "BO",
    "tanzania": "TZ",
    "vietnam": "VN",
    "viet nam": "VN",
    "laos": "LA",
    "moldova": "MD",
    "burma": "MM",
    "myanmar burma": "MM",
    "congo democratic republic of the": "CD",
    "democratic republic of the congo": "CD",
    "drc": "CD",
    "congo republic of the": "CG",
    "republic of the congo": "CG",
    "ivory coast": "CI",
    "cote divoire": "CI",
    "turkey": "TR",
    "turkiye": "TR",
    "uk": "GB",
    "united kingdom": "GB",
    "great britain": "GB",
    "england": "GB",
    "usa": "US",
    "united states": "US",
    "united states of america": "US",
    "uae": "AE",
    "czech republic": "CZ",
    "macedonia": "MK",
    "north macedonia": "MK",
    "palestinian territories": "PS",
    "palestine": "PS",
    "west bank": "PS",
    "gaza": "PS",
    "gaza strip": "PS",
    "kosovo": "XK",
    "taiwan": "TW",
    "vatican": "VA",
    "holy see": "VA",
    "crimea": "UA",
    "region crimea": "UA",
    "brunei": "BN",
    "cape verde": "CV",
    "swaziland": "SZ",
    "micronesia": "FM",
    "the gambia": "GM",
    "gambia the": "GM",
    "bahamas the": "BS",
    "st kitts and nevis": "KN",
    "st lucia": "LC",
    "st vincent and the grenadines": "VC",
    "state of palestine": "PS",
    "palestinian": "PS",
    "cote d ivoire": "CI",
    "macau": "MO",
    "macao": "MO",
    "china hong kong special administrative region": "HK",
    "hong kong sar": "HK",
    "man isle of": "IM",
    "isle of man": "IM",
    "north macedonia the republic of": "MK",
    "st kitts nevis": "KN",
    "congo democratic republic": "CD",
    "congo republic": "CG",
    "former soviet union": "SU",
    "soviet union": "SU",
    "ussr": "SU",
    "yugoslavia": "YU",
}

_NON_WORD = re.compile(r"[^a-z0-9]+")


def _key(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    folded = folded.replace("'", "")
    return _NON_WORD.sub(" ", folded).strip()


@lru_cache(maxsize=1)
def _table() -> dict[str, str]:
    table: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(c, attr, None)
            if value:
                table[_key(value)] = c.alpha_2
        table[c.alpha_3.lower()] = c.alpha_2
    table.update(_EXTRA)
    return table


@lru_cache(maxsize=8192)
def to_country_code(text: str | None) -> str | None:
    """ISO alpha-2 code for a country name, alpha-2 or alpha-3 code; None when unknown."""
    if not text:
        return None
    s = text.strip()
    if len(s) == 2 and s.isalpha():
        up = s.upper()
        if up in ("UK",):
            return "GB"
        return up if pycountry.countries.get(alpha_2=up) or up in ("XK", "SU", "YU") else None
    key = _key(s)
    if not key:
        return None
    table = _table()
    if key in table:
        return table[key]
    if key.startswith("the "):
        return table.get(key[4:])
    if key.startswith("region "):  # OFAC: "Region: Crimea"
        return table.get(key)
    return None


def country_name(code: str) -> str:
    c = pycountry.countries.get(alpha_2=code)
    return str(c.name) if c else code
