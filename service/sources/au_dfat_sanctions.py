"""Australia DFAT Consolidated List: https://www.dfat.gov.au/sites/default/files/regulation8_consolidated.xlsx

One sheet, one row per name: "2" is the primary name, "2a", "2b", "2b1" its aliases and original-script names, so
rows group by the leading digits of Reference. Quirks kept as data: free-text dates with several per cell
("a) 1 Jan. 1960 b) 1962", "Approximately 1955- 1958", Hijri dates), "NA" placeholders, nationality adjectives
in Citizenship, identifiers only inside Additional Information. published_at is the workbook's docProps modified
stamp, else the latest Control Date (the report counts which).
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import TypeVar
from xml.etree.ElementTree import ParseError as XMLParseError

import defusedxml.ElementTree as SafeET
import openpyxl
from defusedxml import DefusedXmlException

from service.errors import HostileInputError, ParseError
from service.model import (
    Address,
    DateSpec,
    Entity,
    EntityKind,
    Identifier,
    IdentifierType,
    Name,
    NameQuality,
    NameType,
    SourceRecord,
    entity_id,
)
from service.normalize.dates import parse_date_spec
from service.normalize.demonyms import to_nationality_code
from service.normalize.scripts import detect_script
from service.sources.base import ParseReport, require

LIST_ID = "au_dfat_sanctions"
RESOURCE = "regulation8_consolidated.xlsx"

# Zip-bomb guards, checked on the central directory before openpyxl inflates anything. The real workbook
# (2024-11) has 22 members and 6.6 MB uncompressed, its largest member compressed about 8:1.
MAX_XLSX_MEMBERS = 1_000
MAX_XLSX_UNCOMPRESSED_BYTES = 256 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
_RATIO_MIN_BYTES = 1024 * 1024  # tiny members (rels, props) compress oddly; only big ones are ratio-checked

_CORE_PROPS = "docProps/core.xml"
_DCTERMS_MODIFIED = "{http://purl.org/dc/terms/}modified"

# Header text (lower case, single spaces) -> our column key. DFAT has renamed "Name" before; both are accepted.
_COLUMNS = {
    "reference": "reference",
    "name of individual or entity": "name",
    "name": "name",
    "type": "type",
    "name type": "name_type",
    "date of birth": "dob",
    "place of birth": "pob",
    "citizenship": "citizenship",
    "address": "address",
    "additional information": "additional_information",
    "listing information": "listing_information",
    "committees": "committees",
    "control date": "control_date",
}
_REQUIRED = ("reference", "name", "type", "name_type")

_KINDS = {"individual": EntityKind.PERSON, "entity": EntityKind.ORGANIZATION, "vessel": EntityKind.VESSEL}
_NAME_TYPES = {
    "primary name": NameType.PRIMARY,
    "aka": NameType.AKA,
    "alias": NameType.AKA,
    "original script": NameType.ORIGINAL_SCRIPT,
    "formerly known as": NameType.FKA,
    "previously listed as": NameType.FKA,
}
# Aliases this short ("GI", "SL") match far too much; DFAT does not grade names, so we mark them weak ourselves
# (three-letter acronyms such as "PKK" stay strong: they are how those groups are known).
_WEAK_NAME_MAX_CHARS = 2

_REFERENCE = re.compile(r"^(\d+)([a-z]*\d*)$", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
T = TypeVar("T")
_NULLS = frozenset({"", "na", "n/a", "-", "none", "nil", "not known", "unknown"})
# "a) ... b) ..." list markers, also glued to the value ("a)1960") or after punctuation.
_MARKER = re.compile(r"(?:^|(?<=[\s;,.]))\(?[a-z]\)\s*", re.IGNORECASE)
_LISTED_AS = re.compile(r"\s*\(([^()]*\blisted as\b[^()]*)\)\s*$", re.IGNORECASE)

_DOB_SPLIT = re.compile(
    r"\s*(?:(?:^|(?<=[\s;,.]))\(?[a-z]\)|;|\n|\bor\b|>>|\balt\.?\s+(?:dob|born)\b:?|\b(?:for\s+)?this\s+aka\s+only,?)\s*",
    re.IGNORECASE,
)
_MONTH_WORD = r"[A-Za-z]{3,9}"
_DATE_SCAN = re.compile(
    rf"\d{{1,2}}[./]\d{{1,2}}[./]\d{{4}}|\d{{1,2}}\s+{_MONTH_WORD}\.?,?\s+\d{{4}}|{_MONTH_WORD}\.?\s+\d{{1,2}},\s+\d{{4}}"
    rf"|{_MONTH_WORD}\.?,?\s+\d{{4}}|\b\d{{4}}\b"
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DATE_FIXES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bAprl\b", re.IGNORECASE), "Apr"),  # "29-Aprl-1967"
    (re.compile(r"(\d{1,2})\.\s+(?=[A-Za-z])"), r"\1 "),  # "14. Jul 1960"
    (re.compile(r"([A-Za-z])\.(?=\d{4})"), r"\1. "),  # "Jan.1960"
    (re.compile(r"(\d{1,2}/\d{1,2}/)\s+(\d{4})"), r"\1\2"),  # "09/11/ 1954"
    (re.compile(r"^(\d{1,2})-([A-Za-z]{3,9})\.?-(\d{4})$"), r"\1 \2 \3"),  # "12-Dec-1960"
    (re.compile(r"^(\d{1,2})[-/ ]([A-Za-z]{3,9})[-/ ](\d{2})$"), r"\1 \2 19\3"),  # "23-Apr-68": all born 19xx
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2})$"), r"\1/\2/19\3"),  # "07/04/62"
    (re.compile(r"(\d{4})\s*[-/]\s*(\d{4})"), r"\1 to \2"),  # "1955- 1958", "1977/1978"
    # "Between Aug. and Sep 1960": give the first month its year
    (
        re.compile(r"^(between\s+)?([A-Za-z]{3,9})\.?\s+(and|to)\s+([A-Za-z]{3,9}\.?\s+(\d{4}))$", re.IGNORECASE),
        r"\1\2 \5 \3 \4",
    ),
)
_MONTH_YEAR = re.compile(r"^(\d{1,2})/(\d{4})$")  # "03/1965"

_LISTED_ON = re.compile(
    rf"\b(?:listed|designated)\b[^.;]{{0,80}}?\bon:?\s+(\d{{1,2}}\.?\s+{_MONTH_WORD}\.?,?\s+\d{{4}}"
    rf"|\d{{1,2}}/\d{{1,2}}/\d{{4}}|{_MONTH_WORD}\.?\s+\d{{1,2}},\s+\d{{4}})",
    re.IGNORECASE,
)
_ISO_STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2})?)?$")
_TITLE = re.compile(r"\bTitle:\s*(.+?)(?=\s*Designation:|\.\s|\.?$)", re.DOTALL)
_DESIGNATION = re.compile(r"\bDesignation:\s*(.+?)(?=\.\s|\.?$)", re.DOTALL)
_PROGRAM_SPLIT = re.compile(r"(?<=\))\s+(?=\d)")  # "1970 (Libya) 1973 (Libya)"

# Identifiers stated in Additional Information: a label, up to three filler words, then the value.
_ID_LABELS: tuple[tuple[re.Pattern[str], IdentifierType], ...] = (
    (re.compile(r"\bpassport(?:\s+(?:no|number|#))?\.?\s*:?", re.IGNORECASE), IdentifierType.PASSPORT),
    (
        re.compile(
            r"\b(?:national\s+identi(?:fication|ty)(?:\s+card)?|national\s+id(?:\s+card)?|identity\s+card"
            r"|civil\s+identification)(?:\s*\(tazkira\))?(?:\s*(?:no|number))?\.?\s*:?",
            re.IGNORECASE,
        ),
        IdentifierType.NATIONAL_ID,
    ),
    (
        re.compile(r"\bIMO\)?(?:\s+(?:ship|identification))?(?:\s+(?:no|number))?\.?\s*:?", re.IGNORECASE),
        IdentifierType.IMO,
    ),
    (re.compile(r"\bSWIFT(?:/BIC)?\s*:|\(BIC\)\s*:|\bBIC\s*:"), IdentifierType.SWIFT_BIC),
    (
        re.compile(
            r"\b(?:registration\s+(?:id|number|no)(?:\s*\(OGRN\s+no\.?\))?|state\s+registration\s+number"
            r"|company\s+(?:number|identification\s+no)|business\s+registration\s+(?:document|number)"
            r"|OGRN(?:\s+no)?)\.?\s*:?",
            re.IGNORECASE,
        ),
        IdentifierType.REGISTRATION,
    ),
    (
        re.compile(
            r"\b(?:tax\s+(?:id\s+no|id|number|identification\s+number)|INN|employer\s+identification\s+number)\.?\s*:?",
            re.IGNORECASE,
        ),
        IdentifierType.TAX_ID,
    ),
)
_ID_WINDOW = 48
_ID_VALUE = {
    IdentifierType.IMO: re.compile(r"(?<![\w])(\d{7})(?!\d)"),
    IdentifierType.SWIFT_BIC: re.compile(r"(?<![\w])([A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?)(?![\w])"),
}
_ID_GENERIC = re.compile(r"(?<![\w])([A-Z]{0,3}[ -]?\d[\d ./-]*\d[A-Z]?)(?![\w])")
_ID_MIN_DIGITS = 4
# Words that end the search for a value: the number that follows belongs to a date or another statement.
_ID_STOP = re.compile(r"\b(?:issued|expire[ds]?|expiry|dated?|valid|on|in|from|under|was|of)\b", re.IGNORECASE)
_ID_COUNTRY_AFTER = re.compile(r"^\s*\(([^()]{2,40})\)")


@dataclass(frozen=True, slots=True)
class _Row:
    number: int  # spreadsheet row number, for warnings
    reference: str
    values: Mapping[str, object]

    def text(self, key: str) -> str | None:
        return _text(self.values.get(key))


def parse(
    files: Mapping[str, bytes], report: ParseReport | None = None, *, list_id: str | None = None
) -> Iterator[Entity]:
    """Entities of the DFAT workbook, one per base Reference, in the order the workbook lists them."""
    report = report if report is not None else ParseReport()
    lid = list_id or LIST_ID
    rows, modified = _read_workbook(require(files, RESOURCE))
    groups: dict[str, list[_Row]] = {}
    for row in rows:
        m = _REFERENCE.match(row.reference)
        if m is None:
            report.warn(f"row {row.number}: unreadable Reference {row.reference!r}, row skipped")
            report.count("rows_skipped")
            continue
        groups.setdefault(str(int(m[1])), []).append(row)
        report.count("name_rows")
    if modified is not None:
        report.published_at = modified.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")
        report.count("published_at.docprops_modified")
    elif latest := _latest_date(r.values.get("control_date") for r in rows):
        report.published_at = latest
        report.count("published_at.latest_control_date")
    for base, group in groups.items():
        entity = _entity(lid, base, group, report)
        report.count(f"kind.{entity.kind.value}")
        report.count("entities")
        yield entity


# --- workbook -----------------------------------------------------------------------------------------------


def check_zip(data: bytes, *, name: str = RESOURCE) -> None:
    """Refuse what is not a zip (ParseError) or would inflate beyond our caps (HostileInputError), before loading."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise ParseError(f"{name}: not a readable XLSX (zip) file: {exc}") from exc
    if len(members) > MAX_XLSX_MEMBERS:
        raise HostileInputError(f"{name}: {len(members)} zip members, more than {MAX_XLSX_MEMBERS}")
    total = sum(m.file_size for m in members)
    if total > MAX_XLSX_UNCOMPRESSED_BYTES:
        raise HostileInputError(f"{name}: inflates to {total} bytes, more than {MAX_XLSX_UNCOMPRESSED_BYTES}")
    for m in members:
        if m.file_size > _RATIO_MIN_BYTES and m.file_size > MAX_COMPRESSION_RATIO * max(m.compress_size, 1):
            raise HostileInputError(
                f"{name}: member {m.filename} compressed {m.file_size // max(m.compress_size, 1)}:1, "
                f"more than {MAX_COMPRESSION_RATIO}:1"
            )


