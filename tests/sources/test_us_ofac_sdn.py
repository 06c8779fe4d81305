"""The SDN CSV set parsed for real: the excerpt in tests/fixtures/mirror/us_ofac_sdn (cut from sdn.csv of 2024-05-03
and the companions of 2025-12 in ../shared; the whole files' figures are checked by tests/sync/test_worker.py)."""

from __future__ import annotations

import csv
import io
from collections import Counter

import pytest

from service.errors import ParseError
from service.model import Entity, EntityKind, IdentifierType, NameQuality, NameType
from service.sources import ParseReport, us_ofac_sdn
from tests.conftest import read_fixture_files


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return read_fixture_files("us_ofac_sdn")


@pytest.fixture(scope="module")
def parsed(files: dict[str, bytes]) -> tuple[dict[str, Entity], ParseReport]:
    report = ParseReport()
    entities = {e.id: e for e in us_ofac_sdn.parse(files, report)}
    return entities, report


@pytest.fixture(scope="module")
def entities(parsed: tuple[dict[str, Entity], ParseReport]) -> dict[str, Entity]:
    return parsed[0]


def rows(data: bytes) -> list[list[str]]:
    """The file read independently of the parser (csv module, OFAC's EOF byte dropped)."""
    return list(csv.reader(io.StringIO(data.decode("ascii").rstrip("\x1a"), newline="")))


def subset(files: dict[str, bytes], count: int) -> dict[str, bytes]:
    """The first `count` primary rows and their companion rows, as a well-formed OFAC set."""
    lines = {name: data.rstrip(b"\x1a").splitlines() for name, data in files.items()}
    keep = {line.split(b",", 1)[0] for line in lines["sdn.csv"][:count]}
    return {
        name: b"".join(line + b"\r\n" for line in rows if line.split(b",", 1)[0] in keep) + b"\x1a"
        for name, rows in lines.items()
    }


def test_us_ofac_sdn_counts_by_kind_agree_with_the_file(
    files: dict[str, bytes], parsed: tuple[dict[str, Entity], ParseReport]
) -> None:
    entities, report = parsed
    types = Counter(r[2].strip() for r in rows(files["sdn.csv"]))
    kinds = Counter(e.kind for e in entities.values())
    assert len(entities) == sum(types.values()) == 75
    assert kinds[EntityKind.ORGANIZATION] == types["-0-"] == 37
    assert kinds[EntityKind.PERSON] == types["individual"] == 21
    assert kinds[EntityKind.VESSEL] == types["vessel"] == 8
    assert kinds[EntityKind.AIRCRAFT] == types["aircraft"] == 9
    assert report.counts["entities"] == 75
    assert report.counts["person"] == 21


def test_us_ofac_sdn_reports_orphan_companion_rows(
    files: dict[str, bytes], parsed: tuple[dict[str, Entity], ParseReport]
) -> None:
    _, report = parsed
    primary = {r[0] for r in rows(files["sdn.csv"])}
    orphans = {
        name: sum(1 for r in rows(files[name]) if r[0] not in primary)
        for name in ("add.csv", "alt.csv", "sdn_comments.csv")
    }
    assert orphans == {"add.csv": 4, "alt.csv": 4, "sdn_comments.csv": 4}
    assert report.counts["orphan_addresses"] == orphans["add.csv"]
    assert report.counts["orphan_aliases"] == orphans["alt.csv"]
    assert report.counts["orphan_comments"] == orphans["sdn_comments.csv"]
    assert [w for w in report.warnings if "absent from sdn.csv" in w] == [
        "12 companion rows name an ent_num absent from sdn.csv (add.csv: 4, alt.csv: 4, "
        "sdn_comments.csv: 4); the companion files are probably newer than the primary file"
    ]


def test_us_ofac_sdn_companions_join_on_ent_num(files: dict[str, bytes], entities: dict[str, Entity]) -> None:
    primary = {r[0] for r in rows(files["sdn.csv"])}
    addresses = sum(1 for r in rows(files["add.csv"]) if r[0] in primary and any(c.strip() != "-0-" for c in r[2:5]))
    strong = sum(1 for r in rows(files["alt.csv"]) if r[0] in primary)
    assert sum(len(e.addresses) for e in entities.values()) == addresses
    assert sum(1 for e in entities.values() for a in e.aliases if a.quality is NameQuality.STRONG) == strong


