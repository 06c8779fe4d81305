"""A small real serving state for the use cases: the committed OFAC XML and UN samples (tests/fixtures)."""

from __future__ import annotations

import pytest

from service.model import Snapshot
from service.screening.runtime import ServingState, build_state
from service.sources import get_parser
from tests.conftest import FIXTURES


def sample_snapshots() -> list[Snapshot]:
    sdn = tuple(
        get_parser("ofac_xml")({"SDN.XML": (FIXTURES / "ofac" / "SDN.XML").read_bytes()}, list_id="us_ofac_sdn")
    )
    un_file = {"consolidated.xml": (FIXTURES / "un_sc_sanctions_sample.xml").read_bytes()}
    un = tuple(get_parser("un_sc_sanctions")(un_file, list_id="un_sc_sanctions"))
    return [
        Snapshot("us_ofac_sdn", "sdn-v1", sdn, published_at="2026-11-01", fetched_at="2026-11-02T00:00:00Z"),
        Snapshot("un_sc_sanctions", "un-v1", un, fetched_at="2026-11-02T00:00:00Z"),
    ]


@pytest.fixture(scope="session")
def sample_state() -> ServingState:
    return build_state(sample_snapshots(), generation="g1")
