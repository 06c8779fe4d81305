"""Hangul read as the sanctions lists write North Korean names (service.normalize.hangul)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.normalize.hangul import readings


def _words(text: str) -> list[list[str]]:
    return [r.split() for r in readings(text)]


@pytest.mark.parametrize(
    ("hangul", "listed"),
    [
        ("리병철", "ri pyong chol"),  # ㄹ initial r, ㅕ yo, ㅓ o, the given name's stops voiceless
        ("김여정", "kim yo jong"),
        ("정경택", "jong kyong thaek"),  # ㅌ th, ㅐ ae, a final ㄱ k
        ("최룡해", "choe ryong hae"),  # ㅚ oe
        ("오금철", "o kum chol"),  # ㅡ u
        ("박봉주", "pak pong ju"),
        ("김경희", "kim kyong hui"),  # ㅢ ui
    ],
)
def test_the_first_reading_is_the_dprk_romanization_a_syllable_a_word(hangul: str, listed: str) -> None:
    assert _words(hangul)[0] == listed.split()


@pytest.mark.parametrize(
    ("hangul", "listed"),
    [
        ("백세봉", "paek se bong"),  # ㅂ after a vowel: voiced, as the UN list writes PAEK SE BONG
        ("리영길", "ri yong gil"),  # ㄱ after ㅇ
        ("리만건", "ri man gon"),  # ㄱ after ㄴ
        ("조일우", "cho il u"),  # McCune-Reischauer's ch for ㅈ where the surname starts: CHO IL U
        ("연정남", "yon chong nam"),  # and where the given name starts: YO'N CHO'NG NAM
    ],
)
def test_the_other_readings_voice_the_stops_and_write_j_as_ch(hangul: str, listed: str) -> None:
    assert listed.split() in _words(hangul)[1:]


def test_a_stop_after_a_stop_stays_voiceless_and_the_first_syllable_is_never_voiced() -> None:
    # 박봉주: ㅂ after the final ㄱ of 박 (PAK PONG JU); 김 and 박 begin their words
    assert _words("박봉주") == [["pak", "pong", "ju"]]
    assert all(words[0] == "kim" for words in _words("김대중"))


def test_readings_are_distinct_and_leave_other_text_as_it_was() -> None:
    assert readings("Kim Jong Un") == []
    assert readings("김정은") == [" kim jong un ", " kim chong un "]
    found = readings("Mr 김정은, Pyongyang")
    assert found and all(r.startswith("Mr ") and r.endswith(", Pyongyang") for r in found)
    assert len(set(readings("백세봉"))) == len(readings("백세봉")) == 2


@given(st.text(alphabet=st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3), min_size=1, max_size=6))
def test_every_syllable_is_one_lower_case_ascii_word(text: str) -> None:
    for read in readings(text):
        assert read.isascii() and read == read.lower()
        assert len(read.split()) == len(text)
