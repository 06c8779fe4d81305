"""Nationality adjectives as lists write them ("Russian", "Afghani", "Saudi Arabian") -> ISO 3166-1 alpha-2 codes.

Complements `service.normalize.countries.to_country_code`, which reads country names and codes only;
`to_nationality_code` tries both.
"""

from __future__ import annotations

import re
import unicodedata

from service.normalize.countries import to_country_code

# Adjectives seen in the DFAT, UN and OFAC lists plus the usual spellings of the countries they sanction.
_DEMONYMS: dict[str, str] = {
    "afghan": "AF",
    "afghani": "AF",
    "albanian": "AL",
    "algerian": "DZ",
    "american": "US",
    "angolan": "AO",
    "argentine": "AR",
    "argentinian": "AR",
    "armenian": "AM",
    "australian": "AU",
    "austrian": "AT",
    "azerbaijani": "AZ",
    "azeri": "AZ",
    "bahraini": "BH",
    "bangladeshi": "BD",
    "belarusian": "BY",
    "belarussian": "BY",
    "byelorussian": "BY",
    "belgian": "BE",
    "bosnian": "BA",
    "brazilian": "BR",
    "british": "GB",
    "bulgarian": "BG",
    "burmese": "MM",
    "burundian": "BI",
    "cambodian": "KH",
    "cameroonian": "CM",
    "canadian": "CA",
    "central african": "CF",
    "chadian": "TD",
    "chilean": "CL",
    "chinese": "CN",
    "colombian": "CO",
    "congolese": "CD",  # DFAT and UN use it for the Democratic Republic of the Congo listings
    "croatian": "HR",
    "cuban": "CU",
    "cypriot": "CY",
    "czech": "CZ",
    "danish": "DK",
    "djiboutian": "DJ",
    "dutch": "NL",
    "ecuadorian": "EC",
    "egyptian": "EG",
    "emirati": "AE",
    "eritrean": "ER",
    "estonian": "EE",
    "ethiopian": "ET",
    "fijian": "FJ",
    "filipino": "PH",
    "philippine": "PH",
    "finnish": "FI",
    "french": "FR",
    "georgian": "GE",
    "german": "DE",
    "ghanaian": "GH",
    "greek": "GR",
    "guatemalan": "GT",
    "guinean": "GN",
    "haitian": "HT",
    "hungarian": "HU",
    "indian": "IN",
    "indonesian": "ID",
    "iranian": "IR",
    "iraqi": "IQ",
    "irish": "IE",
    "israeli": "IL",
    "italian": "IT",
    "ivorian": "CI",
    "japanese": "JP",
    "jordanian": "JO",
    "kazakh": "KZ",
    "kazakhstani": "KZ",
    "kenyan": "KE",
    "kosovar": "XK",
    "kuwaiti": "KW",
    "kyrgyz": "KG",
    "kyrgyzstani": "KG",
    "lao": "LA",
    "laotian": "LA",
    "latvian": "LV",
    "lebanese": "LB",
    "liberian": "LR",
    "libyan": "LY",
    "lithuanian": "LT",
    "macedonian": "MK",
    "malaysian": "MY",
    "maldivian": "MV",
    "malian": "ML",
    "maltese": "MT",
    "mauritanian": "MR",
    "mauritian": "MU",
    "mexican": "MX",
    "moldovan": "MD",
    "mongolian": "MN",
    "montenegrin": "ME",
    "moroccan": "MA",
    "mozambican": "MZ",
    "namibian": "NA",
    "nepalese": "NP",
    "nepali": "NP",
    "new zealander": "NZ",
    "nicaraguan": "NI",
    "nigerian": "NG",
    "nigerien": "NE",
    "north korean": "KP",
    "norwegian": "NO",
    "omani": "OM",
    "pakistani": "PK",
    "palestinian": "PS",
    "panamanian": "PA",
    "peruvian": "PE",
    "polish": "PL",
    "portuguese": "PT",
    "qatari": "QA",
    "romanian": "RO",
    "russian": "RU",
    "rwandan": "RW",
    "saudi": "SA",
    "saudi arabian": "SA",
    "senegalese": "SN",
    "serbian": "RS",
    "sierra leonean": "SL",
    "singaporean": "SG",
    "slovak": "SK",
    "slovenian": "SI",
    "somali": "SO",
    "south african": "ZA",
    "south korean": "KR",
    "south sudanese": "SS",
    "spanish": "ES",
    "sri lankan": "LK",
    "sudanese": "SD",
    "swedish": "SE",
    "swiss": "CH",
    "syrian": "SY",
    "taiwanese": "TW",
    "tajik": "TJ",
    "tajikistani": "TJ",
    "tanzanian": "TZ",
    "thai": "TH",
    "togolese": "TG",
    "trinidadian": "TT",
    "tunisian": "TN",
    "turkish": "TR",
    "turkiyish": "TR",  # DFAT spelling ("Türkiyish")
    "turkmen": "TM",
    "ugandan": "UG",
    "ukrainian": "UA",
    "ukranian": "UA",  # DFAT misspelling
    "uzbek": "UZ",
    "uzbekistani": "UZ",
    "venezuelan": "VE",
    "vietnamese": "VN",
    "yemeni": "YE",
    "yemenite": "YE",
    "zambian": "ZM",
    "zimbabwean": "ZW",
    "soviet": "SU",
}

# Country names the lists use that pycountry and `countries` do not resolve (older or informal forms).
_COUNTRY_VARIANTS: dict[str, str] = {
    "libyan arab jamahiriya": "LY",
    "state of palestine": "PS",
    "democratic republic of congo": "CD",
    "united kingdom of great britain": "GB",
    "phillippines": "PH",
}

_NON_WORD = re.compile(r"[^a-z]+")


def _key(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return _NON_WORD.sub(" ", folded).strip()


def demonym_to_country_code(text: str | None) -> str | None:
    """ISO alpha-2 code for a nationality adjective ("Afghani" -> "AF") or an old country name; None when unknown."""
    if not text:
        return None
    key = _key(text)
    return _DEMONYMS.get(key) or _COUNTRY_VARIANTS.get(key)


def to_nationality_code(text: str | None) -> str | None:
    """ISO alpha-2 code for a country name, code or nationality adjective; None when unknown."""
    if not text:
        return None
    return to_country_code(text) or demonym_to_country_code(text)