def _read_workbook(data: bytes) -> tuple[list[_Row], datetime | None]:
    check_zip(data)
    if not openpyxl.DEFUSEDXML:
        # openpyxl parses with the stdlib (entity expansion and all) unless defusedxml is importable and
        # OPENPYXL_DEFUSEDXML is not "False": refuse rather than read an untrusted workbook unguarded.
        raise ParseError("openpyxl is not using defusedxml (check OPENPYXL_DEFUSEDXML); refusing to read XLSX")
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            if not wb.worksheets:
                raise ParseError(f"{RESOURCE}: workbook has no worksheet")
            rows = _read_rows(wb.worksheets[0].iter_rows(values_only=True))
        finally:
            wb.close()
    except DefusedXmlException as exc:
        raise HostileInputError(f"{RESOURCE}: refused hostile XML inside the workbook ({type(exc).__name__})") from exc
    # openpyxl reports damage inside a well-formed zip through assorted exception types; these are the ones a
    # damaged member (bad XML, bad deflate stream, CRC mismatch, missing part, bad cell value) produces.
    except (
        zipfile.BadZipFile,
        zlib.error,
        XMLParseError,
        KeyError,
        ValueError,
        TypeError,
        IndexError,
        EOFError,
    ) as exc:
        if any(isinstance(e, DefusedXmlException) for e in _chain(exc)):  # openpyxl re-raises it as ValueError
            raise HostileInputError(f"{RESOURCE}: refused hostile XML inside the workbook") from exc
        raise ParseError(f"{RESOURCE}: damaged workbook: {type(exc).__name__}: {exc}") from exc
    return rows, _docprops_modified(data)


