import pytest

from service.normalize.dates import parse_date_spec, parse_date_specs


@pytest.mark.parametrize(
    ("text", "start", "end", "circa"),
    [
        ("23 Nov 1962", "1962-11-23", None, False),
        ("23/11/1962", "1962-11-23", None, False),
        ("1962-11-23", "1962-11-23", None, False),
        ("Nov 1962", "1962-11", None, False),
        ("circa 1962", "1962", None, True),
        ("1960 to 1965", "1960", "1965", False),
        ("Between Aug. and Sep. 1977", "1977-08", "1977-09", False),
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


@pytest.mark.parametrize(
    ("text", "start"),
    [("dd/mm/1945", "1945"), ("dd/05/1958", "1958-05"), ("DD/MM/1972", "1972"), ("00/05/1958", "1958-05")],
)
def test_parse_date_spec_reads_unknown_part_placeholders(text: str, start: str) -> None:
    spec = parse_date_spec(text)
    assert spec is not None
    assert (spec.start, spec.end, spec.raw) == (start, None, text)


@pytest.mark.parametrize(
    ("text", "starts"),
    [
        ("1963 or 1964", ["1963", "1964"]),
        ("1972-08-10 or 1972-08-11", ["1972-08-10", "1972-08-11"]),
        ("1965-07-15 OR 1969-09-28", ["1965-07-15", "1969-09-28"]),
        ("1970; 1971; 1970", ["1970", "1971"]),
        ("Between 1960 and 1965", ["1960"]),
        ("born in the early 1970s", []),
        ("Sep-99", []),
    ],
)
def test_parse_date_specs_splits_alternatives(text: str, starts: list[str]) -> None:
    assert [s.start for s in parse_date_specs(text)] == starts


def test_parse_timestamp_reads_what_the_service_writes() -> None:
    from datetime import UTC, datetime

    from service.normalize.dates import parse_timestamp

    assert parse_timestamp("2026-11-26T17:34:18Z") == datetime(2026, 11, 26, 17, 34, 18, tzinfo=UTC)
    assert parse_timestamp("2026-11-26T17:34:18") == datetime(2026, 11, 26, 17, 34, 18, tzinfo=UTC)
    assert parse_timestamp("2026-11-26T18:34:18+01:00") == datetime(2026, 11, 26, 17, 34, 18, tzinfo=UTC)
    assert parse_timestamp("yesterday") is None and parse_timestamp(None) is None
