#!/usr/bin/env python3
"""Screening speed, Sluice and nomenklatura in one run: the same names screened against the
same list (the full OFAC SDN advanced list, every alias, every script) on the same machine.

    python3 bench/screen_compare.py [--venv bench/.venv] [--queries 2000] [--rounds 15]
        [--names FILE] [--algorithm logic-v1] [--max-candidates 75] [--nk-rounds 1]

1. Sluice: `cargo run --release -p sluice-screen --example screen_names` imports the SDN
   advanced XML, writes every listed name form (`party,type,name`) and the names it screens
   (by default the 2,000 queries of `cargo bench -p sluice-screen --bench screen`: half
   disguised listed aliases, half ordinary names), then times uncached screening of those
   names on 1 and 2 threads, alternating, and prints the median of the rounds.
2. nomenklatura: the same list, one FollowTheMoney entity per party with all its names
   (Person, Organization, Vessel, Airplane, or LegalEntity when the type is unknown),
   indexed by nomenklatura's own blocker (`nomenklatura.blocker.Index`, DuckDB, built once
   and not timed, like Sluice's import); the same names as LegalEntity queries go through
   `Index.match_entities` (its batch matching: candidates per query by token overlap, at
   most `max_candidates`, 75 by default) and every candidate is scored by the matcher
   (`logic-v1` by default); a query's result is its best score. Timed: building the query
   entities, blocking and scoring. DuckDB uses both cores for the blocking; the scoring is
   one Python thread.

Both rates, the ratios, and how many names each side flags, are printed. Installs
nomenklatura into the virtualenv on first use (see bench/nomenklatura_compare.py).
"""

import argparse
import csv
import logging
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from nomenklatura_compare import ensure_venv  # same virtualenv, same pinned version

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = {
    "individual": "Person",
    "entity": "Organization",
    "vessel": "Vessel",
    "aircraft": "Airplane",
    "unknown": "LegalEntity",
}


class ListView:
    """What `nomenklatura.blocker.Index` reads from a store view: the entities."""

    def __init__(self, entities):
        self._entities = entities

    def entities(self, include_schemata=None):
        for e in self._entities:
            if include_schemata is None or e.schema in include_schemata:
                yield e


