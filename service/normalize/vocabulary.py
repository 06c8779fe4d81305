"""The name-policy vocabulary, in one place for the parsers (service.sources) and the normalizer (names.py): company
legal forms, titles and honorifics, name particles, patronymics, the Arabic article, number words.

Tokens here are folded (lower-case ASCII, as `names.normalize_name` writes them) unless a comment says otherwise.
"""

from __future__ import annotations

import re

# --- company legal forms ---------------------------------------------------------------------------------------
# Multi-word legal forms -> canonical short form, longest phrases first. Each word is matched after misspelt and
# truncated legal words were repaired (names.py), so "JOINT STOCK COMPAN" and "LIMITED LIABILITY COMAPNY" meet too.
LEGAL_PHRASES: tuple[tuple[str, str], ...] = (
    (r"publichn\w* aktsionern\w* obshchestv\w*", "pao"),
    (r"otkryt\w* aktsionern\w* obshchestv\w*", "oao"),
    (r"zakryt\w* aktsionern\w* obshchestv\w*", "zao"),
    (r"nepublichn\w* aktsionern\w* obshchestv\w*", "ao"),
    (r"aktsionern\w* obshchestv\w*", "ao"),
    (r"federaln\w* gosudarstvenn\w* unitarn\w* predpriyat\w*", "fgup"),
    (r"federal state unitary enterprise", "fgup"),
    (r"gosudarstvenn\w* unitarn\w* predpriyat\w*", "gup"),
    (r"state unitary enterprise", "gup"),
    (r"nauchno proizvodstvenn\w* predpriyat\w*", "npp"),
    (r"scientific (?:and )?production enterprise", "npp"),
    (r"nauchno proizvodstvenn\w* ob\w*edinen\w*", "npo"),
    (r"scientific (?:and )?production association", "npo"),
    (r"obshchestv\w* s ogranichenn\w* otvetstvennost\w*", "llc"),
    (r"tovarystv\w* z obmezhen\w* vidpovidalnist\w*", "llc"),
    (r"public joint[ -]stock (?:company|co)", "pjsc"),
    (r"open joint[ -]stock (?:company|co)", "ojsc"),
    (r"closed joint[ -]stock (?:company|co)", "cjsc"),
    (r"joint[ -]stock (?:company|co)", "jsc"),
    (r"limited liability (?:company|co)", "llc"),
    (r"limited liability partnership", "llp"),
    (r"limited partnership", "lp"),
    (r"public limited (?:company|co)", "plc"),
    (r"private limited (?:company|co)", "ltd"),
    (r"private limited", "ltd"),
    (r"company limited", "co ltd"),
    (r"free zone establishment", "fze"),
    (r"free zone company", "fzco"),
    (r"gesellschaft mit beschrankter haftung", "gmbh"),
    (r"societe anonyme", "sa"),
    (r"sociedad anonima", "sa"),
    (r"societe a responsabilite limitee", "sarl"),
    (r"sociedad de responsabilidad limitada", "srl"),
    (r"societa per azioni", "spa"),
    (r"besloten vennootschap", "bv"),
    (r"naamloze vennootschap", "nv"),
    (r"sanayi ve ticaret", "sanayi ticaret"),
)
# Cheap pre-check: every phrase above contains one of these stems.
LEGAL_STEMS = re.compile(
    "obshch|tovaryst|stock|limited|partnership|company|zone|gesellschaft|societ|sociedad|vennootschap|sanayi|unitar"
    "|production|proizvodstv"
)

