"""OFAC Specially Designated Nationals list (SDN), from its legacy four-file CSV set.

Official URLs: https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/SDN.CSV (and ADD.CSV,
ALT.CSV, SDN_COMMENTS.CSV). Format and quirks: `service.sources.ofac_csv`; field vocabulary: `ofac_fields`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from service.model import Entity
from service.sources.base import ParseReport
from service.sources.ofac_csv import CsvSet, parse_set

LIST_ID = "us_ofac_sdn"
FILES = CsvSet(primary="sdn.csv", addresses="add.csv", aliases="alt.csv", comments="sdn_comments.csv")


def parse(
    files: Mapping[str, bytes], report: ParseReport | None = None, *, list_id: str | None = None
) -> Iterator[Entity]:
    """Entities of the SDN list, ids `us_ofac_sdn:<ent_num>`; sdn_comments.csv is optional."""
    return parse_set(files, report if report is not None else ParseReport(), list_id or LIST_ID, FILES)
