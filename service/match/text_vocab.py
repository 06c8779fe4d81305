"""What ordinary prose is made of, per script, so that text screening can tell a name from the words around it:
function words (the stopwords-iso lists), titles and positions, months and weekdays, and place words.

A word here is not barred from a mention; it just is no evidence of one: a mention made only of such words
("Latin America", "the King", "Banco Central") must equal a listed name exactly to count.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice

import stopwordsiso

from service.normalize.countries import to_country_code
from service.normalize.names import TokenClass, analyze
from service.normalize.scripts import detect_script

# stopwords-iso languages per script of the words they hold (Chinese is screened by dictionary, not by words)
_STOPWORD_LANGS: dict[str, tuple[str, ...]] = {
    "Latn": ("en", "es", "fr", "de", "tr", "it", "pt", "nl", "id", "pl", "ro", "sv"),
    "Cyrl": ("ru", "uk", "bg"),
    "Arab": ("ar", "fa"),  # not "ur": its list holds nouns ("گروپ", group) that name companies
    "Grek": ("el",),
    "Hebr": ("he",),
}

# Titles, ranks and positions that stand before or after a name in news prose. Hand-written: no maintained
# library lists them across languages, and the normalizer's honorifics are the forms lists print, not prose.
# fmt: off
TITLES: tuple[str, ...] = (
    # English
    "mr", "mrs", "ms", "miss", "dr", "prof", "professor", "sir", "lord", "lady", "president", "vice", "minister",
    "prime", "deputy", "secretary", "chairman", "chairwoman", "chair", "director", "general", "governor",
    "senator", "ambassador", "king", "queen", "prince", "princess", "emperor", "chief", "executive", "officer",
    "spokesman", "spokeswoman", "spokesperson", "mayor", "judge", "colonel", "captain", "commander", "lieutenant",
    "sheikh", "emir", "sultan", "pope", "bishop", "cardinal", "imam", "mullah", "ayatollah", "head", "leader",
    "founder", "owner", "manager", "ceo", "cfo", "chancellor", "premier", "analyst", "analysts", "officials",
    # Spanish, Portuguese, Italian
    "señor", "señora", "sr", "sra", "don", "doña", "presidente", "presidenta", "ministro", "ministra", "director",
    "directora", "ingeniero", "ingeniera", "licenciado", "doctor", "doctora", "rey", "reina", "canciller",
    "gobernador", "embajador", "senhor", "signor", "dottore",
    # French
    "m", "mme", "mlle", "monsieur", "madame", "président", "présidente", "ministre", "directeur", "directrice",
    "docteur", "professeur", "roi", "reine", "général", "ambassadeur", "maire", "premier", "porte-parole",
    # German
    "herr", "frau", "präsident", "präsidentin", "minister", "ministerin", "kanzler", "kanzlerin", "direktor",
    "geschäftsführer", "geschäftsführerin", "vorstand", "vorsitzende", "vorsitzender", "professorin", "könig",
    "königin", "bürgermeister", "botschafter", "sprecher", "sprecherin",
    # Turkish
    "bay", "bayan", "bey", "hanım", "sayın", "cumhurbaşkanı", "başbakan", "bakan", "bakanı", "müdür", "müdürü",
    "genel", "başkan", "başkanı", "büyükelçi", "av", "doç",
    # Russian
    "господин", "госпожа", "президент", "министр", "премьер", "директор", "генеральный", "председатель",
    "профессор", "губернатор", "посол", "глава", "генерал", "король", "королева",
    # Arabic
    "السيد", "السيدة", "الدكتور", "الدكتورة", "الأستاذ", "الاستاذ", "المهندس", "الشيخ", "الأمير", "الملك",
    "الملكة", "الرئيس", "الوزير", "وزير", "رئيس", "المدير", "مدير", "السفير", "اللواء", "العقيد", "الحاج",
    "الخبير", "المحلل", "المتحدث",
)
MONTHS_AND_DAYS: tuple[str, ...] = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
    "noviembre", "diciembre", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo",
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "octobre", "novembre", "décembre",
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    "januar", "februar", "märz", "juni", "juli", "oktober", "dezember", "montag", "dienstag", "mittwoch",
    "donnerstag", "freitag", "samstag", "sonntag",
    "ocak", "şubat", "mart", "nisan", "mayıs", "haziran", "temmuz", "ağustos", "eylül", "ekim", "kasım", "aralık",
    "pazartesi", "salı", "çarşamba", "perşembe", "cuma", "cumartesi", "pazar",
    "января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября",
    "декабря", "понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье",
    "يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر",
    "الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد",
)
# Words of region and place names ("Latin America", "Middle East", "South-East Asia"); country names and
# demonyms come from the normalizer's tables.
PLACE_WORDS: tuple[str, ...] = (
    "north", "south", "east", "west", "northern", "southern", "eastern", "western", "central", "middle", "near",
    "far", "latin", "america", "americas", "asia", "africa", "europe", "oceania", "pacific", "atlantic",
    "caribbean", "gulf", "sea", "ocean", "mediterranean", "balkans", "caucasus", "sahel", "levant", "arctic",
    "southeast", "northeast", "southwest", "northwest", "city", "province", "region", "island", "islands",
    "república", "america", "latina", "oriente", "medio", "sur", "norte", "este", "oeste", "europa", "américa",
    "amérique", "latine", "moyen-orient", "orient", "sud", "nord", "est", "ouest", "afrique",
    "lateinamerika", "nahen", "osten", "süd", "nord", "südamerika", "südostasien", "nordafrika",
    "latin", "amerika", "orta", "doğu", "güney", "kuzey", "batı", "asya", "avrupa", "afrika",
    "латинская", "латинской", "америка", "америке", "ближний", "ближнем", "восток", "востоке", "южная", "южной",
    "европа", "европе", "азия", "азии", "африка", "африке",
    "أمريكا", "اللاتينية", "الشرق", "الأوسط", "الغرب", "الشمال", "الجنوب", "أوروبا", "آسيا", "أفريقيا",
)
# fmt: on


def _tokens_of(words: tuple[str, ...] | frozenset[str] | list[str]) -> dict[str, set[str]]:
    """Normalized tokens (as the matcher writes them) of each word, grouped by the script it is written in."""
    out: dict[str, set[str]] = {}
    for word in words:
        script = detect_script(word)
        norm = analyze(word)
        for tok, cls in zip(norm.tokens, norm.classes, strict=True):
            if cls == TokenClass.NORMAL:
                out.setdefault(script, set()).add(tok)
    return out


def _build() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    ordinary: dict[str, set[str]] = {}
    for script, langs in _STOPWORD_LANGS.items():
        words = sorted(stopwordsiso.stopwords(list(langs)))
        for s, toks in _tokens_of(words).items():
            if s == script:
                ordinary.setdefault(script, set()).update(toks)
    titles = _tokens_of(TITLES + MONTHS_AND_DAYS)
    for s, toks in titles.items():
        ordinary.setdefault(s, set()).update(toks)
    places = _tokens_of(PLACE_WORDS)
    return (
        {s: frozenset(t) for s, t in ordinary.items()},
        {s: frozenset(t) for s, t in places.items()},
    )


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The normalized tokens of ordinary prose (function words, titles, months, weekdays) and of place words, by
    script."""

    ordinary: Mapping[str, frozenset[str]]
    places: Mapping[str, frozenset[str]]


