#!/usr/bin/env bash
# `make soak`: does the suite hold on a busy machine? Runs `make test` SOAK_RUNS times in a row in
# this checkout while `make bench` loops beside it in a clone of HEAD (its own venv, so the two never
# share build outputs). Every run's exit status, time and last line go to $SOAK_DIR/summary.txt;
# the exit status is non-zero when any test run failed.
set -u
runs=${SOAK_RUNS:-5}
dir=${SOAK_DIR:-${TMPDIR:-/tmp}/agora-soak}
repo=$(git rev-parse --show-toplevel)
rm -rf "$dir" && mkdir -p "$dir"
git clone -q "$repo" "$dir/bench"
summary="$dir/summary.txt"
echo "soak of $(git -C "$repo" rev-parse --short HEAD): $runs x make test beside make bench ${BENCH:-}" | tee "$summary"

touch "$dir/bench.on"
(
  round=0
  while [ -f "$dir/bench.on" ]; do
    round=$((round + 1)); started=$(date +%s)
    make --no-print-directory -C "$dir/bench" bench BENCH="${BENCH:-}" > "$dir/bench_$round.log" 2>&1
    echo "bench $round rc=$? $(( $(date +%s) - started ))s" >> "$summary"
  done
) &
bench_loop=$!
trap 'rm -f "$dir/bench.on"; kill $bench_loop 2>/dev/null' EXIT

failed=0
for round in $(seq "$runs"); do
  started=$(date +%s)
  make --no-print-directory -C "$repo" test > "$dir/test_$round.log" 2>&1
  status=$?
  [ $status -eq 0 ] || failed=$((failed + 1))
  echo "test $round rc=$status $(( $(date +%s) - started ))s $(tail -1 "$dir/test_$round.log")" | tee -a "$summary"
done
rm -f "$dir/bench.on"
wait $bench_loop
echo "$((runs - failed)) of $runs test runs passed; logs in $dir" | tee -a "$summary"
[ $failed -eq 0 ]
