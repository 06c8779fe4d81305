"""Mentions of listed parties in free text (news, manifests, invoices): names, IMO numbers, tail numbers.

A name in prose was chosen by nobody, so a mention needs stronger evidence than a typed query:
  1. Where a name can be. Cased scripts (Latin, Cyrillic, Greek): runs of capitalised words, with lower-case
     particles inside ("Bashar al-Assad", "Banco de Venezuela"); a sentence's first word, titles ("Minister",
     "Herr", "الوزير"), months and function words are not names. Caseless scripts with spaces (Arabic, Hebrew):
     runs of words that are not function words or titles. Chinese, Japanese and Korean, written without spaces
     between words: only the listed names written in those scripts, found character for character.
  2. Which spans are worth the scorer. Every listed name is keyed by its tokens and their consonant skeletons;
     a span is scored only if a listed name that has all of its words passes step 3 against it (one word: an
     organization listed under exactly that word). Repeated spans are judged and scored once per request.
  3. What a hit must show. The span's words must all be found in the listed name, strictly (same token, same
     vowels folded, one edit in five letters, or the same skeleton in a long or abjad-script word); the listed
     name's distinctive words must be covered ("Latin America" is not GAZPROMBANK LATIN AMERICA VENTURES); a
     person needs two of their names ("Jean François" is not Jean-Francis BOZIZE); a company-shaped span never
     matches a person; a span of ordinary words, titles and places ("Middle East", "Banco Central") must equal
     a listed name outright.
Identifiers are found by pattern (IMO with a valid check digit, registration marks) and looked up exactly.
The work of one request is bounded (`max_screens`, `max_mentions`): past the budget the scan stops and says so.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from sys import intern

from rapidfuzz.distance import OSA

from service.match.matcher import Matcher, ViewMaker
from service.match.text_vocab import Vocabulary, adopt, is_ordinary_token, is_title_word, stop_words_for, vocabulary
from service.model import Entity, EntityKind, Evidence, Hit, Query
from service.normalize.countries import to_country_code
from service.normalize.hangul import HANGUL_WORD
from service.normalize.hangul import readings as hangul_readings
from service.normalize.identifiers import canonical, imo_check_digit_ok, looks_like_tail_number
from service.normalize.names import NormalizedName, TokenClass, analyze, fold_vowels, skeletons
from service.normalize.scripts import char_script

# --- limits ------------------------------------------------------------------------------------------------
# Scorer calls per request. Only spans that step 2 lets through are scored, nearly all of them mentions; a call
# costs ~1-9 ms (bench/eval_text), so 1,500 bound a hostile text (listed names back to back) to a few seconds.
MAX_SCREENS = 1_500
# Mentions returned per request: each carries up to HITS_PER_MENTION hits with evidence (~1-3 kB each).
MAX_MENTIONS = 500
HITS_PER_MENTION = 5
SCREEN_LIMIT = 10  # hits asked of the scorer per span: step 3 may set the first few aside
MAX_SPAN_WORDS = 8

# --- evidence ----------------------------------------------------------------------------------------------
# One-word mentions must be about as rare as a name that appears on a handful of list entries (IDF on the
# loaded lists' names: log(1 + names / names with the token)).
MIN_SINGLE_WORD_IDF = 6.0
# However few lists a deployment serves, a word on at most this many listed names counts as rare: IDF thresholds
# tuned on ~60,000 names are out of reach of a list of a few hundred (its rarest word has IDF log(1 + n)).
RARE_ON_FEW_NAMES = 3
MIN_SINGLE_WORD_LEN = 5
MIN_SINGLE_WORD_LEN_ABJAD = 4  # transliterated without its vowels: "کیهان" is "kyhn"
MIN_SINGLE_WORD_LEN_WITH_FORM = 3  # the legal form, listed too, corroborates a short name ("АО «Дукс»")
_ONE_WORD_KINDS = (EntityKind.ORGANIZATION, EntityKind.UNKNOWN)
_WORD_CLASSES = (TokenClass.NORMAL, TokenClass.PATRONYMIC)
# Token pairs: one edit in five letters (0.8 normalized OSA similarity) is a spelling variant, not another word.
FUZZY_MIN_SIMILARITY = 0.8
FUZZY_MIN_LEN = 5
# A shared consonant skeleton links Latin spellings only in words this long (Qaddafi / Gadhafi); short ones
# collide (Hou / Chou). In abjad scripts the skeleton is the spelling, from three consonants up.
SKELETON_MIN_LEN = 5
SKELETON_MIN_SIMILARITY = 0.6
SKELETON_PAIR = 0.8
ABJAD_SKELETON_MIN = 3
STRONG_PAIR = 0.9  # exact, vowel-folded or one-edit: at least one such pair when the rest are skeletons
# A listed person's given and family name found with middle names left out: one of the two must be about as
# rare as a name on about fifty list entries (IDF >= 7 on ~60,000 listed names): Kim Jong, Mohammed Ali are not.
MIN_RARE_NAME_IDF = 7.0
# An organization mention may leave one of three or more listed words out if it covers this much and keeps
# the most distinctive one.
ORG_MIN_COVERAGE = 0.75
MIN_CJK_NAME_CHARS = 3  # two Han characters are a name as often as they are part of an ordinary word
# Listed names checked in Python before asking the scorer; past this many the scorer's retrieval decides.
MAX_PRECHECKED_NAMES = 2_000

_CJK_RANGES = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
# Korean separates its words with spaces, and is read as words too (a listed North Korean is in Latin letters only)
_UNSPACED = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_LETTERS = rf"[^\W\d_{_UNSPACED}]"
# words, and numbers, which some names carry inside ("JSC 560 Armored Repair Plant", "Internews 98 OOD")
_WORD = re.compile(rf"{_LETTERS}+(?:['’\-]{_LETTERS}+)*|\d+")
_CJK_RUN = re.compile(rf"[{_CJK_RANGES}]+")
# Registration marks: "RA-78765", "EP-GOM", and codes of letters and digits ("YV3016", "N200VR") that are
# looked up exactly and only count when a listed aircraft carries them.
_TAIL = re.compile(r"\b([A-Z0-9]{1,2}-[A-Z0-9]{3,5}|(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{4,8})\b")
# IMO numbers as English, French ("OMI") and Russian ("ИМО") prose writes them; the check digit must hold.
_IMO = re.compile(r"\b(?:IMO|OMI|ИМО)\b\D{0,12}?\b(\d{7})\b")
_QUOTED = re.compile(r"[«\"“„]([^»\"“”„\n]{2,80})[»\"”“]")  # «...«Квант»: a quote may open inside
_GAP_MARKS = frozenset({"", "&", "-", "–", "/", "·", "\u200c", "\u200d"})  # ZWNJ/ZWJ join Persian words
_SENTENCE_MARKS = frozenset('.!?:;\n"“”«»„()[]')
_CASED = frozenset({"Latn", "Cyrl", "Grek", "Armn"})
_CJK_SCRIPTS = frozenset({"Hani", "Jpan", "Hang"})
_ABJADS = frozenset({"Arab", "Hebr", "Syrc", "Thaa"})
_CONNECTORS = frozenset(
    "al el bin ibn bint abu abd de da do dos das del della di du la le van von der den ter of the for and to in y e "
    "ul zu et und и".split()
)
# Turkish writes case endings after an apostrophe on proper names ("İstanbul'da", "Yılmaz'ın"): not the name.
_TURKISH_SUFFIXES = frozenset(
    "a e ya ye da de ta te dan den tan ten ın in un ün nın nin nun nün ı i u ü yı yi yu yü la le yla yle "
    "na ne nda nde ndan nden dır dir lar ler".split()
)


@dataclass(frozen=True, slots=True)
class Mention:
    """A stretch of the text (`text[start:end]`) and the listed parties it names, best first."""

    text: str
    start: int
    end: int
    kind: str  # "name", "imo", "tail_number"
    hits: tuple[Hit, ...]


@dataclass(frozen=True, slots=True)
class TextScan:
    """The mentions of one text and how much of it was screened."""

    mentions: tuple[Mention, ...]
    truncated: bool = False  # the request's budget ran out: names after `screened_to` were not screened
    screened_to: int = 0  # character offset up to which names were screened
    screens: int = 0  # scorer calls made
    note: str = ""  # for the response when truncated


# --- the lists as text screening sees them -----------------------------------------------------------------
@dataclass(slots=True)
class TextView:
    """Per matcher, built on first use: listed names keyed by token skeleton, exact names, CJK-script names."""

    n_names: int = 0
    df: dict[str, int] = field(default_factory=dict)  # token -> listed names containing it
    # token or skeleton -> listed name numbers (the number itself when there is one: a tuple of one is 56 bytes)
    by_key: dict[str, int | tuple[int, ...]] = field(default_factory=dict)
    # by name number: the name analysed, as listed, and its entity's kind (three lists, not a tuple per name)
    norms: list[NormalizedName] = field(default_factory=list)
    raws: list[str] = field(default_factory=list)
    kinds: list[EntityKind] = field(default_factory=list)
    exact_kinds: dict[str, frozenset[EntityKind]] = field(default_factory=dict)  # normalized name -> entity kinds
    cjk: dict[str, list[str]] = field(default_factory=dict)  # first two characters -> listed CJK-script names
    # prose's own words, kept here so that a view loaded from the matcher cache brings them instead of a process
    # analysing them again (text_vocab.vocabulary)
    vocabulary: Vocabulary | None = None

    def idf(self, token: str) -> float:
        return math.log(1 + self.n_names / self.df.get(token, 1))

    def numbers(self, key: str) -> tuple[int, ...]:
        found = self.by_key.get(key, ())
        return (found,) if isinstance(found, int) else found

    def is_rare(self, token: str, min_idf: float) -> bool:
        """IDF at least `min_idf`, or on at most RARE_ON_FEW_NAMES listed names (small lists)."""
        return self.idf(token) >= min_idf or self.df.get(token, 0) <= RARE_ON_FEW_NAMES


_VIEW_LOCK = threading.Lock()


_NO_KEYS: Mapping[str, Sequence[str]] = {}


def _keys(token: str, skeleton_keys: Sequence[str] | None = None) -> tuple[str, ...]:
    """The token and its skeletons of two letters or more (`skeleton_keys`, when the index had them already)."""
    if skeleton_keys is None:
        skeleton_keys = [s for s in skeletons(token) if len(s) >= 2]
    return (token, *(f"~{s}" for s in skeleton_keys))


def prepare(matcher: Matcher) -> None:
    """Build the text view of `matcher`'s lists now (about a second on all lists) instead of in the first
    text screening; call it after building a matcher to keep that request fast."""
    _view(matcher)


def _view(matcher: Matcher) -> TextView:
    view = matcher.views.get("text")
    if isinstance(view, TextView):
        if view.vocabulary is not None:
            adopt(view.vocabulary)
        return view
    with _VIEW_LOCK:
        view = matcher.views.get("text")
        if not isinstance(view, TextView):
            view = _build_view(matcher)
            matcher.views = {**matcher.views, "text": view}  # replaced whole (see Matcher.views)
    return view


def _build_view(matcher: Matcher) -> TextView:
    # the index analysed (nearly) every name already; a matcher loaded from the matcher cache would otherwise
    # analyse them all again, the analyser's memo being empty in that process (4 s instead of 1 s on all lists)
    return build_view(matcher.index.entities, matcher.index.analysed_names())


def _named(
    entities: Sequence[Entity], analysed: Mapping[str, NormalizedName]
) -> Iterator[tuple[Entity, str, NormalizedName]]:
    """Each name the view holds, in its numbering: (its entity, the name as listed, its analysis)."""
    for entity in entities:
        for name in entity.all_names():
            norm = analysed.get(name.full) or analyze(name.full)
            if norm.tokens:
                yield entity, name.full, norm


def build_view(
    entities: Sequence[Entity],
    analysed: Mapping[str, NormalizedName],
    skeleton_keys: Mapping[str, Sequence[str]] = _NO_KEYS,
) -> TextView:
    """The text view of `entities`, whose names `analysed` holds analysed (any missing is analysed here);
    `skeleton_keys`: tokens' skeleton keys the serving index had (TokenKeys.latin), read instead of computed."""
    view = TextView(vocabulary=vocabulary())
    seen: set[str] = set()
    by_key: dict[str, set[int]] = {}
    exact_kinds: dict[str, set[EntityKind]] = {}
    keys_of: dict[str, tuple[str, ...]] = {}  # a token's keys, once per token rather than once per name it is in
    for entity, raw, norm in _named(entities, analysed):
        exact_kinds.setdefault(norm.text, set()).add(entity.kind)
        if not raw.isascii() and any(char_script(ch) in _CJK_SCRIPTS for ch in raw):
            compact = "".join(ch for ch in raw if char_script(ch) in _CJK_SCRIPTS)
            if len(compact) >= MIN_CJK_NAME_CHARS and compact not in seen:
                seen.add(compact)
                view.cjk.setdefault(compact[:2], []).append(compact)
        ni = len(view.norms)
        view.norms.append(norm)
        view.raws.append(raw)
        view.kinds.append(entity.kind)
        for tok in set(norm.tokens):
            view.df[tok] = view.df.get(tok, 0) + 1
        for tok, cls in zip(norm.tokens, norm.classes, strict=True):
            if cls in (TokenClass.NORMAL, TokenClass.PATRONYMIC):
                keys = keys_of.get(tok)
                if keys is None:
                    keys = keys_of[tok] = _keys(tok, skeleton_keys.get(tok))
                for key in keys:
                    by_key.setdefault(key, set()).add(ni)
    view.n_names = len(view.norms)
    # kept as numbers, tuples and shared frozensets, not sets: a set costs 216 bytes at least, and these were 43 MB
    # of the view's 53 MB on the real lists (and of the time to load it from the matcher cache)
    view.by_key = {k: next(iter(v)) if len(v) == 1 else tuple(sorted(v)) for k, v in by_key.items()}
    kind_sets: dict[frozenset[EntityKind], frozenset[EntityKind]] = {}
    view.exact_kinds = {k: kind_sets.setdefault(fs, fs) for k, v in exact_kinds.items() if (fs := frozenset(v))}
    return view


