"""Labelled name pairs for the pairwise F1 of `Matcher.compare` (tests/match/pairs.csv), drawn from the real lists
with a fixed seed; written by `python -m bench.make_golden` beside the golden set.

Positives: two names the lists give one party (aliases, original script), and realistic rewritings of a listed name
(transliteration, token order, a slip in a short token, legal forms swapped, expanded, truncated or misspelt, dotted
initials, numbers written as words, digits typed for letters, a title in another language, an extra given name).
Negatives: two listed persons of one list sharing a family name (siblings, namesakes), a listed name with another
listed person's given name, a long name with a different name in one position, two listed companies sharing words,
and names written in Arabic script, Chinese characters or Hangul that differ by one word, character or syllable.
Every pair is built by a rule from whatever entity the seeded order brings up, never picked by how the matcher
fares; each carries the split of the entity it is about (bench.common.split_of).
"""

from __future__ import annotations

import csv
import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from anyascii import anyascii

from bench import pools
from bench.common import PAIR_COLUMNS, split_of
from bench.make_golden import (
    INDUSTRY_TOKENS,
    LEGAL_TOKENS,
    ORG,
    STOP_TOKENS,
    Builder,
    Corpus,
    digest,
    fold,
    guess_culture,
    is_latin,
    key,
    latin_names,
    person_parts,
    rng_for,
    typo,
    units,
)
from service.model import Entity, EntityKind, NameQuality, NameType

P = EntityKind.PERSON
# Pairs per class; positives outnumber negatives about 2:1, as in the field's public pair suites.
POSITIVE_PLAN: dict[str, dict[EntityKind, int]] = {
    "alias": {P: 120, ORG: 80},
    "script": {P: 60},
    "translit": {P: 80},
    "token_order": {P: 40},
    "typo_short": {P: 50, ORG: 20},
    "legal_form": {ORG: 60},
    "legal_mangled": {ORG: 60},
    "initials": {ORG: 40},
    "numbers": {ORG: 30, EntityKind.VESSEL: 10},
    "lookalike": {P: 40, ORG: 20},
    "title": {P: 60},
    "extra_given": {P: 50},
    "arabic_spelling": {P: 30},
}
NEGATIVE_PLAN: dict[str, int] = {
    "namesake": 150,
    "other_given": 100,
    "long_name_other": 80,
    "company_shared_words": 120,
    "arabic_other_given": 40,
}
CJK_PAIRS = 40  # per class: hanzi homophone (negative), hanzi vs pinyin (positive), and the same for Hangul
MIN_LONG_NAME_UNITS = 4
# Arabic letters written interchangeably: a word-initial hamza seat dropped, taa marbuta and alif maqsura at the end of
# a word written as ha and ya (and back). Spelling, not another name.
ARABIC_SPELLING = (
    (r"(?<!\S)[أإآ]", "ا"),
    (r"ة(?!\S)", "ه"),
    (r"ى(?!\S)", "ي"),
    (r"(?<=\S)ي(?!\S)", "ى"),
)
# Titles and honorifics a long listed name may carry in a middle position: not a name to replace.
TITLE_WORDS = frozenset(
    w.lower().strip(".") for w in (*pools.FOREIGN_TITLES, *pools.HONORIFICS, "maulawi", "maulvi", "mawlawi", "qari")
)
# Legal-form abbreviations and the words they stand for ("Siemens AG" ~ "Siemens Aktiengesellschaft").
EXPANSIONS = {
    "AG": "AKTIENGESELLSCHAFT",
    "LLC": "LIMITED LIABILITY COMPANY",
    "JSC": "JOINT STOCK COMPANY",
    "LTD": "LIMITED",
    "CO": "COMPANY",
    "CORP": "CORPORATION",
    "INC": "INCORPORATED",
}


