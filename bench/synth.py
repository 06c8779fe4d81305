"""A synthetic corpus in the lists' own styles, for scaling benchmarks: persons ("FAMILY, Given Patronymic",
Arabic names with bin/al-, Chinese and Spanish orders), companies with legal forms, vessels with valid IMO numbers,
aircraft with tail numbers. Deterministic for a seed; the tokens follow a long-tailed distribution as real lists do.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Iterator

from bench import pools
from bench.make_golden import imo_check_digit, to_cyrillic
from service.model import (
    DateSpec,
    Entity,
    EntityKind,
    Identifier,
    IdentifierType,
    Link,
    Name,
    NameQuality,
    NameType,
    Snapshot,
)

LIST_ID = "synthetic"

_RU_ONSETS = (
    "Bel Vor Gol Dub Zhu Kras Lom Mel Nov Ost Pet Rud Sav Tikh Fil Khar Chern Shev Yar Kuz Sol Bog Gor Dor Kol Lit "
    "Mak Naz Pol Ryb Sit Tar Usp Zim Grom Krup Lav Mor Prok Step Vlas Glad Drozd Yerm Zhel Karp Luk Medv Nest Olkh"
).split()
_RU_MIDS = ("a", "o", "e", "i", "", "ya", "u", "ov")
_RU_SUFFIXES = ("ov", "ev", "in", "sky", "enko", "uk", "ich", "ovsky", "yan", "idze", "shvili", "ikov", "anov")
_AR_SHORT = ("{0}a{1}i{2}", "{0}a{1}{2}a", "{0}u{1}a{2}", "{0}a{1}a{2}i")
_AR_LONG = ("{0}a{1}{2}ani", "{0}a{1}a{2}i", "{0}u{1}a{2}i", "{0}a{1}i{2}i", "{0}i{1}a{2}")
_RU_GIVEN = (
    "Aleksandr Sergey Dmitriy Andrey Vladimir Igor Oleg Nikolay Mikhail Yuriy Viktor Pavel Evgeniy Ivan Boris "
    "Konstantin Vadim Gennadiy Anatoliy Valeriy"
).split()  # male: the generator writes male patronymics
_CONSONANTS = ("b", "t", "th", "j", "h", "kh", "d", "dh", "r", "z", "s", "sh", "f", "q", "k", "l", "m", "n", "w", "y")
_PINYIN = (
    "an ba bai bao bei bin bo cai can cao chang chao chen cheng chun cong da dan de deng di dong du duan fan fang fei "
    "feng fu gang gao ge gong gu guang gui guo hai han hao he heng hong hua huai huan hui jia jian jiang jie jin jing "
    "jun kai kang ke kun lan lei li liang lin ling long lu luo mei min ming mu na ning pei peng ping qi qian qiang qin "
    "qing qiu quan rong rui shan shao sheng shi shu song tao tian ting wan wei wen xia xian xiang xiao xin xing xiu xu "
    "xuan ya yan yang yao ye yi ying yong you yu yuan yue yun ze zhan zhen zheng zhi zhong zhou zi zong"
).split()
_COMPANY_PARTS = (
    "tek ros neft gaz prom avia trans sib energo stroy mash kom inter uni geo bio nova alfa vita agro petro tel chem "
    "ural don volga baltic arctic kaspi delta omega terra astra zenit orion vektor impuls resurs kapital invest soyuz "
    "global sino pars kish dena tara hormoz zagros alborz sepah arya kavir"
).split()
_CITIES = ("Shenzhen", "Dalian", "Ningbo", "Xiamen", "Qingdao", "Tianjin", "Dubai", "Sharjah", "Istanbul", "Minsk")


def _zipf_choice(rng: random.Random, items: tuple[str, ...] | list[str]) -> str:
    """A few common values and a long tail, as names are distributed in real lists."""
    i = int(len(items) * rng.random() ** 2.2)
    return items[min(i, len(items) - 1)]


class Synthesizer:
    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        rng = self.rng
        # Long tails of plausible tokens per style, built once from syllables.
        self.ru_family = sorted(
            {f"{o}{m}{s}" for o in _RU_ONSETS for m in _RU_MIDS for s in _RU_SUFFIXES if rng.random() < 0.5}
        )
        self.ar_family = sorted({self._arabic_word(rng) for _ in range(6000)})
        self.ar_given = sorted({self._arabic_word(rng, short=True) for _ in range(3000)})
        self.company_words = sorted(
            {(a + b).capitalize() for a in _COMPANY_PARTS for b in _COMPANY_PARTS if a != b and rng.random() < 0.6}
        )
        # Candidate lists per style, common names first so the Zipf draw favours them.
        self.ru_given = (*_RU_GIVEN, *pools.GIVEN["russian"][: len(pools.GIVEN["russian"]) // 2])
        self.ar_given_all = (*pools.ARABIC_GIVEN, *self.ar_given)
        self.ar_family_all = (*pools.ARABIC_FAMILY, *(f"al-{w}" for w in self.ar_family))
        self.es_given = pools.GIVEN["spanish"]
        self.es_family = (*pools.FAMILY["spanish"], *self.ru_family[::9])
        self.imos: set[str] = set()
        self.tails: set[str] = set()

    @staticmethod
    def _arabic_word(rng: random.Random, short: bool = False) -> str:
        c = [rng.choice(_CONSONANTS) for _ in range(3)]
        patterns = _AR_SHORT if short else _AR_LONG
        pattern = rng.choice(patterns)
        return pattern.format(*c).capitalize()

    # -- names ----------------------------------------------------------------------------------------------
    def person(self, i: int) -> Entity:
        rng = self.rng
        style = rng.choices(["russian", "arabic", "spanish", "chinese", "generic"], weights=[30, 30, 15, 10, 15])[0]
        aliases: list[Name] = []
        if style == "russian":
            given = _zipf_choice(rng, self.ru_given)
            family = _zipf_choice(rng, self.ru_family)
            patr = _zipf_choice(rng, pools.PATRONYMIC_STEMS) + "ich"
            primary = Name(f"{family.upper()}, {given} {patr}", given=given, family=family.upper(), patronymic=patr)
            if rng.random() < 0.5:
                aliases.append(Name(f"{given} {patr} {family}", type=NameType.AKA))
            if rng.random() < 0.3:
                aliases.append(
                    Name(to_cyrillic(f"{family} {given} {patr}"), type=NameType.ORIGINAL_SCRIPT, script="Cyrl")
                )
        elif style == "arabic":
            given = _zipf_choice(rng, self.ar_given_all)
            father = _zipf_choice(rng, self.ar_given_all)
            family = _zipf_choice(rng, self.ar_family_all)
            full = f"{given} bin {father} {family}" if rng.random() < 0.4 else f"{given} {father} {family}"
            primary = Name(full.upper() if rng.random() < 0.5 else full, given=given, family=family)
            for _ in range(rng.choice([0, 1, 1, 2, 3])):
                alias = f"Abu {rng.choice(self.ar_given)}"
                aliases.append(Name(alias, type=NameType.AKA, quality=rng.choice(list(NameQuality))))
        elif style == "spanish":
            given = _zipf_choice(rng, self.es_given)
            f1, f2 = (_zipf_choice(rng, self.es_family) for _ in range(2))
            primary = Name(f"{f1.upper()} {f2.upper()}, {given}", given=given, family=f"{f1.upper()} {f2.upper()}")
        elif style == "chinese":
            family = _zipf_choice(rng, pools.FAMILY["chinese"])
            given = rng.choice(_PINYIN).capitalize() + (rng.choice(_PINYIN) if rng.random() < 0.7 else "")
            primary = Name(f"{family.upper()}, {given}", given=given, family=family.upper())
        else:
            culture = rng.choice(sorted(pools.GIVEN))
            given = _zipf_choice(rng, pools.GIVEN[culture])
            family = _zipf_choice(rng, pools.FAMILY[culture])
            primary = Name(f"{given} {family}".upper(), given=given.upper(), family=family.upper())
        dob = (
            (DateSpec(f"{rng.randint(1940, 2000)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"),)
            if rng.random() < 0.7
            else ()
        )
        idents = (
            (Identifier(IdentifierType.PASSPORT, f"{rng.choice('ABCEHKNP')}{rng.randint(1000000, 99999999)}"),)
            if rng.random() < 0.3
            else ()
        )
        return Entity(id=f"{LIST_ID}:p{i}", list_id=LIST_ID, kind=EntityKind.PERSON, name=primary,
                      aliases=tuple(aliases), birth_dates=dob, identifiers=idents)  # fmt: skip

    def organization(self, i: int) -> Entity:
        rng = self.rng
        word = _zipf_choice(rng, self.company_words)
        style = rng.choice(["anglo", "russian", "russian", "gulf", "asian", "european"])
        trade = rng.choice(pools.COMPANY_TRADE)
        legal = rng.choice(pools.LEGAL_FORMS[style])
        if style == "russian" and rng.random() < 0.5:
            full = f"{legal.upper()} {word.upper()}"
        elif style == "asian":
            full = f"{rng.choice(_CITIES)} {word} {trade} {legal}"
        elif style == "gulf":
            full = f"{word} General Trading {legal}"
        else:
            full = (
                f"{word} {trade} {legal}" if rng.random() < 0.6 else f"{rng.choice(pools.COMPANY_ADJ)} {word} {legal}"
            )
        aliases = (Name(word.upper(), type=NameType.AKA),) if rng.random() < 0.4 else ()
        idents = (
            (Identifier(IdentifierType.REGISTRATION, str(rng.randint(10**12, 10**13 - 1))),)
            if rng.random() < 0.4
            else ()
        )
        return Entity(id=f"{LIST_ID}:o{i}", list_id=LIST_ID, kind=EntityKind.ORGANIZATION, name=Name(full),
                      aliases=aliases, identifiers=idents)  # fmt: skip

    def vessel(self, i: int) -> Entity:
        rng = self.rng
        name = f"{rng.choice(pools.VESSEL_WORDS)} {rng.choice([*pools.VESSEL_WORDS, str(rng.randint(1, 99))])}"
        while True:
            six = str(rng.randint(100000, 999999))
            imo = six + str(imo_check_digit(six))
            if imo not in self.imos:
                self.imos.add(imo)
                break
        idents = (
            Identifier(IdentifierType.IMO, imo),
            Identifier(IdentifierType.MMSI, str(rng.randint(200000000, 799999999))),
        )
        return Entity(id=f"{LIST_ID}:v{i}", list_id=LIST_ID, kind=EntityKind.VESSEL, name=Name(name),
                      identifiers=idents)  # fmt: skip

    def aircraft(self, i: int) -> Entity:
        rng = self.rng
        while True:
            prefix, style = rng.choice(pools.TAIL_PREFIXES)
            letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
            if style == "digits5":
                mark = f"{prefix}-{rng.randint(10000, 99999)}"
            elif style == "letters3":
                mark = f"{prefix}-{''.join(rng.choices(letters, k=3))}"
            elif style == "letters2":
                mark = f"{prefix}{''.join(rng.choices(letters, k=2))}"
            elif style == "alnum5":
                mark = f"{prefix}-{''.join(rng.choices(letters + '0123456789', k=5))}"
            else:
                mark = f"N{rng.randint(100, 9999)}{''.join(rng.choices(letters, k=rng.randint(0, 2)))}"
            if mark not in self.tails:
                self.tails.add(mark)
                break
        idents = (
            Identifier(IdentifierType.TAIL_NUMBER, mark),
            Identifier(IdentifierType.AIRCRAFT_MSN, str(rng.randint(1000, 99999))),
        )
        operator = f"{rng.choice(pools.AIRLINE_WORDS)} {rng.choice(pools.AIRLINE_SUFFIX)}"
        return Entity(id=f"{LIST_ID}:a{i}", list_id=LIST_ID, kind=EntityKind.AIRCRAFT, name=Name(mark),
                      identifiers=idents, links=(Link("operator", operator),))  # fmt: skip

    def entities(self, count: int, kinds: Counter[EntityKind]) -> Iterator[Entity]:
        """`count` entities with the kinds in the proportions of `kinds` (e.g. the real lists' mix)."""
        makers = {
            EntityKind.PERSON: self.person,
            EntityKind.ORGANIZATION: self.organization,
            EntityKind.VESSEL: self.vessel,
            EntityKind.AIRCRAFT: self.aircraft,
        }
        population = [k for k in makers if kinds.get(k)]
        weights = [kinds[k] for k in population]
        for i in range(count):
            kind = self.rng.choices(population, weights=weights)[0]
            yield makers[kind](i)


def synthetic_snapshot(real: Iterable[Entity], factor: int, seed: int = 7) -> Snapshot:
    """Synthetic entities that, added to `real`, make a corpus `factor` times its size, with its mix of kinds."""
    real = list(real)
    kinds = Counter(e.kind for e in real)
    extra = (factor - 1) * len(real)
    entities = tuple(Synthesizer(seed).entities(extra, kinds))
    return Snapshot(list_id=LIST_ID, version=f"synthetic-{seed}-{extra}", entities=entities)