# Built in a forked child beside the index (Matcher.build, service.match.analysis.in_child), the view comes back
# pickled: its tables only, since the names' columns are this process's own objects (the index's analyses, the
# entities' strings) and are quicker to walk again here than to send; the tables' strings are interned again, so
# that the view shares them with the index as a view built here does.
def _view_tables(
    entities: Sequence[Entity], analysed: Mapping[str, NormalizedName], skeleton_keys: Mapping[str, Sequence[str]]
) -> TextView:
    """In the child: the view without its names' columns."""
    view = build_view(entities, analysed, skeleton_keys)
    view.norms, view.raws, view.kinds = [], [], []
    return view


def _view_completed(got: object, entities: Sequence[Entity], analysed: Mapping[str, NormalizedName]) -> TextView | None:
    """Here: the view the child sent, with its names' columns and its strings this process's; None when it is not
    what this code sends (the caller builds the view itself)."""
    if not isinstance(got, TextView):
        return None
    if got.norms or got.raws or got.kinds:
        return None
    for entity, raw, norm in _named(entities, analysed):
        got.norms.append(norm)
        got.raws.append(raw)
        got.kinds.append(entity.kind)
    if len(got.norms) != got.n_names:
        return None
    got.df = {intern(k): n for k, n in got.df.items()}
    got.by_key = {intern(k): v for k, v in got.by_key.items()}
    got.exact_kinds = {intern(k): v for k, v in got.exact_kinds.items()}
    if got.vocabulary is not None:
        adopt(got.vocabulary)
    got.vocabulary = vocabulary()
    return got


