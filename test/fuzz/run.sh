#!/usr/bin/env bash
# test/fuzz/run.sh - build the libFuzzer targets and run each for a while.
#
#   bash test/fuzz/run.sh [SECONDS]     SECONDS per target (default 15)
#   bash test/fuzz/run.sh 600           the longer run
#
# Each target first replays its known findings (test/fuzz/crashes/<target>/,
# inputs that once failed and must keep passing), then fuzzes for SECONDS
# from its seed corpus (test/fuzz/corpus/<target>/, read only) plus a work
# corpus, with its dictionary (<name>.dict) where there is one.  Up to two
# targets run at a time (the machine has 2 cores).  One test per target: it
# passes when nothing crashed, leaked, hit a sanitizer, a failed property,
# a 10 s input or 2 GB of memory.  The last line is
#   fuzz: N passed, M failed
# and the exit status is non-zero when any target failed.  A failing input
# is kept in test/fuzz/artifacts/ (git-ignored), and the log says how to
# replay it.
#
# Environment:
#   FUZZ_TARGETS   space-separated subset of targets (default: all)
#   FUZZ_JOBS      targets run at the same time (default: 2, at most nproc)
#   FUZZ_KEEP=1    keep the work corpora and logs (printed at the end); to add
#                  what a long run found to the seeds:
#                  test/fuzz/build/<t> -merge=1 test/fuzz/corpus/<t> <work dir>/<t>
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SECONDS_PER_TARGET=${1:-15}
case "$SECONDS_PER_TARGET" in
'' | *[!0-9]*) echo "usage: $0 [seconds-per-target]" >&2; exit 2 ;;
esac
TARGETS=${FUZZ_TARGETS:-fuzz_csv_reader fuzz_csv_header fuzz_timeparse fuzz_zia_obfuscate fuzz_json_page}
JOBS=${FUZZ_JOBS:-2}
ncpu=$(nproc 2>/dev/null || echo 1)
[ "$JOBS" -gt "$ncpu" ] && JOBS=$ncpu
[ "$JOBS" -lt 1 ] && JOBS=1

echo "==> building fuzz targets"
if ! make -C "$HERE" >"$HERE/build.log" 2>&1; then
    cat "$HERE/build.log"
    echo "fuzz: build failed"
    echo "fuzz: 0 passed, 1 failed"
    exit 1
fi

WORK=$(mktemp -d /tmp/alf-fuzz.XXXXXX)
if [ "${FUZZ_KEEP:-0}" != 1 ]; then
    trap 'rm -rf "$WORK"' EXIT
fi
ARTIFACTS=$HERE/artifacts
mkdir -p "$ARTIFACTS"

# run_target T: replay T's known findings, then fuzz it; status 0 = pass
run_target() {
    local t=$1 bin=$HERE/build/$1 log=$WORK/$1.log args=() crashes=() rc
    mkdir -p "$WORK/$t"
    args=(-max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048
        -artifact_prefix="$ARTIFACTS/$t-" -print_final_stats=1)
    [ -f "$HERE/${t#fuzz_}.dict" ] && args+=(-dict="$HERE/${t#fuzz_}.dict")
    {
        shopt -s nullglob
        crashes=("$HERE/crashes/$t"/*)
        shopt -u nullglob
        if [ "${#crashes[@]}" -gt 0 ]; then
            echo "replaying ${#crashes[@]} known findings"
            "$bin" -timeout=10 "${crashes[@]}" || return 1
        fi
        # a hard limit well past -max_total_time, in case libFuzzer hangs
        timeout $((SECONDS_PER_TARGET + 120)) "$bin" "${args[@]}" "$WORK/$t" "$HERE/corpus/$t"
    } >"$log" 2>&1
    rc=$?
    return $rc
}

declare -A PIDS=()
PASSED=0
FAILED=0
START=$(date +%s)

# finish PID: collect one finished target
finish() {
    local pid=$1 t=${PIDS[$1]} rc=0 stats
    wait "$pid" || rc=$?
    unset "PIDS[$pid]"
    stats=$(grep -E '^stat::number_of_executed_units' "$WORK/$t.log" | awk '{print $2}')
    if [ "$rc" -eq 0 ]; then
        PASSED=$((PASSED + 1))
        printf '  %-22s ok   (%s runs in %s s)\n' "$t" "${stats:-?}" "$SECONDS_PER_TARGET"
    else
        FAILED=$((FAILED + 1))
        printf '  %-22s FAILED (exit %s)\n' "$t" "$rc"
        echo "---- $t log (tail)"
        grep -vE '^#[0-9]+' "$WORK/$t.log" | tail -n 40
        ls -t "$ARTIFACTS/$t-"* 2>/dev/null | head -n 1 | while read -r a; do
            echo "---- input kept in $a; replay with: $HERE/build/$t $a"
        done
    fi
}

echo "==> fuzzing ${SECONDS_PER_TARGET} s per target, $JOBS at a time"
for t in $TARGETS; do
    if [ ! -x "$HERE/build/$t" ]; then
        printf '  %-22s FAILED (no such target)\n' "$t"
        FAILED=$((FAILED + 1))
        continue
    fi
    while [ "${#PIDS[@]}" -ge "$JOBS" ]; do
        wait -n 2>/dev/null || true
        for p in "${!PIDS[@]}"; do
            kill -0 "$p" 2>/dev/null || finish "$p"
        done
    done
    run_target "$t" &
    PIDS[$!]=$t
done
for p in "${!PIDS[@]}"; do finish "$p"; done

echo "==> fuzzing took $(($(date +%s) - START)) s"
[ "${FUZZ_KEEP:-0}" = 1 ] && echo "work corpora and logs kept in $WORK"
echo "fuzz: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
