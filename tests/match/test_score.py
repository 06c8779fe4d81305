import pytest

from service.match import score
from service.match.matcher import Matcher
from service.match.score import (
    ABJAD_QUERY,
    DOUBLED_LETTER_SIMILARITY,
    PINYIN,
    SKELETON_ONLY_SIMILARITY,
    TOKEN_METHODS,
    TOKEN_MIN_SIMILARITY,
    VARIANT_SIMILARITY,
    NameScore,
    TokenComparer,
    Variants,
    compare_birth_date,
    score_names,
    token_similarity,
    token_weights,
)
from service.model import DateSpec
from service.normalize.names import TokenClass, analyze


def _flat(_: str) -> float:
    return 5.0


def test_score_names_is_order_free() -> None:
    a = score_names(analyze("Nicolas Maduro Moros"), analyze("MADURO MOROS, Nicolas"), _flat)
    assert a.score == 1.0


def test_score_names_dropped_list_token_costs_less_than_extra_query_token() -> None:
    dropped = score_names(analyze("Nicolas Maduro"), analyze("Nicolas Maduro Moros"), _flat).score
    extra = score_names(analyze("Nicolas Maduro Moros"), analyze("Nicolas Maduro"), _flat).score
    assert dropped > extra
    assert dropped > 0.8


def test_score_names_dissimilar_tokens_earn_nothing() -> None:
    s = score_names(analyze("Carlos Maduro"), analyze("Nicolas Maduro"), _flat)
    assert s.score < 0.6
    assert "query only: carlos" in s.detail


def test_score_names_legal_form_cannot_carry_a_match() -> None:
    assert score_names(analyze("Acme Corp"), analyze("Globex Corp"), _flat).score < 0.2
    assert score_names(analyze("Pobeda OOO"), analyze("Pobeda LLC"), _flat).score > 0.95


def test_score_names_joined_tokens() -> None:
    s = score_names(analyze("ALQAEDA"), analyze("Al Qa'eda"), _flat)
    assert s.method == "compact" and s.score > 0.9


def test_token_similarity_phonetic_needs_close_spelling() -> None:
    assert token_similarity("mohammed", "muhammad", TokenClass.NORMAL, TokenClass.NORMAL)[0] >= 0.85
    assert token_similarity("putin", "potanin", TokenClass.NORMAL, TokenClass.NORMAL)[0] == 0.0


def test_compare_birth_date_exact_year_range_and_contradiction() -> None:
    listed = (DateSpec("1962-11-23"), DateSpec("1960", end="1965"))
    assert compare_birth_date("1962-11-23", listed)[0] == "birth_date_exact"
    assert compare_birth_date("1964", listed)[0] == "birth_year_match"
    assert compare_birth_date("1980", listed)[0] == "birth_date_differs"


def test_token_similarity_reads_ch_as_sh_or_kh() -> None:
    n = TokenClass.NORMAL
    assert token_similarity("cherif", "sharif", n, n)[1] == "phonetic"  # French/Maghreb transliteration
    assert token_similarity("achmed", "ahmed", n, n)[1] == "phonetic"  # German transliteration
    assert token_similarity("chouman", "shuman", n, n)[0] >= 0.85


def test_token_similarity_latin_acronym_is_not_an_abjad_spelling() -> None:
    n = TokenClass.NORMAL
    assert token_similarity("hamas", "hms", n, n)[0] == 0.0
    assert token_similarity("usama", "smh", n, n, abjad=True)[1] == "phonetic"


# --- the token rules, one class of error each ---------------------------------------------------------------------

N = TokenClass.NORMAL


def _rare(_: str) -> float:
    return 10.0  # every token rare on the lists


def _common(_: str) -> float:
    return 2.0  # every token common on the lists


def test_token_rules_are_a_closed_table() -> None:
    comparer = TokenComparer(Variants.of([("mohammed", "muhammad")]), _rare)
    pairs = [
        ("jie", "jia"), ("uun", "un"), ("bushra", "bashar"), ("mohammed", "muhammad"), ("qaddafi", "gaddafi"),
        ("v", "vladimir"), ("elhalim", "halim"), ("carlos", "nicolas"), ("moku", "mkou"),
    ]  # fmt: skip
    methods = {comparer.similarity(a, b, N, N, 0)[1] for a, b in pairs}
    methods.add(comparer.similarity("ooo", "llc", TokenClass.LEGAL, TokenClass.LEGAL, 0)[1])
    methods.discard("")
    assert methods <= TOKEN_METHODS
    assert len(methods) >= 6


def test_short_tokens_one_substitution_apart_are_other_names() -> None:
    comparer = TokenComparer(rarity=_common)
    assert comparer.similarity("jie", "jia", N, N, 0)[0] == 0.0
    assert comparer.similarity("wei", "wen", N, N, 0)[0] == 0.0
    assert comparer.similarity("hou", "chou", N, N, 0)[0] < TOKEN_MIN_SIMILARITY  # one letter more: weak at most


