"""OFAC's legacy four-file CSV sets (SDN: sdn/add/alt/sdn_comments; consolidated: cons_prim/cons_add/...).

Format: no header row, `-0-` (often `-0- `) for an empty cell, CRLF rows, a DOS end-of-file byte `\\x1a` after
the last row. The files seen so far are plain ASCII; older OFAC downloads were Windows-1252, so bytes that are not
UTF-8 are read as cp1252. Remarks longer than 1000 characters are cut there and continued in the comments file.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from service.errors import ParseError
from service.model import Address, Entity, EntityKind, NameQuality, NameType
from service.sources.base import ParseReport, require
from service.sources.ofac_fields import KINDS, NULL, EntityDraft, country_or_text, finish, split_name, split_programs

# The primary file's columns, as OFAC names them in its CSV documentation.
PRIMARY_COLUMNS = (
    "ent_num",
    "SDN_Name",
    "SDN_Type",
    "Program",
    "Title",
    "Call_Sign",
    "Vess_type",
    "Tonnage",
    "GRT",
    "Vess_flag",
    "Vess_owner",
    "Remarks",
)
ADDRESS_COLUMNS = ("ent_num", "Add_num", "Address", "City_State_Province_Postal", "Country", "Add_remarks")
ALIAS_COLUMNS = ("ent_num", "alt_num", "alt_type", "alt_name", "alt_remarks")
COMMENT_COLUMNS = ("ent_num", "Remarks_Extended")

# OFAC cuts the Remarks cell at this many characters and puts the rest in the comments file.
REMARKS_LIMIT = 1000
EOF_MARKER = "\x1a"

_ALIAS_TYPES = {"aka": NameType.AKA, "fka": NameType.FKA, "nka": NameType.NKA}


@dataclass(frozen=True, slots=True)
class CsvSet:
    """The file names of one OFAC CSV set (as in CONTRACT.md and the list manifest)."""

    primary: str
    addresses: str
    aliases: str
    comments: str


def cell(value: str) -> str | None:
    """A cell's text, None for OFAC's null marker."""
    value = value.strip()
    return None if not value or value == NULL else value


def decode(data: bytes, name: str, report: ParseReport) -> str:
    """Text of an OFAC CSV: UTF-8 when it is valid UTF-8 (ASCII is), else Windows-1252, else Latin-1."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
        encoding = "cp1252"
    except UnicodeDecodeError:  # cp1252 leaves five bytes undefined; Latin-1 maps every byte
        text = data.decode("latin-1")
        encoding = "latin-1"
    report.warn(f"{name}: not UTF-8, read as {encoding}")
    return text


def read_rows(text: str, name: str, columns: tuple[str, ...], report: ParseReport) -> list[list[str]]:
    """Rows of one file, refusing anything that is not a complete, well-formed OFAC CSV."""
    body = text.rstrip(EOF_MARKER)
    if body == text:
        report.count("eof_marker_missing")
        report.warn(f"{name}: no \\x1a end-of-file byte; the file may be cut at a row boundary")
    if body and not body.endswith("\n"):
        raise ParseError(f"{name}: ends in the middle of a row (truncated download?)")
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(body, newline=""), strict=True)
    try:
        for row in reader:
            if not row or row == [""]:
                continue
            if len(row) != len(columns):
                raise ParseError(
                    f"{name}: line {reader.line_num} has {len(row)} columns, expected {len(columns)} "
                    f"({', '.join(columns)})"
                )
            if not row[0].strip().isdigit():
                raise ParseError(f"{name}: line {reader.line_num}: ent_num {row[0]!r} is not a number")
            rows.append(row)
    except csv.Error as exc:
        raise ParseError(f"{name}: malformed CSV near line {reader.line_num}: {exc}") from exc
    return rows


def _load(
    files: Mapping[str, bytes], name: str, columns: tuple[str, ...], report: ParseReport, *, required: bool = True
) -> list[list[str]]:
    if not required and not files.get(name):
        report.count(f"missing:{name}")
        return []
    return read_rows(decode(require(files, name), name, report), name, columns, report)


