import pytest

from service.normalize.dates import parse_date_spec


@pytest.mark.parametrize(
    ("text", "start", "end", "circa"),
    [
        ("23 Nov 1962", "1962-11-23", None, False),
        ("23/11/1962", "1962-11-23", None, False),
        ("1962-11-23", "1962-11-23", None, False),
        ("Nov 1962", "1962-11", None, False),
        ("circa 1962", "1962", None, True),
        ("1960 to 1965", "1960", "1965", False),
        ("Between 1960 and 1965", "1960", "1965", False),
        ("00/00/1962", "1962", None, False),
        ("January 5, 1970", "1970-01-05", None, False),
    ],
)
def test_parse_date_spec_reads_publisher_formats(text: str, start: str, end: str | None, circa: bool) -> None:
    spec = parse_date_spec(text)
    assert spec is not None
    assert (spec.start, spec.end, spec.circa, spec.raw) == (start, end, circa, text)


@pytest.mark.parametrize("text", ["", "unknown", "31 Feb 1970", "1962-13-01"])
def test_parse_date_spec_refuses_non_dates(text: str) -> None:
    assert parse_date_spec(text) is None