TEXT_VIEW = ViewMaker("text", build_view, _view_tables, _view_completed)


# --- where names can be ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Word:
    start: int
    end: int
    text: str
    role: str  # "name"; "connector": a particle or function word inside a name ("al", "de", "of", "في");
    # "title": a title or position, which a name may follow or precede but not start or end with


_NAME, _CONNECTOR, _TITLE = "name", "connector", "title"


def _script(word: str) -> str:
    for ch in word:
        s = char_script(ch)
        if s is not None:
            return s
    return "Latn"


def _trim_suffix(word: str) -> str:
    for sep in "'’":
        head, _, tail = word.rpartition(sep)
        if head and tail.casefold() in _TURKISH_SUFFIXES and len(head) >= 3:
            return head
    return word


def _is_capitalised(word: str) -> bool:
    if word[0].isupper():
        return True
    # "al-Assad", "bin-Laden", "d'Estaing": a lower-case particle joined to a capitalised name
    for sep in "-'’":
        head, _, tail = word.partition(sep)
        if tail and tail[0].isupper() and head.casefold() in _CONNECTORS | {"d", "l"}:
            return True
    return False


def _arabic_proclitic(word: str, *, starts_name: bool) -> int:
    """Letters of a conjunction or preposition written onto an Arabic word: "لـ" + name (the tatweel marks
    it), "و" + "ال..." where a name starts (inside one, "والجهاد" is written the same on the list)."""
    if len(word) > 3 and word[1] == "\u0640" and word[0] in "لبوفك":
        return 2
    if starts_name and len(word) > 4 and word[0] == "\u0648" and word[1:3] == "\u0627\u0644":
        return 1
    return 0


