"""Build tests/match/golden.csv: labelled screening cases drawn from the real lists, deterministic (fixed seed).

Positives take real entries (every mirrored list, every kind) and apply one realistic variation each; negatives are
ordinary names of many cultures, unlisted companies, and hard near-misses, each checked against every list name.
Run: python -m bench.make_golden [--mirror DIR] [--out CSV]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import random
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from anyascii import anyascii
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from bench import pools
from bench.common import (
    GOLDEN_COLUMNS,
    GOLDEN_CSV,
    MIRROR,
    MULTI_SEP,
    PAIRS_CSV,
    all_entities,
    load_snapshots,
    split_of,
)
from service.model import Entity, EntityKind, IdentifierType, Name, NameQuality, NameType

SEED = "golden-v1"

# Cases per variation (positives) and per negative family. Kinds split a variation's quota where it applies to
# several; the totals land near 2,900 cases, enough for a per-variation recall to move in steps of about 1 %.
P, ORG, V, A = EntityKind.PERSON, EntityKind.ORGANIZATION, EntityKind.VESSEL, EntityKind.AIRCRAFT
POSITIVE_PLAN: dict[str, dict[EntityKind, int]] = {
    "exact": {P: 60, ORG: 50, V: 25, A: 25},
    "alias": {P: 45, ORG: 35},
    "case_punct": {P: 45, ORG: 45, V: 10},
    "token_order": {P: 100},
    "dropped_middle": {P: 100},
    "typo1": {P: 70, ORG: 60, V: 20},
    "typo2": {P: 55, ORG: 45},
    "diacritics_removed": {P: 45, ORG: 25},
    "diacritics_added": {P: 55, ORG: 15},
    "script_original": {P: 30, ORG: 10},
    "script_to_latin": {P: 70, ORG: 20},
    "script_cyrillic": {P: 70, ORG: 10},
    "translit_latin": {P: 120},
    "legal_form": {ORG: 120},
    "joined_split": {P: 40, ORG: 50},
    "mis_encoding": {P: 55, ORG: 25},
    "identifier_imo": {V: 70},
    "identifier_tail": {A: 70},
    "identifier_in_name": {V: 30, A: 30},
    "identifier_other": {P: 30, ORG: 20},
}
NEG_PERSONS_PER_CULTURE = 38
NEG_COMPANIES, NEG_AIRLINES, NEG_SHIPPING, NEG_VESSELS = 110, 40, 30, 20
NEG_HARD_SURNAME, NEG_HARD_COMPANY = 150, 100
NEG_IMO_CHECK, NEG_IMO_OTHER, NEG_TAIL = 40, 30, 60
# The matcher issue's hardest families of clean names: invented Chinese names in pinyin, and a listed person's family
# name with the given name of another listed person of the same culture (not a variant of any name it is listed
# with). Large enough that each half of the split moves in steps of about 0.5 %.
NEG_PINYIN, NEG_LISTED_SURNAME = 400, 400
# Clean names written in Arabic script, where transliteration keeps only the consonants.
NEG_ARABIC_SCRIPT = 160

# Round-robin weights so every list contributes, the big ones more (they also hold most of the variety).
LIST_WEIGHTS = {
    "us_ofac_sdn": 4,
    "un_sc_sanctions": 2,
    "ca_dfatd_sema_sanctions": 2,
    "au_dfat_sanctions": 2,
    "us_ofac_cons": 1,
    "eu_fsf": 1,
    "gb_fcdo_sanctions": 1,
}
QUERY_KIND_SHARE = 0.5  # half the queries say what they look for, half screen "any"
DOB_SHARE, COUNTRY_SHARE = 0.3, 0.2  # persons' queries that carry a (correct) birth date / nationality

PARTICLES = frozenset(
    "al el bin ibn bint abu abd abdul abdel abdal ul ud ad as ar ash at az ben ould wad de del della la le van von "
    "der den da di do dos das du mac st saint".split()
)
LEGAL_TOKENS = frozenset(
    "llc l ltd limited co company corp corporation inc incorporated jsc ojsc cjsc pjsc ao oao zao pao ooo too "
    "gmbh ag sa sarl srl bv nv spa sas plc llp fze fzco fz pte sdn bhd joint stock liability open closed public "
    "private sociedad anonima societe anonyme general trading zone free establishment gesellschaft mit beschrankter "
    "haftung aktsionernoe obshchestvo s ogranichennoi otvetstvennostyu tovarishchestvo est lda kg ood eood".split()
)
# Words that say what trade a company is in, not which company it is.
INDUSTRY_TOKENS = frozenset(
    "air airline airlines airways aviation avia aero jet cargo charter shipping maritime marine navigation lines line "
    "tankers tanker shipmanagement logistics freight trading trade holding holdings group international services "
    "service".split()
)
STOP_TOKENS = PARTICLES | frozenset("and of the for y et und".split())
RU_ENDINGS = tuple("ovich evich ovna evna ichna ov ev ova eva in ina sky skiy skaya enko yuk chuk ko".split())
AR_MARKERS = frozenset(
    "al bin ibn abu abd abdul abdel muhammad mohammed mohamed mohammad ahmad ahmed ali hasan hassan husayn hussein "
    "umar omar abdullah abdallah khalid yusuf ibrahim mahmud mahmoud said sayyid mustafa jafar qasim nasir rahman "
    "karim rashid hamid majid aziz salim sulayman ismail".split()
)
# Tails of Russian and trade compounds, where a split reads naturally ("GAZPROM BANK", "TRANS NEFT").
TAIL_MORPHEMES = tuple(
    "export import bank flot neft gaz prom stroy invest energo trade oil gas servis service tekh mash snab khim "
    "chem avia trans".split()
)
# Legal forms that are written in front of the name as often as after it (Russian practice).
FRONTABLE = frozenset(
    {
        "llc", "ooo", "too", "jsc", "ao", "oao", "ojsc", "cjsc", "zao", "pjsc", "pao", "joint stock company",
        "limited liability company", "open joint stock company", "closed joint stock company",
        "public joint stock company", "aktsionernoe obshchestvo", "otkrytoe aktsionernoe obshchestvo",
        "zakrytoe aktsionernoe obshchestvo", "publichnoe aktsionernoe obshchestvo",
        "obshchestvo s ogranichennoi otvetstvennostyu",
    }
)  # fmt: skip
BUSINESS = re.compile(
    r"\b(compan\w*|co|corp\w*|trad\w*|bank|industr\w*|group|holding\w*|shipping|airlines?|enterprise\w*|"
    r"import|export|investment\w*|services?|international|petro\w*|oil|gas|technolog\w*|engineering|"
    r"commerc\w*|marine|maritime|logistics|exchange|capital|development)\b",
    re.I,
)
RU_ORG_WORDS = frozenset(
    "obshchestvo aktsionernoe otvetstvennostyu zavod kombinat ooo ao oao pao zao nauchno proizvodstvennoe "
    "predpriyatie gosudarstvennoe federalnoe".split()
)
NON_LATIN_MOJIBAKE_SHARE = 0.3  # Arabic/Cyrillic mojibake is real but rarer than accented Latin in customer data
RE_C1 = re.compile("[\x80-\x9f]")


# ---------------------------------------------------------------------------------------------------------------
# small helpers


def digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join((SEED, *parts)).encode()).hexdigest()


def rng_for(*parts: str) -> random.Random:
    return random.Random(int(digest(*parts)[:16], 16))


def fold(text: str) -> list[str]:
    """Tokens for collision checks: transliterated to ASCII, lower case, letters and digits only."""
    return re.findall(r"[a-z0-9]+", anyascii(unicodedata.normalize("NFKC", text)).lower())


def key(text: str) -> str:
    return " ".join(sorted(fold(text)))


def alnum(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", anyascii(text).upper())


def is_latin(text: str) -> bool:
    return all(not ch.isalpha() or "LATIN" in unicodedata.name(ch, "") for ch in text)


def has_no_latin(text: str) -> bool:
    return not any(ch.isalpha() and "LATIN" in unicodedata.name(ch, "") for ch in text)


def has_accents(text: str) -> bool:
    return is_latin(text) and any(ch.isalpha() and not ch.isascii() for ch in text)


def strip_accents(text: str) -> str:
    out = []
    for ch in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(ch):
            continue
        out.append(anyascii(ch) if ch.isalpha() and not ch.isascii() else ch)
    return unicodedata.normalize("NFC", "".join(out))


def match_case(word: str, like: str) -> str:
    if like.isupper():
        return word.upper()
    if like[:1].isupper():
        return word[:1].upper() + word[1:]
    return word.lower()


def mojibake(text: str) -> str:
    """UTF-8 bytes read as Windows-1252 (the five bytes cp1252 leaves undefined fall back to Latin-1)."""
    out = []
    for b in text.encode("utf-8"):
        try:
            out.append(bytes([b]).decode("cp1252"))
        except UnicodeDecodeError:
            out.append(chr(b))
    return "".join(out)


def imo_check_digit(six: str) -> int:
    return sum(int(d) * w for d, w in zip(six, (7, 6, 5, 4, 3, 2), strict=True)) % 10


def is_valid_imo(number: str) -> bool:
    return len(number) == 7 and number.isdigit() and imo_check_digit(number[:6]) == int(number[6])


def units(text: str) -> list[str]:
    """Name tokens with particles glued to what follows ("ABU BAKR", "de la CRUZ" stay one unit)."""
    out: list[str] = []
    pending = ""
    for tok in text.replace(",", " ").split():
        if tok.lower().strip(".") in PARTICLES:
            pending = f"{pending} {tok}".strip()
            continue
        out.append(f"{pending} {tok}".strip())
        pending = ""
    if pending:
        if out:
            out[-1] = f"{out[-1]} {pending}"
        else:
            out.append(pending)
    return out


def person_parts(n: Name) -> tuple[list[str], list[str], bool] | None:
    """(given units incl. middle names and patronymic, family units, written family first) when the name's parts
    are known and account for every token of the full name."""
    if n.given and n.family:
        given = " ".join(p for p in (n.given, n.middle, n.patronymic) if p)
        if sorted(fold(f"{given} {n.family}")) != sorted(fold(n.full)):
            return None
        family_first = n.full.strip().lower().startswith(n.family.strip().lower())
        return units(given), units(n.family), family_first
    if n.full.count(",") == 1:
        fam, giv = (p.strip() for p in n.full.split(","))
        if fam and giv:
            return units(giv), units(fam), True
    return None


TRANSLIT_INDEX: dict[str, list[tuple[str, ...]]] = defaultdict(list)
for _g in (*pools.TRANSLIT_GROUPS, *pools.NAME_EQUIVALENTS):
    for _m in _g:
        TRANSLIT_INDEX[_m].append(_g)


def skeleton(token: str) -> str:
    """A coarse spelling key: romanisation habits (kh/h, ou/u, ee/i, y/i, q/k, j/zh/dzh, w/v, ph/f) and doubled
    letters folded away."""
    t = token
    for a, b in (
        ("dzh", "j"),
        ("zh", "j"),
        ("kh", "h"),
        ("ph", "f"),
        ("ou", "u"),
        ("oo", "u"),
        ("ee", "i"),
        ("ie", "i"),
        ("y", "i"),
        ("q", "k"),
        ("w", "v"),
        ("ck", "k"),
        ("c", "k"),
    ):
        t = t.replace(a, b)
    return re.sub(r"(.)\1+", r"\1", t)


def consonant_key(token: str) -> str:
    """The consonants of a spelling key: what an abjad (Arabic, Hebrew script) writes of a name ("mhmd")."""
    return re.sub(r"(.)\1+", r"\1", re.sub("[aeiouyw']", "", skeleton(token))) or token[:1]


def is_abjad(text: str) -> bool:
    return any(ch.isalpha() and unicodedata.name(ch, "").startswith(("ARABIC", "HEBREW")) for ch in text)


def is_russian_like(text: str) -> bool:
    """A romanised Russian, Ukrainian or Belarusian personal name: a patronymic, or two typical endings."""
    toks = fold(text)
    if len(toks) < 2 or not is_latin(text):
        return False
    patronymic = any(t.endswith(("ovich", "evich", "ovna", "evna")) for t in toks)
    return patronymic or sum(t.endswith(RU_ENDINGS) and len(t) > 4 for t in toks) >= 2


def is_arabic_like(text: str) -> bool:
    toks = fold(text)
    return any(t in AR_MARKERS for t in toks) or bool(re.search(r"\b(al|el)-", text, re.I))


# ---------------------------------------------------------------------------------------------------------------
# the corpus: every name and identifier of every list, for sampling and for collision checks


class Corpus:
    def __init__(self, entities: Sequence[Entity]) -> None:
        self.entities = sorted(entities, key=lambda e: e.id)
        self.by_id = {e.id: e for e in self.entities}
        self.name_keys: dict[str, set[str]] = defaultdict(set)
        self.names: list[tuple[str, tuple[str, ...]]] = []  # (entity id, folded tokens) for every name
        self.postings: dict[str, list[int]] = defaultdict(list)
        self.df: Counter[str] = Counter()
        self.identifiers: set[str] = set()
        self.ident_owners: dict[str, set[str]] = defaultdict(set)
        for e in self.entities:
            for n in e.all_names():
                toks = tuple(fold(n.full))
                if not toks:
                    continue
                self.name_keys[" ".join(sorted(toks))].add(e.id)
                idx = len(self.names)
                self.names.append((e.id, toks))
                for t in set(toks):
                    self.postings[t].append(idx)
                    self.df[t] += 1
            for i in e.identifiers:
                v = alnum(i.value)
                if v:
                    self.identifiers.add(v)
                    self.ident_owners[v].add(e.id)
            if e.kind in (V, A):
                self.identifiers.add(alnum(e.name.full))
        self.vocab = list(self.postings)
        self.skeletons: dict[str, set[str]] = defaultdict(set)
        self.consonants: dict[str, set[str]] = defaultdict(set)
        for t in self.vocab:
            self.skeletons[skeleton(t)].add(t)
            self.consonants[consonant_key(t)].add(t)

    @cache  # noqa: B019 - one Corpus per run
    def similar(self, token: str) -> frozenset[str]:
        """Listed tokens a matcher could fairly take for `token`: equal, a known transliteration variant, the same
        spelling skeleton (kh/h, ou/u, doubled letters...), or Jaro-Winkler >= 0.9 for tokens of 4+ letters."""
        out = {token} if token in self.postings else set()
        for group in TRANSLIT_INDEX.get(token, ()):
            out |= {g for g in group if g in self.postings}
        out |= self.skeletons.get(skeleton(token), set())
        if len(token) >= 4:
            for cand, _score, _i in process.extract(
                token, self.vocab, scorer=JaroWinkler.normalized_similarity, score_cutoff=0.9, limit=None
            ):
                if len(cand) >= 4:
                    out.add(cand)
        return frozenset(out)

    def core_collision(self, text: str) -> str | None:
        """For company names: a listed name whose distinctive core (legal forms and industry words set aside) is
        the same as this one's ("Skyline Airways" against "SRL SKYLINE AVIATION")."""
        weak = STOP_TOKENS | LEGAL_TOKENS | INDUSTRY_TOKENS
        core = [t for t in fold(text) if t not in weak and len(t) > 1]
        if not core:
            return "no distinctive word"
        per_token = [self.similar(t) for t in core]
        for idx in sorted({i for sims in per_token for s in sims for i in self.postings[s]}):
            eid, ntoks = self.names[idx]
            listed = [t for t in ntoks if t not in weak and len(t) > 1]
            if (
                listed
                and all(any(t in sims for sims in per_token) for t in listed)
                and all(any(t in sims for t in listed) for sims in per_token)
            ):
                return f"same distinctive core as listed name {' '.join(ntoks)!r} ({eid})"
        return None

    def collision(self, text: str, *, ignore: frozenset[str] = STOP_TOKENS) -> str | None:
        """Why `text` could be a listed name (it is covered by one, or covers one), or None when it is clear.

        A stricter test than exact normalized equality: every meaningful token of one side must have a
        spelling-similar token on the other. Such negatives would be arguable, so they are dropped.
        """
        toks = [t for t in fold(text) if t not in ignore and len(t) > 1]  # initials and "S.A." letters say little
        if not toks:
            return "no meaningful tokens"
        if key(text) in self.name_keys:
            return "exact normalized name on a list"
        per_token = [self.similar(t) for t in toks]
        if is_abjad(text):
            # written without short vowels: any listed token with the same consonants may be this name
            per_token = [
                sims | self.consonants.get(consonant_key(t), set()) for t, sims in zip(toks, per_token, strict=True)
            ]
        name_sets = [{i for s in sims for i in self.postings[s]} for sims in per_token]
        covering = set.intersection(*name_sets)
        if covering:
            eid, ntoks = self.names[min(covering)]
            return f"covered by listed name {' '.join(ntoks)!r} ({eid})"
        for idx in sorted(set.union(*name_sets)):
            eid, ntoks = self.names[idx]
            listed = [t for t in ntoks if t not in ignore and len(t) > 1]
            # a one-word listed name inside a longer query ("PHOENIX" in "Phoenix Medical") is a fair negative
            if len(listed) >= 2 and all(any(t in sims for sims in per_token) for t in listed):
                return f"covers listed name {' '.join(ntoks)!r} ({eid})"
        return None


