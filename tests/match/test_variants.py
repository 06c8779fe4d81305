"""Spelling variants learned from the lists' own aliases."""

import os
import subprocess
import sys

from service.match.variants import learn_variants
from service.normalize.names import analyze


def _entity(*names: str) -> list:  # type: ignore[type-arg]
    return [analyze(n) for n in names]


def test_aliases_of_one_entity_give_their_spellings() -> None:
    v = learn_variants([_entity("Muhammad Yunis Ahmad", "Mohammed Younis Ahmed", "محمد يونس أحمد")])
    assert ("muhammad", "mohammed") in v
    assert ("yunis", "younis") in v
    assert ("mhmd", "muhammad") in v or ("mhmd", "mohammed") in v  # the Arabic-script spelling too
    assert "mhmd" in v.abjad


def test_names_of_different_entities_are_not_variants() -> None:
    v = learn_variants([_entity("Bashar al-Assad"), _entity("Bushra al-Assad")])
    assert ("bashar", "bushra") not in v
    assert len(v) == 0


def test_unrelated_aliases_and_joined_forms_are_not_variants() -> None:
    v = learn_variants([_entity("Abu Bakr al-Baghdadi", "Ibrahim Awad Ibrahim al-Badri")])
    assert ("bakr", "badri") not in v
    v = learn_variants([_entity("Abdul Rahman Yasin", "Abdullah Yasin")])
    assert ("abdul", "abdullah") not in v


_TIE = """
from service.match.variants import learn_variants
from service.normalize.names import analyze
v = learn_variants([[analyze("Jon Smith"), analyze("Jan Jun Smith")]])
print(sorted(v.pairs))
"""


def test_a_tie_between_two_spellings_is_broken_the_same_in_every_process() -> None:
    # "jon" is as close to "jan" as to "jun": which one is learned decided scores, and it followed the order of a
    # set of strings, which differs between processes (two uvicorn workers answered one query differently)
    learned = {
        subprocess.run(
            [sys.executable, "-c", _TIE],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in range(1, 7)
    }
    assert len(learned) == 1 and "jon" in learned.pop()


def test_counting_again_after_a_change_equals_learning_from_scratch() -> None:
    before = [
        _entity("Muhammad Yunis Ahmad", "Mohammed Younis Ahmed"),
        _entity("Muhammad Ali", "Mohammed Ali"),  # gives muhammad ~ mohammed a second time
        _entity("Bashar al-Assad", "بشار الأسد"),
        _entity("Evgeny Prigozhin", "Yevgeniy Prigozhin"),
        _entity("Evgeny Prigozhin", "Yevgeniy Prigozhin"),  # the same names on two entities (two lists)
        _entity("Qaddafi"),
    ]
    learned = learn_variants(before)
    changes = {
        "one of two entities giving a pair removed": [before[0], *before[2:]],
        "both removed": before[2:],
        "one of two equal entities removed": [*before[:4], before[5]],
        "an entity's names changed": [*before[:5], _entity("Qaddafi", "Qadhafi")],
        "an entity added": [*before, _entity("Hossein Dehghan", "Husain Dehghan")],
        "abjad names gone": [*before[:2], _entity("Bashar al-Assad"), *before[3:]],
        "nothing": before,
        "everything": [],
    }
    for what, after in changes.items():
        again, scratch = learn_variants(after, (learned, before)), learn_variants(after)
        assert dict(again.pairs) == dict(scratch.pairs), what
        assert again.partners == scratch.partners and again.abjad == scratch.abjad, what
        assert dict(again.abjad_counts) == dict(scratch.abjad_counts), what
    assert ("muhammad", "mohammed") in learn_variants(
        changes["one of two entities giving a pair removed"], (learned, before)
    )
    assert ("muhammad", "mohammed") not in learn_variants(changes["both removed"], (learned, before))
    assert ("qaddafi", "qadhafi") in learn_variants(changes["an entity's names changed"], (learned, before))
