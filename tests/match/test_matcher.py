"""The matcher on real list records: variations real screening meets, identifiers, links, filters, evidence.

Finding a given listed party runs on the excerpts (`excerpt_matcher`); "no false alarm" tests, and those where a
word's frequency on the lists decides, need the whole lists (`real_matcher`, ../shared)."""

from __future__ import annotations

import gc
import pickle
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from service.errors import QueryError
from service.match.matcher import Matcher
from service.model import Entity, EntityKind, Hit, Name, Query, Snapshot
from tests.conftest import ROOT, read_fixture_files
from tests.match.conftest import _snapshots

SDN_MADURO = "us_ofac_sdn:22790"
SDN_PUTIN = "us_ofac_sdn:35096"
SDN_BIN_LADIN = "us_ofac_sdn:6365"
SDN_EP_GOM = "us_ofac_sdn:15431"
SDN_POUYA_AIR = "us_ofac_sdn:13109"
SDN_OLYMPIA = "us_ofac_sdn:37445"
SDN_MAHAN_AIR = "us_ofac_sdn:12927"


def _top(hits: list[Hit], entity_id: str) -> Hit:
    found = [h for h in hits if h.entity_id == entity_id]
    assert found, f"{entity_id} not among {[(h.entity_id, h.score) for h in hits]}"
    return found[0]


@pytest.mark.parametrize(
    "name",
    [
        "Nicolas Maduro Moros",
        "MADURO MOROS, Nicolas",
        "Nicolás Maduro Moros",
        "Nicolas Maduro",
        "Nicolas Madruo Moros",  # transposition typo
        "NicolÃ¡s Maduro Moros",  # UTF-8 read as cp1252
    ],
)
def test_screen_finds_maduro_across_variations(excerpt_matcher: Matcher, name: str) -> None:
    hit = _top(excerpt_matcher.screen(Query(name=name)), SDN_MADURO)
    assert hit.match, hit


@pytest.mark.parametrize("name", ["Vladimir Putin", "Владимир Путин", "Путин Владимир Владимирович", "PUTIN Wladimir"])
def test_screen_finds_putin_in_latin_and_cyrillic(excerpt_matcher: Matcher, name: str) -> None:
    assert _top(excerpt_matcher.screen(Query(name=name, kind=EntityKind.PERSON)), SDN_PUTIN).match


def test_screen_matches_arabic_script_to_latin_listing(real_matcher: Matcher) -> None:
    hit = _top(real_matcher.screen(Query(name="أسامة بن لادن")), SDN_BIN_LADIN)
    assert hit.match
    assert hit.evidence[0].method == "token_alignment"


def test_screen_different_given_name_is_not_a_match(excerpt_matcher: Matcher) -> None:
    hits = excerpt_matcher.screen(Query(name="Carlos Maduro"))
    assert all(not h.match for h in hits if h.entity_id == SDN_MADURO)
    # Not absent by accident: retrieved and scored, below Matcher.screen's default threshold (0.8).
    assert _top(excerpt_matcher.screen(Query(name="Carlos Maduro"), threshold=0.0), SDN_MADURO).score < 0.8


def test_screen_ordinary_name_raises_no_match(real_matcher: Matcher) -> None:
    for name in ("John Smith", "Maria Garcia Lopez", "Emily Johnson", "Northern Star Logistics LLC"):
        assert not [h for h in real_matcher.screen(Query(name=name)) if h.match], name


def test_screen_legal_form_alone_does_not_carry_a_match(real_matcher: Matcher) -> None:
    hits = real_matcher.screen(Query(name="Acme Widgets Joint Stock Company"))
    assert not [h for h in hits if h.match]


def test_screen_legal_form_variants_still_match(excerpt_matcher: Matcher) -> None:
    assert _top(excerpt_matcher.screen(Query(name="Mahan Airlines")), SDN_MAHAN_AIR).match


@pytest.mark.parametrize("value", ["EP-GOM", "EPGOM", "ep gom"])
def test_screen_tail_number_finds_aircraft_with_operator(excerpt_matcher: Matcher, value: str) -> None:
    hit = _top(excerpt_matcher.screen(Query(identifiers=(value,))), SDN_EP_GOM)
    assert hit.match and hit.score == 1.0
    assert hit.kind == EntityKind.AIRCRAFT
    assert any(link.entity_id == SDN_POUYA_AIR and link.relation == "operator" for link in hit.linked)
    ev = next(e for e in hit.evidence if e.field == "identifier")
    assert ev.method == "exact_identifier" and ev.list_normalized == "EPGOM"
    link = next(e for e in hit.evidence if e.field == "link" and e.method == "linked_party")
    assert link.list_value == "POUYA AIR" and link.list_normalized == SDN_POUYA_AIR
    assert "operator" in (link.detail or "")


