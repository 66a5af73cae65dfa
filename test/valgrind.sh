#!/usr/bin/env bash
# test/valgrind.sh - the pg_regress suite with every server process under
# valgrind memcheck, reporting memory errors and definite leaks.
#
#   flock /tmp/alf-suite.lock bash test/valgrind.sh     (it installs, like run-tests.sh)
#
# Builds and installs the extension, starts the vendor emulator and a
# throwaway cluster whose postmaster runs under valgrind (pg_ctl -p with a
# wrapper; forked backends stay under it), runs `make installcheck`, stops
# the cluster, then reads one valgrind log per process.  Suppressions:
# test/valgrind.supp (glibc, dlopen, libcurl/OpenSSL and stock-postgres
# noise; see the file).  Debian's postgres is not built with USE_VALGRIND,
# so errors inside palloc'd chunks are invisible; malloc-level errors (curl,
# jansson, csv_reader), invalid reads/writes, uninitialised jumps and
# definite leaks are seen.
#
# Output: every error report, then `valgrind: N processes, E with errors
# (A in auditlog_fdw code)` and the pg_regress result.  Exit status 1 when
# valgrind reported an error (pg_regress failures alone give 2: timing
# tests may fail under valgrind's ~20x slowdown; see the note printed).
# The logs are kept in $ALF_VALGRIND_OUT (default /tmp/alf-valgrind).
#
# Environment: as run-tests.sh (PG_CONFIG, ALF_OS_USER, ALF_KEEP_TMP), and
#   ALF_VALGRIND_OUT     where the per-process logs are copied
#   ALF_VALGRIND_ARGS    extra valgrind options (word-split)
#   ALF_VALGRIND_TIMEOUT limit for installcheck in seconds (default 1800)
#   REGRESS              a subset of the tests, e.g. REGRESS="setup zendesk_scan"
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ALF_ROOT"
alf_cleanup_install

OUT=${ALF_VALGRIND_OUT:-/tmp/alf-valgrind}
SUPP=$ALF_ROOT/test/valgrind.supp
command -v valgrind >/dev/null || alf_die "valgrind is not installed (apt-get install valgrind)"

alf_phase_begin build
bash test/setup-deps.sh </dev/null >/dev/null
make -j"$(nproc)" >/dev/null
make install >/dev/null
alf_phase_end

alf_phase_begin servers
alf_mktemp_dir WORK
alf_os_user
alf_emu_start "$WORK/emulator.ports" "$WORK/emulator.log"
export ALF_EMU_LOG="$WORK/emulator.log"
PGDIR=$WORK/pg
alf_cluster_init "$PGDIR" "$(free_port)"
# no autovacuum (noise, load); no JIT (LLVM under valgrind is slow and noisy)
cat >>"$PGDIR/data/postgresql.conf" <<'EOC'
autovacuum = off
jit = off
# as in run-tests.sh: the tests turn the emulator's limits off (budget.sql turns budgets on)
auditlog_fdw.request_budgets = off
EOC
mkdir -p "$WORK/vg"
PGBIN=$(alf_pgbin)
# shellcheck disable=SC2086  # ALF_VALGRIND_ARGS is a word list on purpose
cat >"$WORK/postgres-vg" <<EOS
#!/bin/sh
exec valgrind -q --suppressions=$SUPP --leak-check=full --show-leak-kinds=definite \\
    --errors-for-leak-kinds=definite --num-callers=30 --gen-suppressions=all \\
    ${ALF_VALGRIND_ARGS:-} --log-file=$WORK/vg/%p.log $PGBIN/postgres "\$@"
EOS
chmod 755 "$WORK/postgres-vg"
if [ "$(id -u)" -eq 0 ]; then chown -R "$ALF_OS_USER": "$WORK/vg" "$PGDIR"; fi
ALF_CLUSTERS+=("$PGDIR")
t0=$(alf_now_ms)
if ! timeout 300 runuser -u "$ALF_OS_USER" -- "$PGBIN/pg_ctl" -p "$WORK/postgres-vg" \
    -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 240 start >/dev/null; then
    tail -n 40 "$PGDIR/server.log" >&2 || true
    alf_die "the cluster did not start under valgrind"
fi
alf_cluster_env "$PGDIR"
export ALF_PGDATA="$PGDIR/data" ALF_SERVER_LOG="$PGDIR/server.log" ALF_OS_USER
alf_log "cluster under valgrind started in $(alf__fmt_ms $(($(alf_now_ms) - t0)))"
alf_phase_end

alf_phase_begin installcheck
rm -rf results regression.diffs regression.out
regress_rc=0
timeout "${ALF_VALGRIND_TIMEOUT:-1800}" make installcheck ${REGRESS:+REGRESS="$REGRESS"} </dev/null \
    2>&1 | tee "$WORK/installcheck.log" || regress_rc=${PIPESTATUS[0]}
alf_phase_end "exit $regress_rc"

alf_phase_begin stop
# a complete log (leak check) needs every process to exit normally
timeout 300 runuser -u "$ALF_OS_USER" -- "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w -t 240 stop \
    >/dev/null || alf_warn "fast shutdown failed; leak reports may be missing"
alf_emu_stop
alf_phase_end

rm -rf "$OUT"
mkdir -p "$OUT"
cp "$WORK"/vg/*.log "$OUT"/ 2>/dev/null || true
cp "$PGDIR/server.log" "$OUT/server.log.txt"
nproc_logs=$(find "$OUT" -name '*.log' | wc -l)
bad=()
ours=0
# a frame in our code: "(csv_reader.c:91)" (the .so has debug info) or "in .../auditlog_fdw.so"
ours_re="auditlog_fdw\\.so|[( ](auditlog_fdw|$(cd src && ls -- *.c vendors/*.c | sed 's|.*/||; s|\.c$||' | paste -sd'|'))\\.c:[0-9]"
for f in "$OUT"/*.log; do
    [ -s "$f" ] || continue
    bad+=("$f")
    if grep -qE "$ours_re" "$f"; then
        ours=$((ours + 1))
    fi
done
for f in "${bad[@]}"; do
    printf '\n==== %s\n' "$f"
    cat "$f"
done
printf '\nvalgrind: %d processes, %d with errors (%d in auditlog_fdw code); logs in %s\n' \
    "$nproc_logs" "${#bad[@]}" "$ours" "$OUT"
grep -E '^test |^ok |^not ok |tests? (passed|failed)|^ *[0-9]+ of [0-9]+ tests' "$WORK/installcheck.log" | tail -n 3 || true
if [ "${#bad[@]}" -gt 0 ]; then
    exit 1
fi
if [ "$regress_rc" -ne 0 ]; then
    echo "valgrind: clean, but pg_regress failed (exit $regress_rc); regression.diffs shows where"
    echo "(timing-dependent tests can fail under valgrind's slowdown)"
    ALF_SHOW_REGRESSION_DIFFS=0
    exit 2
fi
echo "valgrind: clean"