# Single-token legal forms and their canonical class (so "ooo" ~ "llc", "oao" ~ "ojsc", "aktiengesellschaft" ~ "ag").
# "pls" is PLC written in Cyrillic (ПЛС) and transliterated back.
LEGAL_FORMS: dict[str, str] = {
    **dict.fromkeys(("llc", "ooo", "tov", "too", "mchj", "llp", "lp"), "llc"),
    **dict.fromkeys(("ltd", "limited", "plc", "pls", "pty", "pvt", "pte", "bhd", "sdn"), "ltd"),
    **dict.fromkeys(("jsc", "ao", "oao", "ojsc", "zao", "cjsc", "pao", "pjsc", "ad", "pat", "prat", "at"), "jsc"),
    **dict.fromkeys(("inc", "incorporated", "corp", "corporation", "co", "company", "cie", "cia", "compania"), "co"),
    **dict.fromkeys(("gmbh", "ag", "aktiengesellschaft", "kg", "mbh", "ug", "se"), "gmbh"),
    **dict.fromkeys(("sa", "sas", "sarl", "srl", "spa", "sl", "sae", "sac", "saic", "sal"), "sa"),
    **dict.fromkeys(("bv", "nv", "as", "ab", "oy", "aps", "kft", "zrt", "doo", "dd", "sro", "spzoo"), "bv"),
    **dict.fromkeys(("fze", "fzco", "fzc", "fz", "fzllc", "dmcc", "est", "establishment"), "fze"),
    **dict.fromkeys(("group", "holding", "holdings", "enterprise", "enterprises", "gruppa", "kholding"), "group"),
    # Russian state enterprises (FGUP / GUP) and research-and-production enterprises and associations (NPP / NPO)
    **dict.fromkeys(("fgup", "gup"), "gup"),
    **dict.fromkeys(("npp", "npo"), "npp"),
    **dict.fromkeys(("kompaniya", "kompanii", "kompaniy"), "co"),
    **dict.fromkeys(
        ("aviakompaniya", "aviakompania", "airlines", "airline", "airways", "aviation", "air", "avia", "aero"),
        "airline",
    ),
    **dict.fromkeys(("shipping", "maritime", "marine", "navigation", "lines"), "shipping"),
    **dict.fromkeys(("trading", "trade", "import", "export", "international", "intl"), "trading"),
}
# Long words of legal forms, which customers misspell ("comapny") and field limits truncate ("compan"): names.py
# repairs a token that is one or two typing slips away from one of these, or (last token only) a prefix of one.
LEGAL_WORDS: tuple[str, ...] = (
    "company", "limited", "liability", "corporation", "incorporated", "aktiengesellschaft", "gesellschaft",
    "beschrankter", "haftung", "partnership", "joint", "stock", "obshchestvo", "aktsionernoe", "otvetstvennostyu",
    "ogranichennoy", "ogranichennoi", "sociedad", "societe", "anonima", "anonyme", "responsabilidad", "limitada",
    "establishment", "enterprise", "enterprises", "holding", "holdings", "international", "trading",
    "aviakompaniya", "airlines", "shipping", "navigation",
)  # fmt: skip
LEGAL_WORD_MIN_LEN = 5  # shorter legal words (ltd, co, llc) are abbreviations: one slip makes another word

# --- titles, honorifics, particles ---------------------------------------------------------------------------
# Titles, ranks and forms of address in several languages, which people type in front of names; folded, so
# "Präsident" is "prasident" and "Президент" is "prezident". Vessel prefixes ride along: they are not the name.
# "general" is here rather than among legal words: "General Trading" still matches through "trading".
HONORIFICS = frozenset(
    "mr mrs ms miss mme mlle dr prof sir sheikh shaikh shaykh sheik cheikh scheich haji hajji hajj alhaji mullah "
    "mulla maulvi maulavi maulana mawlawi qari imam sayyid sayed syed hafiz emir amir ayatollah ayatullah mufti "
    "rabbi pastor reverend rev father hon honorable honourable excellency "
    "herr frau monsieur madame senor senora senorita sr sra srta don dona doktor ing ingeniero licenciado lic "
    "president prasident presidente prezident minister ministre ministro ministr senator senador deputy "
    "colonel col coronel oberst polkovnik gen general generale generaal lieutenant lt teniente major maj mayor "
    "capt captain capitan kapitan brigadier admiral almirante marshal sgt sergeant "
    # vessel prefixes and words people type around a ship's name ("MV OLYMPIA", "M/Y Amadea", "tanker Liberty")
    "mv mt my ss fv yacht tanker vessel".split()
)
# Titles written in Arabic script, as their transliteration spells them (حاجی / حاجي hjy, الحاج al hj, شيخ shykh,
# ملا mla, مولوی mwlwy, مولانا mwlna, قاری qary, حافظ hafz). Sayyid (syd) is left out: it is a given name too.
ABJAD_HONORIFICS = frozenset("hjy hj hajy shykh shyk shaykh mla mlla mwlwy mwlwi mwlna mwlana qary qari hafz".split())
PARTICLES = frozenset(
    "al el ul ad ar as ash at az bin bn ibn bint bent ben abu um umm "
    "de da do dos das del della di du la le van von der den ter zu mac mc st san".split()
)
# The Arabic article as Latin listings write it, separate or joined ("al-Majid", "Elhalim").
ARABIC_ARTICLES = ("al", "el")
# "Abd al-Hakim", "Abdel Hakim", "Abd-ul Hakim", abjad "bd al hkym": one form ("abdul"), as most listings write it;
# a NORMAL token ("servant of" is part of the given name, not a particle).
ABDUL = re.compile(r"\b(?:abd|bd)(?:\s?(?:al|el|ul|u|l))?\b|\babd(?:el|al)\b")