def test_screen_identifier_typed_in_name_field(excerpt_matcher: Matcher) -> None:
    hit = _top(excerpt_matcher.screen(Query(name="IMO 1006960")), SDN_OLYMPIA)
    assert hit.match
    assert any(link.entity_id == SDN_PUTIN for link in hit.linked)


def test_screen_imo_with_wrong_check_digit_finds_nothing(excerpt_matcher: Matcher) -> None:
    assert not [h for h in excerpt_matcher.screen(Query(identifiers=("IMO 1006961",))) if h.match]


def test_screen_operator_surfaces_its_listed_aircraft(excerpt_matcher: Matcher) -> None:
    hit = _top(excerpt_matcher.screen(Query(name="Pouya Air")), SDN_POUYA_AIR)
    assert any(link.entity_id == SDN_EP_GOM and link.relation == "operator of" for link in hit.linked)


def test_screen_kind_mismatch_lowers_score_visibly(excerpt_matcher: Matcher) -> None:
    as_any = _top(excerpt_matcher.screen(Query(name="Olympia")), SDN_OLYMPIA)
    as_person = _top(excerpt_matcher.screen(Query(name="Olympia", kind=EntityKind.PERSON)), SDN_OLYMPIA)
    assert as_person.score < as_any.score
    assert any(e.field == "kind" and e.weight < 0 for e in as_person.evidence)


def test_screen_birth_date_corroborates_and_contradicts(excerpt_matcher: Matcher) -> None:
    base = _top(excerpt_matcher.screen(Query(name="Nicolas Maduro")), SDN_MADURO)
    good = _top(excerpt_matcher.screen(Query(name="Nicolas Maduro", birth_date="1962-11-23")), SDN_MADURO)
    bad = _top(excerpt_matcher.screen(Query(name="Nicolas Maduro", birth_date="1990-01-01")), SDN_MADURO)
    assert bad.score < base.score < good.score
    assert any(e.field == "birth_date" and e.method == "birth_date_exact" for e in good.evidence)
    assert any(e.field == "birth_date" and e.weight < 0 for e in bad.evidence)


def test_screen_filters_lists_kinds_programs_and_exclusions(excerpt_matcher: Matcher) -> None:
    q = Query(name="Vladimir Putin")
    assert {h.list_id for h in excerpt_matcher.screen(q, lists=["au_dfat_sanctions"])} == {"au_dfat_sanctions"}
    vessels = excerpt_matcher.screen(Query(name="Olympia"), kinds=[EntityKind.VESSEL])
    assert vessels and all(h.kind == EntityKind.VESSEL for h in vessels)
    assert SDN_PUTIN not in {h.entity_id for h in excerpt_matcher.screen(q, exclude_ids=[SDN_PUTIN])}
    progs = excerpt_matcher.screen(q, programs=["RUSSIA-EO14024"])
    assert progs and all("RUSSIA-EO14024" in h.programs for h in progs)


def test_screen_hits_carry_evidence_and_list_version(excerpt_matcher: Matcher) -> None:
    hit = _top(excerpt_matcher.screen(Query(name="Maduro Moros Nicolas")), SDN_MADURO)
    ev = hit.evidence[0]
    assert ev.field == "name" and ev.query_normalized == "maduro moros nicolas"
    assert ev.list_normalized == "maduro moros nicolas"
    assert hit.list_version == "test-us_ofac_sdn"
    assert "VENEZUELA" in hit.programs


def test_screen_rejects_empty_query(excerpt_matcher: Matcher) -> None:
    with pytest.raises(QueryError):
        excerpt_matcher.screen(Query(name="  "))


def test_compare_scores_two_records_with_the_same_scorer(excerpt_matcher: Matcher) -> None:
    same = excerpt_matcher.compare(Query(name="Nicolas Maduro"), Query(name="MADURO MOROS, Nicolas"))
    other = excerpt_matcher.compare(Query(name="Nicolas Maduro"), Query(name="Carlos Maduro"))
    assert same.match and not other.match
    assert same.evidence[0].field == "name"


@pytest.mark.parametrize("name", ["V.V. Putin", "Putin V.V.", "V. Putin"])
def test_screen_dotted_initials_stand_for_given_names(excerpt_matcher: Matcher, name: str) -> None:
    assert _top(excerpt_matcher.screen(Query(name=name, kind=EntityKind.PERSON)), SDN_PUTIN).match