def _role(text: str, word: str, start: int, script: str, stops: frozenset[str]) -> str | None:
    """How a word may take part in a name, None when it ends any name run."""
    folded = word.casefold()
    if word.isdigit():
        return _CONNECTOR
    if script in _CASED:
        if not word[0].isupper() and not _is_capitalised(word):
            if folded in _CONNECTORS or script == "Cyrl":
                # Russian names of bodies capitalise their first word only ("Министерство обороны ...")
                return _CONNECTOR
            return None
        if is_title_word(word):
            return _TITLE
        if folded in stops and not word.isupper() and _starts_sentence(text, start):
            return None  # "The", "Die", "По" opening a sentence (not an acronym: "TAT Bank")
        return _NAME
    if is_title_word(word):
        return _TITLE
    return _CONNECTOR if folded in stops or folded in _CONNECTORS else _NAME


def _starts_sentence(text: str, start: int) -> bool:
    i = start - 1
    while i >= 0 and text[i] in " \t":
        i -= 1
    return i < 0 or text[i] in _SENTENCE_MARKS


def _name_words(text: str) -> Iterator[list[_Word]]:
    """Runs of words that may make up a name, in text order; then the words of each quoted passage
    ("ООО «Научно-производственное объединение»"), where names need not be capitalised."""
    stops = stop_words_for(m.group(0) for m in _WORD.finditer(text))
    run: list[_Word] = []
    prev_end = 0
    for m in _WORD.finditer(text):
        word = _trim_suffix(m.group(0))
        start = m.start()
        script = _script(word)
        gap = text[prev_end:start]
        contiguous = len(gap) <= 3 and gap.strip() in _GAP_MARKS and gap.count("\n") <= 1
        if run and not contiguous:
            yield run
            run = []
        prev_end = m.end()
        if script in _ABJADS:
            cut = _arabic_proclitic(word, starts_name=not run)
            start, word = start + cut, word[cut:]
        end = start + len(word)
        role = _role(text, word, start, script, stops)
        if role is None:
            if run:
                yield run
            run = []
            continue
        if role == _NAME or run:
            run.append(_Word(start, end, word, role))
        if end < m.end():  # a Turkish case ending closes the name
            yield run
            run = []
    if run:
        yield run
    for q in _QUOTED.finditer(text):
        words = [
            _Word(w.start(), w.end(), w.group(0), _CONNECTOR if w.group(0) in _CONNECTORS else _NAME)
            for w in _WORD.finditer(text, q.start(1), q.end(1))
        ]
        if 0 < len(words) <= MAX_SPAN_WORDS:
            yield _legal_lead(text, q.start()) + words


