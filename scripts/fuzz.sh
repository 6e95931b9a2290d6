#!/bin/sh
# Fuzzes every parser of untrusted input (tests/fuzz/): configures ./build-fuzz once (clang,
# libFuzzer, AddressSanitizer + UndefinedBehaviorSanitizer), builds the targets, then for
# each target replays its corpus (tests/fuzz/corpus/<target>/: seeds and regression inputs
# of fixed findings) and fuzzes for SECONDS more.
#
#   ./scripts/fuzz.sh [SECONDS]         # default 60; 0 = only replay the corpora
#   FUZZ_TARGETS="config png" ./scripts/fuzz.sh 300
#
# Prints per target the inputs executed (libFuzzer's stat::number_of_executed_units) and
# the findings. A crash, hang (an input running longer than FUZZ_TIMEOUT seconds, default
# 25), leak or sanitizer report saves its input to tests/fuzz/crashes/<target>-... and makes
# the script exit 1; reproduce it with build-fuzz/tests/fuzz/fuzz_<target> FILE. Inputs
# that reach new code are kept in build-fuzz/corpus/<target>/ for the next run (the
# committed corpus stays as it is). Needs clang and libclang-rt-14-dev (install-deps.sh).
set -eu
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
TARGETS=${FUZZ_TARGETS:-"safetensors config tokenizer png video strings"}
TIMEOUT=${FUZZ_TIMEOUT:-25}
BUILD=build-fuzz

if [ ! -f $BUILD/build.ninja ]; then
  # buildtype debugoptimized: -O2 -g, so reports name lines. b_lundef=false: sanitized shared
  # libraries (none are built here, but meson checks) leave the runtime's symbols undefined.
  CC=clang CXX=clang++ meson setup $BUILD -Dfuzz=true -Dtests=false \
    --buildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false
fi
# Only the fuzz targets (and the parser sources they compile), not the rest of the project.
ninja -C $BUILD -j "${JOBS:-2}" fuzz

mkdir -p tests/fuzz/crashes $BUILD/tmp $BUILD/logs
# libtorch, OpenMP and FFmpeg: one thread each, so one fuzzer uses one core.
export OMP_NUM_THREADS=1
export TMPDIR="$PWD/$BUILD/tmp"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

status=0
summary=""
for t in $TARGETS; do
  work=$BUILD/corpus/$t
  mkdir -p "$work"
  log=$BUILD/logs/$t.log
  before=$(ls tests/fuzz/crashes | grep -v -- "-slow-unit-" | grep -c "^$t-" || true)
  if [ "$SECONDS_EACH" -gt 0 ]; then
    limit="-max_total_time=$SECONDS_EACH"
  else
    limit="-runs=0"
  fi
  dict=""
  [ -f tests/fuzz/$t.dict ] && dict="-dict=tests/fuzz/$t.dict"
  echo "== fuzz_$t: corpus tests/fuzz/corpus/$t, then ${SECONDS_EACH} s (log: $log)"
  start=$(date +%s)
  # shellcheck disable=SC2086
  if $BUILD/tests/fuzz/fuzz_$t "$work" "tests/fuzz/corpus/$t" $limit $dict \
      -timeout="$TIMEOUT" -rss_limit_mb=3072 -malloc_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="tests/fuzz/crashes/$t-" -close_fd_mask=1 >"$log" 2>&1; then
    result="ok"
  else
    result="FAILED"
    status=1
  fi
  took=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  # libFuzzer also saves its slowest input (slow-unit-...); that is no finding.
  after=$(ls tests/fuzz/crashes | grep -v -- "-slow-unit-" | grep -c "^$t-" || true)
  found=$((after - before))
  line=$(printf '%-12s %-6s %10s executions %4s s  %d new finding(s)' "$t" "$result" \
    "${execs:-?}" "$took" "$found")
  echo "$line"
  if [ "$result" != ok ]; then
    grep -E "^(SUMMARY|==[0-9]+==ERROR|==fuzz==|.*runtime error)|Test unit written" "$log" |
      head -n 5 | sed 's/^/    /'
  fi
  summary="$summary$line
"
done
echo "== fuzz summary (${SECONDS_EACH} s per target)"
printf '%s' "$summary"
exit $status
