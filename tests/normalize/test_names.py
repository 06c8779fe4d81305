import pytest

from service.normalize.names import TokenClass, analyze, classify, normalize_name, repair_encoding, skeleton


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [("BolÃ­var", "Bolívar"), ("MÃ¼ller", "Müller"), ("SÃ£o Paulo", "São Paulo"), ("Bolívar", "Bolívar")],
)
def test_repair_encoding_undoes_utf8_read_as_cp1252(broken: str, fixed: str) -> None:
    assert repair_encoding(broken) == fixed


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("MADURO MOROS, Nicolás", "maduro moros nicolas"),
        ("Владимир Путин", "vladimir putin"),
        ("AL-QA'IDA", "al qaida"),
        ("BolÃ­var", "bolivar"),
        ("习近平", "xi jin ping"),
        ("U.S.A. Holdings", "usa holdings"),  # three dotted letters or more are an acronym, not initials
        ("Obshchestvo s Ogranichennoy Otvetstvennostyu Pobeda", "llc pobeda"),
        ("Open Joint-Stock Company Rosneft", "ojsc rosneft"),
    ],
)
def test_normalize_name_folds_scripts_punctuation_and_legal_phrases(raw: str, normalized: str) -> None:
    assert normalize_name(raw) == normalized


def test_analyze_classes_weak_tokens_and_joins_compact_form() -> None:
    n = analyze("Al Qa'ida Trading LLC")
    assert n.tokens == ("al", "qaida", "trading", "llc")
    assert n.classes[0] == TokenClass.PARTICLE
    assert n.classes[3] == TokenClass.LEGAL
    assert n.compact == "alqaidatrading"  # the legal form is left out of the joined form, the trade word is not


@pytest.mark.parametrize(
    ("token", "cls"),
    [
        ("ooo", TokenClass.LEGAL),
        ("gmbh", TokenClass.LEGAL),
        ("aviakompaniya", TokenClass.LEGAL),
        ("sheikh", TokenClass.HONORIFIC),
        ("bin", TokenClass.PARTICLE),
        ("vladimirovich", TokenClass.PATRONYMIC),
        ("maduro", TokenClass.NORMAL),
    ],
)
def test_classify_token_classes(token: str, cls: TokenClass) -> None:
    assert classify(token) == cls


@pytest.mark.parametrize(
    "variants",
    [
        ("muhammad", "mohammed", "mohamed", "mhmd"),
        ("qaddafi", "gaddafi", "kadhafi"),
        ("hussein", "husayn", "husain"),
        ("prigozhin", "prigojin"),
        ("achmed", "ahmed", "akhmed"),
    ],
)
def test_skeleton_merges_transliteration_variants(variants: tuple[str, ...]) -> None:
    assert len({skeleton(v) for v in variants}) == 1


def test_skeleton_keeps_different_names_apart() -> None:
    assert skeleton("maduro") != skeleton("moreno")
    assert skeleton("putin") != skeleton("pushkin")


def test_dotted_letters_are_a_legal_form_or_initials() -> None:
    assert normalize_name("Acme L.L.C.") == "acme llc"
    assert normalize_name("P.J.S.C. Sberbank") == "pjsc sberbank"
    assert normalize_name("V.V. Putin") == "v v putin"
    assert classify("v") == TokenClass.INITIAL