def _docprops_modified(data: bytes) -> datetime | None:
    """dcterms:modified of docProps/core.xml, read here because openpyxl makes up "now" when the part is missing."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            if _CORE_PROPS not in zf.namelist():
                return None
            root = SafeET.fromstring(zf.read(_CORE_PROPS))
    except DefusedXmlException as exc:
        raise HostileInputError(f"{RESOURCE}: refused hostile XML in {_CORE_PROPS}") from exc
    except (zipfile.BadZipFile, zlib.error, XMLParseError) as exc:
        raise ParseError(f"{RESOURCE}: damaged {_CORE_PROPS}: {exc}") from exc
    text = (root.findtext(_DCTERMS_MODIFIED) or "").strip()
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        return None
    return stamp.astimezone(UTC).replace(tzinfo=None) if stamp.tzinfo else stamp


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _read_rows(it: Iterator[tuple[object, ...]]) -> list[_Row]:
    header = next(it, None)
    if header is None:
        raise ParseError(f"{RESOURCE}: empty worksheet")
    columns: dict[int, str] = {}
    for i, cell in enumerate(header):
        key = _COLUMNS.get(_SPACE.sub(" ", str(cell)).strip().lower()) if cell is not None else None
        if key and key not in columns.values():
            columns[i] = key
    missing = [k for k in _REQUIRED if k not in columns.values()]
    if missing:
        raise ParseError(f"{RESOURCE}: header lacks column(s) {', '.join(missing)}; got {header[:14]!r}")
    rows: list[_Row] = []
    for number, cells in enumerate(it, start=2):
        values = {key: cells[i] for i, key in columns.items() if i < len(cells)}
        reference = _text(values.get("reference"))
        if reference is None:
            if any(_text(v) for v in values.values()):
                raise ParseError(f"{RESOURCE}: row {number} has data but no Reference")
            continue  # the workbook ends with blank, formatted rows
        rows.append(_Row(number, reference.replace(" ", ""), values))
    if not rows:
        raise ParseError(f"{RESOURCE}: no data rows")
    return rows


# --- one listing ----------------------------------------------------------------------------------------------


def _entity(list_id: str, base: str, rows: list[_Row], report: ParseReport) -> Entity:
    primaries = [r for r in rows if _name_type(r, report) is NameType.PRIMARY]
    if len(primaries) != 1:
        report.warn(f"reference {base}: {len(primaries)} primary names; the first row is taken as primary")
    primary = primaries[0] if primaries else rows[0]
    kind_text = (primary.text("type") or "").lower()
    kind = _KINDS.get(kind_text, EntityKind.UNKNOWN)
    if kind is EntityKind.UNKNOWN:
        report.warn(f"reference {base}: unknown Type {primary.text('type')!r}")

    names: list[Name] = []
    for row in [primary, *(r for r in rows if r is not primary)]:
        for found in _names(row, NameType.PRIMARY if row is primary else _name_type(row, report)):
            name = replace(found, type=NameType.AKA) if found.type is NameType.PRIMARY and row is not primary else found
            if all((n.full.casefold(), n.type) != (name.full.casefold(), name.type) for n in names):
                names.append(name)
    if not names:
        raise ParseError(f"{RESOURCE}: reference {base} has no name")

    birth_dates: list[DateSpec] = []
    for raw in _distinct(r.values.get("dob") for r in rows):
        specs, unread = _birth_dates(raw)
        birth_dates.extend(s for s in specs if all(_same_date(s, b) is False for b in birth_dates))
        if unread:
            report.count("dob_unparsed")
    additional = _distinct_text(rows, "additional_information")
    listing = _distinct_text(rows, "listing_information")
    identifiers: list[Identifier] = []
    for text in additional:
        for ident in _identifiers(text, kind):
            if all((i.type, _canonical(i.value)) != (ident.type, _canonical(ident.value)) for i in identifiers):
                identifiers.append(ident)
    control = _latest_date(r.values.get("control_date") for r in rows)

    fields: dict[str, object] = {"references": [r.reference for r in rows]}
    for key in ("type", "dob", "pob", "citizenship", "address", "committees"):
        raws = [_raw(v) for v in _distinct(r.values.get(key) for r in rows)]
        if raws:
            fields[key] = raws[0] if len(raws) == 1 else raws
    if additional:
        fields["additional_information"] = additional[0] if len(additional) == 1 else additional
    if listing:
        fields["listing_information"] = listing[0] if len(listing) == 1 else listing
    if control:
        fields["control_date"] = control

    return Entity(
        id=entity_id(list_id, base),
        list_id=list_id,
        kind=kind,
        name=names[0],
        aliases=tuple(names[1:]),
        identifiers=tuple(identifiers),
        birth_dates=tuple(birth_dates),
        birth_places=_unique(p for t in _distinct_text(rows, "pob") for p in _split_list(t, alt_label="alt POB")),
        citizenships=_unique(
            c for t in _distinct_text(rows, "citizenship", keep_lines=False) for c in _citizenships(t)
        ),
        addresses=_unique(a for t in _distinct_text(rows, "address") for a in _addresses(t)),
        titles=_unique(t for text in additional for t in _list_after(_TITLE, text)),
        positions=_unique(p for text in additional for p in _list_after(_DESIGNATION, text)),
        programs=_unique(
            p
            for t in _distinct_text(rows, "committees", keep_lines=False)
            for p in _PROGRAM_SPLIT.split(t)
            if p.strip()
        ),
        listed_on=_listed_on(primary.values.get("listing_information"))
        or next((d for r in rows if (d := _listed_on(r.values.get("listing_information")))), None),
        remarks=tuple(additional + listing),
        properties={"control_date": control} if control else {},
        source=SourceRecord(list_id=list_id, upstream_id=base, fields=fields),
    )


def _name_type(row: _Row, report: ParseReport) -> NameType:
    raw = (row.text("name_type") or "").lower()
    kind = _NAME_TYPES.get(raw)
    if kind is None:
        report.warn(f"row {row.number}: unknown Name Type {row.text('name_type')!r}, read as an alias")
        return NameType.AKA
    return kind


def _names(row: _Row, type_: NameType) -> list[Name]:
    full = _clean(row.text("name"))
    if full is None:
        return []
    extra: list[Name] = []
    # "Nik Mohammad (previously listed as)", "Ri'ad ... (Previously listed as. In Arabic: رياض ...)"
    if m := _LISTED_AS.search(full):
        full = full[: m.start()].strip()
        type_ = NameType.FKA if type_ is not NameType.PRIMARY else type_
        note = m[1]
        if ":" in note and (other := _clean(note.split(":", 1)[1])):
            extra.append(_make_name(other, NameType.FKA))
    return [_make_name(full, type_), *extra]


def _make_name(full: str, type_: NameType) -> Name:
    letters = sum(ch.isalnum() for ch in full)
    weak = type_ is not NameType.PRIMARY and letters <= _WEAK_NAME_MAX_CHARS
    return Name(
        full=full,
        type=type_,
        quality=NameQuality.WEAK if weak else NameQuality.STRONG,
        script=detect_script(full),
    )


# --- cell readers ---------------------------------------------------------------------------------------------


def _text(value: object) -> str | None:
    """A cell as stripped text (non-breaking spaces folded); None for blanks and NA placeholders."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    text = str(value).replace("\xa0", " ").strip()
    return None if text.lower() in _NULLS else text


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    value = _SPACE.sub(" ", text).strip()
    return value or None