_LEAD_WORDS = re.compile(rf"((?:{_LETTERS}+\s+){{0,3}}{_LETTERS}+)\s*$")
MAX_LEGAL_LEAD = 4  # "Общество с ограниченной ответственностью": the longest legal form written out


def _legal_lead(text: str, quote: int) -> list[_Word]:
    """The legal form written before a quoted company name ("АО «Дукс»", "Акционерное общество «Квант»")."""
    m = _LEAD_WORDS.search(text, max(0, quote - 80), quote)
    if not m:
        return []
    words = list(_WORD.finditer(text, m.start(1), m.end(1)))[-MAX_LEGAL_LEAD:]
    for k in range(len(words)):
        norm = analyze(text[words[k].start() : words[-1].end()])
        if norm.tokens and all(c == TokenClass.LEGAL for c in norm.classes):
            return [_Word(w.start(), w.end(), w.group(0), _NAME) for w in words[k:]]
    return []


def _spans(run: list[_Word]) -> Iterator[tuple[int, int]]:
    n = len(run)
    for i in range(n):
        if run[i].role != _NAME:
            continue
        # one word of a longer capitalised name ("United" of "United Nations") is not a mention of its own;
        # in a caseless script every word is a possible name, so a word stands alone by itself
        alone = (i == 0 or run[i - 1].role != _NAME) and (i + 1 == n or run[i + 1].role != _NAME)
        if alone or _script(run[i].text) not in _CASED:
            yield run[i].start, run[i].end
        for j in range(i + 2, min(n, i + MAX_SPAN_WORDS) + 1):
            if run[j - 1].role == _NAME:
                yield run[i].start, run[j - 1].end


# --- what a hit must show ----------------------------------------------------------------------------------
@lru_cache(maxsize=1 << 16)
def _pair(a: str, b: str, abjad: bool) -> float:
    """Strength of the evidence that tokens `a` (text) and `b` (list) are one name, 0 for none."""
    if a == b:
        return 1.0
    if fold_vowels(a) == fold_vowels(b):
        return 0.95
    if min(len(a), len(b)) >= FUZZY_MIN_LEN and OSA.normalized_similarity(a, b) >= FUZZY_MIN_SIMILARITY:
        return STRONG_PAIR
    shared = set(skeletons(a)) & set(skeletons(b))
    if not shared:
        return 0.0
    if abjad:
        return SKELETON_PAIR if max(map(len, shared)) >= ABJAD_SKELETON_MIN else 0.0
    # Bushra / Bashar share "bshr" but are two names: the spellings must be close too (Qaddafi / Gadhafi)
    close = OSA.normalized_similarity(a, b) >= SKELETON_MIN_SIMILARITY
    return SKELETON_PAIR if close and min(len(a), len(b)) >= SKELETON_MIN_LEN else 0.0


def _normal(norm: NormalizedName) -> list[str]:
    return [t for t, c in zip(norm.tokens, norm.classes, strict=True) if c == TokenClass.NORMAL]


def _span_words(norm: NormalizedName) -> list[str]:
    """The words of a span that must be found in the listed name: its names and patronymics (a family name
    such as Lukashevich looks like a patronymic)."""
    return [t for t, c in zip(norm.tokens, norm.classes, strict=True) if c in _WORD_CLASSES]


def _name_evidence(hit: Hit) -> Evidence | None:
    return next((ev for ev in hit.evidence if ev.field == "name"), None)


def _accepts(view: TextView, span: NormalizedName, ordinary: bool, hit: Hit) -> bool:
    """Whether a scorer's match of a span is strong enough for a mention (see the module docstring, step 3)."""
    ev = _name_evidence(hit)
    if ev is None:
        return False
    return _strong_enough(view, span, ordinary, analyze(ev.list_value), raw=ev.list_value, kind=hit.kind)


