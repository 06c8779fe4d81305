import xml.etree.ElementTree as ET

import pytest

from service.model import DateSpec, IdentifierType, NameQuality, NameType
from service.sources._common import (
    add_name,
    country,
    element_fields,
    identifier_type,
    iso_timestamp,
    make_address,
    make_name,
    slug,
    unique_dates,
)


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Passport", IdentifierType.PASSPORT),
        ("Numéro de passeport", IdentifierType.PASSPORT),
        ("National Identification\n   Number", IdentifierType.NATIONAL_ID),
        ("Afghan national identification card (tazkira) number", IdentifierType.NATIONAL_ID),
        ("Italian Fiscal Code:", IdentifierType.TAX_ID),
        ("Tax identification number (INN)", IdentifierType.TAX_ID),
        ("UK Company no. 06527449", IdentifierType.REGISTRATION),
        ("SWIFT BIC", IdentifierType.SWIFT_BIC),
        ("IMO number", IdentifierType.IMO),
        ("Birth certificate", IdentifierType.OTHER),
        (None, IdentifierType.OTHER),
    ],
)
def test_identifier_type_reads_publisher_labels(label: str | None, expected: IdentifierType) -> None:
    assert identifier_type(label) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Russian Federation", "RU"), ("na", None), ("00", None), ("  ", None), ("Atlantis", "Atlantis")],
)
def test_country_resolves_codes_and_keeps_unknown_text(text: str, expected: str | None) -> None:
    assert country(text) == expected


def test_make_name_detects_script_and_patronymic() -> None:
    name = make_name("Vladimir  Vladimirovich\nPUTIN", given="Vladimir", middle="Vladimirovich", family="PUTIN")
    assert (name.full, name.patronymic, name.middle, name.script) == (
        "Vladimir Vladimirovich PUTIN",
        "Vladimirovich",
        None,
        "Latn",
    )
    assert make_name("Hans Friedrich Muster", middle="Friedrich").middle == "Friedrich"
    assert make_name("Владимир Путин").script == "Cyrl"


def test_add_name_keeps_the_first_spelling_ignoring_case() -> None:
    names = [make_name("ABU SAMPLE")]
    add_name(names, make_name("Abu Sample", type=NameType.AKA, quality=NameQuality.LOW))
    add_name(names, make_name("Abu Sampel", type=NameType.AKA))
    assert [n.full for n in names] == ["ABU SAMPLE", "Abu Sampel"]


def test_make_address_joins_parts_and_resolves_country() -> None:
    address = make_address(street="1 Main St", city="Kabul", country_text="Afghanistan", extra=["as of 2016"])
    assert address is not None
    assert (address.full, address.country) == ("1 Main St, Kabul, Afghanistan, as of 2016", "AF")
    assert make_address() is None


def test_element_fields_keeps_attributes_repeats_and_nesting() -> None:
    el = ET.fromstring('<r id="7" blank=""><A>x</A><B><V>1</V><V>2</V></B><A>y</A><C/></r>')
    assert element_fields(el) == {"@id": "7", "A": ["x", "y"], "B": {"V": ["1", "2"]}}


def test_unique_dates_slug_and_timestamps() -> None:
    dates = unique_dates([DateSpec("1970", raw="1970"), DateSpec("1970", raw="c. 1970"), DateSpec("1971")])
    assert [d.raw for d in dates] == ["1970", None]
    assert slug("Myanmar (Burma) / Bélarus, 1,Part 3") == "myanmar-burma-belarus-1-part-3"
    assert iso_timestamp("2026-02-27T00:00:09.554Z") == "2026-02-27T00:00:09.554Z"
    assert iso_timestamp("10/09/2026") is None
