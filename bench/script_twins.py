"""A wider development set for names written in another script than the listing: every listed name in Cyrillic,
Arabic, Hebrew or Chinese script, screened for the same party's entry on a list that carries only Latin names (the
golden set's `script_to_latin` variation draws 90 of these; here are all of them, about 1,300).

Built from the lists at evaluation time (nothing is committed) by the golden set's own rule for finding the twin
entry: same kind, another list, the same primary Latin name, the same birth year where both give one. Each case
splits by the twin's id, like the golden set; `bench.eval_matcher` prints recall per split and writes the misses of
the tuning part only.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence

from bench.common import GoldenCase, split_of
from bench.make_golden import (
    LIST_WEIGHTS,
    Corpus,
    digest,
    fold,
    has_no_latin,
    is_latin,
    key,
    latin_names,
    same_birth_year,
)
from service.model import Entity, EntityKind, Query


def script_twin_cases(entities: Sequence[Entity], exclude: set[tuple[str, str]]) -> list[GoldenCase]:
    """One case per (script name, twin entry), minus the (query, expected id) pairs in `exclude` (the golden set's)."""
    corpus = Corpus(list(entities))
    owners: dict[str, list[Entity]] = defaultdict(list)
    for e in corpus.entities:
        if all(is_latin(n.full) for n in e.all_names()):
            for k in {key(n.full) for n in latin_names(e)}:
                owners[k].append(e)
    cases = []
    for e in corpus.entities:
        scripts = [n for n in e.all_names() if has_no_latin(n.full) and fold(n.full)]
        primary = key(e.name.full)
        if not scripts or not is_latin(e.name.full) or len(primary.split()) < 2:
            continue
        twins = sorted(
            (
                t
                for t in owners.get(primary, [])
                if t.kind == e.kind and t.list_id != e.list_id and same_birth_year(e, t)
            ),
            key=lambda t: (-LIST_WEIGHTS.get(t.list_id, 1), t.id),
        )
        if not twins:
            continue
        twin = twins[0]
        name = random.Random(digest("script_twin", e.id)).choice(scripts)
        if (name.full, twin.id) in exclude:
            continue
        cases.append(
            GoldenCase(
                case_id=f"script_twin-{digest('script_twin', e.id, name.full)[:10]}",
                split=split_of(twin.id),
                variation=f"twin_{name.script}",
                kind=e.kind.value,
                query=Query(name=name.full, kind=e.kind if e.kind != EntityKind.UNKNOWN else None),
                expected_entity_id=twin.id,
                source_value=twin.name.full,
                note=f"{name.script} name of {e.id}",
            )
        )
    return sorted(cases, key=lambda c: c.case_id)
