#!/usr/bin/env bash
# Alternates `./microgpt bench --json` and bench_microgpt.py at one size, ROUNDS times each, and
# prints every run's steps/s and the median of each, so that ratios come from runs that shared
# the machine's conditions.
#
#   microgpt-benchmarks/pytorch/compare.sh                       # the reference size, 3 rounds
#   ROUNDS=5 SECONDS_EACH=5 microgpt-benchmarks/pytorch/compare.sh --n-embd 256 --n-layer 4 --n-head 8 --block-size 64
#
# The Java side runs the array engine (add JAVA_ENGINE=value for the Value engine, at small
# sizes only); the PyTorch side runs once per precision given in DTYPES (default "f64 f32").
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
rounds="${ROUNDS:-3}"
seconds="${SECONDS_EACH:-3}"
dtypes="${DTYPES:-f64 f32}"
engine="${JAVA_ENGINE:-array}"
python="${PYTHON:-python3}"

declare -A rates
for ((round = 1; round <= rounds; round++)); do
  json="$("$repo/microgpt" bench --json --engine "$engine" --seconds "$seconds" "$@")"
  rate="$(printf '%s' "$json" | "$python" -c 'import json,sys; print(json.load(sys.stdin)["engines"][0]["stepsPerSecond"])')"
  echo "round $round  java-$engine  $rate steps/s"
  rates[java]+="$rate "
  for dtype in $dtypes; do
    json="$("$python" "$here/bench_microgpt.py" --dtype "$dtype" --seconds "$seconds" "$@")"
    rate="$(printf '%s' "$json" | "$python" -c 'import json,sys; print(json.load(sys.stdin)["engines"][0]["stepsPerSecond"])')"
    echo "round $round  pytorch-$dtype  $rate steps/s"
    rates[$dtype]+="$rate "
  done
done
median() { printf '%s\n' $1 | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
java_median="$(median "${rates[java]}")"
echo "median  java-$engine  $java_median steps/s"
for dtype in $dtypes; do
  m="$(median "${rates[$dtype]}")"
  echo "median  pytorch-$dtype  $m steps/s   java-$engine / pytorch-$dtype = $(awk -v a="$java_median" -v b="$m" 'BEGIN {printf "%.2f", a / b}')x"
done