def _raw(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime | date) else str(value).strip()


def _distinct(values: Iterator[object] | Sequence[object]) -> list[object]:
    """Non-blank cell values in first-seen order, compared after whitespace cleanup."""
    seen: dict[str, object] = {}
    raw_seen: set[object] = set()
    for v in values:
        if v in raw_seen:  # alias rows mostly repeat the primary row's cells verbatim
            continue
        raw_seen.add(v)
        t = _text(v)
        if t is not None:
            seen.setdefault(_SPACE.sub(" ", t).casefold(), v)
    return list(seen.values())


def _distinct_text(rows: list[_Row], key: str, *, keep_lines: bool = True) -> list[str]:
    out: list[str] = []
    for v in _distinct(r.values.get(key) for r in rows):
        t = _text(v)
        if t is not None:
            out.append(t if keep_lines else _SPACE.sub(" ", t))
    return out


def _unique(items: Iterable[T]) -> tuple[T, ...]:
    return tuple(dict.fromkeys(items))


def _split_list(text: str, *, alt_label: str | None = None) -> list[str]:
    """Items of a cell that lists several: "a) x b) y", "x; y", one per line; "; alt POB: y" for alt_label."""
    if alt_label:
        text = re.sub(rf"\b{re.escape(alt_label)}\s*:?", ";", text, flags=re.IGNORECASE)
    text = re.sub(r"^\s*POB\s*:", "", text, flags=re.IGNORECASE)
    parts = re.split(r";|\n", _MARKER.sub("\n", text))
    return [c for p in parts if (c := _clean(p.strip(" ,.")))]


