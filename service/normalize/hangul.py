"""Korean names in Hangul read as the sanctions lists write them: the DPRK's own romanization, syllable by syllable.

Nearly every Korean on the lists is a North Korean official or company, written in the romanization the DPRK uses
(a McCune-Reischauer without its diacritics): 리병철 is "RI Pyong Chol", 김여정 "KIM Yo Jong", 정경택 "JONG Kyong
Thaek", 최룡해 "CHOE Ryong Hae". A letter-by-letter transliteration (anyascii's, close to the South's Revised
Romanization) reads them "li byeong cheol", "gim yeo jeong", "jeong gyeong taeg", "choe lyong hae": another vowel
for ㅓ, ㅕ and ㅡ, g/b/d/l where the lists have k/p/t/r, a final written as an initial, and the name is missed.

Each syllable (a Unicode block computed as initial, medial and final) is one token, as the lists separate them.
The lists voice the plain stops of a given name's syllables inconsistently ("PAEK Se Bong", "PAK Pong Ju", "RI
Pyong Chol", "MIN Byong Chol", "KANG Mun Kil", "RI Yong Gil"), and their older entries write ㅈ as McCune-Reischauer
does, "ch", where a name's part starts ("CHO Il U", "YO'N CHO'NG Nam"): `readings` gives each way. A screening
compares a Hangul name as typed (its analysis reads it letter by letter, close to the South's Revised
Romanization, as South Koreans are written) and in each of these readings (service.match.matcher.prepare).

Own code rather than a library: the maintained Python romanizers implement the South's Revised Romanization (or
McCune-Reischauer with its diacritics and its sound changes across a word), not the syllable-by-syllable DPRK form
that the lists use; the tables below are that system's letters.
"""

from __future__ import annotations

import re

_FIRST, _LAST = 0xAC00, 0xD7A3  # the precomposed syllables
_MEDIALS, _FINALS = 21, 28
# ㄱ ㄲ ㄴ ㄷ ㄸ ㄹ ㅁ ㅂ ㅃ ㅅ ㅆ ㅇ ㅈ ㅉ ㅊ ㅋ ㅌ ㅍ ㅎ
_INITIALS = ("k", "kk", "n", "t", "tt", "r", "m", "p", "pp", "s", "ss", "", "j", "jj", "ch", "kh", "th", "ph", "h")
_VOICED = {"k": "g", "t": "d", "p": "b"}  # ㄱ ㄷ ㅂ inside a word, after a vowel or a sonorant
# ㅏ ㅐ ㅑ ㅒ ㅓ ㅔ ㅕ ㅖ ㅗ ㅘ ㅙ ㅚ ㅛ ㅜ ㅝ ㅞ ㅟ ㅠ ㅡ ㅢ ㅣ
_VOWELS = (
    "a", "ae", "ya", "yae", "o", "e", "yo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi", "yu", "u", "ui",
    "i",
)  # fmt: skip
# none ㄱ ㄲ ㄳ ㄴ ㄵ ㄶ ㄷ ㄹ ㄺ ㄻ ㄼ ㄽ ㄾ ㄿ ㅀ ㅁ ㅂ ㅄ ㅅ ㅆ ㅇ ㅈ ㅊ ㅋ ㅌ ㅍ ㅎ
_FINAL_SOUNDS = (
    "", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p", "t", "t", "ng", "t",
    "t", "k", "t", "p", "t",
)  # fmt: skip
_SONORANT_FINALS = frozenset({"", "n", "l", "m", "ng"})
HANGUL_WORD = re.compile(f"[{chr(_FIRST)}-{chr(_LAST)}]+")


def _syllables(word: str, *, voiced: bool, mr: bool) -> list[str]:
    out: list[str] = []
    before = None  # the final sound of the syllable before, within the word
    # where a name's parts start: the surname, and the given name after a one-syllable surname (a word of two or
    # three syllables); McCune-Reischauer writes ㅈ there as "ch" (Cho, Chang, Chong-nam)
    starts = (0, 1) if 2 <= len(word) <= 3 else (0,)
    for k, ch in enumerate(word):
        code = ord(ch) - _FIRST
        initial = _INITIALS[code // (_MEDIALS * _FINALS)]
        if voiced and before in _SONORANT_FINALS:
            initial = _VOICED.get(initial, initial)
        elif mr and initial == "j" and k in starts:
            initial = "ch"
        final = _FINAL_SOUNDS[code % _FINALS]
        out.append(initial + _VOWELS[(code // _FINALS) % _MEDIALS] + final)
        before = final
    return out


def _read(text: str, *, voiced: bool = False, mr: bool = False) -> str:
    return HANGUL_WORD.sub(lambda m: f" {' '.join(_syllables(m.group(0), voiced=voiced, mr=mr))} ", text)


def readings(text: str) -> list[str]:
    """The ways the lists write the Hangul in `text`, distinct, each a syllable a word (none without Hangul): the
    plain stops voiceless ("리병철" -> " ri pyong chol "); voiced (g, d, b) after a word's first syllable where a
    vowel or a sonorant comes before ("백세봉" -> " paek se bong ", "리영길" -> " ri yong gil "); and with
    McCune-Reischauer's "ch" for ㅈ where a surname or a given name starts, as the UN list's older entries have it
    ("조일우" -> " cho il u ", "연정남" -> " yon chong nam ")."""
    if not HANGUL_WORD.search(text):
        return []
    return list(dict.fromkeys((_read(text), _read(text, voiced=True), _read(text, mr=True))))