def load_avg() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--venv", default=str(ROOT / "bench" / ".venv"))
    ap.add_argument("--queries", type=int, default=2000, help="benchmark queries (without --names)")
    ap.add_argument("--names", help="screen these names instead (one a line)")
    ap.add_argument("--rounds", type=int, default=15, help="Sluice timing rounds per thread count")
    ap.add_argument("--nk-rounds", type=int, default=1, help="nomenklatura timing rounds")
    ap.add_argument("--algorithm", default="logic-v1")
    ap.add_argument("--max-candidates", type=int, default=75, help="nomenklatura blocker candidates per query")
    ap.add_argument("--sluice-threshold", type=float, default=0.85)
    ap.add_argument("--nk-threshold", type=float, default=0.70)
    ap.add_argument("--work", help="directory for the list, names and index (a temporary one by default)")
    args = ap.parse_args()
    ensure_venv(Path(args.venv), __file__)
    logging.basicConfig(level=logging.WARNING)

    work = Path(args.work or tempfile.mkdtemp(prefix="screen_compare_"))
    work.mkdir(parents=True, exist_ok=True)
    list_csv, names_txt, scores_csv = work / "sdn_names.csv", work / "names.txt", work / "sluice_scores.csv"

    # 1. Sluice.
    cmd = ["cargo", "run", "--release", "-q", "-p", "sluice-screen", "--example", "screen_names", "--",
           "--rounds", str(args.rounds), "--write-list", str(list_csv), "--write-names", str(names_txt),
           "--scores", str(scores_csv)]
    cmd += ["--names", args.names] if args.names else ["--queries", str(args.queries)]
    print(f"load before Sluice: {load_avg()}", flush=True)
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True)
    sys.stderr.write(out.stderr)
    sl_rate = {}
    for line in out.stdout.splitlines():
        m = re.match(r"rate threads=(\d+) median=([\d.]+)/s rounds=(.*)", line)
        if m:
            sl_rate[int(m.group(1))] = (float(m.group(2)), m.group(3))
    print(f"load after Sluice: {load_avg()}", flush=True)
    names = [l for l in names_txt.read_text(encoding="utf-8").splitlines() if l.strip()]
    with open(scores_csv, newline="", encoding="utf-8") as fh:
        sl_scores = [float(r["score"]) for r in csv.DictReader(fh)]

    # 2. nomenklatura.
    from followthemoney import Dataset, StatementEntity, model
    from nomenklatura.blocker import Index
    from nomenklatura.matching import get_algorithm
    from nomenklatura.matching.types import ScoringConfig

    dataset = Dataset.make({"name": "sdn", "title": "OFAC SDN advanced"})
    parties: dict[str, tuple[str, list[str]]] = {}
    with open(list_csv, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            parties.setdefault(r["party"], (r["type"], []))[1].append(r["name"])
    listed = {}
    for pid, (kind, pnames) in parties.items():
        e = StatementEntity(dataset, {"schema": SCHEMA.get(kind, "LegalEntity"), "id": pid})
        for n in pnames:
            e.add("name", n)
        listed[pid] = e
    t = time.perf_counter()
    index_dir = work / "nk_index"
    index = Index(ListView(list(listed.values())), index_dir, options={"max_candidates": args.max_candidates})
    index.build()
    nk_build = time.perf_counter() - t
    print(f"nomenklatura index: {len(listed)} parties, {sum(len(p[1]) for p in parties.values())} names, "
          f"built in {nk_build:.1f} s", flush=True)

    algo = get_algorithm(args.algorithm)
    config = ScoringConfig.defaults()
    nk_rates, nk_scores, nk_block, nk_pairs = [], [], [], 0
    print(f"load before nomenklatura: {load_avg()}", flush=True)
    for _ in range(args.nk_rounds):
        t0 = time.perf_counter()
        queries = {}
        for i, n in enumerate(names):
            q = StatementEntity(dataset, {"schema": "LegalEntity", "id": f"q{i}"})
            q.add("name", n)
            queries[q.id] = q
        best = defaultdict(float)
        scoring = 0.0
        pairs = 0
        for qid, cands in index.match_entities(queries.values()):
            s0 = time.perf_counter()
            q = queries[qid.id]
            for cid, _ in cands:
                e = listed.get(cid.id)
                if e is None:
                    continue
                best[qid.id] = max(best[qid.id], algo.compare(q, e, config).score)
                pairs += 1
            scoring += time.perf_counter() - s0
        dt = time.perf_counter() - t0
        nk_rates.append(len(names) / dt)
        nk_block.append(dt - scoring)
        nk_pairs = pairs
        nk_scores = [best[f"q{i}"] for i in range(len(names))]
    print(f"load after nomenklatura: {load_avg()}", flush=True)
    nk_rate = statistics.median(nk_rates)

    n = len(names)
    print(f"\n{n} names screened against the OFAC SDN advanced list ({len(listed)} parties, "
          f"{sum(len(p[1]) for p in parties.values())} listed names), same run:")
    for th, (r, all_) in sorted(sl_rate.items()):
        print(f"  sluice, {th} thread{'s' if th > 1 else ''}: {r:,.0f} screenings/s "
              f"(median of {args.rounds}: {all_})")
    print(f"  nomenklatura {args.algorithm} + blocker Index (max_candidates {args.max_candidates}): "
          f"{nk_rate:,.1f} screenings/s (rounds: {', '.join(f'{x:.1f}' for x in nk_rates)}; "
          f"blocking {statistics.median(nk_block):.1f} s of each round, "
          f"{nk_pairs / max(n, 1):.1f} candidates scored per name)")
    for th, (r, _) in sorted(sl_rate.items()):
        print(f"  ratio sluice {th} thread{'s' if th > 1 else ''} / nomenklatura: {r / nk_rate:,.0f}x")
    if args.names:
        print(f"\nwork directory: {work}")
        return
    half = lambda xs, k: [x for i, x in enumerate(xs) if i % 2 == k]
    print("\nflagged (names at or above the threshold):")
    for who, sc, th in [("sluice", sl_scores, args.sluice_threshold), ("nomenklatura", nk_scores, args.nk_threshold)]:
        print(f"  {who:<13} at {th:.2f}: disguised listed names {sum(s >= th for s in half(sc, 0))}/{len(half(sc, 0))}, "
              f"ordinary names {sum(s >= th for s in half(sc, 1))}/{len(half(sc, 1))}")
    print(f"\nwork directory: {work}")


if __name__ == "__main__":
    main()
