"""Identifier normalization: aircraft tail numbers, IMO (with check digit), MMSI, and generic document numbers.

Every identifier compares in its `canonical` form: upper-case letters and digits only ("RA-78765", "ra 78765"
and "RA78765" are one tail number; "IMO 9562233", "IMO:9562233" and "9562233" one IMO).
"""

from __future__ import annotations

import re
import unicodedata

from service.model import IdentifierType

_NON_ALNUM = re.compile(r"[^A-Z0-9]+")
_IMO_PREFIX = re.compile(r"^\s*(?:IMO)\s*(?:NO\.?|NUMBER|N[O°º]|#)?\s*[:.#-]?\s*", re.IGNORECASE)
_IMO_IN_TEXT = re.compile(r"\bIMO\s*(?:no\.?|number|#)?\s*[:.#-]?\s*(\d{7})\b", re.IGNORECASE)
_MMSI = re.compile(r"^\d{9}$")
# ICAO nationality marks (prefixes of aircraft registrations), the ones seen on sanctions lists and their
# neighbours; a registration is <prefix>[-]<2-5 alphanumerics>.
_TAIL_PREFIXES = (
    "RA RF EP YK UP UR EW 4K EX EY EZ YI YA 5A ST HZ A6 A7 A9C A4O 9K OD JY SU 4L UK ER TC "
    "P B N C G D F I EC EI OE OK OM SP HA YR LZ YU Z3 9A S5 E7 ZA SX 4X VT AP S2 9N 4R XU XY HS "
    "9M PK RP VN RDPL B-K B-L"
).split()
_TAIL = re.compile(r"^([A-Z0-9]{1,3})-?([A-Z0-9]{2,5})$")


def canonical(value: str) -> str:
    """Letters and digits only, upper case, ASCII-folded: the comparable form of any identifier."""
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return _NON_ALNUM.sub("", folded.upper())


def imo_check_digit_ok(digits: str) -> bool:
    """IMO ship numbers: 7 digits, the last equal to sum(d_i * (7 - i)) for i in 0..5, mod 10."""
    if len(digits) != 7 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:6], range(7, 1, -1), strict=True))
    return total % 10 == int(digits[6])


def parse_imo(value: str) -> str | None:
    """The 7 IMO digits of "IMO 9562233", "imo:9562233" or "9562233" when the check digit holds, else None."""
    digits = canonical(_IMO_PREFIX.sub("", value))
    if digits.startswith("IMO"):
        digits = digits[3:]
    return digits if imo_check_digit_ok(digits) else None


def looks_like_tail_number(value: str) -> bool:
    """True for registration marks such as RA-78765, EP-GOM, UP-I7645, 4K-AZ38 (with or without hyphen)."""
    v = value.strip().upper().replace(" ", "-")
    m = _TAIL.match(v)
    if not m:
        return False
    if "-" in v:
        return True
    # without a hyphen, a one-letter prefix (N, G, D, ...) would make every word a registration: US N-numbers
    # and the like must go on with a digit
    return any(
        v.startswith(p) and len(v) - len(p) >= 3 and (len(p) >= 2 or v[len(p)].isdigit()) for p in _TAIL_PREFIXES
    )


def guess_types(value: str) -> tuple[IdentifierType, ...]:
    """Identifier types an untyped query value may be, most specific first."""
    out: list[IdentifierType] = []
    if parse_imo(value):
        out.append(IdentifierType.IMO)
    c = canonical(value)
    if _MMSI.match(c):
        out.append(IdentifierType.MMSI)
    if looks_like_tail_number(value):
        out.append(IdentifierType.TAIL_NUMBER)
    return tuple(out)


def comparable(id_type: IdentifierType, value: str) -> str:
    """The key an identifier of `id_type` is indexed and looked up under."""
    if id_type in (IdentifierType.IMO, IdentifierType.IMO_COMPANY):
        digits = canonical(_IMO_PREFIX.sub("", value))
        return digits[3:] if digits.startswith("IMO") else digits
    return canonical(value)


def find_imos(text: str) -> list[tuple[int, int, str]]:
    """(start, end, digits) of every "IMO nnnnnnn" mention in free text with a valid check digit."""
    return [(m.start(), m.end(), m.group(1)) for m in _IMO_IN_TEXT.finditer(text) if imo_check_digit_ok(m.group(1))]


def is_identifier_like(value: str) -> bool:
    """A name-field value that may be an identifier: a registration mark (G-VSSH typed "GVSSH"), or a short
    code with digits. Generous on purpose: such a value is only looked up exactly, and still screened as a name."""
    words = value.split()
    if len(words) == 1 and (looks_like_tail_number(value) or _TAIL.match(value.strip().upper())):
        return True
    c = canonical(value)
    if len(c) < 5 or not any(ch.isdigit() for ch in c):
        return False
    return len(words) <= 3


_SEVEN_DIGITS = re.compile(r"[(\[]?\b(\d{7})\b[)\]]?")
_TAIL_IN_TEXT = re.compile(r"\b[A-Z0-9]{1,2}-[A-Z0-9]{2,5}\b", re.IGNORECASE)


def split_identifiers(name: str) -> tuple[str, list[str]]:
    """A name with identifiers typed into it ("LIBERTY IMO 9339325", "Il-76 RA-78765") -> (name, identifiers)."""
    found: list[str] = []
    rest = name
    for start, end, digits in reversed(find_imos(name)):
        found.append(digits)
        rest = rest[:start] + " " + rest[end:]
    for m in reversed(list(_SEVEN_DIGITS.finditer(rest))):  # "TERIBERKA (8931748)": an IMO without its prefix
        if imo_check_digit_ok(m.group(1)):
            found.append(m.group(1))
            rest = rest[: m.start()] + " " + rest[m.end() :]
    for m in _TAIL_IN_TEXT.finditer(rest):
        if any(ch.isdigit() for ch in m.group(0)) or looks_like_tail_number(m.group(0)):
            found.append(m.group(0))
    return " ".join(rest.split()), found