def test_screen_listed_single_letters_are_not_initials_of_query_words(excerpt_matcher: Matcher) -> None:
    # "S&D SOLUTIONS" must not match any "S... Solutions": the listed letters are the name, not initials
    assert not [h for h in excerpt_matcher.screen(Query(name="Summit Solutions LLC")) if h.match]


@pytest.mark.parametrize("name", ["MV Olympia", "M/Y OLYMPIA", "Olympia yacht"])
def test_screen_vessel_prefixes_do_not_cost(excerpt_matcher: Matcher, name: str) -> None:
    assert _top(excerpt_matcher.screen(Query(name=name, kind=EntityKind.VESSEL)), SDN_OLYMPIA).match


@pytest.mark.parametrize("name", ["김정은", "Gim Jeong-eun", "Kim Jong Eun"])
def test_screen_korean_script_and_romanizations_find_kim_jong_un(excerpt_matcher: Matcher, name: str) -> None:
    assert _top(excerpt_matcher.screen(Query(name=name, kind=EntityKind.PERSON)), "us_ofac_sdn:20157").match


@pytest.mark.parametrize(
    ("hangul", "entity_id"),
    [
        ("백세봉", "un_sc_sanctions:KPi.048"),  # PAEK SE BONG: the given name's ㅂ voiced
        ("백창호", "un_sc_sanctions:KPi.006"),  # PAEK CHANG-HO
        ("김정식", "un_sc_sanctions:KPi.066"),  # KIM JONG SIK
        ("리성혁", "un_sc_sanctions:KPi.077"),  # RI SONG HYOK: ㄹ as r, ㅓ as o
    ],
)
def test_screen_finds_north_koreans_typed_in_hangul(excerpt_matcher: Matcher, hangul: str, entity_id: str) -> None:
    """The lists write North Koreans in the DPRK's romanization only; a name in Hangul is read that way too
    (service.normalize.hangul), and the evidence says which reading matched."""
    hit = _top(excerpt_matcher.screen(Query(name=hangul)), entity_id)
    assert hit.match and hit.score >= 0.95, hit.score
    name = hit.evidence[0]
    assert name.query_value == hangul and name.query_normalized and name.query_normalized.isascii()


def test_a_syllable_left_over_in_hangul_is_no_added_name() -> None:
    """The name "인철 광수" (two given names) holds KANG's given name 철수 and more: a Korean syllable is not a
    name of its own, so the syllable left over costs in full, not as an added given name does in a Latin name."""
    listed = Entity(id="x:1", list_id="x", kind=EntityKind.PERSON, name=Name("KANG Chol Su"))
    matcher = Matcher.build([Snapshot("x", "v1", (listed,))])
    assert not [h for h in matcher.screen(Query(name="인철 광수")) if h.match]
    assert [h.entity_id for h in matcher.screen(Query(name="강철수")) if h.match] == ["x:1"]
    # an added given name in a Latin name still costs a part only
    assert [h.entity_id for h in matcher.screen(Query(name="Kang Chol Su Min")) if h.match] == ["x:1"]


def test_a_hangul_reading_is_held_to_the_hangul_against_a_hangul_name(excerpt_matcher: Matcher) -> None:
    """A reading of a Hangul name keeps the name's script and syllables: against a name in Hangul it scores at most
    their similarity syllable by syllable, as the name itself does (a reading may not match what the name does not)."""
    c = excerpt_matcher.compare(Query(name="한수은"), Query(name="한수우"))
    assert not c.match, (c.score, [e.detail for e in c.evidence])


def test_screen_korean_names_one_syllable_apart_do_not_match(real_matcher: Matcher) -> None:
    hits = real_matcher.screen(Query(name="Kim Seung-ho", kind=EntityKind.PERSON))
    assert "us_ofac_sdn:22991" not in {h.entity_id for h in hits if h.match}  # KIM, Sang-ho


# The default lists, each with an excerpt in tests/fixtures/mirror.
EXCERPT_LISTS = (
    "au_dfat_sanctions",
    "ca_dfatd_sema_sanctions",
    "eu_fsf",
    "gb_fcdo_sanctions",
    "un_sc_sanctions",
    "us_ofac_cons",
    "us_ofac_sdn",
)


@pytest.mark.parametrize("list_id", EXCERPT_LISTS)
def test_screen_every_listed_primary_name_finds_its_entity(excerpt_matcher: Matcher, list_id: str) -> None:
    """Real names as each list writes them (word order, scripts, punctuation, legal forms) find their own entry."""
    entities = [e for e in excerpt_matcher.index.entities if e.list_id == list_id]
    assert len(entities) >= 5
    missed = [
        (e.id, e.name.full)
        for e in entities
        if not any(h.entity_id == e.id and h.match for h in excerpt_matcher.screen(Query(name=e.name.full), limit=50))
    ]
    assert missed == []


