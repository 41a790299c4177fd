#!/usr/bin/env python3
"""Sluice's name scorer and nomenklatura's logic-v1 (OpenSanctions) side by side on the
watchman pair files: quality (accuracy, precision, recall; cross-script pairs reaching their
minimum score) and pair-scoring speed.

    python3 bench/nomenklatura_compare.py [--peers ../shared/data/peers] [--venv bench/.venv]

Installs nomenklatura into a virtualenv (bench/.venv by default, git-ignored) on first use,
then re-runs itself inside it. Sluice's scores come from
`cargo run --release -p sluice-screen --example quality -- DIR --scores`, with the half of
the cascade file each pair is in: Sluice is tuned on the `tuning` half only, so every figure
is reported for the tuning half, the held-out half and the whole file.
"""

import argparse
import csv
import os
import subprocess
import sys
import time
from pathlib import Path

NOMENKLATURA = "nomenklatura==4.17.4"
ROOT = Path(__file__).resolve().parent.parent


def ensure_venv(venv: Path, script: str = __file__) -> None:
    """Re-run `script` inside the virtualenv, creating it and installing nomenklatura if needed
    (bench/screen_compare.py uses it too)."""
    if Path(sys.prefix).resolve() == venv.resolve():
        return
    py = venv / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", NOMENKLATURA], check=True)
    os.execv(str(py), [str(py), script, *sys.argv[1:]])


def read_cascade(path: Path):
    with open(path, newline="", encoding="utf-8") as fh:
        return [
            (r["schema"], r["name1"], r["name2"], r["is_match"] == "true", float(r["score"] or 0))
            for r in csv.DictReader(fh)
        ]


def read_cross(path: Path):
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            q, e, m, _ = line.split(",", 3)
            out.append((q, e, float(m)))
    return out


def metrics(scored, threshold):
    tp = sum(1 for s, t in scored if s >= threshold and t)
    fp = sum(1 for s, t in scored if s >= threshold and not t)
    tn = sum(1 for s, t in scored if s < threshold and not t)
    fn = sum(1 for s, t in scored if s < threshold and t)
    acc = (tp + tn) / len(scored)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    return acc, prec, rec, tp, fp, tn, fn


def best(scored):
    cands = sorted({s for s, _ in scored} | {1.01})
    return max(((metrics(scored, t), t) for t in cands), key=lambda x: x[0][0])


def line(who, m, t):
    acc, prec, rec, tp, fp, tn, fn = m
    print(f"{who:<36} threshold {t:.4f}  accuracy {acc:.3f}  precision {prec:.3f}  recall {rec:.3f}"
          f"  (tp {tp} fp {fp} tn {tn} fn {fn})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--peers", default=str(ROOT.parent / "shared" / "data" / "peers"))
    ap.add_argument("--venv", default=str(ROOT / "bench" / ".venv"))
    ap.add_argument("--sluice-threshold", type=float, default=0.85)
    ap.add_argument("--rounds", type=int, default=5, help="timing rounds over the pairs")
    args = ap.parse_args()
    ensure_venv(Path(args.venv))

    from followthemoney import model
    from nomenklatura.matching import get_algorithm
    from nomenklatura.matching.types import ScoringConfig

    peers = Path(args.peers)
    cascade = read_cascade(peers / "watchman_cascade_name_pairs.csv")
    cross = read_cross(peers / "watchman_cross_script_pairs.csv")

    algo = get_algorithm("logic-v1")
    config = ScoringConfig.defaults()

    def entity(schema, name, n):
        e = model.make_entity(schema)
        e.id = f"e{n}"
        e.add("name", name)
        return e

    pairs = [(entity(s, a, 2 * i), entity(s, b, 2 * i + 1)) for i, (s, a, b, _, _) in enumerate(cascade)]
    nk = [(algo.compare(a, b, config).score, truth) for (a, b), (_, _, _, truth, _) in zip(pairs, cascade)]
    cross_pairs = [(entity("LegalEntity", q, 2 * i), entity("LegalEntity", e, 2 * i + 1)) for i, (q, e, _) in enumerate(cross)]
    nk_cross = [algo.compare(a, b, config).score for a, b in cross_pairs]

    # Speed: entities built once, as a screening service holds its list; the query side is
    # built per pair, like a new name arriving.
    t0 = time.perf_counter()
    n = 0
    for _ in range(args.rounds):
        for i, (s, a, b, _, _) in enumerate(cascade):
            algo.compare(entity(s, a, i), pairs[i][1], config)
            n += 1
    nk_rate = n / (time.perf_counter() - t0)

    out = subprocess.run(
        ["cargo", "run", "--release", "-q", "-p", "sluice-screen", "--example", "quality", "--", str(peers), "--scores"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    rows = list(csv.DictReader(out.splitlines()))
    sl = [(float(r["score"]), cascade[int(r["index"])][3]) for r in rows if r["file"] == "cascade"]
    # The split Sluice tunes on: `tuning` or `held-out` per pair (a hash of the two names).
    half = [r.get("half", "") for r in rows if r["file"] == "cascade"]
    sl_cross = [float(r["score"]) for r in rows if r["file"] == "cross"]
    speed = subprocess.run(
        ["cargo", "run", "--release", "-q", "-p", "sluice-screen", "--example", "quality", "--", str(peers)],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    sl_rate = next((float(l.split()[2]) for l in speed.splitlines() if l.startswith("pair scoring:")), float("nan"))

    wm = [(w, truth) for (_, _, _, truth, w) in cascade]
    for name, keep in [("tuning half", "tuning"), ("held-out half", "held-out"), ("all", None)]:
        pick = lambda xs: [x for x, h in zip(xs, half) if keep is None or h == keep]
        s_, n_, w_ = pick(sl), pick(nk), pick(wm)
        print(f"\nwatchman_cascade_name_pairs.csv, {name} ({len(s_)} pairs)")
        line("sluice at 0.85", metrics(s_, args.sluice_threshold), args.sluice_threshold)
        m, t = best(s_)
        line("sluice at its best threshold", m, t)
        line("nomenklatura logic-v1 at 0.70", metrics(n_, 0.70), 0.70)
        m, t = best(n_)
        line("nomenklatura logic-v1 at best", m, t)
        m, t = best(w_)
        line("watchman at its best threshold", m, t)
    print(f"\nwatchman_cross_script_pairs.csv ({len(cross)} pairs) reaching their minimum score:")
    print(f"  sluice       {sum(s >= m for s, (_, _, m) in zip(sl_cross, cross))}")
    print(f"  nomenklatura {sum(s >= m for s, (_, _, m) in zip(nk_cross, cross))}")
    print("\npair scoring, one thread (both names normalised and compared):")
    print(f"  sluice       {sl_rate:,.0f} pairs/s")
    print(f"  nomenklatura {nk_rate:,.0f} pairs/s   (ratio {sl_rate / nk_rate:,.0f}x)")


if __name__ == "__main__":
    main()