# --- patronymics ---------------------------------------------------------------------------------------------
# East Slavic patronymic endings, Latin and Cyrillic (Vladimirovich, Petrovna, Ilyich, Иванович, Ильич). A bare
# "-ich" is left out so that Friedrich or Ulrich stay given names.
PATRONYMIC_ENDINGS: tuple[str, ...] = (
    "ovich", "evich", "yich", "ilich", "ovna", "evna", "ichna", "ович", "евич", "ьич", "овна", "евна", "ична",
)  # fmt: skip
MIN_PATRONYMIC_LEN = 5


def is_patronymic(token: str) -> bool:
    """An East Slavic patronymic (one word, any case, Latin or Cyrillic script)."""
    t = token.lower()
    return len(t) >= MIN_PATRONYMIC_LEN and " " not in t and t.endswith(PATRONYMIC_ENDINGS)


# --- numbers -------------------------------------------------------------------------------------------------
# English number words: a name's number is one token whichever way it is written ("Forty-Four" ~ "44").
NUMBER_WORDS: dict[str, int] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
NUMBER_TENS: dict[str, int] = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90,
}  # fmt: skip
# Digits typed for the letters they look like ("Ig0r Sech1n"); 1 is read as i, the commoner letter in names.
LOOKALIKE_LETTERS: dict[str, str] = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g"}

# --- Chinese names in Hanyu Pinyin ---------------------------------------------------------------------------
# The syllables of Standard Mandarin in Pinyin without tones (the standard syllable table; ü written v). A name made
# only of these is read as Pinyin, where another syllable is another name (Jie / Jia, Ming / Min, Liang / Jiang)
# rather than a typing slip. Single-vowel syllables (a, e, o) are left out: with them too many Western names would
# spell Pinyin (ma-ri-a).
PINYIN_SYLLABLES = frozenset(
    """ai an ang ao ba bai ban bang bao bei ben beng bi bian biao bie bin bing bo bu ca cai can cang cao ce cen ceng
    cha chai chan chang chao che chen cheng chi chong chou chu chua chuai chuan chuang chui chun chuo ci cong cou cu
    cuan cui cun cuo da dai dan dang dao de dei den deng di dia dian diao die ding diu dong dou du duan dui dun duo
    ei en eng er fa fan fang fei fen feng fo fou fu ga gai gan gang gao ge gei gen geng gong gou gu gua guai guan
    guang gui gun guo ha hai han hang hao he hei hen heng hong hou hu hua huai huan huang hui hun huo ji jia jian
    jiang jiao jie jin jing jiong jiu ju juan jue jun ka kai kan kang kao ke kei ken keng kong kou ku kua kuai kuan
    kuang kui kun kuo la lai lan lang lao le lei leng li lia lian liang liao lie lin ling liu lo long lou lu luan lun
    luo lv lve ma mai man mang mao me mei men meng mi mian miao mie min ming miu mo mou mu na nai nan nang nao ne nei
    nen neng ni nian niang niao nie nin ning niu nong nou nu nuan nuo nv nve ou pa pai pan pang pao pei pen peng pi
    pian piao pie pin ping po pou pu qi qia qian qiang qiao qie qin qing qiong qiu qu quan que qun ran rang rao re ren
    reng ri rong rou ru rua ruan rui run ruo sa sai san sang sao se sen seng sha shai shan shang shao she shei shen
    sheng shi shou shu shua shuai shuan shuang shui shun shuo si song sou su suan sui sun suo ta tai tan tang tao te
    teng ti tian tiao tie ting tong tou tu tuan tui tun tuo wa wai wan wang wei wen weng wo wu xi xia xian xiang xiao
    xie xin xing xiong xiu xu xuan xue xun ya yan yang yao ye yi yin ying yo yong you yu yuan yue yun za zai zan zang
    zao ze zei zen zeng zha zhai zhan zhang zhao zhe zhei zhen zheng zhi zhong zhou zhu zhua zhuai zhuan zhuang zhui
    zhun zhuo zi zong zou zu zuan zui zun zuo""".split()
)
MAX_PINYIN_SYLLABLE = 6  # "zhuang", "shuang"