def parse_set(files: Mapping[str, bytes], report: ParseReport, list_id: str, names: CsvSet) -> Iterator[Entity]:
    """Entities of one OFAC CSV set, joined on ent_num; companion rows without a primary row are counted."""
    primary = _load(files, names.primary, PRIMARY_COLUMNS, report)
    if not primary:
        raise ParseError(f"{names.primary}: no rows")
    addresses = _load(files, names.addresses, ADDRESS_COLUMNS, report)
    aliases = _load(files, names.aliases, ALIAS_COLUMNS, report)
    comments = _load(files, names.comments, COMMENT_COLUMNS, report, required=False)

    continued: dict[str, list[str]] = defaultdict(list)
    for row in comments:
        continued[row[0].strip()].append(row[1])

    drafts: dict[str, EntityDraft] = {}
    unjoined: list[str] = []
    for row in primary:
        ent_num = row[0].strip()
        if ent_num in drafts:
            raise ParseError(f"{names.primary}: ent_num {ent_num} appears twice")
        remarks = row[11] if cell(row[11]) else ""
        if ent_num in continued:
            if len(remarks) >= REMARKS_LIMIT:
                remarks += "".join(continued[ent_num])
                report.count("comments_joined")
            else:
                unjoined.append(ent_num)
        drafts[ent_num] = _draft(row, remarks, list_id, report)

    orphans = {names.addresses: 0, names.aliases: 0, names.comments: 0}
    for row in addresses:
        draft = drafts.get(row[0].strip())
        if draft is None:
            orphans[names.addresses] += 1
            continue
        _add_address(draft, row)
    for row in aliases:
        draft = drafts.get(row[0].strip())
        if draft is None:
            orphans[names.aliases] += 1
            continue
        _add_alias(draft, row, report)
    orphans[names.comments] = sum(len(v) for k, v in continued.items() if k not in drafts)

    report.count("orphan_addresses", orphans[names.addresses])
    report.count("orphan_aliases", orphans[names.aliases])
    report.count("orphan_comments", orphans[names.comments])
    if any(orphans.values()):
        detail = ", ".join(f"{name}: {n}" for name, n in orphans.items())
        report.warn(
            f"{sum(orphans.values())} companion rows name an ent_num absent from {names.primary} ({detail}); "
            "the companion files are probably newer than the primary file"
        )
    if unjoined:
        report.count("comments_unjoined", len(unjoined))
        report.warn(
            f"{names.comments}: {len(unjoined)} rows continue remarks that are not cut at {REMARKS_LIMIT} "
            f"characters in {names.primary} (files from different dates?); not joined (e.g. ent_num {unjoined[0]})"
        )
    yield from finish(list(drafts.values()), report)


def _draft(row: list[str], remarks: str, list_id: str, report: ParseReport) -> EntityDraft:
    cells = [cell(value) for value in row]
    ent_num = row[0].strip()
    sdn_type = (cells[2] or "").lower()
    kind = KINDS.get(sdn_type)
    if kind is None:
        report.count("unknown_types")
        report.warn(f"ent_num {ent_num}: unknown SDN_Type {row[2].strip()!r}")
        kind = EntityKind.UNKNOWN
    full = cells[1] or ""
    if not full:
        raise ParseError(f"ent_num {ent_num}: no SDN_Name")
    fields: dict[str, object] = dict(zip(PRIMARY_COLUMNS, cells, strict=True))
    fields["Remarks"] = cell(remarks)
    draft = EntityDraft(
        list_id=list_id,
        upstream_id=ent_num,
        kind=kind,
        name=split_name(full, kind, NameType.PRIMARY, NameQuality.STRONG),
        report=report,
        fields=fields,
    )
    if program := cells[3]:
        draft.programs.extend(split_programs(program))
    if title := cells[4]:
        draft.titles.append(title)
    draft.add_vessel_columns(
        call_sign=cells[5],
        vessel_type=cells[6],
        tonnage=cells[7],
        grt=cells[8],
        flag=cells[9],
        owner=cells[10],
    )
    if remarks:
        draft.apply_remarks(remarks)
    return draft


def _add_address(draft: EntityDraft, row: list[str]) -> None:
    street, city, country, note = cell(row[2]), cell(row[3]), cell(row[4]), cell(row[5])
    if not (street or city or country):
        return
    full = ", ".join(p for p in (street, city, country) if p)
    # The CSV keeps city, state/province and postal code in one cell; it goes to `city` as published.
    draft.addresses.append(
        Address(full=full, street=street, city=city, country=country_or_text(country) if country else None)
    )
    if note:
        draft.add_remark(f"Address {full}: {note}")


def _add_alias(draft: EntityDraft, row: list[str], report: ParseReport) -> None:
    name = cell(row[3])
    if not name:
        return
    alt_type = (cell(row[2]) or "aka").lower()
    name_type = _ALIAS_TYPES.get(alt_type)
    if name_type is None:
        report.count("unknown_alias_types")
        name_type = NameType.AKA
    draft.add_alias(name, name_type)
    if note := cell(row[4]):
        draft.add_remark(f"{alt_type} {name}: {note}")