def _citizenships(text: str) -> list[str]:
    """ISO codes for a Citizenship cell ("Russian and Ukrainian", "a) Pakistani b) Saudi Arabian"); unresolved
    parts are kept as written."""
    if code := _country(text):
        return [code]
    # "Saudi Arabian (this aka only, alt Citizenship Yemeni)": the alternative counts, other notes do not
    text = re.sub(r"\([^()]*\balt\.?\s+citizenship\b:?([^()]*)\)", r"; \1", text, flags=re.IGNORECASE)
    text = re.sub(r"\(.*?\)", " ", text)
    out: list[str] = []
    for piece in re.split(r"[;/,\n]", _MARKER.sub(";", text)):
        part = _clean(re.sub(r"\bpossibly\b", " ", piece, flags=re.IGNORECASE))
        if not part:
            continue
        if code := _country(part):
            out.append(code)
            continue
        pieces = [p for p in re.split(r"\s+and\s+", part) if p.strip()]
        codes = [_country(p) for p in pieces]
        if len(pieces) > 1 and all(codes):
            out.extend(c for c in codes if c)
        else:
            out.append(part)
    return out


def _country(text: str) -> str | None:
    value = _clean(text)
    if value is None or value.lower() in _NULLS:
        return None
    return to_nationality_code(value)


