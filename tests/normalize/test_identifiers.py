import pytest

from service.model import IdentifierType
from service.normalize.identifiers import (
    canonical,
    comparable,
    find_imos,
    guess_types,
    imo_check_digit_ok,
    is_identifier_like,
    looks_like_tail_number,
    parse_imo,
)


@pytest.mark.parametrize("value", ["RA-78765", "RA78765", "ra 78765", " Ra-78765 "])
def test_tail_number_spellings_share_one_canonical_form(value: str) -> None:
    assert canonical(value) == "RA78765"
    assert looks_like_tail_number(value)


@pytest.mark.parametrize("value", ["IMO 9562233", "IMO:9562233", "imo9562233", "9562233", "IMO No. 9562233"])
def test_parse_imo_accepts_prefixes_and_checks_digit(value: str) -> None:
    assert parse_imo(value) == "9562233"


def test_imo_check_digit_rejects_near_miss() -> None:
    assert imo_check_digit_ok("1006960")
    assert not imo_check_digit_ok("1006961")
    assert parse_imo("IMO 1006961") is None


def test_comparable_strips_imo_prefix_for_ship_and_company_numbers() -> None:
    assert comparable(IdentifierType.IMO, "IMO 1006960") == "1006960"
    assert comparable(IdentifierType.IMO_COMPANY, "5400937") == "5400937"


def test_guess_types_and_free_text() -> None:
    assert IdentifierType.IMO in guess_types("IMO 9562233")
    assert IdentifierType.TAIL_NUMBER in guess_types("EP-GOM")
    assert find_imos("The tanker (IMO 9562233) and IMO 1234568 sailed") == [(12, 23, "9562233")]
    assert is_identifier_like("RA-78765")
    assert not is_identifier_like("Mahan Air")
