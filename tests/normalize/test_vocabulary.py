"""The name-policy vocabulary the parsers and the normalizer share."""

import pytest

from service.normalize.names import TokenClass, classify
from service.normalize.vocabulary import HONORIFICS, LEGAL_FORMS, PARTICLES, is_patronymic


@pytest.mark.parametrize("token", ["Vladimirovich", "Petrovna", "Ilyich", "Иванович", "Ильич", "gennadyevich"])
def test_is_patronymic_east_slavic_endings(token: str) -> None:
    assert is_patronymic(token)


@pytest.mark.parametrize("token", ["Friedrich", "Ulrich", "Dietrich", "Rich", "Bogdanovic"])
def test_is_patronymic_leaves_given_names_ending_in_ich(token: str) -> None:
    assert not is_patronymic(token)


def test_parsers_and_normalizer_agree_on_patronymics() -> None:
    from service.sources._common import is_patronymic as parser_rule

    for token in ("Friedrich", "Vladimirovich", "Sergeevna", "Ulrich"):
        assert parser_rule(token) == (classify(token.lower()) == TokenClass.PATRONYMIC), token


def test_titles_are_neither_particles_nor_legal_forms() -> None:
    assert not HONORIFICS & PARTICLES
    assert not HONORIFICS & LEGAL_FORMS.keys()
    # "as", "at", "ad" are legal forms (Norway, Ukraine, Bulgaria) as well as Arabic articles: legal wins
    assert classify("as") == TokenClass.LEGAL


@pytest.mark.parametrize("title", ["prasident", "president", "prezident", "sheikh", "cheikh", "general", "herr"])
def test_titles_in_other_languages_are_honorifics(title: str) -> None:
    assert classify(title) == TokenClass.HONORIFIC