def _addresses(text: str) -> list[Address]:
    out = []
    for listed in _split_list(text):
        item = listed[1:-1].strip() if listed.startswith("(") and listed.endswith(")") else listed
        if not item:
            continue
        bare = _clean(re.sub(r"\(.*?\)", " ", item)) or item
        words = bare.replace(",", " ").split()
        # the country closes the address: "..., Tehran, Iran", "... 456320 Russia", "Spain (detained)"
        tail = [" ".join(words[-n:]) for n in (1, 2, 3, 4) if len(words) >= n]
        country = _country(bare.rsplit(",", 1)[-1]) or next((c for t in tail if (c := _country(t))), None)
        out.append(Address(full=item, country=country))
    return out


def _list_after(pattern: re.Pattern[str], text: str) -> list[str]:
    m = pattern.search(text)
    return _split_list(m[1]) if m else []


def _listed_on(value: object) -> str | None:
    if isinstance(value, datetime):
        return value.date().isoformat()
    text = _text(value)
    if text is None:
        return None
    if m := _ISO_STAMP.match(text):
        return m[1]
    if m := _LISTED_ON.search(_SPACE.sub(" ", text)):
        spec = parse_date_spec(_fix_date(m[1]))
        return spec.start if spec else None
    return None


def _latest_date(values: Iterator[object]) -> str | None:
    found = [v.date().isoformat() for v in values if isinstance(v, datetime)]
    return max(found) if found else None


# --- dates of birth -------------------------------------------------------------------------------------------


