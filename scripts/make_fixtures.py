"""Cut the small real excerpts under tests/fixtures/ from the whole list files in ../shared (deterministic).

Run from a checkout with ../shared beside it (or SANCTIONS_SHARED_DIR set):

    python scripts/make_fixtures.py            # (re)write tests/fixtures/mirror and tests/fixtures/lists
    python scripts/make_fixtures.py --check    # exit 1 if the committed excerpts differ from a fresh cut

Each excerpt keeps whole upstream records, byte for byte where the format allows (CSV lines, XML elements in
document order with the file's own preamble), so the parsers meet the publishers' real quirks. The records are the
entities the tests and the README name, the records they link to, the first records of each file, and a few
picked for variety (see WANTED, WANTED_NAMES and the quotas in each cut_* function). Two formats cannot be cut
byte for byte: the Australian workbook is rewritten with openpyxl from the real rows (same sheet, header and cell
values, the original docProps/core.xml), and OFAC's consolidated XML gets its Record_Count set to the excerpt's
own count.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import re
import sys
import zipfile
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("SANCTIONS_SHARED_DIR", ROOT.parent / "shared"))
FIXTURES = ROOT / "tests" / "fixtures"
OUT_MIRROR = FIXTURES / "mirror"
OUT_LISTS = FIXTURES / "lists"

# How many leading records of each file to keep: tests cut "the first rows" of a file, and the head of a file is
# where a reader first meets its layout.
HEAD = 12
# Orphan companion rows (an ent_num absent from sdn.csv: the companions are newer) kept per OFAC file.
ORPHANS = 4
# How many rounds of "Linked To:" targets to follow; two reach the operator of an aircraft's operator.
LINK_ROUNDS = 2
# A zip member's date_time in the Australian workbook, as DFAT's own file has it: keeps the excerpt reproducible.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)

# The entities tests, the README and tests/fixtures/check name, per list (upstream ids).
WANTED: dict[str, set[str]] = {
    # 36, 173, 306: the first rows (subset tests); then Maduro, Putin, OLYMPIA, EP-GOM, Pouya Air, Mahan Air, ...
    "us_ofac_sdn": set(
        "36 173 306 22790 35096 37445 37446 15431 13109 12927 6365 20157 22991 18158 6905 44201 22985 27307 9647"
        " 30421 15037 40181 40182 40183 40185 16681 6721 29584 16692 7867 28405 46311 22070".split()
    ),
    "us_ofac_cons": set("9647 17015 17017 17064 9639 20319".split()),
    "un_sc_sanctions": set(
        "CDi.001 CDi.002 CDi.003 CDe.001 CDe.004 QDi.006 QDi.196 QDi.291 QDi.306 QDi.365 QDi.395 TAi.002 KPi.006"
        " KPi.077 KPe.048 LYi.006 KPe.059 QDi.149".split()
    ),
    "ca_dfatd_sema_sanctions": set(
        "russia.1-1.1 belarus.1-part-1.116 iran.1-part-2-1.107 russia.1-part-1.1114 jvcfor.1 belarus.1-part-1-1.24"
        " russia.1-part-2.504 russia.1-1.67 russia.1-part-2.656".split()
    ),
    "au_dfat_sanctions": set("2 11 34 275 319 1254 2780 2947 6678 6245 1278".split()),
}
# Names (upper-cased substrings of a primary name) that pull their records in as well.
WANTED_NAMES: dict[str, tuple[str, ...]] = {
    "us_ofac_sdn": (
        "ZAWAHIRI, Ayman",
        "AL-ASSAD, Bashar",
        "ISLAMIC REVOLUTIONARY GUARD CORPS",
        "S&D SOLUTIONS",
        "AVIACON ZITOTRANS",
        "YAS AIR",
    ),
    "un_sc_sanctions": ("ZAWAHIRI", "CONGOMET", "PAEK"),
    "ca_dfatd_sema_sanctions": ("Putin", "Assad"),
    "au_dfat_sanctions": ("AL-ZAWAHIRI", "Bashar", "Kim Jong Un"),
}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- OFAC CSV sets: one record per CRLF line, ent_num first, \x1a at the end ----------------------------------


def _lines(data: bytes) -> list[bytes]:
    body = data.rstrip(b"\x1a")
    assert body.endswith(b"\r\n"), "OFAC CSV rows end in CRLF"
    return body[:-2].split(b"\r\n")


def _row(line: bytes) -> list[str]:
    return next(csv.reader([line.decode("cp1252")]))


def _join(lines: Iterable[bytes]) -> bytes:
    return b"".join(line + b"\r\n" for line in lines) + b"\x1a"


_LINKED = re.compile(r"Linked To: ([^;]+?)\.?(?:;|$)")


def cut_ofac_csv(
    files: dict[str, bytes], primary: str, companions: tuple[str, ...], list_id: str, pick: Callable[[list[str]], bool]
) -> dict[str, bytes]:
    rows = [(line, _row(line)) for line in _lines(files[primary])]
    by_name: dict[str, str] = {r[1].strip().upper(): r[0] for _, r in rows}
    alt_rows = [_row(line) for line in _lines(files[companions[1]])]
    for r in alt_rows:
        by_name.setdefault(r[3].strip().upper(), r[0])
    names = tuple(n.upper() for n in WANTED_NAMES.get(list_id, ()))
    keep = {r[0] for _, r in rows[:HEAD]} | WANTED.get(list_id, set())
    keep |= {r[0] for _, r in rows if any(n in r[1].upper() for n in names) or pick(r)}
    remarks = {r[0]: r[11] for _, r in rows}
    for _ in range(LINK_ROUNDS):
        # the pattern drops a final full stop, which may belong to the name ("..., S.A.")
        linked = {m.strip().upper() for k in keep for m in _LINKED.findall(remarks.get(k, ""))}
        targets = {by_name.get(m) or by_name.get(m + ".") for m in linked}
        keep |= {t for t in targets if t}
    primary_ids = {r[0] for _, r in rows}
    out = {primary: _join(line for line, r in rows if r[0] in keep)}
    for name in companions:
        kept, orphans = [], 0
        for line in _lines(files[name]):
            ent = line.split(b",", 1)[0].decode()
            if ent in keep:
                kept.append(line)
            elif ent not in primary_ids and orphans < ORPHANS:
                kept.append(line)
                orphans += 1
        out[name] = _join(kept)
    return out


def _sdn_variety() -> Callable[[list[str]], bool]:
    """A few records of each kind of oddity the SDN parser handles, the first of each in file order."""
    quotas = {
        "vessel-owner": 2,  # Vess_owner cell -> owner link
        "mmsi": 2,
        "weak-alias": 3,  # quoted a.k.a. in remarks
        "crypto": 1,
        "swift": 2,
        "passport": 2,
        "aircraft": 4,
        "vessel": 4,
        "individual": 4,
    }

    def pick(r: list[str]) -> bool:
        kinds = {
            "vessel-owner": r[10].strip() != "-0-",
            "mmsi": "MMSI" in r[11],
            "weak-alias": ".k.a. '" in r[11],
            "crypto": "Digital Currency Address" in r[11],
            "swift": "SWIFT/BIC" in r[11],
            "passport": "Passport" in r[11],
            "aircraft": r[2].strip() == "aircraft",
            "vessel": r[2].strip() == "vessel",
            "individual": r[2].strip() == "individual",
        }
        chosen = False
        for kind, hit in kinds.items():
            if hit and quotas[kind] > 0:
                quotas[kind] -= 1
                chosen = True
        return chosen

    return pick


def _cons_variety(comment_ids: set[str]) -> Callable[[list[str]], bool]:
    """Every record whose remark continues in cons_comments.csv (ten), and a few weak aliases."""
    weak = [3]

    def pick(r: list[str]) -> bool:
        if r[0] in comment_ids:
            return True
        if ".k.a. '" in r[11] and weak[0] > 0:
            weak[0] -= 1
            return True
        return False

    return pick


# --- XML lists: whole elements in document order ---------------------------------------------------------------


def cut_xml(data: bytes, tag: str, keep: Callable[[str, int], bool]) -> bytes:
    """Drop each `<tag>...</tag>` (with the whitespace before it) for which keep(element text, index) is false."""
    text = data.decode("utf-8")
    index = [0]

    def one(m: re.Match[str]) -> str:
        i = index[0]
        index[0] += 1
        return m.group(0) if keep(m.group(0), i) else ""

    out = re.sub(rf"\s*<{tag}>.*?</{tag}>", one, text, flags=re.DOTALL)
    return out.encode("utf-8")


def _field(element: str, tag: str) -> str:
    m = re.search(rf"<{tag}>([^<]*)</{tag}>", element)
    return m.group(1) if m else ""


def cut_un(data: bytes) -> bytes:
    wanted = WANTED["un_sc_sanctions"]
    names = WANTED_NAMES["un_sc_sanctions"]
    quotas = {"original-script": 3, "low-alias": 2, "range-dob": 2, "document": 2, "entity-alias": 2}
    taken: dict[str, int] = {}

    def keep_block(element: str, i: int, kind: str) -> bool:
        ref = _field(element, "REFERENCE_NUMBER")
        if ref in wanted or taken.get(kind, 0) < HEAD // 2:
            taken[kind] = taken.get(kind, 0) + 1
            return True
        full = " ".join(_field(element, t) for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME"))
        if any(n in full.upper() for n in names):
            return True
        checks = {
            "original-script": bool(_field(element, "NAME_ORIGINAL_SCRIPT")),
            "low-alias": "<QUALITY>Low</QUALITY>" in element,
            "range-dob": "<FROM_YEAR>" in element,
            "document": "<INDIVIDUAL_DOCUMENT>" in element and "Passport" in element,
            "entity-alias": kind == "ENTITY" and "<ENTITY_ALIAS>" in element and "<QUALITY>" in element,
        }
        for check, hit in checks.items():
            if hit and quotas[check] > 0:
                quotas[check] -= 1
                return True
        return False

    data = cut_xml(data, "INDIVIDUAL", lambda e, i: keep_block(e, i, "INDIVIDUAL"))
    return cut_xml(data, "ENTITY", lambda e, i: keep_block(e, i, "ENTITY"))


def cut_ca(data: bytes) -> bytes:
    from service.sources.ca_dfatd_sema_sanctions import parse

    entities = list(parse({"sema-lmes.xml": data}))
    records = re.findall(r"<record>.*?</record>", data.decode("utf-8"), flags=re.DOTALL)
    assert len(entities) == len(records), "one entity per record"
    ids = [e.upstream_id for e in entities]
    wanted = WANTED["ca_dfatd_sema_sanctions"]
    names = WANTED_NAMES["ca_dfatd_sema_sanctions"]
    quotas = {"ship": 3, "alias": 3, "syria-title": 1, "latest": 1, "entity": 3}
    latest = max(_field(r, "DateOfListing") for r in records)

    def keep(element: str, i: int) -> bool:
        if i < HEAD or ids[i] in wanted or any(n in _field(element, "LastName") for n in names):
            return True
        checks = {
            "ship": bool(_field(element, "ShipIMONumber")),
            "alias": "Aliases" in element and "Russian" in element,
            "syria-title": "Major General/major-général" in element,
            "latest": _field(element, "DateOfListing") == latest,
            "entity": bool(_field(element, "EntityOrShip")) and not _field(element, "ShipIMONumber"),
        }
        for check, hit in checks.items():
            if hit and quotas[check] > 0:
                quotas[check] -= 1
                return True
        return False

    return cut_xml(data, "record", keep)


def cut_ofac_xml(data: bytes, wanted: set[str]) -> bytes:
    text = data.decode("utf-8")
    kept = [0]

    def keep(element: str, i: int) -> bool:
        uid = _field(element, "uid")
        if i < HEAD or uid in wanted:
            kept[0] += 1
            return True
        return False

    out = cut_xml(data, "sdnEntry", keep).decode("utf-8")
    assert "<Record_Count>" in text
    # The publication's own count describes the whole file; the excerpt states its own so that it stays consistent.
    out = re.sub(r"<Record_Count>\d+</Record_Count>", f"<Record_Count>{kept[0]}</Record_Count>", out, count=1)
    return out.encode("utf-8")


# --- the Australian workbook: real rows rewritten with openpyxl -------------------------------------------------

AU_COLUMNS = 12  # Reference .. Control Date; the sheet's other 243 columns are empty


def cut_au(data: bytes) -> bytes:
    src = openpyxl.load_workbook(io.BytesIO(data))
    ws = src.worksheets[0]
    rows = [tuple(c.value for c in row[:AU_COLUMNS]) for row in ws.iter_rows()]
    header, body = rows[0], rows[1:]

    def base(ref: object) -> str:
        m = re.match(r"\d+", str(ref).strip()) if ref is not None else None
        return m.group(0) if m else ""

    wanted = set(WANTED["au_dfat_sanctions"])
    names = tuple(n.upper() for n in WANTED_NAMES["au_dfat_sanctions"])
    quotas = {
        "cyrillic": 3,
        "han": 2,
        "int-dob": 2,
        "na-citizenship": 1,
        "ukrainian": 2,  # a nationality adjective besides "Russian"
        "unparsed-dob": 2,
        "entity": 3,
    }
    heads: list[str] = []
    for r in body:
        b = base(r[0])
        if not b:
            continue
        if b not in heads:
            heads.append(b)
        primary = str(r[1] or "")
        checks = {
            "cyrillic": bool(re.search("[\u0400-\u04ff]", primary)),
            "han": bool(re.search("[\u4e00-\u9fff]", primary)),
            "int-dob": isinstance(r[4], int),
            "na-citizenship": str(r[6]).strip().lower() == "na",
            "ukrainian": "ukrain" in str(r[6]).lower(),
            "unparsed-dob": "years old" in str(r[4]) or "10/061962" in str(r[4]),
            "entity": str(r[2]).strip() == "Entity",
        }
        if any(n in primary.upper() for n in names):
            wanted.add(b)
        for check, hit in checks.items():
            if hit and quotas[check] > 0 and b not in wanted:
                quotas[check] -= 1
                wanted.add(b)
    wanted |= set(heads[:HEAD])

    out_wb = openpyxl.Workbook()
    out_ws = out_wb.active
    assert out_ws is not None
    out_ws.title = ws.title
    out_ws.append(header)
    for r in body:
        if base(r[0]) in wanted:
            out_ws.append(r)
    for row in out_ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, datetime):
                cell.number_format = "dd/mm/yyyy"
    buf = io.BytesIO()
    out_wb.save(buf)
    # Rezip with fixed member times and DFAT's own docProps/core.xml (its dcterms:modified is the list's date).
    with zipfile.ZipFile(io.BytesIO(data)) as original:
        core = original.read("docProps/core.xml")
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as made, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in made.infolist():
            body_bytes = core if info.filename == "docProps/core.xml" else made.read(info.filename)
            member = zipfile.ZipInfo(info.filename, date_time=ZIP_EPOCH)
            member.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(member, body_bytes)
    return out.getvalue()


# --- the plan: what goes where ----------------------------------------------------------------------------------


def build() -> dict[Path, tuple[bytes, str]]:
    """Every excerpt file: path under tests/fixtures -> (bytes, source path under ../shared/lists)."""
    mirror_index = json.loads((SHARED / "mirror" / "MIRROR.json").read_text())
    sources: dict[tuple[str, str], str] = {
        (lid, f["file"]): f["source"] for lid, fs in mirror_index["lists"].items() for f in fs
    }

    def src(list_id: str, name: str) -> bytes:
        return (SHARED / "lists" / sources[(list_id, name)]).read_bytes()

    out: dict[Path, tuple[bytes, str]] = {}

    def put(list_id: str, name: str, data: bytes) -> None:
        out[OUT_MIRROR / list_id / name] = (data, sources[(list_id, name)])

    sdn_names = ("sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv")
    sdn = cut_ofac_csv(
        {n: src("us_ofac_sdn", n) for n in sdn_names}, "sdn.csv", sdn_names[1:], "us_ofac_sdn", _sdn_variety()
    )
    for name, data in sdn.items():
        put("us_ofac_sdn", name, data)

    cons_names = ("cons_prim.csv", "cons_add.csv", "cons_alt.csv", "cons_comments.csv")
    cons_files = {n: src("us_ofac_cons", n) for n in cons_names}
    comment_ids = {line.split(b",", 1)[0].decode() for line in _lines(cons_files["cons_comments.csv"])}
    cons = cut_ofac_csv(cons_files, "cons_prim.csv", cons_names[1:], "us_ofac_cons", _cons_variety(comment_ids))
    for name, data in cons.items():
        put("us_ofac_cons", name, data)

    put("un_sc_sanctions", "consolidated.xml", cut_un(src("un_sc_sanctions", "consolidated.xml")))
    put("ca_dfatd_sema_sanctions", "sema-lmes.xml", cut_ca(src("ca_dfatd_sema_sanctions", "sema-lmes.xml")))
    put(
        "au_dfat_sanctions",
        "regulation8_consolidated.xlsx",
        cut_au(src("au_dfat_sanctions", "regulation8_consolidated.xlsx")),
    )
    # The EU and UK files in ../shared are already five-record excerpts made by their repository's author.
    put("eu_fsf", "eu_fsf.xml", src("eu_fsf", "eu_fsf.xml"))
    put("gb_fcdo_sanctions", "UK-Sanctions-List.xml", src("gb_fcdo_sanctions", "UK-Sanctions-List.xml"))

    # OFAC's legacy XML of the consolidated list (an alternative format of us_ofac_cons): the same records.
    cons_ids = {line.split(b",", 1)[0].decode() for line in _lines(cons["cons_prim.csv"])}
    xml_source = "ofac/consolidated_non_sdn_xml_2025-03-28/consolidated.xml"
    xml = cut_ofac_xml((SHARED / "lists" / xml_source).read_bytes(), cons_ids)
    out[OUT_LISTS / xml_source] = (xml, xml_source)
    return out


def index(files: dict[Path, tuple[bytes, str]]) -> bytes:
    """tests/fixtures/mirror/MIRROR.json: the excerpt's files with their sha256 and the whole file each came from."""
    manifest = (SHARED / "lists" / "MANIFEST.md").read_text()
    lists: dict[str, list[dict[str, object]]] = {}
    for path, (data, source) in sorted(files.items()):
        if OUT_MIRROR not in path.parents:
            continue
        whole = (SHARED / "lists" / source).read_bytes()
        assert sha256(whole) in manifest, f"{source}: sha256 not in MANIFEST.md"
        lists.setdefault(path.parent.name, []).append(
            {
                "file": path.name,
                "bytes": len(data),
                "sha256": sha256(data),
                "source": source,
                "source_sha256": sha256(whole),
            }
        )
    body = {"source_root": "shared/lists", "excerpt_of": "shared/mirror", "lists": lists}
    return (json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed excerpts, write nothing")
    args = parser.parse_args(argv)
    if not (SHARED / "lists").is_dir():
        print(f"no list files at {SHARED / 'lists'} (set SANCTIONS_SHARED_DIR)", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    files = build()
    planned = {path: data for path, (data, _) in files.items()}
    planned[OUT_MIRROR / "MIRROR.json"] = index(files)
    if args.check:
        differ = [p for p, data in planned.items() if not p.is_file() or p.read_bytes() != data]
        for p in differ:
            print(f"differs from a fresh cut: {p.relative_to(ROOT)}", file=sys.stderr)
        return 1 if differ else 0
    for path, data in planned.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"{path.relative_to(ROOT)}: {len(data):,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