SDN_SECHIN = "us_ofac_sdn:16692"


@pytest.mark.parametrize(
    ("left", "right", "same"),
    [
        ("Siemens Aktiengesellschaft", "Siemens AG", True),  # a legal form in full
        ("LIMITED LIABILITY COMAPNY RIMERA", "RIMERA LLC", True),  # misspelt
        ("POLYUS JOINT STOCK COMPAN", "POLYUS JSC", True),  # truncated
        ("A.B.C. Company", "ABC Co.", True),  # dotted initials
        ("Brigade Forty-Four", "Brigade 44", True),
        ("3 Percenters", "Three Percenters", True),
        ("Kim Jong-uun", "Kim Jong-un", True),  # one edit in a short distinctive token
        ("Bushra al-Assad", "Bashar al-Assad", False),  # siblings
        ("高石", "高市", False),  # one reading, two characters
        ("김정은", "김정운", False),  # one Hangul syllable apart
        ("Wang Xiuying", "Wang Xiuming", False),  # another Pinyin syllable
    ],
)
def test_compare_classes_of_the_matcher_issue(excerpt_matcher: Matcher, left: str, right: str, same: bool) -> None:
    c = excerpt_matcher.compare(Query(name=left), Query(name=right))
    assert c.match is same, (c.score, [e.detail for e in c.evidence])


def test_compare_two_companies_sharing_only_common_words_differ(real_matcher: Matcher) -> None:
    # needs the whole lists: how little "silver" and "co" say comes from their frequency on them
    c = real_matcher.compare(Query(name="Silver Maritime Co"), Query(name="Silver Bridge Shipping Co"))
    assert not c.match, (c.score, [e.detail for e in c.evidence])


def test_compare_says_when_only_a_skeleton_links_given_names(excerpt_matcher: Matcher) -> None:
    c = excerpt_matcher.compare(Query(name="Bushra al-Assad"), Query(name="Bashar al-Assad"))
    assert "skeleton" in (c.evidence[0].detail or "")


@pytest.mark.parametrize("name", ["Ig0r Sech1n", "Präsident Igor Sechin", "Herr Igor Setschin"])
def test_screen_digits_for_letters_and_foreign_titles(excerpt_matcher: Matcher, name: str) -> None:
    assert _top(excerpt_matcher.screen(Query(name=name, kind=EntityKind.PERSON)), SDN_SECHIN).match


def test_screen_listed_name_with_a_wrong_birth_date_is_still_found(excerpt_matcher: Matcher) -> None:
    hit = _top(excerpt_matcher.screen(Query(name="SECHIN, Igor Ivanovich", birth_date="1971-05-05")), SDN_SECHIN)
    assert hit.match
    assert any(e.field == "birth_date" and e.method == "birth_date_differs" for e in hit.evidence)


def test_screen_caller_weights_override_the_table(excerpt_matcher: Matcher) -> None:
    q = Query(name="SECHIN, Igor Ivanovich", birth_date="1971-05-05")
    default = _top(excerpt_matcher.screen(q), SDN_SECHIN).score
    lenient = _top(excerpt_matcher.screen(q, weights={"birth_date_mismatch": 0.0}), SDN_SECHIN).score
    assert lenient > default
    with pytest.raises(QueryError, match="unknown feature"):
        excerpt_matcher.screen(q, weights={"dob_mismatch": 0.0})
    with pytest.raises(QueryError, match="unknown feature"):
        excerpt_matcher.compare(q, q, weights={"dob_mismatch": 0.0})


def test_screen_arabic_script_finds_latin_only_listing(real_matcher: Matcher) -> None:
    hit = _top(real_matcher.screen(Query(name="طارق عزيز"), limit=50), "us_ofac_sdn:7867")  # AZIZ, Tariq
    assert hit.match


@pytest.mark.parametrize("enabled", [True, False])
def test_build_leaves_the_garbage_collector_as_it_found_it(enabled: bool) -> None:
    # Matcher.build pauses the collector while it builds (a speed measure): it must be back as it was after
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        matcher = Matcher.build([Snapshot("x", "v1", (Entity(id="x:1", list_id="x", kind=EntityKind.PERSON,
                                                             name=Name("Ivan Petrov")),))])  # fmt: skip
        assert gc.isenabled() is enabled
        assert [h.entity_id for h in matcher.screen(Query(name="Ivan Petrov"))] == ["x:1"]
    finally:
        gc.enable() if was else gc.disable()


