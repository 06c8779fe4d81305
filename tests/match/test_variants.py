"""Spelling variants learned from the lists' own aliases."""

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