def _strong_enough(
    view: TextView, span: NormalizedName, ordinary: bool, listed: NormalizedName, *, raw: str, kind: EntityKind
) -> bool:
    """The span against one listed name (`raw` as published, `listed` normalized) of an entity of `kind`."""
    if kind == EntityKind.PERSON and TokenClass.LEGAL in span.classes:
        return False  # "ООО «Куликов»" names a company, not Sergey KULIKOV
    words = _span_words(span)
    abjad = span.abjad or listed.abjad
    used: set[int] = set()
    strengths: list[float] = []
    for w in words:
        best, best_j = 0.0, -1
        for j, t in enumerate(listed.tokens):
            if j in used or listed.classes[j] in (TokenClass.HONORIFIC, TokenClass.LEGAL):
                continue
            s = _pair(w, t, abjad)
            if s > best:
                best, best_j = s, j
        if best_j < 0:
            return False  # a word of the span that the listed name does not have
        used.add(best_j)
        strengths.append(best)
    if max(strengths) < STRONG_PAIR:
        return False  # skeletons alone: too many ordinary words share one with some name
    listed_normal = [j for j, c in enumerate(listed.classes) if c == TokenClass.NORMAL]
    missing = [j for j in listed_normal if j not in used]
    if ordinary:
        return not missing and min(strengths) == 1.0 and len(words) == len(listed_normal)
    if kind == EntityKind.PERSON:
        return _person_ok(view, words, listed, raw=raw, used=used, missing=missing, strengths=strengths)
    if not missing:
        return True
    if len(missing) > 1 or len(listed_normal) < 3:
        return False
    weight = {j: view.idf(listed.tokens[j]) for j in listed_normal}
    covered = sum(w for j, w in weight.items() if j in used) / sum(weight.values())
    most = max(weight, key=lambda j: weight[j])
    return most in used and covered >= ORG_MIN_COVERAGE


def _person_ok(
    view: TextView,
    words: list[str],
    listed: NormalizedName,
    *,
    raw: str,
    used: set[int],
    missing: list[int],
    strengths: list[float],
) -> bool:
    """A person is named by given and family name. Middle names and a second family name may be left out
    ("Nicolas Maduro" for MADURO MOROS, Nicolas; "Sa'd al-Tikriti" for Sa'd Sab'awi Hasan AL-TIKRITI) when one of
    the two is rare on the lists; a pair of common names must be the listed name in full, and spelt alike
    rather than only sharing consonants ("Mohammed Ali" is not MUHAMMAD, 'Ali Hajj)."""
    if len(words) < 2:
        return not missing and sum(1 for c in listed.classes if c == TokenClass.NORMAL) == 1
    normal = [j for j, c in enumerate(listed.classes) if c == TokenClass.NORMAL]
    family_words = len(_normal(analyze(raw.partition(",")[0]))) if "," in raw else 0
    if 0 < family_words < len(normal):  # "FAMILY NAMES, Given Middle"
        edges = {normal[0], normal[family_words]}
        named = edges <= used
    else:  # "Given Middle Family Second-family": the first name and a later one
        edges = {j for j in normal if j in used}
        named = bool(normal) and normal[0] in used and len(edges) >= 2
    rare = any(view.is_rare(listed.tokens[j], MIN_RARE_NAME_IDF) for j in edges)
    if not missing:
        return rare or min(strengths) >= STRONG_PAIR
    return named and rare


def _worth_screening(view: TextView, words: list[str], norm: NormalizedName, ordinary: bool) -> bool:
    """Step 2: a listed name has every word of the span (by token or skeleton) and passes step 3 against it:
    the scorer is asked only about spans that can become mentions."""
    if len(words) == 1:
        return view.is_rare(words[0], MIN_SINGLE_WORD_IDF) and any(k in view.by_key for k in _keys(words[0]))
    postings = sorted((set().union(*(view.numbers(k) for k in _keys(w))) for w in words), key=len)
    shared = postings[0]
    for other in postings[1:]:
        shared = shared & other
        if not shared:
            return False
    if len(shared) > MAX_PRECHECKED_NAMES:
        return True  # words this common: the scorer's own retrieval is cheaper than checking them all here
    return any(
        _strong_enough(view, norm, ordinary, view.norms[ni], raw=view.raws[ni], kind=view.kinds[ni]) for ni in shared
    )


def _is_ordinary(span: str, words: list[str]) -> bool:
    script = _script(span)
    return all(is_ordinary_token(w, script) for w in words)


def _single_word_ok(view: TextView, norm: NormalizedName, word: str) -> bool:
    """A one-word span: an organization is listed under exactly that word, with the same legal form if any
    (Hamas, Rosneft, АО «Дукс»), never a person's or vessel's name that is also an ordinary given name or word
    ("Maria", "Olympia"); a listed "AVIA GROUP TERMINAL LLC" does not make "Terminal" a mention."""
    kinds = view.exact_kinds.get(norm.text, frozenset())
    shortest = MIN_SINGLE_WORD_LEN_ABJAD if norm.abjad else MIN_SINGLE_WORD_LEN
    if TokenClass.LEGAL in norm.classes:
        shortest = MIN_SINGLE_WORD_LEN_WITH_FORM
    return len(word) >= shortest and bool(kinds & set(_ONE_WORD_KINDS))