def _birth_dates(value: object) -> tuple[list[DateSpec], list[str]]:
    """Every date a DOB cell gives, and the pieces that could not be read (kept in the source fields)."""
    if isinstance(value, datetime):
        return [DateSpec(start=value.date().isoformat(), raw=value.date().isoformat())], []
    if isinstance(value, int) and not isinstance(value, bool):
        spec = parse_date_spec(str(value))
        return ([spec], []) if spec else ([], [str(value)])
    text = _text(value)
    if text is None:
        return [], []
    specs: list[DateSpec] = []
    unread: list[str] = []
    text = re.sub(r"\([^()]*\)", lambda m: _SPACE.sub(" ", m[0]), text)  # a note may wrap: "(from\nfalse passport)"
    for piece in _DOB_SPLIT.split(text):
        segment = piece.strip(" ,.;")
        if not segment:
            continue
        if "hijri" in segment.lower():
            unread.append(segment)  # a Hijri date read as Gregorian would be wrong by centuries
            continue
        found = _dates_in(segment)
        if found:
            specs.extend(found)
        else:
            unread.append(segment)
    return specs, unread


def _dates_in(segment: str) -> list[DateSpec]:
    raw = _SPACE.sub(" ", segment).strip()
    bare = raw.strip("()")
    if spec := _one_date(bare):
        return [replace(spec, raw=raw)]
    without_notes = _clean(re.sub(r"\(.*?(?:\)|$)", " ", bare))
    if without_notes and (spec := _one_date(without_notes)):
        return [replace(spec, raw=raw)]
    pieces = [p for p in re.split(r",|\s{2,}", segment) if p.strip()]
    if len(pieces) > 1:
        found = [replace(s, raw=p.strip()) for p in pieces if (s := _one_date(p.strip(" ()")))]
        if found:
            return found
    return [replace(s, raw=m[0]) for m in _DATE_SCAN.finditer(bare) if (s := _one_date(m[0]))]


def _one_date(text: str) -> DateSpec | None:
    fixed = _fix_date(text)
    if m := _MONTH_YEAR.match(fixed):
        month = int(m[1])
        if not 1 <= month <= 12:
            return None
        fixed = f"{_MONTHS[month - 1]} {m[2]}"
    return parse_date_spec(fixed)


def _fix_date(text: str) -> str:
    s = _SPACE.sub(" ", text).strip()
    for pattern, repl in _DATE_FIXES:
        s = pattern.sub(repl, s)
    return s


def _same_date(a: DateSpec, b: DateSpec) -> bool:
    return (a.start, a.end, a.circa) == (b.start, b.end, b.circa)


# --- identifiers in Additional Information --------------------------------------------------------------------


def _identifiers(text: str, kind: EntityKind) -> list[Identifier]:
    flat = _SPACE.sub(" ", text)
    out: list[Identifier] = []
    for label_re, id_type in _ID_LABELS:
        if id_type is IdentifierType.PASSPORT and kind is not EntityKind.PERSON:
            continue
        for label in label_re.finditer(flat):
            window = flat[label.end() : label.end() + _ID_WINDOW]
            value_re = _ID_VALUE.get(id_type, _ID_GENERIC)
            m = value_re.search(window)
            if m is None:
                continue
            filler = window[: m.start()]
            if _ID_STOP.search(filler) or len(filler.split()) > 3 or ". " in filler:
                continue
            value = m[1].strip(" .-/")
            if sum(ch.isdigit() for ch in value) < _ID_MIN_DIGITS:
                continue
            typ = id_type
            if id_type is IdentifierType.IMO and kind is not EntityKind.VESSEL:
                typ = IdentifierType.IMO_COMPANY  # DFAT's IMO numbers on companies are owner/manager numbers
            if any(i.type is typ and _canonical(i.value) == _canonical(value) for i in out):
                continue
            out.append(
                Identifier(
                    type=typ,
                    value=value,
                    country=_id_country(flat, label.start(), filler, window[m.end() :]),
                    label=_clean(label[0].replace("(", " ").replace(")", " ").rstrip(" :.")),
                )
            )
    return out


def _canonical(value: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", value.upper())


def _id_country(text: str, label_start: int, filler: str, after: str) -> str | None:
    """The issuing country: "(Russia)" after the value, or an adjective before it ("Afghan passport")."""
    if (m := _ID_COUNTRY_AFTER.match(after)) and (code := _country(m[1])):
        return code
    before = text[:label_start].split()
    for word in [*filler.split(), *(before[-1:] if before else [])]:
        if len(word) > 3 and (code := _country(word.strip(",.;:()"))):
            return code
    return None
