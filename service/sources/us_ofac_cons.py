"""OFAC Consolidated Sanctions List (the non-SDN lists: SSI, NS-MBS, CMIC, ...), from its four-file CSV set.

Official URLs: https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/CONS_PRIM.CSV (and
CONS_ADD.CSV, CONS_ALT.CSV, CONS_COMMENTS.CSV). Same schema and quirks as the SDN set: `service.sources.ofac_csv`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from service.model import Entity
from service.sources.base import ParseReport
from service.sources.ofac_csv import CsvSet, parse_set

LIST_ID = "us_ofac_cons"
FILES = CsvSet(primary="cons_prim.csv", addresses="cons_add.csv", aliases="cons_alt.csv", comments="cons_comments.csv")


def parse(
    files: Mapping[str, bytes], report: ParseReport | None = None, *, list_id: str | None = None
) -> Iterator[Entity]:
    """Entities of the consolidated non-SDN list, ids `us_ofac_cons:<ent_num>`; cons_comments.csv is optional."""
    return parse_set(files, report if report is not None else ParseReport(), list_id or LIST_ID, FILES)
