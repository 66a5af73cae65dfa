#!/usr/bin/env bash
# test/run-tests.sh - build auditlog_fdw and run every test suite.
#
#   bash test/run-tests.sh          (as root on Debian 12; safe to run again)
#
# Phases (each timed):
#   deps         test/setup-deps.sh (apt only when something is missing)
#   build        make clean; make   (any "warning:" in the build log fails it)
#   install      make install
#   unit         make -C test/unit              -> "unit: N passed, M failed"
#   fuzz         test/fuzz/run.sh, ALF_FUZZ_SECONDS (default 15) per target
#                                               -> "fuzz: N passed, M failed"
#   selftest     test/emulator/selftest.py      -> "...: N passed, M failed" (if present)
#   servers      vendor emulator (test/emulator/emulator.py --port-file F) and a
#                throwaway cluster in a mktemp dir, run by the OS user "auditlog"
#                (Unix socket only, fsync off)
#   installcheck make installcheck (pg_regress as a root client)
#   t/*.sh       each extra test script, 1 test each (pass = exit 0)
# then everything is stopped and removed, and the last line printed is
#   tests: N passed, M failed
# Exit status is non-zero when anything failed, a phase aborted, or no test ran.
#
# Environment given to installcheck and test/t/*.sh:
#   PGHOST PGPORT PGUSER=postgres PGDATABASE=postgres   the throwaway cluster
#   EMU_ZENDESK_PORT EMU_KOREAI_PORT EMU_ZOHO_MAIL_PORT EMU_ZSCALER_PORT
#   EMU_RESOLVER_PORT                 emulator ports (only vendors it serves)
#   ALF_ROOT ALF_PGDATA ALF_SERVER_LOG ALF_EMU_LOG ALF_OS_USER PG_CONFIG
#   NO_PROXY=127.0.0.1,localhost      (http_proxy & co. are unset)
# Knobs:
#   ALF_KEEP_TMP=1      keep the cluster/log temp dir
#   ALF_NO_CLEAN=1      skip "make clean" before building
#   ALF_EMU_ARGS        extra emulator arguments (word-split), e.g. "--anchor now"
#   ALF_TIMEOUT         per-suite time limit in seconds (default 300)
#   ALF_SUITE_TIMEOUT   limit for all suites together, from the start (default 540)
#   ALF_QUICK="setup f1 f2" development loop: only these pg_regress files, and no
#                       fuzz, emulator selftest or test/t scripts (ALF_T="a.sh b.sh"
#                       runs just those test/t scripts); never used by .ci/run
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ALF_ROOT"

TIMEOUT=${ALF_TIMEOUT:-300}
DEADLINE=$(($(date +%s) + ${ALF_SUITE_TIMEOUT:-540}))
PASS=0
FAIL=0
FINISHED=0
RUN_RC=0
RUN_LIMIT=$TIMEOUT
SUMMARY=()

# record NAME PASSED FAILED [NOTE]
record() {
    PASS=$((PASS + $2))
    FAIL=$((FAIL + $3))
    SUMMARY+=("$(printf '  %-28s %4s passed, %s failed%s' "$1" "$2" "$3" "${4:+  ($4)}")")
}

# shellcheck disable=SC2317  # called from the EXIT trap in lib.sh
alf_on_exit_hook() {
    local rc=$1 line
    alf_print_timings
    if [ "${#SUMMARY[@]}" -gt 0 ]; then
        printf '\nresults:\n'
        for line in "${SUMMARY[@]}"; do printf '%s\n' "$line"; done
    fi
    if [ "$rc" -ne 0 ] && [ "$FAIL" -eq 0 ] && [ "$FINISHED" != 1 ]; then
        printf '\naborted (exit %s) before all tests ran; counted as a failure\n' "$rc"
        FAIL=1
    fi
    if [ "$((PASS + FAIL))" -eq 0 ]; then
        printf '\nno tests ran\n'
        ALF_EXIT_RC=1
    elif [ "$FAIL" -gt 0 ] && [ "$ALF_EXIT_RC" -eq 0 ]; then
        ALF_EXIT_RC=1
    fi
    printf 'tests: %d passed, %d failed\n' "$PASS" "$FAIL"
}
alf_cleanup_install

