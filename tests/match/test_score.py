from service.match.score import compare_birth_date, score_names, token_similarity
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