# ---------------------------------------------------------------------------------------------------------------
# cases


@dataclass(frozen=True)
class Case:
    variation: str
    kind: str
    query_name: str = ""
    query_kind: str = ""
    query_identifiers: tuple[str, ...] = ()
    query_birth_date: str = ""
    query_countries: tuple[str, ...] = ()
    expected_entity_id: str = ""
    source_value: str = ""
    note: str = ""
    source_entity: str = ""  # the listed entity a negative was derived from, if any (decides its split)

    @property
    def split(self) -> str:
        """By entity: the expected (or source) entity's id; a clean name without one splits by its tokens."""
        entity = self.expected_entity_id or self.source_entity
        if entity:
            return split_of(entity)
        return split_of(" ".join(sorted(fold(self.query_name))) or MULTI_SEP.join(self.query_identifiers))

    @property
    def case_id(self) -> str:
        h = digest(
            self.variation,
            self.query_name,
            self.query_kind,
            MULTI_SEP.join(self.query_identifiers),
            self.query_birth_date,
            MULTI_SEP.join(self.query_countries),
            self.expected_entity_id,
        )
        return f"{self.variation}-{h[:10]}"

    def row(self) -> dict[str, str]:
        return {
            "case_id": self.case_id,
            "split": self.split,
            "variation": self.variation,
            "kind": self.kind,
            "query_name": self.query_name,
            "query_kind": self.query_kind,
            "query_identifiers": MULTI_SEP.join(self.query_identifiers),
            "query_birth_date": self.query_birth_date,
            "query_countries": MULTI_SEP.join(self.query_countries),
            "expected_entity_id": self.expected_entity_id,
            "source_value": self.source_value,
            "note": self.note,
        }


