#!/usr/bin/env bash
# The sweep's speed goal, measured: 10M payments swept in <= 60 s with peak RSS <= 4 GiB on this
# 2-core machine, cost growing linearly with size. Simulates three worlds of about 1M, 3M and
# 10M payments (a week each; ~14.6 payments per account per week), sweeps each with the rule
# scorer and prints wall time, payments/s, peak RSS and seconds per million payments.
#
#   bash bench/sweep_scaling.sh [WORK_DIR]      # default /tmp/sluice-sweep-scaling
#
# Needs GNU time (/usr/bin/time). Runs on whatever else the machine is doing: run it quiet.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/sluice-sweep-scaling}
mkdir -p "$work"
cargo build --release --locked -q
bin=target/release/sluice
printf '%-10s %10s %12s %8s %10s %9s %10s\n' world accounts payments wall_s payments/s rss_MiB s_per_M
for pop in 68500 205000 685000; do
  d="$work/p$pop"
  if [ ! -s "$d/transactions.csv" ]; then
    "$bin" simulate --population "$pop" --days 7 --seed 42 --out-dir "$d" > /dev/null
  fi
  n=$(( $(wc -l < "$d/transactions.csv") - 1 ))
  /usr/bin/time -f '%e %M' -o "$d/time.txt" "$bin" sweep --accounts "$d/accounts.csv" \
    --transactions "$d/transactions.csv" --out "$d/verdicts.csv" 2> "$d/sweep.log"
  read -r wall rss < "$d/time.txt"
  awk -v p="$pop" -v n="$n" -v w="$wall" -v r="$rss" 'BEGIN {
    printf "%-10s %10d %12d %8.1f %10.0f %9.0f %10.2f\n", "p" p, p, n, w, n / w, r / 1024, w / (n / 1e6) }'
done
