#!/usr/bin/env bash
# test/demo.sh - try auditlog_fdw in one command.
#
#   bash test/demo.sh          install deps, build, install, start a demo cluster and
#                              the vendor emulator, run test/demo.sql, leave both running
#   bash test/demo.sh stop     stop both and remove the demo directory
#   bash test/demo.sh status   say whether the demo is running
#
# Run as root on Debian 12; safe to run again (a running demo is stopped first).
#
# What runs afterwards (until `bash test/demo.sh stop`):
#   * PostgreSQL 15 cluster in /var/tmp/auditlog_fdw_demo/data, run by the OS user
#     "auditlog", listening on 127.0.0.1:55432 and on a socket in
#     /var/tmp/auditlog_fdw_demo/sock; superuser "postgres", trust authentication
#     (loopback only: it is a throwaway demo, do not keep data in it)
#   * test/emulator/emulator.py --anchor now (so "last day" queries find rows) on
#     127.0.0.1: zendesk 18001, koreai 18002, zoho_mail 18003, zscaler 18004, resolver 18005
#
# Environment: PG_CONFIG (default /usr/lib/postgresql/15/bin/pg_config), ALF_OS_USER
# (default auditlog).  Ports and the directory are fixed (test/demo.sql names them).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ALF_ROOT"

DEMO_DIR=/var/tmp/auditlog_fdw_demo
DEMO_MARK=$DEMO_DIR/.auditlog_fdw_demo
DEMO_PGPORT=55432
DEMO_VENDORS=(zendesk koreai zoho_mail zscaler resolver)
declare -A DEMO_EMU_PORT=([zendesk]=18001 [koreai]=18002 [zoho_mail]=18003 [zscaler]=18004 [resolver]=18005)
PSQL_LINE="psql -h 127.0.0.1 -p $DEMO_PGPORT -U postgres postgres"

usage() {
    echo "usage: bash test/demo.sh [start|stop|status]" >&2
    exit 2
}

# true if PID is alive and is our emulator
is_emulator_pid() {
    [ -n "${1:-}" ] && [ -r "/proc/$1/cmdline" ] &&
        tr '\0' ' ' <"/proc/$1/cmdline" | grep -q 'emulator\.py'
}

demo_running() {
    local pid
    [ -f "$DEMO_DIR/data/postmaster.pid" ] && return 0
    pid=$(cat "$DEMO_DIR/emulator.pid" 2>/dev/null || true)
    is_emulator_pid "$pid"
}

demo_stop() {
    local pid quiet=${1:-}
    if [ -e "$DEMO_DIR" ] && ! [ -f "$DEMO_MARK" ]; then
        alf_die "$DEMO_DIR exists but was not made by test/demo.sh; not touching it"
    fi
    [ -d "$DEMO_DIR" ] || {
        [ -n "$quiet" ] || echo "demo: not running (no $DEMO_DIR)"
        return 0
    }
    pid=$(cat "$DEMO_DIR/emulator.pid" 2>/dev/null || true)
    if is_emulator_pid "$pid"; then
        alf_emu_stop "$pid"
        echo "demo: emulator (pid $pid) stopped"
    fi
    if [ -f "$DEMO_DIR/data/postmaster.pid" ]; then
        alf_cluster_stop "$DEMO_DIR"
        echo "demo: PostgreSQL on port $DEMO_PGPORT stopped"
    fi
    rm -rf "$DEMO_DIR"
    echo "demo: removed $DEMO_DIR"
}

# --port VENDOR=PORT for each vendor the emulator has (it rejects --port for a
# vendor it does not serve; vendors are added over time)
emu_fixed_port_args() {
    local v have
    have=$("$ALF_PY" -c 'import sys; sys.path.insert(0, sys.argv[1]); import vendors; print(" ".join(vendors.names()))' \
        test/emulator 2>/dev/null) || have="${DEMO_VENDORS[*]}"
    for v in "${DEMO_VENDORS[@]}"; do
        if [[ " $have " == *" $v "* ]]; then printf '%s\n' --port "$v=${DEMO_EMU_PORT[$v]}"; fi
    done
}

case "${1:-start}" in
stop)
    demo_stop
    exit 0
    ;;
status)
    if demo_running; then
        echo "demo: running ($PSQL_LINE)"
        cat "$DEMO_DIR/emulator.ports" 2>/dev/null || true
    else
        echo "demo: not running"
        exit 1
    fi
    exit 0
    ;;