# run_logged LOG CMD...: run CMD with a time limit, output to the console and LOG;
# sets RUN_RC (124 = timed out) and never fails itself
run_logged() {
    local log=$1 limit left
    shift
    limit=$TIMEOUT
    left=$((DEADLINE - $(date +%s)))
    [ "$left" -lt "$limit" ] && limit=$left
    [ "$limit" -lt 1 ] && limit=1
    RUN_LIMIT=$limit
    RUN_RC=0
    timeout "$limit" "$@" </dev/null 2>&1 | tee "$log" || RUN_RC=${PIPESTATUS[0]}
}

rc_note() {
    case "$1" in
    0) ;;
    124) printf 'timed out after %ss' "$RUN_LIMIT" ;;
    *) printf 'exit %s' "$1" ;;
    esac
}

# parse_summary LOG REGEX: "N M" from the last "<x>: N passed, M failed" line, or nothing
parse_summary() {
    grep -E "$2" "$1" | tail -n 1 | sed -E 's/.*: *([0-9]+) passed, *([0-9]+) failed.*/\1 \2/' || true
}

# record_suite NAME LOG REGEX: record a suite that prints its own summary line
record_suite() {
    local name=$1 log=$2 re=$3 counts p f note
    counts=$(parse_summary "$log" "$re")
    note=$(rc_note "$RUN_RC")
    if [ -z "$counts" ]; then
        record "$name" 0 1 "no summary line${note:+; $note}"
        return
    fi
    read -r p f <<<"$counts"
    if [ "$RUN_RC" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
        note="$note, but no failure reported"
    fi
    record "$name" "$p" "$f" "$note"
}

# count pg_regress results, PG15 ("test x ... ok" / "... FAILED") and
# PG16+ TAP-like ("ok 1 - x" / "not ok 2 - x")
record_regress() {
    local log=$1 p f note
    p=$(grep -cE '\.\.\. ok( |$)|\.\.\. failed \(ignored\)|^ok [0-9]+ ' "$log" || true)
    f=$(grep -cE '\.\.\. FAILED|^not ok [0-9]+ ' "$log" || true)
    note=$(rc_note "$RUN_RC")
    if [ "$RUN_RC" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
        note="${note:+$note, }make installcheck failed without a failing test"
    fi
    record "pg_regress (installcheck)" "$p" "$f" "$note"
}

alf_mktemp_dir WORK
LOGS=$WORK/logs
mkdir -p "$LOGS"
# stale pg_regress output from an earlier run must not be shown as this run's
rm -rf results regression.diffs regression.out

# ---------------------------------------------------------------- deps
alf_phase_begin deps
alf_with_proxy bash test/setup-deps.sh </dev/null
alf_phase_end

# ---------------------------------------------------------------- build
alf_phase_begin build
[ -f Makefile ] || alf_die "no Makefile in $ALF_ROOT"
if [ "${ALF_NO_CLEAN:-0}" != 1 ]; then
    make clean >/dev/null 2>&1 || true
fi
if ! make -j"$(nproc)" </dev/null 2>&1 | tee "$LOGS/build.log"; then
    alf_die "make failed"
fi
if grep -n 'warning:' "$LOGS/build.log"; then
    alf_die "the build printed compiler warnings (see above); it must be warning-free"
fi
SUMMARY+=("$(printf '  %-28s ok (no warnings)' build)")
alf_phase_end

# ---------------------------------------------------------------- install
alf_phase_begin install
if ! make install </dev/null >"$LOGS/install.log" 2>&1; then
    cat "$LOGS/install.log"
    alf_die "make install failed (it needs root or write access to $("$PG_CONFIG" --pkglibdir))"
fi
alf_log "installed into $("$PG_CONFIG" --pkglibdir) and $("$PG_CONFIG" --sharedir)/extension"
alf_phase_end

# ---------------------------------------------------------------- unit
if [ -f test/unit/Makefile ] || [ -f test/unit/makefile ]; then
    alf_phase_begin unit
    run_logged "$LOGS/unit.log" make -C test/unit
    record_suite "unit (test/unit)" "$LOGS/unit.log" '^[[:space:]]*unit: *[0-9]+ passed, *[0-9]+ failed'
    alf_phase_end "$(rc_note "$RUN_RC")"
else
    alf_warn "test/unit/Makefile not found: unit tests skipped"
fi

# ---------------------------------------------------------------- fuzz
if [ -f test/fuzz/run.sh ] && [ -z "${ALF_QUICK:-}" ]; then
    alf_phase_begin fuzz
    run_logged "$LOGS/fuzz.log" bash test/fuzz/run.sh "${ALF_FUZZ_SECONDS:-15}"
    record_suite "fuzz (test/fuzz)" "$LOGS/fuzz.log" '^[[:space:]]*fuzz: *[0-9]+ passed, *[0-9]+ failed'
    alf_phase_end "$(rc_note "$RUN_RC")"
fi

# ---------------------------------------------------------------- emulator selftest
if [ -f test/emulator/selftest.py ] && [ -z "${ALF_QUICK:-}" ]; then
    alf_phase_begin selftest
    run_logged "$LOGS/selftest.log" "$ALF_PY" test/emulator/selftest.py
    record_suite "emulator selftest" "$LOGS/selftest.log" '^[[:space:]]*[A-Za-z0-9_. /-]+: *[0-9]+ passed, *[0-9]+ failed[[:space:]]*$'
    alf_phase_end "$(rc_note "$RUN_RC")"
fi

# ---------------------------------------------------------------- servers
alf_phase_begin servers
alf_os_user
if [ -f test/emulator/emulator.py ]; then
    # shellcheck disable=SC2086  # ALF_EMU_ARGS is a word list on purpose
    alf_emu_start "$LOGS/emulator.ports" "$LOGS/emulator.log" ${ALF_EMU_ARGS:-}
    export ALF_EMU_LOG="$LOGS/emulator.log"
else
    alf_warn "test/emulator/emulator.py not found: no emulator, EMU_*_PORT not set"
fi
PGDIR=$WORK/pg
alf_cluster_init "$PGDIR" "$(free_port)"
# most tests turn the emulator's vendor limits off, so the request budgets
# are off too; sql/budget.sql and test/t/budget_shared.sh turn them on
echo "auditlog_fdw.request_budgets = off" >>"$PGDIR/data/postgresql.conf"
ALF_CLUSTERS+=("$PGDIR")
alf_cluster_start "$PGDIR"
alf_cluster_env "$PGDIR"
export ALF_PGDATA="$PGDIR/data" ALF_SERVER_LOG="$PGDIR/server.log" ALF_OS_USER
psql -X -q -At -c 'select version()' </dev/null
alf_log "cluster: PGHOST=$PGHOST PGPORT=$PGPORT (server runs as $ALF_OS_USER)"
alf_phase_end

# ---------------------------------------------------------------- installcheck
alf_phase_begin installcheck
rm -rf results regression.diffs regression.out
if [ -n "${ALF_QUICK:-}" ]; then
    run_logged "$LOGS/installcheck.log" make installcheck REGRESS="$ALF_QUICK"
else
    run_logged "$LOGS/installcheck.log" make installcheck
fi
record_regress "$LOGS/installcheck.log"
alf_phase_end "$(rc_note "$RUN_RC")"

# ---------------------------------------------------------------- test/t/*.sh
shopt -s nullglob
tscripts=(test/t/*.sh)
shopt -u nullglob
if [ -n "${ALF_QUICK:-}" ]; then
    tscripts=()
    for t in ${ALF_T:-}; do tscripts+=("test/t/$t"); done
fi
if [ "${#tscripts[@]}" -gt 0 ]; then
    alf_phase_begin "t/*.sh"
    for t in "${tscripts[@]}"; do
        printf '\n--- %s\n' "$t"
        t0=$(alf_now_ms)
        run_logged "$LOGS/$(basename "$t").log" bash "$t"
        dt=$(($(alf_now_ms) - t0))
        if [ "$RUN_RC" -eq 0 ]; then
            record "$t" 1 0 "$(alf__fmt_ms "$dt")"
        else
            record "$t" 0 1 "$(rc_note "$RUN_RC"), $(alf__fmt_ms "$dt")"
        fi
    done
    alf_phase_end
fi

# ---------------------------------------------------------------- stop
alf_phase_begin stop
alf_emu_stop
alf_cluster_stop "$PGDIR"
alf_phase_end

FINISHED=1
if [ "$FAIL" -gt 0 ] || [ "$((PASS + FAIL))" -eq 0 ]; then
    exit 1
fi
exit 0
