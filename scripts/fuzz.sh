#!/usr/bin/env bash
# Fuzzing: builds the libFuzzer targets with clang (ASan + UBSan, including
# float-cast-overflow) in build-fuzz/, then either replays every corpus or
# runs a campaign over every target.
#
#   scripts/fuzz.sh [SECONDS]   campaign: SECONDS per target (default 60),
#                               one target after another (FUZZ_JOBS=N runs N
#                               at once); prints executions per target, per
#                               second and per CPU second
#   scripts/fuzz.sh --replay    replays fuzz/corpus/NAME/* through each target
#                               once (what CI runs); fails on any crash
#
# Environment: FUZZ_TARGETS="tokenizer dataset" picks targets;
# FUZZ_RUNS=N ends each target after N executions (or SECONDS, first);
# FUZZ_TIMEOUT=S reports an input that runs over S seconds (default 10;
# raise it when the campaign shares a machine whose jobs may be paused);
# FUZZ_BUILD=DIR (default build-fuzz). A campaign grows a working corpus in
# DIR/corpus/NAME (seeded from fuzz/corpus/NAME; minimise new finds into the
# repository with `fuzz_NAME -merge=1 fuzz/corpus/NAME DIR/corpus/NAME`) and
# writes this campaign's crashes to DIR/crashes/NAME/. Needs clang and libclang-rt-dev
# (scripts/install-deps.sh --fuzz).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${FUZZ_BUILD:-build-fuzz}
mode=campaign
secs=60
case "${1:-}" in
--replay) mode=replay ;;
"") ;;
*[!0-9]* | 0)
  echo "usage: scripts/fuzz.sh [SECONDS] | --replay" >&2
  exit 2
  ;;
*) secs=$1 ;;
esac

if ! command -v clang >/dev/null; then
  echo "fuzz.sh: clang not found (scripts/install-deps.sh --fuzz installs it)" >&2
  exit 1
fi
CC=clang cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTP_FUZZ=ON -DTP_WERROR=ON \
  -DTP_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" --target fuzz_targets

targets=${FUZZ_TARGETS:-$(cd fuzz && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export TUNEPILOT_PRICING_DIR= OPENBLAS_NUM_THREADS=1

# Per-target limits: the longest input worth mutating (bytes). A dataset
# costs about a microsecond and a half per byte (every message is tokenized
# by two readers): 2 KiB holds dozens of short examples, which reach every
# check (fuzz/fuzz_dataset.c).
max_len() {
  case "$1" in
  tokenizer | litellm | pricing | scenario | framework) echo 16384 ;;
  dataset) echo 2048 ;;
  *) echo 8192 ;;
  esac
}

if [ "$mode" = replay ]; then
  fails=0
  total=0
  for t in $targets; do
    files=(fuzz/corpus/"$t"/*)
    if [ ! -e "${files[0]}" ]; then
      echo "fuzz.sh: fuzz/corpus/$t is empty" >&2
      fails=$((fails + 1))
      continue
    fi
    if "$build/fuzz/fuzz_$t" -runs=1 "${files[@]}" >"$build/replay_$t.log" 2>&1; then
      printf '%-22s %4d inputs ok\n' "$t" "${#files[@]}"
      total=$((total + ${#files[@]}))
    else
      echo "fuzz.sh: fuzz_$t failed on its corpus:" >&2
      tail -40 "$build/replay_$t.log" >&2
      fails=$((fails + 1))
    fi
  done
  echo "fuzz.sh: replayed $total inputs, $fails targets failed"
  [ "$fails" -eq 0 ]
  exit
fi

# campaign
jobs=${FUZZ_JOBS:-1}
runs=${FUZZ_RUNS:-}
mkdir -p "$build/logs"
run_one() {
  local t=$1 work="$build/corpus/$1" crashes="$build/crashes/$1/" TIMEFORMAT='%R %U %S'
  rm -rf "$crashes" # the last campaign's finds (fixed ones live in fuzz/corpus/)
  mkdir -p "$work" "$crashes"
  # wall, user and system seconds, then the load average at the end
  { time "$build/fuzz/fuzz_$t" "$work" "fuzz/corpus/$t" -max_total_time="$secs" ${runs:+-runs="$runs"} \
    -max_len="$(max_len "$t")" -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=3072 -print_final_stats=1 \
    -artifact_prefix="$crashes" >"$build/logs/$t.log" 2>&1 || true; } 2>"$build/logs/$t.time"
  cut -d' ' -f1 /proc/loadavg 2>/dev/null >>"$build/logs/$t.time" || true
}
running=0
for t in $targets; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

# exec/s is per second of wall clock; cpu-s is the target's user + system
# time and exec/cpu-s what a core gives it when it runs (on a busy machine a
# target gets a fraction of a core: compare exec/cpu-s); load: the 1-minute
# load average when it ended.
printf '%-22s %8s %12s %8s %8s %11s %8s %8s %6s\n' target seconds executions exec/s cpu-s exec/cpu-s \
  corpus crashes load
crashed=0
for t in $targets; do
  log="$build/logs/$t.log"
  n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  read -r wall user sys load < <(tr '\n' ' ' <"$build/logs/$t.time"; echo)
  rate=$(awk -v n="${n:-0}" -v w="${wall:-0}" 'BEGIN { printf "%.0f", (w > 0 ? n / w : 0) }')
  cpu=$(awk -v u="${user:-0}" -v s="${sys:-0}" 'BEGIN { printf "%.1f", u + s }')
  per=$(awk -v n="${n:-0}" -v u="${user:-0}" -v s="${sys:-0}" 'BEGIN { printf "%.0f", (u + s > 0 ? n / (u + s) : 0) }')
  c=$(find "$build/corpus/$t" -type f | wc -l)
  # slow-unit-* files are inputs that ran over libFuzzer's -report_slow_units
  # (10 s): a hint to look at, not a failure (a paused job writes them too)
  k=$(find "$build/crashes/$t" -type f ! -name 'slow-unit-*' | wc -l)
  slow=$(find "$build/crashes/$t" -type f -name 'slow-unit-*' | wc -l)
  [ "$slow" -gt 0 ] && echo "fuzz.sh: $t: $slow slow inputs in $build/crashes/$t/ (not counted as crashes)" >&2
  [ "$k" -gt 0 ] && crashed=$((crashed + 1))
  printf '%-22s %8.0f %12s %8s %8s %11s %8s %8s %6s\n' "$t" "${wall:-0}" "${n:-?}" "${rate:-?}" "$cpu" "$per" "$c" \
    "$k" "${load:-?}"
done
if [ "$crashed" -gt 0 ]; then
  echo "fuzz.sh: $crashed targets found crashes: see $build/crashes/ and $build/logs/" >&2
  exit 1
fi