@dataclass(frozen=True)
class Pair:
    cls: str
    label: bool  # True: both names are the same party
    kind: str
    left: str  # the query side of compare()
    right: str  # the candidate side
    entity: str  # the listed entity the pair is about ("" for invented names): decides the split
    note: str

    @property
    def pair_id(self) -> str:
        return f"{self.cls}-{digest('pair', self.cls, self.left, self.right)[:10]}"

    @property
    def split(self) -> str:
        return split_of(self.entity or f"{key(self.left)}|{key(self.right)}")

    def row(self) -> dict[str, str]:
        return {
            "pair_id": self.pair_id,
            "split": self.split,
            "class": self.cls,
            "label": "match" if self.label else "no_match",
            "kind": self.kind,
            "left": self.left,
            "right": self.right,
            "entity": self.entity,
            "note": self.note,
        }


Made = tuple[str, str, str] | None  # (left, right, note)


def number_words(n: int) -> str:
    if n in pools.NUMBER_WORDS:
        return pools.NUMBER_WORDS[n]
    tens, ones = divmod(n, 10)
    return f"{pools.NUMBER_WORDS[tens * 10]}-{pools.NUMBER_WORDS[ones]}"


class PairBuilder(Builder):
    def __init__(self, corpus: Corpus) -> None:
        super().__init__(corpus)
        self.pairs: list[Pair] = []
        self.pair_ids: set[str] = set()
        self.givens = self.listed_given_names()

    def add_pair(self, pair: Pair) -> bool:
        if pair.pair_id in self.pair_ids or not pair.left.strip() or not pair.right.strip():
            return False
        if pair.left == pair.right:
            return False
        if not pair.label and is_latin(pair.left) and key(pair.left) == key(pair.right):
            return False
        self.pair_ids.add(pair.pair_id)
        self.pairs.append(pair)
        return True

    def ordered(self, cls: str, kind: EntityKind) -> list[Entity]:
        return sorted((e for e in self.c.entities if e.kind == kind), key=lambda e: digest(cls, e.id))

    def take_pairs(self, cls: str, plan: dict[EntityKind, int], make: Callable[[Entity, random.Random], Made]) -> None:
        for kind, wanted in plan.items():
            made = 0
            for e in self.ordered(cls, kind):
                if made >= wanted:
                    break
                out = make(e, rng_for("pair", cls, e.id))
                if out is None:
                    continue
                left, right, note = out
                left = re.sub(r"\s+", " ", left).strip()
                if key(left) == key(right) and cls not in ("alias", "script", "numbers", "initials", "token_order"):
                    continue
                made += self.add_pair(Pair(cls, True, kind.value, left, right, e.id, note))
            if made < wanted:
                self.shortfall.append(f"pairs {cls}/{kind.value}: {made} of {wanted}")

    def other_given(self, family: str, culture: str, rng: random.Random) -> str | None:
        """A listed given name of this culture resembling no token the family is listed with."""
        related = self.related_tokens(family)
        pool = self.givens.get(culture) or self.givens["english"]
        for _ in range(20):
            given = rng.choice(pool)
            if not any(related & self.c.similar(t) for t in fold(given) if t not in STOP_TOKENS):
                return given
        return None

    # -- positives ------------------------------------------------------------------------------------------------
    def p_alias(self, e: Entity, rng: random.Random) -> Made:
        names = [n for n in latin_names(e) if len(n.full) <= 80 and not any(ch.isdigit() for ch in n.full)]
        others = [n for n in names[1:] if key(n.full) != key(names[0].full)] if names else []
        if not others:
            return None
        alias = rng.choice(others)
        return alias.full, names[0].full, f"{alias.type.value} of the same entity"

    def p_script(self, e: Entity, rng: random.Random) -> Made:
        scripts = [
            n
            for n in e.all_names()
            if n.type == NameType.ORIGINAL_SCRIPT
            or (n.script not in ("Latn", None) and n.quality == NameQuality.STRONG)
        ]
        scripts = [n for n in scripts if not is_latin(n.full) and fold(n.full)]
        if not scripts or not is_latin(e.name.full):
            return None
        n = rng.choice(scripts)
        return n.full, e.name.full, f"{n.script} name of the same entity"

    def p_typo_short(self, e: Entity, rng: random.Random) -> Made:
        n = latin_names(e, aliases=False)
        if not n:
            return None
        words = re.split(r"(\W+)", n[0].full)
        idxs = [
            i
            for i, w in enumerate(words)
            if w.isalpha() and 3 <= len(w) <= 6 and w.lower() not in LEGAL_TOKENS | STOP_TOKENS and w.isascii()
        ]
        if not idxs or len([w for w in words if w.isalpha()]) < 2:
            return None
        i = rng.choice(idxs)
        words[i], what = typo(words[i], rng)
        return "".join(words), n[0].full, what

    def p_legal_mangled(self, e: Entity, rng: random.Random) -> Made:
        n = latin_names(e, aliases=False)
        if not n:
            return None
        words = n[0].full.upper().replace(",", " ").split()
        spots = [i for i, w in enumerate(words) if w.strip(".") in pools.LEGAL_MANGLED or w.strip(".") in EXPANSIONS]
        if not spots or len(words) < 2:
            return None
        i = rng.choice(spots)
        w = words[i].strip(".")
        if w in EXPANSIONS and (w not in pools.LEGAL_MANGLED or rng.random() < 0.5):
            expanded = EXPANSIONS[w].split()
            last = expanded[-1]
            if last in pools.LEGAL_MANGLED and rng.random() < 0.5:
                expanded[-1] = rng.choice([m for m in pools.LEGAL_MANGLED[last] if len(m) > 3] or [last])
            new = " ".join(expanded)
        else:
            new = rng.choice(pools.LEGAL_MANGLED[w])
        words[i] = new
        return " ".join(words), n[0].full, f"{w} written {new}"

    def p_initials(self, e: Entity, rng: random.Random) -> Made:
        n = latin_names(e, aliases=False)
        if not n:
            return None
        text = n[0].full
        dotted = re.search(r"\b(?:[A-Z]\.){2,}", text)
        if dotted and dotted.group(0).replace(".", "").lower() not in LEGAL_TOKENS:
            return text.replace(dotted.group(0), dotted.group(0).replace(".", "") + " "), text, "initials undotted"
        words = text.split()
        # an acronym: capitals in a name that is not all capitals, or a token without vowels (KRDV)
        spots = [
            i
            for i, w in enumerate(words)
            if 2 <= len(w) <= 5
            and w.isalpha()
            and w.isupper()
            and (not text.isupper() or not re.search("[AEIOUY]", w))
            and w.lower() not in LEGAL_TOKENS | STOP_TOKENS
        ]
        if not spots or len(words) < 2:
            return None
        i = rng.choice(spots)
        words[i] = ".".join(words[i]) + "."
        return " ".join(words), text, "initials dotted"

    def p_numbers(self, e: Entity, rng: random.Random) -> Made:
        n = latin_names(e, aliases=False)
        if not n:
            return None
        text = n[0].full
        m = re.search(r"(?<![\w-])([1-9][0-9]?)(?![\w-])", text)
        if m:
            words = number_words(int(m.group(1)))
            words = words if rng.random() < 0.5 else words.replace("-", " ")
            return text[: m.start()] + (words.upper() if text.isupper() else words) + text[m.end() :], text, "as words"
        for value, word in pools.NUMBER_WORDS.items():
            w = re.search(rf"\b{word}\b", text, re.I)
            if w:
                return text[: w.start()] + str(value) + text[w.end() :], text, "word as digits"
        return None

    def p_lookalike(self, e: Entity, rng: random.Random) -> Made:
        n = latin_names(e, aliases=False)
        if not n:
            return None
        words = n[0].full.split()
        spots = [
            i
            for i, w in enumerate(words)
            if len(w) >= 4 and w.isalpha() and any(ch.lower() in pools.LOOKALIKE_DIGITS for ch in w[1:])
        ]
        if not spots or len(words) < 2:
            return None
        i = rng.choice(spots)
        w = words[i]
        pos = [j for j in range(1, len(w)) if w[j].lower() in pools.LOOKALIKE_DIGITS]
        for j in rng.sample(pos, k=min(len(pos), rng.choice((1, 1, 2)))):
            w = w[:j] + pools.LOOKALIKE_DIGITS[w[j].lower()] + w[j + 1 :]
        words[i] = w
        return " ".join(words), n[0].full, f"digits for letters in {n[0].full.split()[i]!r}"

    def p_title(self, e: Entity, rng: random.Random) -> Made:
        n = latin_names(e, aliases=False)
        parts = person_parts(n[0]) if n else None
        if not parts:
            return None
        given, family, _ = parts
        title = rng.choice(pools.FOREIGN_TITLES)
        return f"{title} {' '.join(given + family)}", n[0].full, f"title {title!r}"

    def p_extra_given(self, e: Entity, rng: random.Random) -> Made:
        n = latin_names(e, aliases=False)
        parts = person_parts(n[0]) if n else None
        if not parts:
            return None
        given, family, _ = parts
        pool = self.givens.get(guess_culture(n[0].full)) or self.givens["english"]
        extra = rng.choice(pool).split()[0]
        if extra.lower() in {t for g in given for t in fold(g)}:
            return None
        return " ".join([given[0], extra, *given[1:], *family]), n[0].full, f"extra given name {extra!r}"

    def p_arabic_spelling(self, e: Entity, rng: random.Random) -> Made:
        names = [n for n in e.all_names() if n.script == "Arab"]
        for n in names:
            spots = [(m, b) for a, b in ARABIC_SPELLING for m in re.finditer(a, n.full)]
            if spots:
                m, b = rng.choice(spots)
                return n.full[: m.start()] + b + n.full[m.end() :], n.full, f"{m.group(0)} written {b}"
        return None

    # -- negatives ------------------------------------------------------------------------------------------------
    def persons_with_parts(self) -> list[tuple[Entity, list[str], list[str]]]:
        out = []
        for e in self.c.entities:
            if e.kind != P or not is_latin(e.name.full):
                continue
            parts = person_parts(e.name)
            if parts and parts[0] and parts[1] and [t for t in fold(" ".join(parts[1])) if t not in STOP_TOKENS]:
                out.append((e, parts[0], parts[1]))
        return out

    def n_namesakes(self, wanted: int) -> None:
        """Two listed persons of one list with one family name and given names that share no similar token."""
        groups: dict[tuple[str, str], list[tuple[Entity, list[str]]]] = defaultdict(list)
        for e, given, family in self.persons_with_parts():
            groups[(e.list_id, key(" ".join(family)))].append((e, given))
        made = 0
        for gkey in sorted(groups, key=lambda k: digest("namesake", *k)):
            if made >= wanted:
                break
            members = sorted(groups[gkey], key=lambda x: x[0].id)
            if len(members) < 2:
                continue
            rng = rng_for("pair", "namesake", *gkey)
            (a, ga), (b, gb) = rng.sample(members, 2)
            ta = {t for g in ga for t in fold(g) if t not in STOP_TOKENS and len(t) > 1}
            tb = {t for g in gb for t in fold(g) if t not in STOP_TOKENS and len(t) > 1}
            if not ta or not tb or any(self.c.similar(t) & tb for t in ta):
                continue
            entity = min(a.id, b.id)
            note = f"{a.id} and {b.id}: one family name, other given names"
            made += self.add_pair(Pair("namesake", False, "person", a.name.full, b.name.full, entity, note))
        if made < wanted:
            self.shortfall.append(f"pairs namesake: {made} of {wanted}")

    def n_other_given(self, wanted: int) -> None:
        people = sorted(self.persons_with_parts(), key=lambda x: digest("other_given", x[0].id))
        made = 0
        for e, _, family in people:
            if made >= wanted:
                break
            rng = rng_for("pair", "other_given", e.id)
            given = self.other_given(" ".join(family), guess_culture(e.name.full), rng)
            if given is None:
                continue
            left = f"{given} {' '.join(family)}"
            made += self.add_pair(Pair("other_given", False, "person", left, e.name.full, e.id, "another given name"))
        if made < wanted:
            self.shortfall.append(f"pairs other_given: {made} of {wanted}")

    def n_long_name_other(self, wanted: int) -> None:
        """A long name (four units or more) with one inner unit replaced by a different listed given name."""
        made = 0
        for e in self.ordered("long_name_other", P):
            if made >= wanted:
                break
            names = latin_names(e, aliases=False)
            if not names:
                continue
            parts = units(names[0].full.replace(",", " "))
            if len(parts) < MIN_LONG_NAME_UNITS:
                continue
            rng = rng_for("pair", "long_name_other", e.id)
            i = rng.randrange(1, len(parts) - 1)
            if parts[i].lower().strip(".") in TITLE_WORDS or parts[i].isdigit():
                continue
            related = {t for n in e.all_names() for t in fold(n.full)}
            pool = self.givens.get(guess_culture(names[0].full)) or self.givens["english"]
            for _ in range(20):
                new = rng.choice(pool).split()[0]
                if not any(related & self.c.similar(t) for t in fold(new)):
                    break
            else:
                continue
            note = f"{parts[i]!r} replaced by {new!r}"
            left = " ".join([*parts[:i], new.upper() if names[0].full.isupper() else new, *parts[i + 1 :]])
            made += self.add_pair(Pair("long_name_other", False, "person", left, names[0].full, e.id, note))
        if made < wanted:
            self.shortfall.append(f"pairs long_name_other: {made} of {wanted}")

    def n_company_shared_words(self, wanted: int) -> None:
        """Two listed companies of one list sharing a distinctive word, each with a distinctive word of its own."""
        weak = STOP_TOKENS | LEGAL_TOKENS | INDUSTRY_TOKENS
        by_token: dict[tuple[str, str], list[Entity]] = defaultdict(list)
        cores: dict[str, set[str]] = {}
        for e in self.c.entities:
            if e.kind != ORG or not is_latin(e.name.full):
                continue
            core = {t for t in fold(e.name.full) if t not in weak and len(t) > 2 and t.isalpha()}
            cores[e.id] = core
            for t in core:
                by_token[(e.list_id, t)].append(e)
        made = 0
        for tkey in sorted(by_token, key=lambda k: digest("company_shared_words", *k)):
            if made >= wanted:
                break
            members = by_token[tkey]
            if not 2 <= len(members) <= 40:
                continue
            rng = rng_for("pair", "company_shared_words", *tkey)
            a, b = rng.sample(sorted(members, key=lambda x: x.id), 2)
            own_a, own_b = cores[a.id] - cores[b.id], cores[b.id] - cores[a.id]
            if not own_a or not own_b or any(self.c.similar(t) & own_b for t in own_a):
                continue
            note = f"{a.id} and {b.id} share {tkey[1]!r}"
            pair = Pair("company_shared_words", False, "organization", a.name.full, b.name.full, min(a.id, b.id), note)
            made += self.add_pair(pair)
        if made < wanted:
            self.shortfall.append(f"pairs company_shared_words: {made} of {wanted}")

    def n_arabic_other_given(self, wanted: int) -> None:
        """An Arabic-script listed name with its first word replaced by the first word of another listed
        Arabic-script name, when the two read differently (Bashar / Bushra share a skeleton, not a name)."""
        arabic = [(e, n) for e in self.c.entities if e.kind == P for n in e.all_names() if n.script == "Arab"]
        firsts = sorted({n.full.split()[0] for _, n in arabic if len(n.full.split()) >= 2})
        made = 0
        for e, n in sorted(arabic, key=lambda x: digest("arabic_other_given", x[0].id, x[1].full)):
            if made >= wanted:
                break
            words = n.full.split()
            if len(words) < 2:
                continue
            rng = rng_for("pair", "arabic_other_given", e.id, n.full)
            related = {t for x in e.all_names() for t in fold(x.full)}
            for _ in range(20):
                new = rng.choice(firsts)
                if new != words[0] and not any(related & self.c.similar(t) for t in fold(new)):
                    break
            else:
                continue
            left = " ".join([new, *words[1:]])
            made += self.add_pair(Pair("arabic_other_given", False, "person", left, n.full, e.id, "first word"))
        if made < wanted:
            self.shortfall.append(f"pairs arabic_other_given: {made} of {wanted}")

    def cjk(self) -> None:
        """Invented names in Chinese characters and Hangul: a homophone or one syllable apart is another person
        (negative); the same name in romanization is the same person (positive)."""
        readings: dict[str, list[str]] = defaultdict(list)
        for ch in pools.HANZI_GIVEN:
            readings[anyascii(ch).lower()].append(ch)
        for i in range(CJK_PAIRS):
            rng = rng_for("pair", "hanzi", str(i))
            name = rng.choice(pools.HANZI_SURNAMES) + "".join(rng.sample(pools.HANZI_GIVEN, rng.choice((1, 2, 2))))
            j = rng.randrange(1, len(name))
            same = [c for c in readings[anyascii(name[j]).lower()] if c != name[j]]
            other = name[:j] + rng.choice(same or [c for c in pools.HANZI_GIVEN if c != name[j]]) + name[j + 1 :]
            how = "homophone" if same else "another character"
            self.add_pair(Pair("hanzi_other", False, "person", other, name, "", f"{how} at {j}"))
            fam, giv = anyascii(name[0]), anyascii(name[1:])
            roman = f"{fam} {giv.title()}" if rng.random() < 0.6 else f"{giv.title()} {fam.upper()}"
            self.add_pair(Pair("hanzi_pinyin", True, "person", roman, name, "", "pinyin of the characters"))
        for i in range(CJK_PAIRS):
            rng = rng_for("pair", "hangul", str(i))
            name = rng.choice(pools.HANGUL_SURNAMES) + "".join(rng.choice(pools.HANGUL_GIVEN) for _ in range(2))
            j = rng.randrange(1, len(name))
            other = name[:j] + rng.choice([c for c in pools.HANGUL_GIVEN if c != name[j]]) + name[j + 1 :]
            self.add_pair(Pair("hangul_other", False, "person", other, name, "", f"syllable {j} differs"))
            parts = [anyascii(ch) for ch in name]
            roman = f"{parts[0]} {parts[1]}-{parts[2].lower()}"
            self.add_pair(Pair("hangul_roman", True, "person", roman, name, "", "romanization of the syllables"))

    def build(self) -> list[Pair]:
        def variant(method: Callable[[Entity, random.Random], object]) -> Callable[[Entity, random.Random], Made]:
            def make(e: Entity, rng: random.Random) -> Made:
                out = method(e, rng)
                return out if isinstance(out, tuple) else None

            return make

        makers: dict[str, Callable[[Entity, random.Random], Made]] = {
            "alias": self.p_alias,
            "script": self.p_script,
            "translit": variant(self.v_translit),
            "token_order": variant(self.v_token_order),
            "typo_short": self.p_typo_short,
            "legal_form": variant(self.v_legal_form),
            "legal_mangled": self.p_legal_mangled,
            "initials": self.p_initials,
            "numbers": self.p_numbers,
            "lookalike": self.p_lookalike,
            "title": self.p_title,
            "extra_given": self.p_extra_given,
            "arabic_spelling": self.p_arabic_spelling,
        }
        for cls, plan in POSITIVE_PLAN.items():
            self.take_pairs(cls, plan, makers[cls])
        self.n_namesakes(NEGATIVE_PLAN["namesake"])
        self.n_other_given(NEGATIVE_PLAN["other_given"])
        self.n_long_name_other(NEGATIVE_PLAN["long_name_other"])
        self.n_company_shared_words(NEGATIVE_PLAN["company_shared_words"])
        self.n_arabic_other_given(NEGATIVE_PLAN["arabic_other_given"])
        self.cjk()
        return sorted(self.pairs, key=lambda p: (not p.label, p.cls, p.pair_id))


def build_pairs(corpus: Corpus) -> tuple[list[Pair], list[str]]:
    b = PairBuilder(corpus)
    return b.build(), b.shortfall


def write_pairs(pairs: Sequence[Pair], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=PAIR_COLUMNS, lineterminator="\n")
        w.writeheader()
        for p in pairs:
            w.writerow(p.row())


def summary(pairs: Iterable[Pair]) -> str:
    c = Counter((p.label, p.cls) for p in pairs)
    return ", ".join(f"{cls}{'+' if label else '-'}={n}" for (label, cls), n in sorted(c.items()))