def test_us_ofac_sdn_person_with_aliases_birth_date_and_addresses(entities: dict[str, Entity]) -> None:
    putin = entities["us_ofac_sdn:35096"]
    assert putin.kind is EntityKind.PERSON
    assert (putin.name.full, putin.name.family, putin.name.given) == (
        "PUTIN, Vladimir Vladimirovich",
        "PUTIN",
        "Vladimir Vladimirovich",
    )
    assert [(a.full, a.type, a.quality) for a in putin.aliases] == [
        ("PUTIN, Vladimir", NameType.AKA, NameQuality.STRONG)
    ]
    assert [(d.start, d.raw) for d in putin.birth_dates] == [("1952-10-07", "07 Oct 1952")]
    assert putin.birth_places == ("Leningrad, Russia",)
    assert putin.nationalities == ("RU",) and putin.citizenships == ("RU",)
    assert putin.gender == "male"
    assert putin.titles == ("President of the Russian Federation",)
    assert putin.remarks == ()  # the remark repeating the title is not kept twice
    assert [a.street for a in putin.addresses] == ["Kremlin", "Novo-Ogaryevo", "Bocharov Ruchey", "Valdai"]
    assert (putin.addresses[0].full, putin.addresses[0].city, putin.addresses[0].country) == (
        "Kremlin, Moscow, Russia",
        "Moscow",
        "RU",
    )
    assert putin.programs == ("RUSSIA-EO14024",)


def test_us_ofac_sdn_identifiers_carry_issuing_country_and_dates(entities: dict[str, Entity]) -> None:
    maduro = entities["us_ofac_sdn:22790"]
    assert (maduro.name.family, maduro.name.given) == ("MADURO MOROS", "Nicolas")
    assert [(i.type, i.value, i.country, i.label) for i in maduro.identifiers] == [
        (IdentifierType.NATIONAL_ID, "5892464", "VE", "Cedula No.")
    ]
    assert maduro.birth_dates[0].start == "1962-11-23"
    passport = entities["us_ofac_sdn:6905"].identifiers[0]
    assert (passport.type, passport.value, passport.country, passport.note) == (
        IdentifierType.PASSPORT,
        "484824",
        "EG",
        "issued 18 Jan 1984",
    )
    # A bracket that is no country stays part of the number; the country after it is read.
    reg = entities["us_ofac_sdn:44201"].identifiers[0]
    assert (reg.type, reg.value, reg.country) == (IdentifierType.REGISTRATION, "HRA 738077 (Stuttgart)", "DE")


def test_us_ofac_sdn_vessel_has_imo_mmsi_flag_and_resolved_link(entities: dict[str, Entity]) -> None:
    olympia = entities["us_ofac_sdn:37445"]
    assert olympia.kind is EntityKind.VESSEL
    ids = {(i.type, i.value) for i in olympia.identifiers}
    assert ids == {
        (IdentifierType.IMO, "1006960"),
        (IdentifierType.MMSI, "319766000"),
        (IdentifierType.CALL_SIGN, "ZCGR"),
    }
    assert olympia.properties == {"vessel_type": "Yacht", "gross_registered_tonnage": "776", "flag": "Cayman Islands"}
    assert olympia.countries == ("KY",)
    [link] = olympia.links
    assert (link.relation, link.name, link.target_id) == (
        "linked_to",
        "PUTIN, Vladimir Vladimirovich",
        "us_ofac_sdn:35096",
    )


def test_us_ofac_sdn_vessel_owner_column_becomes_an_owner_link(
    files: dict[str, bytes], entities: dict[str, Entity]
) -> None:
    owned = [e for e in entities.values() if any(lk.relation == "owner" for lk in e.links)]
    assert len(owned) == sum(1 for r in rows(files["sdn.csv"]) if r[10].strip() != "-0-") == 2  # Vess_owner cells
    assert all(e.kind is EntityKind.VESSEL for e in owned)


def test_us_ofac_sdn_aircraft_has_tail_number_msn_and_operator(entities: dict[str, Entity]) -> None:
    plane = entities["us_ofac_sdn:15431"]
    assert plane.kind is EntityKind.AIRCRAFT
    ids = {(i.type, i.value) for i in plane.identifiers}
    assert (IdentifierType.TAIL_NUMBER, "EP-GOM") in ids
    assert (IdentifierType.AIRCRAFT_MSN, "1023409321") in ids
    assert plane.properties == {"build_date": "1992", "model": "IL76-TD"}
    # YAS AIR is an a.k.a. of POUYA AIR (alt.csv), so both links resolve to the same entity.
    assert [(lk.relation, lk.name, lk.target_id) for lk in plane.links] == [
        ("operator", "YAS AIR", "us_ofac_sdn:13109"),
        ("linked_to", "POUYA AIR", "us_ofac_sdn:13109"),
    ]
    # Named "MSN 550": the serial number, and a tail number OFAC marks as previous.
    msn = entities["us_ofac_sdn:18158"]
    assert {(i.type, i.value, i.note) for i in msn.identifiers} >= {
        (IdentifierType.AIRCRAFT_MSN, "550", None),
        (IdentifierType.TAIL_NUMBER, "2-WGLP", "previous"),
    }
    aircraft = [e for e in entities.values() if e.kind is EntityKind.AIRCRAFT]
    assert aircraft and all(any(i.type is IdentifierType.TAIL_NUMBER for i in e.identifiers) for e in aircraft)