Variant = tuple[str, str, str]  # (query name, source value, note)
Maker = Callable[[Entity, random.Random], Variant | Case | None]


def latin_names(e: Entity, *, aliases: bool = True) -> list[Name]:
    names = [e.name]
    if aliases:
        names += [a for a in e.aliases if a.quality == NameQuality.STRONG and a.type != NameType.ORIGINAL_SCRIPT]
    return [n for n in names if is_latin(n.full) and fold(n.full)]


def pick_name(e: Entity, rng: random.Random, alias_share: float = 0.2) -> Name | None:
    names = latin_names(e)
    if not names:
        return None
    if len(names) > 1 and rng.random() < alias_share:
        return rng.choice(names[1:])
    return names[0]


class Builder:
    def __init__(self, corpus: Corpus) -> None:
        self.c = corpus
        self.cases: list[Case] = []
        self.seen: set[str] = set()
        self.shortfall: list[str] = []

    # -- bookkeeping ------------------------------------------------------------------------------------------
    def add(self, case: Case) -> bool:
        if case.case_id in self.seen:
            return False
        self.seen.add(case.case_id)
        self.cases.append(case)
        return True

    def queues(self, variation: str, kind: EntityKind) -> dict[str, list[Entity]]:
        by_list: dict[str, list[Entity]] = defaultdict(list)
        for e in self.c.entities:
            if e.kind == kind:
                by_list[e.list_id].append(e)
        for lst in by_list.values():
            lst.sort(key=lambda e: digest(variation, e.id))
        return by_list

    def take(self, variation: str, plan: dict[EntityKind, int], make: Maker) -> None:
        for kind, wanted in plan.items():
            queues = self.queues(variation, kind)
            cycle = [
                lid
                for lid in sorted(queues, key=lambda x: -LIST_WEIGHTS.get(x, 1))
                for _ in range(LIST_WEIGHTS.get(lid, 1))
            ]
            made = 0
            while made < wanted and any(queues.values()):
                for lid in cycle:
                    if made >= wanted or not queues[lid]:
                        continue
                    e = queues[lid].pop(0)
                    rng = rng_for(variation, e.id)
                    out = make(e, rng)
                    if out is None:
                        continue
                    case = out if isinstance(out, Case) else self.positive(variation, e, rng, *out)
                    if case is not None and self.add(case):
                        made += 1
            if made < wanted:
                self.shortfall.append(f"{variation}/{kind.value}: {made} of {wanted}")

    def positive(
        self, variation: str, e: Entity, rng: random.Random, query: str, source: str, note: str
    ) -> Case | None:
        query = re.sub(r"\s+", " ", query).strip()
        if not query or (query == source.strip() and variation not in ("exact", "alias")):
            return None
        owners = self.c.name_keys.get(key(query), set())
        if owners and e.id not in owners and key(query) != key(source):
            return None  # the variation landed on another listed party's name: no longer a fair case
        case = Case(variation, e.kind.value, query_name=query, expected_entity_id=e.id, source_value=source, note=note)
        return self.corroborate(case, e, rng)

    def corroborate(self, case: Case, e: Entity, rng: random.Random) -> Case:
        """Add what a real screening request often carries: the kind, and for persons a birth date or nationality."""
        extra = []
        if rng.random() < QUERY_KIND_SHARE:
            case = replace(case, query_kind=e.kind.value)
        if e.kind == P and e.birth_dates and rng.random() < DOB_SHARE:
            d = e.birth_dates[0]
            dob = d.start[:4] if (d.circa or d.end) else d.start
            case = replace(case, query_birth_date=dob)
            extra.append("+birth date")
        countries = [c for c in (*e.nationalities, *e.citizenships) if len(c) == 2]
        if e.kind == P and countries and rng.random() < COUNTRY_SHARE:
            case = replace(case, query_countries=(countries[0],))
            extra.append("+country")
        if extra:
            case = replace(case, note=f"{case.note}; {' '.join(extra)}".strip("; "))
        return case

    # -- positives --------------------------------------------------------------------------------------------
    def build_positives(self) -> None:
        self.take("exact", POSITIVE_PLAN["exact"], self.v_exact)
        self.take("alias", POSITIVE_PLAN["alias"], self.v_alias)
        self.take("case_punct", POSITIVE_PLAN["case_punct"], self.v_case_punct)
        self.take("token_order", POSITIVE_PLAN["token_order"], self.v_token_order)
        self.take("dropped_middle", POSITIVE_PLAN["dropped_middle"], self.v_dropped_middle)
        self.take("typo1", POSITIVE_PLAN["typo1"], lambda e, r: self.v_typo(e, r, 1))
        self.take("typo2", POSITIVE_PLAN["typo2"], lambda e, r: self.v_typo(e, r, 2))
        self.take("diacritics_removed", POSITIVE_PLAN["diacritics_removed"], self.v_diacritics_removed)
        self.take("diacritics_added", POSITIVE_PLAN["diacritics_added"], self.v_diacritics_added)
        self.script_cases(POSITIVE_PLAN["script_original"], POSITIVE_PLAN["script_to_latin"])
        self.take("script_cyrillic", POSITIVE_PLAN["script_cyrillic"], self.v_cyrillic)
        self.take("translit_latin", POSITIVE_PLAN["translit_latin"], self.v_translit)
        self.take("legal_form", POSITIVE_PLAN["legal_form"], self.v_legal_form)
        self.take("joined_split", POSITIVE_PLAN["joined_split"], self.v_joined_split)
        self.take("mis_encoding", POSITIVE_PLAN["mis_encoding"], self.v_mis_encoding)
        self.take("identifier_imo", POSITIVE_PLAN["identifier_imo"], self.v_imo)
        self.take("identifier_tail", POSITIVE_PLAN["identifier_tail"], self.v_tail)
        self.take("identifier_in_name", POSITIVE_PLAN["identifier_in_name"], self.v_ident_in_name)
        self.take("identifier_other", POSITIVE_PLAN["identifier_other"], self.v_ident_other)

    def v_exact(self, e: Entity, rng: random.Random) -> Variant | None:
        if not latin_names(e, aliases=False):
            return None
        return e.name.full, e.name.full, "primary name as published"

    def v_alias(self, e: Entity, rng: random.Random) -> Variant | None:
        names = latin_names(e)[1:]
        names = [
            n
            for n in names
            if key(n.full) != key(e.name.full)
            and len(fold(n.full)) >= 2
            and len(n.full) <= 80
            and not (e.kind == P and any(ch.isdigit() for ch in n.full))  # remarks leaked into a name field
        ]
        if not names:
            return None
        n = rng.choice(names)
        return n.full, n.full, f"{n.type.value} as published"

    def v_case_punct(self, e: Entity, rng: random.Random) -> Variant | None:
        n = pick_name(e, rng)
        if n is None:
            return None
        s = n.full
        ops = []
        for op in rng.sample(["case", "strip", "add", "space"], k=2):
            before = s
            if op == "case":
                s = rng.choice([s.lower(), s.upper(), s.title()])
            elif op == "strip":
                s = re.sub(r"[-‐–]", " ", s)
                s = re.sub(r"[^\w\s]", "", s)
            elif op == "add":
                words = s.split()
                if len(words) >= 2:
                    i = rng.randrange(len(words) - 1)
                    sep = rng.choice([", ", "-", ". ", " / "])
                    s = " ".join(words[:i]) + (" " if i else "") + words[i] + sep + " ".join(words[i + 1 :])
            elif op == "space":
                s = rng.choice(["  ", " "]) + re.sub(r" ", rng.choice(["  ", " \t"]), s, count=1) + " "
            if s != before:
                ops.append(op)
        if s.strip() == n.full or not ops:
            return None
        return s, n.full, "+".join(ops)

    def v_token_order(self, e: Entity, rng: random.Random) -> Variant | None:
        n = pick_name(e, rng)
        if n is None:
            return None
        parts = person_parts(n)
        if parts:
            given, family, family_first = parts
            if family_first:
                q = " ".join(given + family)
                note = "family-first written given-first"
            else:
                q = rng.choice([f"{' '.join(family)}, {' '.join(given)}", " ".join(family + given)])
                note = "given-first written family-first"
        else:
            toks = units(n.full)
            if len(toks) < 2:
                return None
            q = " ".join([toks[-1], *toks[:-1]])
            note = "last name unit moved to the front"
        if rng.random() < 0.4:
            q = q.title()
        if fold(q) == fold(n.full):
            return None
        return q, n.full, note

    def v_dropped_middle(self, e: Entity, rng: random.Random) -> Variant | None:
        n = pick_name(e, rng, alias_share=0.1)
        if n is None:
            return None
        parts = person_parts(n)
        if parts:
            given, family, family_first = parts
            if len(given) >= 2:
                kept = [given[0], *family] if not family_first else [*family, given[0]]
                q = " ".join(kept) if not family_first else f"{' '.join(family)}, {given[0]}"
                note = f"dropped {' '.join(given[1:])!r}"
            elif len(family) == 2:
                q = f"{given[0]} {family[0]}" if not family_first else f"{family[0]}, {given[0]}"
                note = f"dropped second family name {family[1]!r}"
            else:
                return None
        else:
            toks = units(n.full)
            if len(toks) < 3:
                return None
            q = " ".join([toks[0], *toks[2:]])  # the second unit is the middle name in given-first writing
            note = f"dropped {toks[1]!r}"
        if len(units(q)) < 2 or len(set(fold(q))) < 2:
            return None
        return q, n.full, note

    def v_typo(self, e: Entity, rng: random.Random, count: int) -> Variant | None:
        n = pick_name(e, rng)
        if n is None:
            return None
        letters = sum(ch.isalpha() for ch in n.full)
        if letters < (8 if count == 1 else 12):
            return None
        words = re.split(r"(\W+)", n.full)
        min_len = 5  # a slip in a 3-4 letter word leaves too little to tell names apart
        idxs = [
            i
            for i, w in enumerate(words)
            if w.isalpha() and len(w) >= min_len and w.lower() not in LEGAL_TOKENS and w.isascii()
        ]
        if not idxs:
            return None
        if count == 2 and len(idxs) >= 2:
            targets = rng.sample(idxs, 2)
        else:
            best = max(idxs, key=lambda i: len(words[i]))
            if count == 2 and len(words[best]) < 9:
                return None
            targets = [best] * count
        notes = []
        for i in targets:
            words[i], what = typo(words[i], rng)
            notes.append(what)
        q = "".join(words)
        if fold(q) == fold(n.full):
            return None
        return q, n.full, "; ".join(notes)

    def v_diacritics_removed(self, e: Entity, rng: random.Random) -> Variant | None:
        names = [x for x in e.all_names() if has_accents(x.full) and x.quality == NameQuality.STRONG]
        if not names:
            return None
        n = names[0]
        return strip_accents(n.full), n.full, "accents stripped"

    def v_diacritics_added(self, e: Entity, rng: random.Random) -> Variant | None:
        n = pick_name(e, rng)
        if n is None or not n.full.isascii():
            return None
        q, changed = accent(n.full)
        if not changed:
            return None
        return q, n.full, f"accented {', '.join(changed)}"

    def script_cases(self, self_plan: dict[EntityKind, int], twin_plan: dict[EntityKind, int]) -> None:
        """Names in their original script (UN NAME_ORIGINAL_SCRIPT, DFAT "Original Script", Canada's Cyrillic).

        `script_original`: queried against the entry that carries the name (the script must be indexed at all).
        `script_to_latin`: queried against the same party on a list that carries only Latin names, the real
        transliteration test. A twin carries the entry's primary Latin name (two words or more) among its own
        names and shares its birth year where both give one; shared aliases alone are not enough, as unrelated
        parties share generic ones ("Ansar al-Sharia").
        """
        latin_key_owners: dict[str, list[Entity]] = defaultdict(list)
        for e in self.c.entities:
            if all(is_latin(n.full) for n in e.all_names()):
                for k in {key(n.full) for n in latin_names(e)}:
                    latin_key_owners[k].append(e)
        pools_by_kind: dict[EntityKind, list[tuple[Entity, list[Name], Entity | None]]] = defaultdict(list)
        for e in self.c.entities:
            scripts = [n for n in e.all_names() if has_no_latin(n.full) and fold(n.full)]
            if not scripts:
                continue
            primary = key(e.name.full)
            twins = []
            if is_latin(e.name.full) and len(primary.split()) >= 2:
                twins = sorted(
                    (
                        t
                        for t in latin_key_owners.get(primary, [])
                        if t.kind == e.kind and t.list_id != e.list_id and same_birth_year(e, t)
                    ),
                    key=lambda t: (-LIST_WEIGHTS.get(t.list_id, 1), t.id),
                )
            pools_by_kind[e.kind].append((e, scripts, twins[0] if twins else None))
        for variation, plan in (("script_original", self_plan), ("script_to_latin", twin_plan)):
            for kind, wanted in plan.items():
                pool = sorted(pools_by_kind.get(kind, []), key=lambda x: digest(variation, x[0].id))
                made = 0
                used: set[str] = set()
                for e, scripts, twin in pool:
                    if made >= wanted:
                        break
                    target = e if variation == "script_original" else twin
                    if target is None or target.id in used:
                        continue
                    rng = rng_for(variation, e.id)
                    n = rng.choice(scripts)
                    note = (
                        f"{n.script} name as carried by the entry"
                        if target is e
                        else f"{n.script} name of {e.id}; expected on the same party's Latin-only entry"
                    )
                    case = Case(variation, kind.value, query_name=n.full, expected_entity_id=target.id,
                                source_value=target.name.full if target is not e else n.full, note=note)  # fmt: skip
                    if self.add(self.corroborate(case, target, rng)):
                        used.add(target.id)
                        made += 1
                if made < wanted:
                    self.shortfall.append(f"{variation}/{kind.value}: {made} of {wanted}")

    def v_cyrillic(self, e: Entity, rng: random.Random) -> Variant | None:
        if any(n.script == "Cyrl" for n in e.all_names()):
            return None
        n = pick_name(e, rng, alias_share=0.1)
        if n is None or (not is_russian_like(n.full) and not (e.kind == ORG and has_russian_words(n.full))):
            return None
        parts = person_parts(n) if e.kind == P else None
        if parts and rng.random() < 0.6:
            given, family, _ = parts
            latin = " ".join([*family, *given])
            note = "Cyrillic, Russian order family given patronymic"
        else:
            latin = n.full.replace(",", "")
            note = "Cyrillic"
        return to_cyrillic(latin), n.full, note

    def v_translit(self, e: Entity, rng: random.Random) -> Variant | None:
        n = pick_name(e, rng)
        if n is None:
            return None
        cultures = {"any"}
        if is_russian_like(n.full):
            cultures.add("ru")
        if is_arabic_like(n.full):
            cultures.add("ar")
        words = re.split(r"([^\w']+)", n.full)
        options: list[tuple[int, str, str]] = []  # (word index, new word, note)
        for i, w in enumerate(words):
            lw = w.lower()
            if not w.isalpha() or len(w) < 3 or not w.isascii():
                continue
            for group in pools.TRANSLIT_GROUPS:
                if lw in group:
                    options += [(i, match_case(alt, w), f"{lw}->{alt}") for alt in group if alt != lw]
            for pattern, repl, culture in pools.TRANSLIT_RULES:
                if lw not in PARTICLES and culture in cultures and re.search(pattern, lw):
                    new = re.sub(pattern, repl, lw, count=1)
                    if new != lw:
                        options.append((i, match_case(new, w), f"{lw}->{new}"))
        if not options:
            return None
        chosen = [rng.choice(options)]
        others = [o for o in options if o[0] != chosen[0][0]]
        if others and rng.random() < 0.3:
            chosen.append(rng.choice(others))
        for i, new, _ in chosen:
            words[i] = new
        return "".join(words), n.full, "; ".join(c[2] for c in chosen)

    def v_legal_form(self, e: Entity, rng: random.Random) -> Variant | None:
        n = pick_name(e, rng, alias_share=0.15)
        if n is None:
            return None
        found = find_legal_form(n.full)
        upper = n.full.isupper()
        if found is None:
            if not BUSINESS.search(n.full) or has_russian_words(n.full):
                return None
            # mostly the English forms customer records carry; sometimes a Gulf, European or Asian one
            style = "anglo" if rng.random() < 0.6 else rng.choice(list(pools.LEGAL_FORMS))
            if is_russian_like(n.full):
                style = "russian"
            form = rng.choice(pools.LEGAL_FORMS[style])
            form = form.upper() if upper else form
            front = " ".join(fold(form)) in FRONTABLE and rng.random() < 0.4
            q = f"{form} {n.full}" if front else f"{n.full.rstrip(' .,')} {form}"
            return q, n.full, f"legal form {form!r} added"
        start, end, group, member = found
        core = (n.full[:start] + " " + n.full[end:]).strip(" ,.")
        core = re.sub(r"\s+", " ", core)
        if len([t for t in fold(core) if t not in LEGAL_TOKENS and len(t) >= 3]) < 1:
            return None
        ops = ["swap", "swap", "remove"] + (["move"] if " ".join(fold(member)) in FRONTABLE else [])
        op = rng.choice(ops)
        if op == "remove":
            return core, n.full, f"legal form {member!r} removed"
        alternatives = [m for m in group if alt_differs(m, member)]
        new = rng.choice(alternatives) if op == "swap" and alternatives else member
        new = new.upper() if upper else new
        at_start = start == 0
        if op == "swap" and not at_start and " ".join(fold(new)) in FRONTABLE and rng.random() < 0.3:
            at_start = True
        if op == "move":
            at_start = not at_start
            if new.lower() in ("ooo", "ao", "oao", "zao", "pao") and not at_start and rng.random() < 0.5:
                core = f'"{core}"'
        q = f"{new} {core}" if at_start else f"{core} {new}"
        what = f"{member!r} -> {new!r}" + (", moved" if op == "move" else "")
        return q, n.full, f"legal form {what}"

    def v_joined_split(self, e: Entity, rng: random.Random) -> Variant | None:
        n = pick_name(e, rng)
        if n is None:
            return None
        s = n.full
        options: list[tuple[str, str]] = []
        for m in re.finditer(r"\b(AL|EL|ABU|ABD|ABDUL|BIN|IBN|BEN|UL|UD)[\s-]+(?=[A-Z])", s, re.I):
            options.append((s[: m.start()] + m.group(1) + s[m.end() :], f"joined {m.group(0).strip()!r}"))
        for m in re.finditer(r"(\w)-(\w)", s):
            options.append((s[: m.start() + 1] + " " + s[m.end() - 1 :], "hyphen split"))
            options.append((s[: m.start() + 1] + s[m.end() - 1 :], "hyphen joined"))
        words = s.split()
        for i in range(len(words) - 1):
            a, b = words[i], words[i + 1]
            if (
                a.isalpha()
                and b.isalpha()
                and 3 <= min(len(a), len(b)) <= 5
                and a.lower() not in LEGAL_TOKENS | STOP_TOKENS
                and b.lower() not in LEGAL_TOKENS | STOP_TOKENS
                and e.kind == ORG
            ):
                options.append((" ".join([*words[:i], a + b, *words[i + 2 :]]), f"joined {a!r}+{b!r}"))
        for i, w in enumerate(words):
            lw = w.lower()
            if not w.isalpha() or len(w) < 7:
                continue
            # compounds only: split before a known tail morpheme ("ROSOBORON EXPORT", "SOVCOM FLOT")
            for mo in TAIL_MORPHEMES:
                cut = len(lw) - len(mo)
                if cut >= 3 and lw.endswith(mo):
                    split = w[:cut] + " " + w[cut:]
                    options.append((" ".join([*words[:i], split, *words[i + 1 :]]), f"split {w!r}"))
        options = [o for o in options if fold(o[0]) != fold(s)]
        if not options:
            return None
        q, note = rng.choice(sorted(set(options)))
        return q, s, note

    def v_mis_encoding(self, e: Entity, rng: random.Random) -> Variant | None:
        names = [x for x in e.all_names() if not x.full.isascii() and x.quality == NameQuality.STRONG]
        names = [x for x in names if is_latin(x.full) or rng.random() < NON_LATIN_MOJIBAKE_SHARE]
        if names:
            src = names[0].full
            q = mojibake(src)
            if RE_C1.search(q) and rng.random() < 0.7:
                return None  # keep the set mostly free of invisible C1 controls, but let a few through
            return q, src, f"{detect(src)} name, UTF-8 read as Windows-1252"
        n = pick_name(e, rng)
        if n is None:
            return None
        accented, changed = accent(n.full)
        if not changed:
            return None
        return mojibake(accented), n.full, f"accented {', '.join(changed)}, then UTF-8 read as Windows-1252"

    def v_imo(self, e: Entity, rng: random.Random) -> Case | None:
        imos = [i.value for i in e.identifiers if i.type == IdentifierType.IMO]
        digits = [re.sub(r"\D", "", v) for v in imos]
        digits = [d for d in digits if is_valid_imo(d) and len(self.c.ident_owners.get(d, ())) <= 1]
        if not digits:
            return None
        d = digits[0]
        fmt = rng.choice(["IMO{}", "IMO: {}", "imo {}", "{}", "IMO No. {}", "IMO {}", " IMO-{} "])
        case = Case(
            "identifier_imo",
            "vessel",
            query_identifiers=(fmt.format(d),),
            expected_entity_id=e.id,
            source_value=imos[0],
            note=f"IMO written {fmt.strip()!r}, identifier only",
        )
        return replace(case, query_kind="vessel") if rng.random() < QUERY_KIND_SHARE else case

    def tail_of(self, e: Entity) -> str | None:
        tails = [i.value for i in e.identifiers if i.type == IdentifierType.TAIL_NUMBER]
        tail = tails[0] if tails else (e.name.full if e.kind == A else None)
        if not tail or not re.fullmatch(r"[A-Z0-9]{1,3}-?[A-Z0-9]{2,6}", tail.strip()):
            return None
        if len(self.c.ident_owners.get(alnum(tail), ())) > 1:
            return None
        return tail.strip()

    def v_tail(self, e: Entity, rng: random.Random) -> Case | None:
        tail = self.tail_of(e)
        if tail is None:
            return None
        q, how = tail_variant(tail, rng)
        case = Case(
            "identifier_tail",
            "aircraft",
            query_identifiers=(q,),
            expected_entity_id=e.id,
            source_value=tail,
            note=f"tail number {how}, identifier only",
        )
        return replace(case, query_kind="aircraft") if rng.random() < QUERY_KIND_SHARE else case

    def v_ident_in_name(self, e: Entity, rng: random.Random) -> Case | None:
        if e.kind == V:
            imo = self.v_imo(e, rng)
            if imo is None:
                return None
            number = re.sub(r"\D", "", imo.query_identifiers[0])
            q = rng.choice(
                [f"IMO {number}", f"IMO{number}", f"{e.name.full} IMO {number}", f"{e.name.full} ({number})"]
            )
            src = imo.source_value
        else:
            tail = self.tail_of(e)
            if tail is None:
                return None
            q, _ = tail_variant(tail, rng, spaced=False)
            src = tail
        return Case(
            "identifier_in_name",
            e.kind.value,
            query_name=q.strip(),
            expected_entity_id=e.id,
            source_value=src,
            note="identifier typed in the name field",
        )

    def v_ident_other(self, e: Entity, rng: random.Random) -> Case | None:
        usable = (
            IdentifierType.PASSPORT,
            IdentifierType.NATIONAL_ID,
            IdentifierType.TAX_ID,
            IdentifierType.REGISTRATION,
            IdentifierType.SWIFT_BIC,
        )
        idents = [
            i
            for i in e.identifiers
            if i.type in usable
            and len(alnum(i.value)) >= 6
            and len(self.c.ident_owners.get(alnum(i.value), ())) == 1
            and sum(ch.isdigit() for ch in i.value) >= 4
        ]
        if not idents:
            return None
        ident = rng.choice(idents)
        v = ident.value
        options = [
            (alnum(v), "separators removed"),
            (v.lower(), "lower case"),
            (" ".join(re.findall(r".{1,3}", alnum(v))), "regrouped in threes"),
            ("-".join(re.findall(r".{1,4}", alnum(v))), "dashes every four"),
        ]
        options = [o for o in options if o[0] != v]
        if not options:
            return None
        q, how = rng.choice(options)
        case = Case(
            "identifier_other",
            e.kind.value,
            query_identifiers=(q,),
            expected_entity_id=e.id,
            source_value=v,
            note=f"{ident.type.value} {how}, identifier only",
        )
        return replace(case, query_kind=e.kind.value)

    # -- negatives --------------------------------------------------------------------------------------------
    def negative(
        self,
        variation: str,
        kind: str,
        name: str,
        note: str,
        rng: random.Random,
        source: str = "",
        source_entity: str = "",
    ) -> bool:
        name = re.sub(r"\s+", " ", name).strip()
        dedupe = " ".join(sorted(t for t in fold(name) if t not in {"mv", "mt", "ss", "m", "v"}))
        if dedupe in self.negative_keys:
            return False
        self.negative_keys.add(dedupe)
        ignore = STOP_TOKENS | LEGAL_TOKENS if kind != "person" else STOP_TOKENS
        why = self.c.collision(name, ignore=ignore)
        if not why and kind != "person" and variation != "neg_hard_company":
            why = self.c.core_collision(name)
        if why:
            self.dropped[variation] += 1
            self.drop_notes.append(f"{variation}: {name!r}: {why}")
            return False
        case = Case(variation, kind, query_name=name, source_value=source, note=note, source_entity=source_entity)
        if rng.random() < QUERY_KIND_SHARE:
            case = replace(case, query_kind=kind)
        if kind == "person" and rng.random() < DOB_SHARE:
            case = replace(
                case, query_birth_date=f"{rng.randint(1945, 2000)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            )
        return self.add(case)

    def build_negatives(self) -> None:
        self.dropped: Counter[str] = Counter()
        self.negative_keys: set[str] = set()
        self.drop_notes: list[str] = []
        for culture in sorted(pools.GIVEN):
            made = attempt = 0
            while made < NEG_PERSONS_PER_CULTURE and attempt < NEG_PERSONS_PER_CULTURE * 8:
                rng = rng_for("neg_person", culture, str(attempt))
                attempt += 1
                made += self.negative(
                    "neg_person", "person", person_name(culture, rng), f"ordinary {culture} name", rng
                )
            if made < NEG_PERSONS_PER_CULTURE:
                self.shortfall.append(f"neg_person/{culture}: {made} of {NEG_PERSONS_PER_CULTURE}")
        for what, count, maker in (
            ("company", NEG_COMPANIES, company_name),
            ("airline", NEG_AIRLINES, airline_name),
            ("shipping company", NEG_SHIPPING, shipping_name),
        ):
            made = attempt = 0
            while made < count and attempt < count * 8:
                rng = rng_for("neg_company", what, str(attempt))
                attempt += 1
                made += self.negative("neg_company", "organization", maker(rng), f"unlisted {what}", rng)
        made = attempt = 0
        while made < NEG_VESSELS and attempt < NEG_VESSELS * 8:
            rng = rng_for("neg_vessel", str(attempt))
            attempt += 1
            name = f"{rng.choice(pools.SHIP_PREFIX)} {rng.choice(pools.SHIP_WORDS)}".strip()
            made += self.negative(
                "neg_vessel", "vessel", name.upper() if rng.random() < 0.5 else name, "unlisted vessel name", rng
            )
        self.hard_surnames()
        self.listed_surnames()
        self.pinyin_names()
        self.arabic_script_names()
        self.hard_companies()
        self.hard_imos()
        self.hard_tails()

    def hard_surnames(self) -> None:
        variation = "neg_hard_surname"
        families: dict[str, tuple[str, Entity]] = {}
        for e in self.c.entities:
            if e.kind != P:
                continue
            parts = person_parts(e.name)
            if not parts or not parts[1]:
                continue
            family = " ".join(parts[1])
            fam_toks = [t for t in fold(family) if t not in STOP_TOKENS]
            if not fam_toks or min(len(t) for t in fam_toks) < 4 or not is_latin(family):
                continue
            families.setdefault(key(family), (family, e))
        order = sorted(families.values(), key=lambda fe: digest(variation, fe[1].id))
        made = 0
        for family, e in order:
            if made >= NEG_HARD_SURNAME:
                break
            rng = rng_for(variation, e.id)
            culture = guess_culture(e.name.full)
            fam_sims = [self.c.similar(t) for t in fold(family) if t not in STOP_TOKENS]
            # every token that appears in a listed name together with this family name: the new given name must
            # resemble none of them, or the "negative" could be a listed relative or the person themselves
            related: set[str] = set()
            idx_sets = [{i for s in sims for i in self.c.postings[s]} for sims in fam_sims]
            for idx in set.intersection(*idx_sets) if idx_sets else set():
                related.update(self.c.names[idx][1])
            half = len(pools.GIVEN[culture]) // 2
            female = e.gender == "female"
            pool = pools.GIVEN[culture][half:] if female else pools.GIVEN[culture][:half]
            choices = [g for g in pool if not any(related & self.c.similar(t) for t in fold(g))]
            if not choices:
                continue
            given = rng.choice(choices)
            fam = family.title() if rng.random() < 0.6 else family.upper()
            name = f"{given} {fam}" if rng.random() < 0.7 else f"{fam.upper()}, {given}"
            note = f"listed family name of {e.id} with another {culture} given name"
            made += self.negative(variation, "person", name, note, rng, source=e.name.full, source_entity=e.id)
        if made < NEG_HARD_SURNAME:
            self.shortfall.append(f"{variation}: {made} of {NEG_HARD_SURNAME}")

    def listed_given_names(self) -> dict[str, list[str]]:
        """Given names (first one or two units) of listed persons by guessed culture: real given names as the lists
        write them, a wider and less convenient pool than the hand-written one."""
        out: dict[str, set[str]] = defaultdict(set)
        for e in self.c.entities:
            parts = person_parts(e.name) if e.kind == P and is_latin(e.name.full) else None
            if not parts or not parts[0]:
                continue
            given = " ".join(parts[0][:2])
            if len(given) >= 2 and not any(ch.isdigit() or ch in "()/" for ch in given):
                out[guess_culture(e.name.full)].add(given.title())
        return {c: sorted(v) for c, v in out.items()}

    def related_tokens(self, family: str) -> set[str]:
        """Every token that appears in a listed name together with (a spelling of) this family name."""
        fam_sims = [self.c.similar(t) for t in fold(family) if t not in STOP_TOKENS]
        idx_sets = [{i for s in sims for i in self.c.postings[s]} for sims in fam_sims]
        related: set[str] = set()
        for idx in set.intersection(*idx_sets) if idx_sets else set():
            related.update(self.c.names[idx][1])
        return related

    def listed_surnames(self) -> None:
        """A listed person's family name with the given name of another listed person of the same culture, which
        resembles no name the family is listed with ("Bushra al-Assad" is not "Bashar al-Assad")."""
        variation = "neg_listed_surname"
        givens = self.listed_given_names()
        people = []
        for e in self.c.entities:
            parts = person_parts(e.name) if e.kind == P and is_latin(e.name.full) else None
            if parts and parts[0] and parts[1] and [t for t in fold(" ".join(parts[1])) if t not in STOP_TOKENS]:
                people.append((e, parts))
        people.sort(key=lambda ep: digest(variation, ep[0].id))
        made = 0
        families: set[str] = set()
        for e, (_, family_units, _) in people:
            if made >= NEG_LISTED_SURNAME:
                break
            family = " ".join(family_units)
            if key(family) in families:
                continue
            rng = rng_for(variation, e.id)
            culture = guess_culture(e.name.full)
            related = self.related_tokens(family)
            pool = givens.get(culture) or givens["english"]
            for _ in range(20):
                given = rng.choice(pool)
                if not any(related & self.c.similar(t) for t in fold(given) if t not in STOP_TOKENS):
                    break
            else:
                continue
            fam = family.title() if rng.random() < 0.6 else family.upper()
            r = rng.random()
            name = f"{given} {fam}" if r < 0.6 else (f"{fam.upper()}, {given}" if r < 0.85 else f"{fam} {given}")
            note = f"listed family name of {e.id} with the {culture} given name of another listed person"
            if self.negative(variation, "person", name, note, rng, source=e.name.full, source_entity=e.id):
                families.add(key(family))
                made += 1
        if made < NEG_LISTED_SURNAME:
            self.shortfall.append(f"{variation}: {made} of {NEG_LISTED_SURNAME}")

    def arabic_script_names(self) -> None:
        """The first word of one listed Arabic-script person name with the last word of another: names as Arabic
        script writes them, checked against every listed name by their consonants."""
        variation = "neg_arabic_script"
        words = [n.full.split() for e in self.c.entities if e.kind == P for n in e.all_names() if n.script == "Arab"]
        words = [w for w in words if len(w) >= 2]
        firsts = sorted({w[0] for w in words if len(w[0]) >= 2})
        lasts = sorted({w[-1] for w in words if len(w[-1]) >= 2})
        made = attempt = 0
        while made < NEG_ARABIC_SCRIPT and attempt < NEG_ARABIC_SCRIPT * 8 and firsts and lasts:
            rng = rng_for(variation, str(attempt))
            attempt += 1
            name = f"{rng.choice(firsts)} {rng.choice(lasts)}"
            made += self.negative(variation, "person", name, "listed Arabic-script words recombined", rng)
        if made < NEG_ARABIC_SCRIPT:
            self.shortfall.append(f"{variation}: {made} of {NEG_ARABIC_SCRIPT}")

    def pinyin_names(self) -> None:
        variation = "neg_pinyin"
        made = attempt = 0
        while made < NEG_PINYIN and attempt < NEG_PINYIN * 8:
            rng = rng_for(variation, str(attempt))
            attempt += 1
            made += self.negative(variation, "person", pinyin_name(rng), "invented Chinese name in pinyin", rng)
        if made < NEG_PINYIN:
            self.shortfall.append(f"{variation}: {made} of {NEG_PINYIN}")

    def hard_companies(self) -> None:
        variation = "neg_hard_company"
        order = sorted((e for e in self.c.entities if e.kind == ORG), key=lambda e: digest(variation, e.id))
        made = 0
        used: set[str] = set()
        generic = {w.lower() for w in (*pools.COMPANY_ADJ, *pools.COMPANY_NOUN, *pools.COMPANY_TRADE)}
        for e in order:
            if made >= NEG_HARD_COMPANY:
                break
            n = e.name
            if not is_latin(n.full):
                continue
            toks = [t for t in fold(n.full) if t not in LEGAL_TOKENS | STOP_TOKENS and len(t) > 1]
            if len(toks) < 2:
                continue
            rare = [
                t
                for t in toks
                if t.isalpha() and len(t) >= 5 and self.c.df[t] <= 3 and t not in generic and not self.is_sole_core(t)
            ]
            if not rare:
                continue
            word = min(rare, key=lambda t: (self.c.df[t], t))
            if word in used:
                continue
            rng = rng_for(variation, e.id)
            others = [w for w in pools.COMPANY_TRADE if w.lower() not in toks]
            adj = [w for w in pools.COMPANY_ADJ if w.lower() not in toks]
            legal = rng.choice(pools.LEGAL_FORMS[rng.choice(list(pools.LEGAL_FORMS))])
            shape = rng.randrange(3)
            if shape == 0:
                name = f"{word.title()} {rng.choice(others)} {legal}"
            elif shape == 1:
                name = f"{rng.choice(adj)} {word.title()} {rng.choice(others)}"
            else:
                name = f"{word.title()} {rng.choice(adj)} {rng.choice(others)} {legal}"
            note = f"distinctive word {word!r} of {e.id} among other words"
            if self.negative(variation, "organization", name, note, rng, source=n.full, source_entity=e.id):
                used.add(word)
                made += 1
        if made < NEG_HARD_COMPANY:
            self.shortfall.append(f"{variation}: {made} of {NEG_HARD_COMPANY}")

    def is_sole_core(self, word: str) -> bool:
        """Some listed name is this word alone (besides legal forms and industry words): then any company named
        after it is a fair hit, not a hard negative."""
        weak = STOP_TOKENS | LEGAL_TOKENS | INDUSTRY_TOKENS
        for idx in self.c.postings.get(word, ()):
            if [t for t in self.c.names[idx][1] if t not in weak and len(t) > 1] == [word]:
                return True
        return False

    def hard_imos(self) -> None:
        listed = sorted(
            {
                (re.sub(r"\D", "", i.value), e.id)
                for e in self.c.entities
                for i in e.identifiers
                if i.type == IdentifierType.IMO
            }
        )
        listed = [(d, eid) for d, eid in listed if is_valid_imo(d)]
        listed.sort(key=lambda x: digest("neg_imo", x[1]))
        made_check = made_other = 0
        for d, eid in listed:
            rng = rng_for("neg_imo", eid, d)
            if made_check < NEG_IMO_CHECK:
                wrong = d[:6] + str((int(d[6]) + rng.randint(1, 9)) % 10)
                if wrong not in self.c.identifiers:
                    fmt = rng.choice(["IMO {}", "IMO{}", "{}"])
                    case = Case(
                        "neg_imo_checkdigit",
                        "vessel",
                        query_identifiers=(fmt.format(wrong),),
                        source_value=d,
                        note=f"listed IMO of {eid} with a wrong check digit",
                        source_entity=eid,
                    )
                    if rng.random() < QUERY_KIND_SHARE:
                        case = replace(case, query_kind="vessel")
                    made_check += self.add(case)
                    continue
            if made_other < NEG_IMO_OTHER:
                pos = rng.randrange(6)
                digit = str((int(d[pos]) + rng.randint(1, 9)) % 10)
                six = d[:pos] + digit + d[pos + 1 : 6]
                other = six + str(imo_check_digit(six))
                if other not in self.c.identifiers and six[0] != "0":
                    case = Case(
                        "neg_imo_other",
                        "vessel",
                        query_identifiers=(f"IMO {other}",),
                        source_value=d,
                        note=f"valid IMO of another ship, one digit away from {eid}'s",
                        source_entity=eid,
                    )
                    if rng.random() < QUERY_KIND_SHARE:
                        case = replace(case, query_kind="vessel")
                    made_other += self.add(case)
        if made_check < NEG_IMO_CHECK or made_other < NEG_IMO_OTHER:
            self.shortfall.append(f"neg_imo: {made_check}+{made_other} of {NEG_IMO_CHECK}+{NEG_IMO_OTHER}")

    def hard_tails(self) -> None:
        aircraft = sorted((e for e in self.c.entities if e.kind == A), key=lambda e: digest("neg_tail", e.id))
        made = 0
        for e in aircraft:
            if made >= NEG_TAIL:
                break
            tail = self.tail_of(e)
            if tail is None:
                continue
            rng = rng_for("neg_tail", e.id)
            m = re.fullmatch(r"([A-Z0-9]{1,3}-?)([A-Z0-9]+)", tail)
            if not m:
                continue
            prefix, mark = m.groups()
            pos = rng.randrange(len(mark))
            ch = mark[pos]
            pool = "0123456789" if ch.isdigit() else "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
            new = mark[:pos] + rng.choice(pool.replace(ch, "")) + mark[pos + 1 :]
            other = prefix + new
            if alnum(other) in self.c.identifiers:
                continue
            in_name = rng.random() < 0.5
            case = Case(
                "neg_tail",
                "aircraft",
                query_name=other if in_name else "",
                query_identifiers=() if in_name else (other,),
                source_value=tail,
                note=f"tail number one character away from {e.id}'s" + (", in the name field" if in_name else ""),
                source_entity=e.id,
            )
            if rng.random() < QUERY_KIND_SHARE:
                case = replace(case, query_kind="aircraft")
            made += self.add(case)
        if made < NEG_TAIL:
            self.shortfall.append(f"neg_tail: {made} of {NEG_TAIL}")


# ---------------------------------------------------------------------------------------------------------------
# variation primitives


def typo(word: str, rng: random.Random) -> tuple[str, str]:
    """One realistic keyboard slip: substitute a neighbour key, insert, delete, or swap two adjacent letters.
    The first letter is spared most of the time, as it is in real data entry."""
    start = 0 if rng.random() < 0.1 else 1
    pos = rng.randrange(start, len(word))
    ch = word[pos]
    low = ch.lower()
    near = pools.KEYBOARD.get(low, "")
    op = rng.choice(["substitute", "insert", "delete", "transpose"])
    if op == "transpose" and pos < len(word) - 1 and word[pos] != word[pos + 1]:
        new = word[:pos] + word[pos + 1] + word[pos] + word[pos + 2 :]
        return new, f"transposed {word[pos : pos + 2]!r} in {word!r}"
    if op == "delete" or not near:
        return word[:pos] + word[pos + 1 :], f"deleted {ch!r} from {word!r}"
    sub = rng.choice(near)
    sub = sub.upper() if ch.isupper() else sub
    if op == "insert":
        return word[:pos] + sub + word[pos:], f"inserted {sub!r} into {word!r}"
    return word[:pos] + sub + word[pos + 1 :], f"substituted {ch!r}->{sub!r} in {word!r}"


def accent(text: str) -> tuple[str, list[str]]:
    changed = []

    def repl(m: re.Match[str]) -> str:
        w = m.group(0)
        acc = pools.ACCENTED.get(w.lower())
        if acc is None:
            return w
        changed.append(w)
        return match_case(acc, w) if not w.isupper() else acc.upper()

    return re.sub(r"[A-Za-z]+", repl, text), changed


def detect(text: str) -> str:
    return "Latin" if is_latin(text) else "non-Latin"


def has_russian_words(text: str) -> bool:
    toks = set(fold(text))
    return bool(toks & RU_ORG_WORDS)


def to_cyrillic(text: str) -> str:
    out = []
    for word in re.split(r"(\W+)", text):
        if not word or not word.isascii() or not word.isalpha():
            out.append(word)
            continue
        lw = word.lower()
        res = []
        i = 0
        while i < len(lw):
            if lw[i] == "y" and i > 0 and lw[i - 1] in "aeiou" and (i + 1 == len(lw) or lw[i + 1] not in "aeiou"):
                res.append("й")
                i += 1
                continue
            for lat, cyr in pools.LATIN_TO_CYRILLIC:
                if lw.startswith(lat, i):
                    res.append(cyr)
                    i += len(lat)
                    break
            else:
                res.append(lw[i])
                i += 1
        cyr_word = "".join(res)
        out.append(cyr_word.upper() if word.isupper() and len(word) > 3 else cyr_word[:1].upper() + cyr_word[1:])
    return "".join(out)


_LEGAL_RES: list[tuple[re.Pattern[str], tuple[str, ...], str]] = []
for _group in pools.LEGAL_EQUIVALENTS:
    for _member in _group:
        _toks = re.findall(r"[A-Za-z]+", _member)
        _body = r"[\s.,]*".join(re.escape(t) for t in _toks) + r"\.?"
        _LEGAL_RES.append((re.compile(rf"(^{_body}(?=\s)|(?<=[\s,]){_body}$)", re.I), _group, _member))
_LEGAL_RES.sort(key=lambda x: -len(x[2]))


def find_legal_form(text: str) -> tuple[int, int, tuple[str, ...], str] | None:
    """(start, end, equivalence group, the group member found) of a legal form at either end of `text`."""
    best = None
    for pattern, group, member in _LEGAL_RES:
        m = pattern.search(text.rstrip())
        if m and (best is None or m.end() - m.start() > best[1] - best[0]):
            best = (m.start(), m.end(), group, member)
    return best


def alt_differs(a: str, b: str) -> bool:
    return fold(a) != fold(b)


def tail_variant(tail: str, rng: random.Random, *, spaced: bool = True) -> tuple[str, str]:
    """Another writing of a tail number; `spaced=False` for the name field, where "yi nac" would read as a name."""
    bare = tail.replace("-", "")
    options = [
        (bare, "without its hyphen"),
        (tail.lower(), "in lower case"),
        (bare.lower(), "lower case without hyphen"),
    ]
    if spaced:
        options.append((tail.replace("-", " ").lower(), "lower case, space for the hyphen"))
    if "-" not in tail and len(tail) > 3:
        options.append((f"{tail[:2]}-{tail[2:]}", "with a hyphen added"))
        if spaced:
            options.append((f"{tail[:1]} {tail[1:]}".lower(), "spaced"))
    options = [o for o in options if o[0] != tail]
    return rng.choice(options)


def same_birth_year(a: Entity, b: Entity) -> bool:
    ya = {d.start[:4] for d in a.birth_dates}
    yb = {d.start[:4] for d in b.birth_dates}
    return not ya or not yb or bool(ya & yb)


def guess_culture(text: str) -> str:
    toks = fold(text)
    if is_russian_like(text) or any(t.endswith(("ov", "ev", "ova", "eva", "enko", "sky", "skiy")) for t in toks):
        return "russian"
    if is_arabic_like(text):
        return "arabic"
    if any(t.endswith(("ez", "es")) or t in pools.ACCENTED for t in toks):
        return "spanish"
    if any(t.endswith(("zadeh", "pour", "nejad", "ian")) for t in toks):
        return "persian"
    if any(t in {"kim", "pak", "park", "ri", "choe", "jong", "chol", "song", "yong"} for t in toks):
        return "korean"
    return "english"


def person_name(culture: str, rng: random.Random) -> str:
    given = pools.GIVEN[culture]
    family = pools.FAMILY[culture]
    half = len(given) // 2
    female = rng.random() < 0.45
    g = rng.choice(given[half:] if female else given[:half])
    f = rng.choice(family)
    r = rng.random()
    if culture == "russian":
        stem = rng.choice(pools.PATRONYMIC_STEMS)
        patr = stem + ("na" if female else "ich")
        if female and f.endswith(("ov", "ev", "in", "yov")):
            f += "a"
        if r < 0.5:
            name = f"{g} {patr} {f}"
        elif r < 0.7:
            name = f"{f} {g} {patr}"
        else:
            name = f"{g} {f}"
    elif culture == "spanish":
        f2 = rng.choice([x for x in family if x != f])
        name = f"{g} {f} {f2}" if r < 0.6 else (f"{g} {f}" if r < 0.85 else f"{f} {f2}, {g}")
    elif culture == "arabic":
        father = rng.choice(given[:half])
        name = f"{g} {f}" if r < 0.4 else (f"{g} {father} {f}" if r < 0.85 else f"{g} bin {father} {f}")
    elif culture in ("chinese", "korean"):
        g = g.replace(" ", "") if culture == "chinese" and rng.random() < 0.4 else g
        name = f"{f} {g}" if r < 0.7 else f"{g} {f}"
    elif culture == "french" and r < 0.15:
        name = f"{rng.choice(pools.FRENCH_COMPOUND)} {f}"
    elif culture in ("english", "german", "african", "turkish", "indian") and r < 0.25:
        g2 = rng.choice([x for x in given[half:] if x != g] if female else [x for x in given[:half] if x != g])
        name = f"{g} {g2} {f}" if culture != "english" or rng.random() < 0.5 else f"{g} {g2[0]}. {f}"
    else:
        name = f"{g} {f}" if r < 0.85 else f"{f.upper()}, {g}"
    if rng.random() < 0.15:
        name = name.upper()
    return name


def pinyin_name(rng: random.Random) -> str:
    """An invented Chinese name in Hanyu Pinyin: a common family name and one or two given-name syllables, written
    the ways customer records write them (Wang Xiuying, Xiu Ying Wang, WANG Xiu-ying, ...)."""
    family = rng.choice(pools.PINYIN_SURNAMES)
    sylls = [rng.choice(pools.PINYIN_GIVEN) for _ in range(1 if rng.random() < 0.3 else 2)]
    style = rng.random()
    if len(sylls) == 1:
        given = sylls[0].title()
    elif style < 0.5:
        given = "".join(sylls).title()
    elif style < 0.8:
        given = " ".join(x.title() for x in sylls)
    else:
        given = f"{sylls[0].title()}-{sylls[1]}"
    r = rng.random()
    name = f"{family} {given}" if r < 0.55 else (f"{given} {family}" if r < 0.85 else f"{family.upper()}, {given}")
    return name.upper() if rng.random() < 0.15 else name


def company_name(rng: random.Random) -> str:
    legal = rng.choice(pools.LEGAL_FORMS[rng.choice(list(pools.LEGAL_FORMS))])
    adj, noun, trade = rng.choice(pools.COMPANY_ADJ), rng.choice(pools.COMPANY_NOUN), rng.choice(pools.COMPANY_TRADE)
    shape = rng.randrange(5)
    if shape == 0:
        name = f"{adj} {noun} {trade} {legal}"
    elif shape == 1:
        name = f"{adj} {trade} {legal}"
    elif shape == 2:
        name = f"{noun} {trade} {legal}"
    elif shape == 3:
        a, b = rng.sample(pools.FAMILY["english"] + pools.FAMILY["german"], 2)
        name = f"{a} & {b} {trade}"
    else:
        name = f"{adj} {noun} {trade}"
    return name.upper() if rng.random() < 0.3 else name


def airline_name(rng: random.Random) -> str:
    return f"{rng.choice(pools.AIRLINE_WORDS)} {rng.choice(pools.AIRLINE_SUFFIX)}"


def shipping_name(rng: random.Random) -> str:
    first = rng.choice([*pools.COMPANY_ADJ, *(w.split()[0] for w in pools.SHIP_WORDS)])
    legal = rng.choice(["Ltd", "LLC", "S.A.", "GmbH", "Inc.", "Pte. Ltd.", "Co., Ltd.", ""])
    return f"{first} {rng.choice(pools.SHIPPING_SUFFIX)} {legal}".strip()


# ---------------------------------------------------------------------------------------------------------------


ORDER = [
    *POSITIVE_PLAN,
    "neg_person",
    "neg_company",
    "neg_vessel",
    "neg_hard_surname",
    "neg_listed_surname",
    "neg_pinyin",
    "neg_arabic_script",
    "neg_hard_company",
    "neg_imo_checkdigit",
    "neg_imo_other",
    "neg_tail",
]


def build(entities: Iterable[Entity]) -> tuple[list[Case], Builder]:
    b = Builder(Corpus(list(entities)))
    b.build_positives()
    b.build_negatives()
    cases = sorted(b.cases, key=lambda c: (ORDER.index(c.variation), c.case_id))
    return cases, b


def write_csv(cases: Sequence[Case], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=GOLDEN_COLUMNS, lineterminator="\n")
        w.writeheader()
        for c in cases:
            w.writerow(c.row())


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirror", type=Path, default=MIRROR)
    ap.add_argument("--out", type=Path, default=GOLDEN_CSV)
    ap.add_argument("--pairs-out", type=Path, default=PAIRS_CSV)
    ap.add_argument("--show-drops", action="store_true", help="print every negative dropped as a collision")
    args = ap.parse_args(argv)
    snapshots, skipped = load_snapshots(args.mirror)
    for note in skipped:
        print(f"warning: list left out: {note}", file=sys.stderr)
    entities = all_entities(snapshots)
    print(f"{len(entities)} entities from {', '.join(f'{s.list_id}={len(s.entities)}' for s in snapshots)}")
    cases, b = build(entities)
    write_csv(cases, args.out)
    pos = [c for c in cases if c.expected_entity_id]
    print(f"wrote {len(cases)} cases ({len(pos)} positive, {len(cases) - len(pos)} negative) to {args.out}")
    by_var = Counter(c.variation for c in cases)
    by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    by_list: dict[str, Counter[str]] = defaultdict(Counter)
    for c in cases:
        by_kind[c.variation][c.kind] += 1
        if c.expected_entity_id:
            by_list[c.variation][c.expected_entity_id.split(":")[0]] += 1
    for v in ORDER:
        kinds = ", ".join(f"{k}={n}" for k, n in sorted(by_kind[v].items()))
        lists = ", ".join(f"{k}={n}" for k, n in sorted(by_list[v].items()))
        print(f"  {v:<22} {by_var[v]:>4}  [{kinds}]  {lists}")
    print(f"negatives dropped as collisions with listed names: {dict(b.dropped)}")
    if args.show_drops:
        for line in b.drop_notes:
            print("  " + line)
    for s in b.shortfall:
        print(f"shortfall: {s}", file=sys.stderr)

    from bench.pairs import build_pairs, summary, write_pairs  # bench.pairs builds on this module

    pairs, shortfall = build_pairs(b.c)
    write_pairs(pairs, args.pairs_out)
    print(f"wrote {len(pairs)} labelled pairs to {args.pairs_out}: {summary(pairs)}")
    for s in shortfall:
        print(f"shortfall: {s}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
