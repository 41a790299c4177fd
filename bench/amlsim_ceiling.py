#!/usr/bin/env python3
"""How far transactions can take any detector on IBM AMLSim's sample, and where Sluice stands.

    sluice import amlsim --archive ../shared/data/peers/amlsim_20K_fanin200cycle200.tgz --out-dir D
    python3 bench/amlsim_ceiling.py D [--verdicts v.csv --labels test_labels.csv]

Standard library only. An account "shows laundering" when its payments differ from AMLSim's
normal agents in a way any detector can see: it is on either side of a pair of accounts with
two or more payments (normal agents never repeat a pair in this sample), or on either side of
a payment smaller than every payment between two normal accounts (laundering typologies move
small residues; normal agents draw amounts from a fixed range). Labelled accounts that show
neither made only payments that look like a normal agent's: they were picked as members of a
pattern that, in this sample, never ran for them (AMLSim's nodes.csv gives them fraudStep -1).

The script prints how many laundering accounts show laundering, the best F1 a detector can reach
if it finds all of those and nothing else (the ceiling: the silent members can only be guessed
from who they pay), how well the number of neighbours that show laundering separates the silent
members from normal accounts, and, with --verdicts and --labels (e.g. the test half of a split),
the verdicts' recall on both groups.
"""

import csv
import os
import sys
from collections import defaultdict


def load(d):
    role = {r["account_id"]: r["role"] for r in csv.DictReader(open(os.path.join(d, "labels_accounts.csv")))}
    txs = []
    with open(os.path.join(d, "transactions.csv")) as f:
        for r in csv.DictReader(f):
            # Amounts are compared, never summed: a decimal string to integer fen is exact.
            units, _, frac = r["amount"].partition(".")
            fen = int(units) * 100 + int((frac + "00")[:2])
            txs.append((r["payer"], r["payee"], fen))
    return role, txs


def auc(pos, neg):
    """Probability that a random positive outranks a random negative (ties count half)."""
    allv = sorted([(v, 1) for v in pos] + [(v, 0) for v in neg])
    rank, i, rsum = 0, 0, 0.0
    while i < len(allv):
        j = i
        while j < len(allv) and allv[j][0] == allv[i][0]:
            j += 1
        avg = (i + 1 + j) / 2
        rsum += avg * sum(1 for k in range(i, j) if allv[k][1] == 1)
        i = j
    n1, n0 = len(pos), len(neg)
    return (rsum - n1 * (n1 + 1) / 2) / (n1 * n0) if n1 and n0 else float("nan")


def main(argv):
    d = argv[0]
    opts = dict(zip(argv[1::2], argv[2::2]))
    role, txs = load(d)
    bad = {a for a, r in role.items() if r != "normal"}
    pairs = defaultdict(int)
    for p, q, _ in txs:
        pairs[(p, q)] += 1
    normal_min = min(a for p, q, a in txs if p not in bad and q not in bad)
    shows = set()
    for (p, q), k in pairs.items():
        if k >= 2:
            shows |= {p, q}
    for p, q, a in txs:
        if a < normal_min:
            shows |= {p, q}
    active = bad & shows
    silent = bad - shows
    print(f"laundering accounts: {len(bad):,}; normal accounts: {len(role) - len(bad):,}")
    print(f"smallest payment between two normal accounts: {normal_min / 100:.2f}")
    print(f"normal accounts that show laundering: {len(shows - bad):,}")
    print(f"laundering accounts that show laundering: {len(active):,}; that do not: {len(silent):,} "
          f"({len(silent) / len(bad):.1%})")
    r = len(active) / len(bad)
    print(f"ceiling: finding all that show it and nothing else gives precision 1.000, recall {r:.3f}, "
          f"F1 {2 * r / (1 + r):.3f}")

    nbrs = defaultdict(set)
    for p, q, _ in txs:
        nbrs[p].add(q)
        nbrs[q].add(p)
    k = {a: sum(1 for b in nbrs[a] if b in shows) for a in role}
    quiet_normal = [k[a] for a in role if a not in bad and a not in shows]
    print(f"silent members vs normal accounts, neighbours that show laundering: ROC AUC "
          f"{auc([k[a] for a in silent], quiet_normal):.3f}")
    for t in (3, 4, 5, 6):
        hit = sum(1 for a in silent if k[a] >= t)
        fa = sum(1 for v in quiet_normal if v >= t)
        print(f"  >= {t} such neighbours: {hit} silent members, {fa} normal accounts "
              f"(precision {hit / max(hit + fa, 1):.3f})")

    if "--verdicts" in opts and "--labels" in opts:
        test = {r["account_id"]: r["role"] for r in csv.DictReader(open(opts["--labels"]))}
        flagged = {r["account_id"] for r in csv.DictReader(open(opts["--verdicts"])) if r["action"] != "none"}
        for name, group in (("show laundering", active), ("silent", silent)):
            g = [a for a in group if a in test]
            hit = sum(1 for a in g if a in flagged)
            print(f"verdicts, labelled accounts that {name}: {hit} of {len(g)} flagged "
                  f"(recall {hit / max(len(g), 1):.3f})")
        fa = sum(1 for a, r in test.items() if r == "normal" and a in flagged)
        tp = sum(1 for a in test if a in bad and a in flagged and a in active)
        print(f"verdicts, normal accounts flagged: {fa}; F1 counting only accounts that show "
              f"laundering: {2 * tp / (2 * tp + fa + sum(1 for a in active if a in test and a not in flagged)):.3f}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