def test_short_distinctive_token_keeps_its_typos() -> None:
    assert TokenComparer().similarity("uun", "un", N, N, 0) == (DOUBLED_LETTER_SIMILARITY, "doubled_letter")
    assert TokenComparer(rarity=_rare).similarity("mkou", "moku", N, N, 0)[1] == "short_edit"
    assert TokenComparer(rarity=_common).similarity("mkou", "moku", N, N, 0)[0] == 0.0


def test_skeleton_only_link_is_weak_unless_the_lists_give_the_pair() -> None:
    assert TokenComparer().similarity("bushra", "bashar", N, N, 0) == (SKELETON_ONLY_SIMILARITY, "skeleton_only")
    assert TokenComparer().similarity("husayn", "hasan", N, N, 0)[1] == "skeleton_only"
    learned = TokenComparer(Variants.of([("bushra", "bashar")]))
    assert learned.similarity("bushra", "bashar", N, N, 0) == (VARIANT_SIMILARITY, "variant")


def test_two_spellings_of_a_third_are_variants() -> None:
    comparer = TokenComparer(Variants.of([("husain", "husayn"), ("hossein", "husayn")]))
    assert comparer.similarity("husain", "hossein", N, N, 0) == (VARIANT_SIMILARITY, "variant")


def test_transliteration_digraphs_are_spellings_not_other_names() -> None:
    comparer = TokenComparer()
    assert comparer.similarity("jukova", "zhukova", N, N, 0)[1] == "phonetic"
    assert comparer.similarity("janowitsch", "janovich", N, N, 0)[1] == "phonetic"
    assert comparer.similarity("husein", "hossein", N, N, 0)[1] == "phonetic"
    assert comparer.similarity("kim", "gim", N, N, 0)[1] == "phonetic"


def test_pinyin_syllables_are_not_typos_of_each_other() -> None:
    comparer = TokenComparer(rarity=_rare)
    assert comparer.similarity("ming", "min", N, N, PINYIN)[0] == 0.0
    assert comparer.similarity("liang", "jiang", N, N, PINYIN)[0] == 0.0
    assert comparer.similarity("liang", "jiang", N, N, 0)[0] >= TOKEN_MIN_SIMILARITY  # not pinyin names: a typo


def test_abjad_letters_read_every_latin_way() -> None:
    comparer = TokenComparer()
    assert comparer.similarity("fdhl", "fazl", N, N, ABJAD_QUERY)[0] > 0.0  # فضل: Fazl
    assert comparer.similarity("sbh", "asbat", N, N, ABJAD_QUERY)[0] > 0.0  # عصبة: Asbat
    assert comparer.similarity("rdhwny", "rezvani", N, N, ABJAD_QUERY)[0] > 0.0  # رضوانی: Rezvani


def test_abjad_spelling_the_lists_write_otherwise_is_weak() -> None:
    # the lists write Bashar as بشار ("bshr"): بشرى ("bshra", Bushra) shares its consonants, not its spelling
    variants = Variants.of([("bshr", "bashar")], abjad=["bshr"])
    assert TokenComparer(variants).similarity("bshra", "bashar", N, N, ABJAD_QUERY)[1] == "skeleton_only"
    assert TokenComparer(variants).similarity("bshr", "bashar", N, N, ABJAD_QUERY)[1] == "variant"


# --- whole names -------------------------------------------------------------------------------------------------


def _score(a: str, b: str, comparer: TokenComparer | None = None) -> NameScore:
    return score_names(analyze(a), analyze(b), _flat, comparer=comparer or TokenComparer(rarity=_flat))


THRESHOLD = 0.8


def test_siblings_with_one_surname_do_not_match() -> None:
    s = _score("Bushra al-Assad", "Bashar al-Assad")
    assert s.score < THRESHOLD
    assert s.weak_links == 1 and "skeleton" in s.detail


def test_a_different_given_name_in_place_of_the_listed_one_stays_below_threshold() -> None:
    assert _score("Carlos Maduro", "Nicolas Maduro Moros").score < THRESHOLD
    assert _score("Maksim Viktorovich Mikhailov", "Maksim Sergeevich Mikhailov").score < THRESHOLD  # patronymic
    s = _score("Mohammad Abdul Rahim Haqqani", "Mohammad Shah Rahim Haqqani")  # long name, one position differs
    assert s.score < THRESHOLD and "different name" in s.detail


def test_an_extra_given_name_in_the_query_still_matches() -> None:
    assert _score("Ahmed Ali El Tilemsi", "EL TILEMSI, Ahmed").score >= THRESHOLD
    # ... but not when the listed name is one given name
    assert _score("Anastasia Volfovich", "Anastasiia").score < THRESHOLD


