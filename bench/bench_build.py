"""First builds, this code against a baseline commit: interleaved pairs of fresh processes building the same lists.

    python -m bench.bench_build --baseline REV [--pairs 5] [--scale 10]

Why a benchmark of its own: a build is seconds of work on both cores, and this shared machine's speed drifts by a
third within a few minutes, so one build of each code, minutes apart (as two `bench_matcher` runs give them), says
little about the difference. Here each pair builds the same snapshots with each code, one right after the other,
the order alternating from pair to pair, and the medians of the pairs are compared.

What each process does, as `bench_matcher` and a server do: it decodes the snapshots from the store's encoding (so
that any commit reads them: the encoding is the store's, not a pickle of this code's classes), then times
`Matcher.build` over them, in two ways:

- **index**: the index alone, the collector on (a process that builds in place: `bench_matcher`'s "index build");
- **server**: the index and its text view, the view in a forked child beside it, the collector off, as the
  server's builder child builds (service/screening/builder.py).

On the real lists and on the synthetic corpus `--scale` times larger (bench/synth.py).
"""

from __future__ import annotations

if __package__ in (None, ""):  # run as a script: make `bench` importable
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import json
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.common import MIRROR, ROOT, all_entities, compiled, load_snapshots, worktree
from service.store.encoding import encode_snapshot

MODES = ("index", "server")

# Run by each measuring process with the code of its working directory: only what every commit since the text
# view was built beside the index has (Matcher.build with views=, the store's encoding, TEXT_VIEW).
_CHILD = """
import gc, json, pickle, sys, time
from service.match.matcher import Matcher
from service.match.text import TEXT_VIEW
from service.store.encoding import decode_snapshot
with open(sys.argv[1], "rb") as fh:
    snapshots = [decode_snapshot(data) for data in pickle.load(fh)]
mode = sys.argv[2]
gc.collect()
if mode == "server":
    gc.disable()
t0 = time.perf_counter()
Matcher.build(snapshots, views=(TEXT_VIEW,) if mode == "server" else ())
print(json.dumps({"build_s": time.perf_counter() - t0}))
"""


def write_corpus(path: Path, mirror: Path, scale: int) -> int:
    """The mirrored lists (and, for `scale` > 1, the synthetic corpus that many times larger) in the store's
    encoding, pickled as a list of bytes; returns the number of entities."""
    snapshots, _ = load_snapshots(mirror, strict=True)
    if scale > 1:
        from bench.synth import synthetic_snapshot

        snapshots.append(synthetic_snapshot(all_entities(snapshots), scale))
    with path.open("wb") as fh:
        pickle.dump([encode_snapshot(s) for s in snapshots], fh, protocol=pickle.HIGHEST_PROTOCOL)
    return sum(len(s.entities) for s in snapshots)


def build_once(code: Path, corpus: Path, mode: str) -> float:
    """Seconds `code`'s Matcher.build took over `corpus` in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(corpus), mode],
        cwd=code,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    return float(json.loads(proc.stdout.strip().splitlines()[-1])["build_s"])


def pairs(base: Path, corpus: Path, mode: str, count: int) -> tuple[list[float], list[float]]:
    """`count` builds with each code, in pairs, the baseline first in every other pair."""
    before: list[float] = []
    after: list[float] = []
    for i in range(count):
        order = [(base, before), (ROOT, after)]
        for code, out in order if i % 2 == 0 else reversed(order):
            out.append(build_once(code, corpus, mode))
        print(f"    pair {i + 1}: {before[-1]:.2f} s, this code {after[-1]:.2f} s", file=sys.stderr)
    return before, after


def report(name: str, rev: str, mode: str, before: Sequence[float], after: Sequence[float]) -> None:
    b, a = statistics.median(before), statistics.median(after)
    print(
        f"  {name:<24} {mode:<7} {rev}: {b:6.2f} s ({min(before):.2f}-{max(before):.2f})   this code: "
        f"{a:6.2f} s ({min(after):.2f}-{max(after):.2f})   {a / b:.2f}x"
    )


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", required=True, help="the commit to compare with")
    ap.add_argument("--pairs", type=int, default=5, help="builds of each code per corpus and mode")
    ap.add_argument("--scale", type=int, default=10, help="the synthetic corpus's size as a multiple of the lists")
    ap.add_argument("--mirror", type=Path, default=MIRROR)
    ap.add_argument("--modes", default=",".join(MODES), help="index, server or both")
    args = ap.parse_args(argv)
    modes = [m for m in args.modes.split(",") if m]
    if not modes or any(m not in MODES for m in modes):
        ap.error(f"--modes: some of {', '.join(MODES)}")

    work = Path(tempfile.mkdtemp(prefix="bench-build-"))
    base: Path | None = None
    try:
        base = worktree(args.baseline, work)
        compiled(base)
        compiled(ROOT)
        corpora = []
        for name, scale in (("real", 1), (f"{args.scale}x", args.scale)):
            path = work / f"{name}.pickle"
            entities = write_corpus(path, args.mirror, scale)
            corpora.append((name, path, entities))
        print(f"machine: {os.cpu_count()} cores, shared; load average {os.getloadavg()}")
        print(f"medians of {args.pairs} interleaved pairs of fresh processes (range in brackets):")
        for name, path, entities in corpora:
            for mode in modes:
                print(f"  [{name}, {entities:,} entities, {mode}]", file=sys.stderr)
                before, after = pairs(base, path, mode, args.pairs)
                report(f"{name} ({entities:,} entities)", args.baseline, mode, before, after)
    finally:
        if base is not None:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=False)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
