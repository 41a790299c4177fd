#!/usr/bin/env bash
# Daily operation, measured: the sweep runs once a day with `--state`, each run reading only
# that day's payments, and the inline engine decides every payment. What share of the crypto-
# related payments did the system stop while it ran, over the whole period and after a week of
# warm-up (the first day's operators are unknown to everyone on day one)?
#
#   bash bench/daily_operation.sh [SEED] [EVASION] [POPULATION] [DAYS]    # defaults 4 2 100000 14
#
# Evaluates every day's verdicts together (a restriction stays in force once applied).
# Trains a model on seeds 1 (evasion 2) and 6 (evasion 3), 7 days each, as the README's figures
# do; evaluates on SEED, which must be neither. Writes under $OUT (default
# /tmp/sluice-daily-operation) and prints `sluice eval` for the whole period and for the
# payments from day 8 on. Needs python3 only to split the payments into local days.
set -euo pipefail
SEED=${1:-4}
EVASION=${2:-2}
POP=${3:-100000}
DAYS=${4:-14}
OUT=${OUT:-/tmp/sluice-daily-operation}
cd "$(dirname "$0")/.."
cargo build --release --locked -q -p sluice
S=$PWD/target/release/sluice
mkdir -p "$OUT"

for tw in "1 2" "6 3"; do
  set -- $tw
  [ -f "$OUT/train-$1/labels_accounts.csv" ] ||
    "$S" simulate --population 100000 --days 7 --seed "$1" --evasion "$2" --out-dir "$OUT/train-$1" >/dev/null
done
[ -f "$OUT/model.json" ] || "$S" train --data "$OUT/train-1" --data "$OUT/train-6" --out "$OUT/model.json"

W=$OUT/world-$SEED-$EVASION-$POP-$DAYS
"$S" simulate --population "$POP" --days "$DAYS" --seed "$SEED" --evasion "$EVASION" --out-dir "$W" >/dev/null
"$S" replay --accounts "$W/accounts.csv" --transactions "$W/transactions.csv" --out "$W/decisions.ndjson" >/dev/null 2>"$W/replay.log"

# One file per local (China time) day: what a daily job would be handed.
rm -rf "$W/days" "$W/state"
mkdir -p "$W/days" "$W/state"
python3 - "$W/transactions.csv" "$W/days" <<'PY'
import datetime, sys
src, out = sys.argv[1], sys.argv[2]
files = {}
with open(src) as f:
    head = f.readline()
    for line in f:
        ts = line.split(",", 2)[1]
        t = datetime.datetime.fromisoformat(ts.replace("Z", "+00:00")) + datetime.timedelta(hours=8)
        d = t.date().isoformat()
        if d not in files:
            files[d] = open(f"{out}/{d}.csv", "w")
            files[d].write(head)
        files[d].write(line)
PY
start=$(date +%s)
verdicts=()
for day in $(ls "$W/days" | sort); do
  "$S" sweep --accounts "$W/accounts.csv" --transactions "$W/days/$day" --model "$OUT/model.json" \
    --state "$W/state" --out "$W/verdicts-$day" >/dev/null 2>"$W/sweep.log"
  verdicts+=(--verdicts "$W/verdicts-$day")
done
echo "$(ls "$W/days" | wc -l) daily sweeps in $(($(date +%s) - start)) s"

# Every day's verdicts: a restriction applied on day 3 is still in force on day 14, even if
# the account has gone quiet since and today's sweep no longer flags it.
ev() {
  "$S" eval "${verdicts[@]}" --labels "$W/labels_accounts.csv" --decisions "$W/decisions.ndjson" \
    --tx-labels "$W/labels_transactions.csv" --transactions "$W/transactions.csv" "$@"
}
echo "== whole period"
ev --report "$W/eval-all"
# Day 8 starts at local midnight: 16:00 UTC of the day before.
day8=$(ls "$W/days" | sort | sed -n 8p)
from=$(date -u -d "${day8%.csv} 00:00 +0800" +%Y-%m-%dT%H:%M:%SZ)
echo "== from day 8 ($from)"
ev --from "$from" --report "$W/eval-from-day-8"