def test_same_script_names_are_compared_in_that_script() -> None:
    kanji = _score("高石", "高市")  # one reading, two characters
    assert kanji.score < THRESHOLD and kanji.method == "same_script"
    assert _score("김정은", "김정운").score < THRESHOLD  # one Hangul syllable apart
    assert _score("김정은", "김정은").score == 1.0
    assert _score("بشرى الأسد", "بشار الأسد").score < THRESHOLD
    assert _score("أحمد علي", "احمد علي").score == 1.0  # hamza seat: spelling


def test_company_legal_forms_meet_with_typos_truncation_and_in_full() -> None:
    assert _score("Siemens Aktiengesellschaft", "Siemens AG").score >= 0.9
    assert _score("POLYUS JOINT STOCK COMPAN", "POLYUS JSC").score >= 0.9
    assert _score("LIMITED LIABILITY COMAPNY RIMERA", "RIMERA LLC").score >= 0.9
    assert _score("A.B.C. Company", "ABC Co.").score >= 0.9


def test_numbers_and_digits_typed_for_letters() -> None:
    assert _score("Brigade Forty-Four", "Brigade 44").score == 1.0
    assert _score("Three Percenters", "3 Percenters").score == 1.0
    assert _score("Ig0r Sech1n", "Igor Sechin").score == 1.0
    assert _score("Vessel 12", "Vessel 13").score < THRESHOLD


def test_titles_in_other_languages_are_not_name_tokens() -> None:
    for title in ("Präsident", "Président", "Sheikh", "General", "Президент"):
        assert _score(f"{title} Vladimir Putin", "Vladimir Putin").score >= 0.9, title


def test_joined_given_names_meet_their_parts() -> None:
    assert _score("Hamid Reza Sharifi", "Hamidreza Sharifi").score >= 0.9
    assert _score("Sun Yin", "Senin").score < THRESHOLD  # a near join of two names is not one


def test_alignment_rows_answer_as_similarity_and_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    comparer = TokenComparer(Variants.of([("mohammed", "muhammad")]), _rare)
    row = comparer.row("mohammed", N, 0)
    assert row is not None and comparer.row("mohammed", N, 0) is row
    for b in ("muhammad", "mohamed", "ali"):
        assert comparer.remember(row, "mohammed", b, N, N, flags=0) == comparer.similarity("mohammed", b, N, N, 0)
        assert row[b] == comparer.similarity("mohammed", b, N, N, 0)
    # a legal form has no row: the listed token's class counts there ("ooo" ~ "llc" only as two legal forms)
    legal = TokenClass.LEGAL
    assert comparer.row("ooo", legal, 0) is None
    assert comparer.remember(None, "ooo", "llc", legal, legal, flags=0)[1] == "legal_form"
    monkeypatch.setattr(score, "TOKEN_CACHE_SIZE", 2)
    comparer.remember(comparer.row("ali", N, 0), "ali", "aly", N, N, flags=0)
    assert comparer.row("mohammed", N, 0) == {}  # past the bound every row was dropped


@pytest.mark.parametrize(
    "query",
    [
        "Nicolas Maduro Moros",
        "Mohammed al Hussaini",
        "محمد حسين",
        "Li Chenghe",
        "Huaxin Shipping Hong Kong Limited",
        "Korea Mirae Shipping Co., Ltd.",
    ],
)
def test_rows_kept_for_a_query_name_score_as_a_fresh_lookup(excerpt_matcher: Matcher, query: str) -> None:
    """A screening keeps each query name's memo rows from one listed name to the next (`rows`): every score is the one
    a comparison looking its rows up afresh gives, and the rows kept are the comparer's own, one list per set of
    alignment flags (here: Latin and abjad listed names)."""
    index = excerpt_matcher.index
    q = analyze(query)
    qw = token_weights(q, index.idf)
    kept: dict[int, list[score.Row]] = {}
    scored = 0
    for listed in index.names:
        with_rows = score_names(q, listed.norm, index.idf, qw, listed.weights, comparer=index.comparer, rows=kept)
        afresh = score_names(q, listed.norm, index.idf, qw, listed.weights, comparer=index.comparer)
        assert with_rows == afresh, listed.name.full
        scored += with_rows.score > 0.5
    assert scored, "no listed name near the query: the comparison says nothing"
    assert len(kept) >= 2  # Latin and Arabic-script names in the excerpts: two sets of flags
    for flags, rows in kept.items():
        assert len(rows) == len(q.tokens)
        for (row, get), token, cls in zip(rows, q.tokens, q.classes, strict=True):
            assert row is index.comparer.row(token, cls, flags)
            assert get == (row.get if row is not None else score._NOT_IN_ROW.get)