start) ;;
*) usage ;;
esac

[ "$(id -u)" -eq 0 ] || alf_die "run the demo as root (it installs packages and the extension, and creates the OS user $ALF_OS_USER)"

# the trap stops what was started if anything below fails; on success both stay up
ALF_CLEANUP_ON_SUCCESS=0
ALF_SHOW_REGRESSION_DIFFS=0
alf_cleanup_install

alf_phase_begin deps
alf_with_proxy bash test/setup-deps.sh </dev/null
alf_phase_end

alf_phase_begin "stop old demo"
demo_stop quiet
for p in "$DEMO_PGPORT" "${DEMO_EMU_PORT[@]}"; do
    if alf_port_in_use "$p"; then
        alf_die "port $p on 127.0.0.1 is in use by another program; the demo needs ports $DEMO_PGPORT and 18001-18005"
    fi
done
alf_phase_end

alf_os_user
mkdir -p "$DEMO_DIR"
touch "$DEMO_MARK"
chmod 755 "$DEMO_DIR"
chown "$ALF_OS_USER": "$DEMO_DIR"

alf_phase_begin build
if ! make -j"$(nproc)" </dev/null >"$DEMO_DIR/build.log" 2>&1; then
    cat "$DEMO_DIR/build.log"
    alf_die "make failed"
fi
if ! make install </dev/null >>"$DEMO_DIR/build.log" 2>&1; then
    cat "$DEMO_DIR/build.log"
    alf_die "make install failed"
fi
alf_phase_end

alf_phase_begin servers
alf_cluster_init "$DEMO_DIR" "$DEMO_PGPORT" 127.0.0.1
ALF_CLUSTERS+=("$DEMO_DIR")
alf_cluster_start "$DEMO_DIR"
[ -f test/emulator/emulator.py ] || alf_die "test/emulator/emulator.py not found"
mapfile -t fixed_args < <(emu_fixed_port_args)
for v in "${DEMO_VENDORS[@]}"; do export "EMU_${v^^}_PORT=${DEMO_EMU_PORT[$v]}"; done
ALF_EMU_DETACH=1 alf_emu_start "$DEMO_DIR/emulator.ports" "$DEMO_DIR/emulator.log" \
    --anchor now "${fixed_args[@]}"
echo "$ALF_EMU_PID" >"$DEMO_DIR/emulator.pid"
for v in "${DEMO_VENDORS[@]}"; do
    var="EMU_${v^^}_PORT"
    if [ -n "${!var:-}" ] && [ "${!var}" != "${DEMO_EMU_PORT[$v]}" ]; then
        alf_die "the emulator serves $v on port ${!var}, but the demo needs ${DEMO_EMU_PORT[$v]} (emulator args: ${fixed_args[*]:-none})"
    fi
done
[ -n "${EMU_ZENDESK_PORT:-}" ] || alf_die "the emulator does not serve zendesk"
alf_phase_end

# from here on, a failing demo.sql leaves both servers up for a look around
ALF_CLUSTERS=()
ALF_EMU_PID=
ALF_EMU_LOG=

alf_phase_begin demo.sql
echo
PGCLIENTENCODING=UTF8 "$(alf_pgbin)/psql" -X -h 127.0.0.1 -p "$DEMO_PGPORT" -U postgres -d postgres \
    -v ON_ERROR_STOP=1 -f test/demo.sql </dev/null || {
    rc=$?
    echo "==== $DEMO_DIR/server.log (last 30 lines)"
    tail -n 30 "$DEMO_DIR/server.log"
    echo "==== $DEMO_DIR/emulator.log (last 20 lines)"
    tail -n 20 "$DEMO_DIR/emulator.log"
    echo
    echo "test/demo.sql failed (psql exit $rc); the demo servers are still running:"
    echo "    $PSQL_LINE"
    echo "stop them with:  bash test/demo.sh stop"
    exit "$rc"
}
alf_phase_end

cat <<EOF

============================================================================
 The demo is running.
   PostgreSQL 15 : 127.0.0.1:$DEMO_PGPORT (and socket $DEMO_DIR/sock), database postgres
   emulator      : $ALF_EMU_PORTS  (anchor: now)
   logs          : $DEMO_DIR/server.log  $DEMO_DIR/emulator.log

 Connect:
   $PSQL_LINE

 Stop and remove everything:
   bash test/demo.sh stop
============================================================================
EOF
