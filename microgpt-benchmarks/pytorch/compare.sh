#!/usr/bin/env bash
# Alternates `./microgpt bench --json --engine array` and bench_microgpt.py at one size, in each
# precision (and thread count) asked for, ROUNDS times: Java, then PyTorch, at the same settings,
# back to back. It prints every run's steps/s and share of peak, the ratio of each Java/PyTorch
# pair, and per setting the median of the pair ratios, so that every ratio comes from two runs
# that shared the machine's conditions.
#
#   microgpt-benchmarks/pytorch/compare.sh                       # the reference size, f64 and f32, 3 rounds
#   ROUNDS=5 SECONDS_EACH=5 microgpt-benchmarks/pytorch/compare.sh --n-embd 256 --n-layer 4 --n-head 8 --block-size 64
#   THREADS="1 2" PRECISIONS=f64 microgpt-benchmarks/pytorch/compare.sh --n-embd 256 --n-layer 4 --n-head 8 --block-size 64
#
# PRECISIONS (default "f64 f32"; DTYPES is accepted as its old name) and THREADS (default "1")
# are lists; every combination is measured in every round. Java's --threads splits one step of
# the array engine; PyTorch's --threads sets its intra-op threads. Both report steps/s of the wall
# clock: on a busy machine compare only the ratios printed here, never figures from another run.
# The remaining arguments (model options) go to both sides.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
rounds="${ROUNDS:-3}"
seconds="${SECONDS_EACH:-3}"
precisions="${PRECISIONS:-${DTYPES:-f64 f32}}"
threads_list="${THREADS:-1}"
python="${PYTHON:-python3}"

for p in $precisions; do
  case "$p" in f64|f32) ;; *) echo "compare.sh: unknown precision '$p' in PRECISIONS (f64 or f32)" >&2; exit 2 ;; esac
done
for t in $threads_list; do
  case "$t" in ''|*[!0-9]*|0) echo "compare.sh: THREADS must be positive integers, got '$t'" >&2; exit 2 ;; esac
done

# "steps/s share-of-peak" of the first entry of a bench's JSON object.
figures() {
  "$python" -c 'import json, sys
e = json.load(sys.stdin)["engines"][0]
print(e["stepsPerSecond"], e["shareOfPeak"])'
}

declare -A ratios
for ((round = 1; round <= rounds; round++)); do
  for p in $precisions; do
    for t in $threads_list; do
      # Captured first, so that a failing run stops the script (set -e) instead of giving an empty figure.
      json="$("$repo/microgpt" bench --json --engine array --precision "$p" --threads "$t" --seconds "$seconds" "$@")"
      read -r java java_share <<<"$(printf '%s' "$json" | figures)"
      json="$("$python" "$here/bench_microgpt.py" --dtype "$p" --threads "$t" --seconds "$seconds" "$@")"
      read -r torch torch_share <<<"$(printf '%s' "$json" | figures)"
      ratio="$(awk -v a="$java" -v b="$torch" 'BEGIN {printf "%.2f", a / b}')"
      printf 'round %d  %s, %s thread(s)  java %8s steps/s (%5.1f%% of peak)  pytorch %8s steps/s (%5.1f%% of peak)  java/pytorch %sx\n' \
        "$round" "$p" "$t" "$java" "$(awk -v s="$java_share" 'BEGIN {print 100 * s}')" \
        "$torch" "$(awk -v s="$torch_share" 'BEGIN {print 100 * s}')" "$ratio"
      ratios["$p/$t"]+="$ratio "
    done
  done
done
median() { printf '%s\n' $1 | sort -g | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
for p in $precisions; do
  for t in $threads_list; do
    echo "median of $rounds pair ratios, $p, $t thread(s): java/pytorch $(median "${ratios[$p/$t]}")x  (all: ${ratios[$p/$t]% })"
  done
done