def test_us_ofac_sdn_company_imo_number_is_never_a_ship_imo(entities: dict[str, Entity]) -> None:
    company = entities["us_ofac_sdn:37446"]
    assert [(i.type, i.value) for i in company.identifiers] == [(IdentifierType.IMO_COMPANY, "3001731")]
    # Ship IMO numbers sit only on vessels, whatever label OFAC used.
    for e in entities.values():
        for i in e.identifiers:
            if i.type is IdentifierType.IMO:
                assert e.kind is EntityKind.VESSEL, e.id
            if i.type is IdentifierType.IMO_COMPANY:
                assert e.kind is not EntityKind.VESSEL, e.id


def test_us_ofac_sdn_weak_aliases_come_from_quoted_remarks(
    files: dict[str, bytes], entities: dict[str, Entity]
) -> None:
    bank = entities["us_ofac_sdn:306"]
    assert [(a.full, a.quality) for a in bank.aliases] == [
        ("BNC", NameQuality.WEAK),
        ("NATIONAL BANK OF CUBA", NameQuality.STRONG),
    ]
    fka = entities["us_ofac_sdn:22985"].aliases[0]
    assert (fka.full, fka.type, fka.quality) == ("KYONGYONG CREDIT BANK", NameType.FKA, NameQuality.WEAK)
    # Every quoted a.k.a./f.k.a./n.k.a. in the remarks, including those in the joined sdn_comments.csv rows.
    remarks = {r[0]: r[11] for r in rows(files["sdn.csv"])}
    for ent_num, rest in rows(files["sdn_comments.csv"]):
        if len(remarks.get(ent_num, "")) >= 1000:
            remarks[ent_num] += rest
    quoted = sum(text.count(".k.a. '") for text in remarks.values())
    weak = sum(1 for e in entities.values() for a in e.aliases if a.quality is NameQuality.WEAK)
    assert weak == quoted == 32


def test_us_ofac_sdn_remarks_continue_in_sdn_comments(entities: dict[str, Entity]) -> None:
    lazarus = entities["us_ofac_sdn:27307"]
    # sdn.csv cuts the remark at 1000 characters inside "a.k.a. 'WHOIS HACKIN"; sdn_comments.csv holds the rest.
    assert "WHOIS HACKING TEAM" in {a.full for a in lazarus.aliases}
    assert {a.full for a in lazarus.aliases} >= {"RED DOT", "APPLEWORM"}
    cryptos = [i for i in lazarus.identifiers if i.type is IdentifierType.CRYPTO]
    assert cryptos[0].value == "0x098B716B8Aaf21512996dC57EB0615e2383E2f96"
    assert cryptos[0].label == "Digital Currency Address - ETH"


def test_us_ofac_sdn_unknown_remark_keys_are_kept_verbatim(entities: dict[str, Entity]) -> None:
    bank = entities["us_ofac_sdn:22985"]
    assert bank.remarks == (
        "Secondary sanctions risk: North Korea Sanctions Regulations, sections 510.201 and 510.210",
        "Transactions Prohibited For Persons Owned or Controlled By U.S. Financial Institutions: North Korea "
        "Sanctions Regulations section 510.214",
    )
    assert [(i.type, i.value) for i in bank.identifiers] == [(IdentifierType.SWIFT_BIC, "KYCBKPPY")]


def test_us_ofac_sdn_programs_and_source_record(entities: dict[str, Entity]) -> None:
    person = entities["us_ofac_sdn:9647"]
    assert person.programs == ("SDGT", "NS-PLC")
    assert person.source is not None
    assert person.source.upstream_id == "9647"
    assert person.source.fields["Program"] == "SDGT] [NS-PLC"
    assert person.source.fields["SDN_Type"] == "individual"
    assert person.source.fields["Title"] is None