# --- the scan ----------------------------------------------------------------------------------------------
class _Budget:
    def __init__(self, screens: int) -> None:
        self.left = screens
        self.used = 0

    def take(self) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        self.used += 1
        return True


def _matches(
    matcher: Matcher, query: Query, threshold: float, lists: Collection[str] | None, limit: int = HITS_PER_MENTION
) -> tuple[Hit, ...]:
    return tuple(h for h in matcher.screen(query, threshold=threshold, limit=limit, lists=lists) if h.match)


def scan_text(
    matcher: Matcher,
    text: str,
    *,
    threshold: float,
    lists: Collection[str] | None = None,
    max_screens: int = MAX_SCREENS,
    max_mentions: int = MAX_MENTIONS,
) -> TextScan:
    """Every mention of a listed party in `text`, with how much of the text was screened (see module docs)."""
    view = _view(matcher)
    budget = _Budget(max_screens)
    found: list[Mention] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    # identifiers first: exact and strong
    for m in _IMO.finditer(text):
        start, end, digits = m.start(), m.end(), m.group(1)
        if not imo_check_digit_ok(digits):
            continue
        hits = _matches(matcher, Query(identifiers=(digits,)), threshold, lists)
        if hits:
            found.append(Mention(text[start:end], start, end, "imo", hits))
            taken.append((start, end))
    for m in _TAIL.finditer(text):
        value = m.group(1)
        if not free(m.start(), m.end()):
            continue
        marked = looks_like_tail_number(value)
        hits = _matches(matcher, Query(identifiers=(value,)), threshold, lists)
        hits = tuple(
            h
            for h in hits
            if any(ev.field == "identifier" for ev in h.evidence) and (marked or h.kind == EntityKind.AIRCRAFT)
        )
        if hits:
            found.append(Mention(value, m.start(), m.end(), "tail_number", hits))
            taken.append((m.start(), m.end()))

    cache: dict[str, tuple[Hit, ...]] = {}
    scored: list[tuple[float, int, int, tuple[Hit, ...]]] = []
    truncated_at: int | None = None

    def screen_span(key: str, query: str, accept: Callable[[Hit], bool]) -> tuple[Hit, ...] | None:
        if key in cache:
            return cache[key]
        if not budget.take():
            return None
        ranked = _matches(matcher, Query(name=query), threshold, lists, limit=SCREEN_LIMIT)
        hits = tuple(h for h in ranked if accept(h))[:HITS_PER_MENTION]
        cache[key] = hits
        return hits

    for start, end, query, exact in _candidates(view, text):
        span_hits: tuple[Hit, ...] | None
        if exact:
            listed = analyze(query)

            def same_name(h: Hit, listed: NormalizedName = listed) -> bool:
                ev = _name_evidence(h)
                return ev is not None and analyze(ev.list_value).compact == listed.compact

            span_hits = screen_span("cjk:" + query, query, same_name)
        else:
            norms = _readings(query)
            norm = norms[0]
            words = _span_words(norm)
            ordinary = _is_ordinary(query, words)
            if len(norms) > 1:  # Korean in Hangul: strong enough under any of its readings

                def any_reading(h: Hit, norms: list[NormalizedName] = norms, query: str = query) -> bool:
                    if h.score < 1.0:
                        return False  # a reading matches exactly (KOREAN_PROSE_MIN_SYLLABLES)
                    return any(_accepts(view, n, _is_ordinary(query, _span_words(n)), h) for n in norms)

                span_hits = screen_span(norm.text + "\x1fhangul", query, any_reading)
            elif len(words) == 1:

                def one_word(h: Hit, norm: NormalizedName = norm) -> bool:
                    ev = _name_evidence(h)
                    return h.kind in _ONE_WORD_KINDS and ev is not None and analyze(ev.list_value).text == norm.text

                span_hits = screen_span(norm.text, query, one_word)
            else:

                def strong(h: Hit, norm: NormalizedName = norm, ordinary: bool = ordinary) -> bool:
                    return _accepts(view, norm, ordinary, h)

                span_hits = screen_span(norm.text, query, strong)
        if span_hits is None:
            truncated_at = start
            break
        if span_hits:
            scored.append((span_hits[0].score, start, end, span_hits))
    # best, then longest, non-overlapping spans win
    scored.sort(key=lambda s: (-s[0], -(s[2] - s[1]), s[1]))
    for _, start, end, hits in scored:
        if free(start, end):
            found.append(Mention(text[start:end], start, end, "name", hits))
            taken.append((start, end))
    found.sort(key=lambda m: m.start)
    notes = []
    if truncated_at is not None:
        notes.append(
            f"screening budget of {max_screens} name lookups spent: names from character {truncated_at} on "
            "were not screened (identifiers were); split the text to screen the rest"
        )
    if len(found) > max_mentions:
        notes.append(f"{len(found)} mentions found, the first {max_mentions} returned")
        found = found[:max_mentions]
    return TextScan(
        mentions=tuple(found),
        truncated=bool(notes),
        screened_to=len(text) if truncated_at is None else truncated_at,
        screens=budget.used,
        note="; ".join(notes),
    )


