"""Clean names from a source this project did not design: the `names-dataset` package's most frequent first and last
names per country, combined at random (fixed seed), each checked against the lists; `bench.eval_matcher` screens
them and prints the false-alarm rate by country. Used only to judge the matcher, never to tune it.

names-dataset 3.3.1 (Philippe Remy, https://github.com/philipperemy/name-dataset): the package metadata says MIT, the
LICENSE file in the wheel is Apache-2.0; either allows this use. Its tables are names with per-country ranks, built
from the 2021 Facebook scrape (names only, no records). It is an optional extra (`pip install -e '.[eval]'`), never a
runtime dependency, and nothing derived from it is committed: the sample is rebuilt (or read from bench/out/).
"""

from __future__ import annotations

import csv
import hashlib
import random
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench.common import OUT_DIR
from service.normalize.scripts import detect_script

SEED = "clean-names-v1"
PER_COUNTRY = 40  # names per country: 105 countries, about 4,000 names after the checks
TOP_N = 300  # the most frequent first names (per gender) and last names of each country
MIN_LEN = 2
EXTRA_HINT = "names-dataset is not installed: pip install -e '.[eval]' (an optional extra, ~56 MB)"


@dataclass(frozen=True, slots=True)
class CleanName:
    country: str  # ISO 3166-1 alpha-2 of the names' country
    name: str


class MissingExtra(RuntimeError):
    """The optional names-dataset package is not installed."""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("names-dataset")
    except PackageNotFoundError as exc:
        raise MissingExtra(EXTRA_HINT) from exc


def _sample(per_country: int, top_n: int, seed: str) -> list[CleanName]:
    """Runs in a child process: the package's tables take ~2 GB while loaded."""
    from names_dataset import NameDataset

    nd = NameDataset()
    firsts = nd.get_top_names(n=top_n)
    lasts = nd.get_top_names(n=top_n, use_first_names=False)
    out: list[CleanName] = []
    for cc in sorted(firsts.keys() & lasts.keys()):
        rng = random.Random(f"{seed}:{cc}")
        pool = sorted({n for g in ("M", "F") for n in firsts[cc].get(g, ()) if len(n) >= MIN_LEN})
        by_script: dict[str, list[str]] = {}
        for last in lasts[cc]:
            if len(last) >= MIN_LEN:
                by_script.setdefault(detect_script(last), []).append(last)
        seen: set[str] = set()
        for _ in range(per_country * 4):
            if len(seen) >= per_country:
                break
            first = rng.choice(pool)
            # first and last name in one script, as a customer record writes them
            same = by_script.get(detect_script(first))
            if not same:
                continue
            name = f"{first} {rng.choice(same)}"
            if name not in seen:
                seen.add(name)
                out.append(CleanName(cc, name))
    return out


def sample(per_country: int = PER_COUNTRY, top_n: int = TOP_N, seed: str = SEED) -> list[CleanName]:
    """The combined names, read from the bench/out cache when this version and seed were sampled before."""
    ver = _version()
    tag = hashlib.sha256(f"{ver}|{per_country}|{top_n}|{seed}".encode()).hexdigest()[:10]
    cache = OUT_DIR / f"clean_names_{tag}.csv"
    if cache.exists():
        with cache.open(encoding="utf-8", newline="") as fh:
            return [CleanName(r["country"], r["name"]) for r in csv.DictReader(fh)]
    with ProcessPoolExecutor(max_workers=1) as pool:
        names = pool.submit(_sample, per_country, top_n, seed).result()
    write(names, cache)
    return names


def write(names: Sequence[CleanName], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["country", "name"])
        for n in names:
            w.writerow([n.country, n.name])