def test_us_ofac_sdn_links_point_at_entities_of_the_list(
    parsed: tuple[dict[str, Entity], ParseReport],
) -> None:
    entities, report = parsed
    targets = [lk.target_id for e in entities.values() for lk in e.links if lk.target_id]
    assert targets and all(t in entities for t in targets)
    assert report.counts["links_resolved"] == len(targets)
    assert report.counts["links_resolved"] > 0.95 * report.counts["links"]


def test_us_ofac_sdn_parse_is_deterministic(files: dict[str, bytes], entities: dict[str, Entity]) -> None:
    again = list(us_ofac_sdn.parse(files))
    assert [e.id for e in again] == list(entities)
    assert again == list(entities.values())


def test_us_ofac_sdn_list_id_argument_stamps_ids(files: dict[str, bytes]) -> None:
    ids = [e.id for e in us_ofac_sdn.parse(subset(files, 3), list_id="mirror_sdn")]
    assert ids == ["mirror_sdn:36", "mirror_sdn:173", "mirror_sdn:306"]


def test_us_ofac_sdn_truncated_primary_raises(files: dict[str, bytes]) -> None:
    data = files["sdn.csv"]
    for cut in (len(data) // 2, len(data) - 5, 300):  # inside quotes, in the last row, in an unquoted cell
        with pytest.raises(ParseError):
            list(us_ofac_sdn.parse({**files, "sdn.csv": data[:cut]}))


def test_us_ofac_sdn_wrong_column_count_raises(files: dict[str, bytes]) -> None:
    bad = files["sdn.csv"].replace(b'36,"AEROCARIBBEAN AIRLINES",-0- ,', b'36,"AEROCARIBBEAN AIRLINES",', 1)
    with pytest.raises(ParseError, match="line 1 has 11 columns"):
        list(us_ofac_sdn.parse({**files, "sdn.csv": bad}))


def test_us_ofac_sdn_unterminated_quote_raises(files: dict[str, bytes]) -> None:
    bad = b'36,"AEROCARIBBEAN AIRLINES,-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n\x1a'
    with pytest.raises(ParseError):
        list(us_ofac_sdn.parse({**files, "sdn.csv": bad}))


@pytest.mark.parametrize("body", [b"", b"\x1a", b"\r\n\x1a"])
def test_us_ofac_sdn_empty_primary_raises(files: dict[str, bytes], body: bytes) -> None:
    with pytest.raises(ParseError):
        list(us_ofac_sdn.parse({**files, "sdn.csv": body}))


def test_us_ofac_sdn_missing_companion_raises_but_comments_are_optional(files: dict[str, bytes]) -> None:
    without_alt = {k: v for k, v in files.items() if k != "alt.csv"}
    with pytest.raises(ParseError, match=r"alt\.csv"):
        list(us_ofac_sdn.parse(without_alt))
    report = ParseReport()
    without_comments = {k: v for k, v in subset(files, 50).items() if k != "sdn_comments.csv"}
    assert len(list(us_ofac_sdn.parse(without_comments, report))) == 50
    assert report.counts["missing:sdn_comments.csv"] == 1


def test_us_ofac_sdn_truncated_companion_raises(files: dict[str, bytes]) -> None:
    with pytest.raises(ParseError, match=r"add\.csv"):
        list(us_ofac_sdn.parse({**files, "add.csv": files["add.csv"][:-40]}))


def test_us_ofac_sdn_reads_windows_1252_bytes() -> None:
    files = {
        "sdn.csv": b'1,"CAF\xc9 S.A.",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"a.k.a. \'CAF\xc9\'."\r\n\x1a',
        "add.csv": b'1,10,"Calle 5","Bogot\xe1","Colombia",-0- \r\n\x1a',
        "alt.csv": b"\x1a",
    }
    report = ParseReport()
    [e] = us_ofac_sdn.parse(files, report)
    assert e.name.full == "CAFÉ S.A."
    assert [(a.full, a.quality) for a in e.aliases] == [("CAFÉ", NameQuality.WEAK)]
    assert e.addresses[0].city == "Bogotá" and e.addresses[0].country == "CO"
    assert "sdn.csv: not UTF-8, read as cp1252" in report.warnings


def test_us_ofac_sdn_missing_eof_byte_is_a_warning(files: dict[str, bytes]) -> None:
    small = subset(files, 20)
    report = ParseReport()
    entities = list(us_ofac_sdn.parse({**small, "sdn.csv": small["sdn.csv"].rstrip(b"\x1a")}, report))
    assert len(entities) == 20
    assert report.counts["eof_marker_missing"] == 1
    assert report.warnings == ["sdn.csv: no \\x1a end-of-file byte; the file may be cut at a row boundary"]