def _readings(span: str) -> list[NormalizedName]:
    """A span's analysis, then, for Korean in Hangul, its readings as the lists write North Koreans
    (service.normalize.hangul): which words a listed name must have, and which match is strong enough, are judged on
    each (the scorer compares each too)."""
    norms = [analyze(span)]
    if HANGUL_WORD.search(span):
        norms += [analyze(r) for r in hangul_readings(span)]
    return norms


def _worth_reading(view: TextView, span: str, norm: NormalizedName) -> bool:
    words = _span_words(norm)
    if not words or (len(words) == 1 and to_country_code(span)):
        return False
    if not _worth_screening(view, words, norm, _is_ordinary(span, words)):
        return False
    return len(words) > 1 or _single_word_ok(view, norm, words[0])


# Korean attaches its particles to the word before: a name then ends inside a word (리병철이, "Ri Pyong Chol" as the
# subject; 김여정의, "of Kim Yo Jong"). The particles of one and two syllables that follow names.
_KOREAN_PARTICLES = (
    "이", "가", "은", "는", "을", "를", "의", "에", "와", "과", "도", "로", "씨",
    "에게", "에서", "께서", "으로", "이나", "에는", "과의", "와의", "이라는",
)  # fmt: skip
# In prose a Korean name is one word of three syllables or more (리병철), matched exactly by one of its readings:
# Korean words are made of the syllables names are made of, and a word of two ("성장", growth: song jang) or a
# name one syllable off ("박정호", Pak Jong Ho, for PAEK Chang Ho) would otherwise be mentions.
KOREAN_PROSE_MIN_SYLLABLES = 3


def _korean_name(span: str) -> bool:
    return len(span) >= KOREAN_PROSE_MIN_SYLLABLES and HANGUL_WORD.fullmatch(span) is not None


def _before_particle(text: str, start: int, end: int) -> list[int]:
    """Where a span ending in a Hangul word may end instead, a particle cut off (both are screened: 김정은's last
    syllable is a particle's too; the best match wins)."""
    if not HANGUL_WORD.fullmatch(text[end - 1 : end]):
        return []
    last = text[start:end].rsplit(maxsplit=1)[-1]
    return [
        end - len(particle)
        for particle in _KOREAN_PARTICLES
        if last.endswith(particle) and len(last) - len(particle) >= KOREAN_PROSE_MIN_SYLLABLES
    ]


def _candidates(view: TextView, text: str) -> Iterator[tuple[int, int, str, bool]]:
    """(start, end, query, exact) of every span worth the scorer, in text order; `exact`: a CJK-script name
    found character for character, which must match a listed name exactly."""
    spans: list[tuple[int, int, str, bool]] = []
    worth: dict[str, bool] = {}  # a repeated span is judged once
    for run in _name_words(text):
        for start, whole in _spans(run):
            for end in (whole, *_before_particle(text, start, whole)):
                span = text[start:end]
                if HANGUL_WORD.search(span) and not _korean_name(span):
                    continue
                norms = _readings(span)
                key = norms[0].text if len(norms) == 1 else span  # a repeated span is judged once
                if key not in worth:
                    worth[key] = any(_worth_reading(view, span, norm) for norm in norms)
                if worth[key]:
                    spans.append((start, end, span, False))
    # CJK-script names are compared character for character with punctuation left out ("新全電子(香港)有限公司")
    if view.cjk and _CJK_RUN.search(text):
        where = [i for i, ch in enumerate(text) if char_script(ch) in _CJK_SCRIPTS]
        chars = "".join(text[i] for i in where)
        for i in range(len(chars) - MIN_CJK_NAME_CHARS + 1):
            for name in view.cjk.get(chars[i : i + 2], ()):
                if chars.startswith(name, i):
                    start, end = where[i], where[i + len(name) - 1] + 1
                    spans.append((start, end, text[start:end], True))
    spans.sort(key=lambda s: (s[0], s[1]))
    yield from spans


def find_mentions(
    matcher: Matcher,
    text: str,
    *,
    threshold: float,
    lists: Collection[str] | None = None,
    max_screens: int = MAX_SCREENS,
    max_mentions: int = MAX_MENTIONS,
) -> list[Mention]:
    """The mentions of `scan_text`, without the note on how much was screened."""
    scan = scan_text(
        matcher, text, threshold=threshold, lists=lists, max_screens=max_screens, max_mentions=max_mentions
    )
    return list(scan.mentions)


__all__ = ["Mention", "TextScan", "canonical", "find_mentions", "prepare", "scan_text"]