def test_a_build_from_the_serving_matcher_reuses_its_analysis_and_answers_the_same(excerpt_matcher: Matcher) -> None:
    """A list change is built with the serving matcher's name analysis: the same objects, the same answers."""
    from tests.conftest import read_fixture_files
    from tests.match.conftest import _snapshots

    snapshots = _snapshots(read_fixture_files)
    dropped = snapshots[0].entities[-1]
    changed = [replace(snapshots[0], entities=snapshots[0].entities[:-1]), *snapshots[1:]]  # one entity delisted
    fresh = Matcher.build(changed)
    reused = Matcher.build(changed, previous=excerpt_matcher)
    before = {x.name.full: x.norm for x in excerpt_matcher.index.names}
    shared = [x for x in reused.index.names if before.get(x.name.full) is x.norm]
    assert len(shared) == len(reused.index.names) > 100  # every name's analysis came from the serving matcher
    assert reused.get(dropped.id) is None and excerpt_matcher.get(dropped.id) is not None
    # the spelling variants too, counted again for the changed entities only, equal those learned from scratch
    assert len(fresh.index.comparer.variants) > 0
    assert reused.index.comparer.variants == fresh.index.comparer.variants
    queries = [Query(name=x.name.full) for x in fresh.index.names[::7]]
    assert queries
    for q in queries:
        assert [(h.entity_id, h.score) for h in reused.screen(q)] == [(h.entity_id, h.score) for h in fresh.screen(q)]


def _unreachable_after_del(make: Callable[[], object]) -> list[str]:
    """With the collector off, make an object and drop it: the classes of this package's objects that a
    collection then finds unreachable (freed only by a collection: held by a reference cycle)."""
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        made = make()
        assert isinstance(made, Matcher)
        del made
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        return sorted({f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.garbage
                       if type(o).__module__.startswith("service.")})  # fmt: skip
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable() if was else gc.disable()


def _served_matcher(pickled: bool, cycle: bool = False) -> Callable[[], Matcher]:
    """A matcher over the excerpts as a server holds one: its text view built, memos filled by screenings (names,
    text), straight from a build or through the matcher cache's pickle."""
    import pickle

    from service.match import text
    from tests.conftest import read_fixture_files
    from tests.match.conftest import _snapshots

    snapshots = _snapshots(read_fixture_files)

    def make() -> Matcher:
        matcher = Matcher.build(snapshots)
        if pickled:
            matcher = pickle.loads(pickle.dumps(matcher, protocol=pickle.HIGHEST_PROTOCOL))
        text.prepare(matcher)
        for name in ("Nicolas Madruo Moros", "Владимир Путин", "Mahan Air", "EP-GOM", "Usama bin Ladin"):
            assert matcher.screen(Query(name=name))
        assert text.scan_text(matcher, "Minister Nicolas Maduro met Mahan Air officials.", threshold=0.8).mentions
        if cycle:
            matcher.index.itself = matcher.index  # type: ignore[attr-defined]
        return matcher

    return make


@pytest.mark.parametrize("pickled", [False, True], ids=["built", "from the cache"])
def test_a_serving_matcher_holds_no_reference_cycle(pickled: bool) -> None:
    """The server freezes its matcher for the collector and frees a replaced one by reference counting alone
    (service.api.heap): a cycle anywhere in it would keep the whole matcher for the life of the process."""
    assert _unreachable_after_del(_served_matcher(pickled)) == []


def test_the_reference_cycle_check_sees_a_cycle() -> None:
    found = _unreachable_after_del(_served_matcher(pickled=False, cycle=True))
    assert "service.match.index.Index" in found and "service.match.score.TokenComparer" in found


def test_warm_up_loads_what_the_libraries_load_on_first_use(tmp_path: Path) -> None:
    """A matcher loaded from the cache, in a fresh process: pycountry's database is loaded by the first screening
    that needs it, unless warm_up ran first (a forked batch child must not wait on its lock); numpy.ma, which
    np.unique reads, is imported with the index."""
    path = tmp_path / "matcher.pickle"
    path.write_bytes(pickle.dumps(Matcher.build(_snapshots(read_fixture_files)), protocol=pickle.HIGHEST_PROTOCOL))
    probe = (
        "import pickle, sys, pycountry, service.screening.runtime\n"
        f"m = pickle.loads(open({str(path)!r}, 'rb').read())\n"
        "def loaded(): return (pycountry.countries._is_loaded, 'numpy.ma' in sys.modules)\n"
        "before = loaded(); m.warm_up(); print(before, loaded())\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "(False, True) (True, True)"