_HELD: dict[str, Vocabulary] = {}  # "vocabulary": the one this process uses
_VOCABULARY_LOCK = threading.Lock()


def vocabulary() -> Vocabulary:
    """Built on first use (10,000 words analysed: 0.2 s of every start while it ran at import), unless a text view
    loaded from the matcher cache brought one (`adopt`)."""
    found = _HELD.get("vocabulary")
    if found is None:
        with _VOCABULARY_LOCK:
            found = _HELD.get("vocabulary") or _HELD.setdefault("vocabulary", Vocabulary(*_build()))
    return found


def adopt(found: Vocabulary) -> None:
    """Use `found` (kept in a cached text view, built by this same code: the cache key says so) unless one is
    built already."""
    _HELD.setdefault("vocabulary", found)


# Shorter tokens would be read as ISO codes ("li", "ma"): Chinese syllables, not countries.
MIN_COUNTRY_NAME_LEN = 4
_TITLE_WORDS = frozenset(w.casefold() for w in TITLES + MONTHS_AND_DAYS)
_STOP_BY_LANG: dict[str, tuple[str, frozenset[str]]] = {
    lang: (script, frozenset(w.casefold() for w in stopwordsiso.stopwords(lang)))
    for script, langs in _STOPWORD_LANGS.items()
    for lang in langs
}
LANGUAGE_SAMPLE_WORDS = 3_000  # words read to tell a text's language: plenty, and a bound on the cost


def stop_words_for(words: Iterable[str]) -> frozenset[str]:
    """The function words of the language a text is written in, one language per script: the one whose
    stopwords the text's words hit most. One list, not all of them: "Ali" is a Portuguese function word,
    "Ya" a Spanish one, "راحت" a Persian one, and each is a name in a French, Turkish or Arabic text."""
    hits: Counter[str] = Counter()
    for word in islice(words, LANGUAGE_SAMPLE_WORDS):
        folded = word.casefold()
        for lang, (_, stops) in _STOP_BY_LANG.items():
            if folded in stops:
                hits[lang] += 1
    best: dict[str, str] = {}
    for lang, _ in hits.most_common():
        best.setdefault(_STOP_BY_LANG[lang][0], lang)
    return frozenset().union(*(_STOP_BY_LANG[lang][1] for lang in best.values()))


def is_title_word(word: str) -> bool:
    """A title, position, month or weekday as written in the text ("Minister", "Herr", "الوزير", "Mart")."""
    return word.casefold().rstrip(".") in _TITLE_WORDS


@lru_cache(maxsize=65536)
def is_ordinary_token(token: str, script: str) -> bool:
    """A normalized token that ordinary prose in `script` uses as a word, a title or a place word."""
    vocab = vocabulary()
    return (
        token in vocab.ordinary.get(script, frozenset())
        or token in vocab.places.get(script, frozenset())
        or (len(token) >= MIN_COUNTRY_NAME_LEN and to_country_code(token) is not None)
    )
