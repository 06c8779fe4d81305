import pytest

from service.normalize.demonyms import demonym_to_country_code, to_nationality_code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Russian", "RU"),
        ("Afghani", "AF"),
        ("Saudi Arabian", "SA"),
        ("North Korean", "KP"),
        ("Türkiyish", "TR"),
        ("tunisian", "TN"),
        ("Libyan Arab Jamahiriya", "LY"),
    ],
)
def test_demonym_to_country_code_reads_list_spellings(text: str, code: str) -> None:
    assert demonym_to_country_code(text) == code


@pytest.mark.parametrize(("text", "code"), [("Russia", "RU"), ("Iranian", "IR"), ("DPRK", "KP"), ("ru", "RU")])
def test_to_nationality_code_takes_countries_codes_and_adjectives(text: str, code: str) -> None:
    assert to_nationality_code(text) == code


@pytest.mark.parametrize("text", ["", None, "Martian", "citizenship withdrawn"])
def test_to_nationality_code_unknown_is_none(text: str | None) -> None:
    assert to_nationality_code(text) is None
