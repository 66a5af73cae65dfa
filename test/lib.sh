# shellcheck shell=bash
# test/lib.sh - shared helpers for auditlog_fdw's test and demo scripts.
#
# Source it (". test/lib.sh"); it does not change shell options itself, the
# caller sets `set -euo pipefail`.  Everything here is bash, needs only
# coreutils, util-linux (runuser), passwd (useradd) and /usr/bin/python3.
#
# What it gives you:
#   ALF_ROOT                 repository root (absolute)
#   ALF_PY                   /usr/bin/python3 (python3 on PATH may be a pyenv shim)
#   alf_log / alf_warn / alf_die MSG
#   alf_now_ms               wall clock in milliseconds
#   alf_with_proxy CMD...    run CMD with the original http(s)_proxy settings
#   alf_phase_begin NAME / alf_phase_end [STATUS]   per-phase timings,
#   alf_print_timings        ... printed as a table
#   alf_pgbin                PostgreSQL bin dir (pg_config --bindir, else /usr/lib/postgresql/15/bin)
#   alf_os_user              create/use the unprivileged OS user that runs the server
#   alf_as_server CMD...     run CMD as that user
#   free_port                a free TCP port on 127.0.0.1
#   alf_port_in_use PORT     true if something listens on 127.0.0.1:PORT
#   alf_cluster_init DIR PORT [LISTEN]   initdb into DIR/data, socket dir DIR/sock
#   alf_cluster_start DIR    pg_ctl start (log in DIR/server.log)
#   alf_cluster_stop DIR     pg_ctl stop -m fast (no-op when not running)
#   alf_cluster_env DIR      export PGHOST/PGPORT/PGUSER/PGDATABASE for clients
#   alf_emu_start PORTFILE LOG [ARGS...]   start the vendor emulator in the background,
#                            wait for its port file, export EMU_<VENDOR>_PORT
#   alf_emu_stop             stop the emulator started by alf_emu_start
#   alf_mktemp_dir VAR       temp dir removed on exit, name stored in VAR
#   alf_cleanup_install      EXIT/INT/TERM trap: stop cluster(s) + emulator, show
#                            regression.diffs and log tails on failure, remove temp dirs
#
# Environment it honours:
#   PG_CONFIG       pg_config to use (default /usr/lib/postgresql/15/bin/pg_config;
#                   exported, so make and PGXS use the same one)
#   ALF_OS_USER     OS user for the server (default: auditlog)
#   ALF_KEEP_TMP=1  keep temporary directories (for debugging)
#
# Proxies: the backend inherits our environment and libcurl honours
# http_proxy/https_proxy, which would hijack requests to the local emulator.
# Sourcing this file unsets them and sets NO_PROXY for loopback.

# ---------------------------------------------------------------- basics

ALF_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ALF_PY=/usr/bin/python3
# runuser and useradd live in /usr/sbin, which `su` without `-` leaves off PATH
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH=$PATH:/usr/sbin:/sbin ;; esac
ALF_OS_USER=${ALF_OS_USER:-auditlog}
# /usr/bin/pg_config would pick the newest server-dev installed, not necessarily 15
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
export ALF_ROOT PG_CONFIG

# (kept in ALF_PROXY_ENV for alf_with_proxy: apt may need them)
ALF_PROXY_ENV=()
for _v in http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy ftp_proxy FTP_PROXY NO_PROXY no_proxy; do
    if [ -n "${!_v+set}" ]; then ALF_PROXY_ENV+=("$_v=${!_v}"); fi
done
unset _v
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy ftp_proxy FTP_PROXY
export NO_PROXY=127.0.0.1,localhost
export no_proxy=127.0.0.1,localhost
# keep the source tree free of __pycache__ from emulator runs
export PYTHONDONTWRITEBYTECODE=1

# alf_with_proxy CMD...: run CMD with the caller's original proxy settings
# (for apt-get inside test/setup-deps.sh)
alf_with_proxy() {
    env "${ALF_PROXY_ENV[@]}" "$@"
}

alf_log() { printf '==> %s\n' "$*"; }
alf_warn() { printf 'WARNING: %s\n' "$*" >&2; }
alf_die() {
    printf 'ERROR: %s\n' "$*" >&2
    exit 1
}

alf_now_ms() { date +%s%3N; }

# ---------------------------------------------------------------- timings

ALF_PHASE_NAMES=()
ALF_PHASE_MS=()
ALF_PHASE_STATUS=()
ALF_PHASE_CUR=
ALF_PHASE_T0=

# alf_phase_begin NAME: start timing a phase (ends any phase still open)
alf_phase_begin() {
    if [ -n "$ALF_PHASE_CUR" ]; then alf_phase_end; fi
    ALF_PHASE_CUR=$1
    ALF_PHASE_T0=$(alf_now_ms)
    printf '\n==> [%s]\n' "$1"
}

# alf_phase_end [STATUS]: close the open phase (STATUS defaults to "ok")
alf_phase_end() {
    [ -n "$ALF_PHASE_CUR" ] || return 0
    local t1 st=${1:-ok}
    t1=$(alf_now_ms)
    ALF_PHASE_NAMES+=("$ALF_PHASE_CUR")
    ALF_PHASE_MS+=("$((t1 - ALF_PHASE_T0))")
    ALF_PHASE_STATUS+=("$st")
    printf -- '--- [%s] %s in %s\n' "$ALF_PHASE_CUR" "$st" "$(alf__fmt_ms "$((t1 - ALF_PHASE_T0))")"
    ALF_PHASE_CUR=
}

alf__fmt_ms() { printf '%d.%03d s' "$(($1 / 1000))" "$(($1 % 1000))"; }

alf_print_timings() {
    local i total=0
    [ "${#ALF_PHASE_NAMES[@]}" -gt 0 ] || return 0
    printf '\ntimings:\n'
    for i in "${!ALF_PHASE_NAMES[@]}"; do
        printf '  %-22s %10s  %s\n' "${ALF_PHASE_NAMES[$i]}" \
            "$(alf__fmt_ms "${ALF_PHASE_MS[$i]}")" "${ALF_PHASE_STATUS[$i]}"
        total=$((total + ALF_PHASE_MS[i]))
    done
    printf '  %-22s %10s\n' total "$(alf__fmt_ms "$total")"
}

# ---------------------------------------------------------------- PostgreSQL

alf_pgbin() {
    local d
    if d=$("$PG_CONFIG" --bindir 2>/dev/null) && [ -x "$d/pg_ctl" ]; then
        printf '%s\n' "$d"
    else
        printf '%s\n' /usr/lib/postgresql/15/bin
    fi
}

# alf_os_user: make sure the unprivileged OS user exists (PostgreSQL refuses
# to run as root).  When not root, the server simply runs as the caller.
alf_os_user() {
    if [ "$(id -u)" -ne 0 ]; then
        ALF_OS_USER=$(id -un)
        return 0
    fi
    if ! id -u "$ALF_OS_USER" >/dev/null 2>&1; then
        alf_log "creating system user $ALF_OS_USER (nologin) to run the test server"
        useradd --system --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$ALF_OS_USER"
    fi
}

# alf_as_server CMD...: run CMD as the server's OS user
alf_as_server() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u "$ALF_OS_USER" -- "$@"
    else
        "$@"
    fi
}

free_port() {
    "$ALF_PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

alf_port_in_use() {
    "$ALF_PY" - "$1" <<'EOF'
import socket, sys
s = socket.socket()
s.settimeout(1)
try:
    s.connect(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
sys.exit(0)
EOF
}

# alf_cluster_init DIR PORT [LISTEN]: new cluster in DIR/data, socket in DIR/sock,
# log in DIR/server.log.  DIR is created if needed and given to the server user.
# LISTEN is listen_addresses ('' = Unix socket only, the default for tests).
alf_cluster_init() {
    local dir=$1 port=$2 listen=${3:-} pgbin
    pgbin=$(alf_pgbin)
    mkdir -p "$dir/sock"
    if [ "$(id -u)" -eq 0 ]; then chown -R "$ALF_OS_USER": "$dir"; fi
    alf_as_server "$pgbin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 \
        --locale=C --no-sync >"$dir/initdb.log" 2>&1 ||
        {
            cat "$dir/initdb.log" >&2
            alf_die "initdb failed in $dir/data"
        }
    cat >>"$dir/data/postgresql.conf" <<EOF

# ---- added by auditlog_fdw test/lib.sh (throwaway cluster)
port = $port
listen_addresses = '$listen'
unix_socket_directories = '$dir/sock'
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
}

# alf_cluster_start DIR: start the cluster, wait (60 s max) until it accepts connections
alf_cluster_start() {
    local dir=$1 pgbin
    pgbin=$(alf_pgbin)
    if ! alf_as_server "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null; then
        echo "==== $dir/server.log (tail)" >&2
        tail -n 40 "$dir/server.log" >&2 || true
        alf_die "could not start the PostgreSQL cluster in $dir"
    fi
}

# alf_cluster_stop DIR: fast shutdown; quiet no-op when not running
alf_cluster_stop() {
    local dir=$1 pgbin
    [ -f "$dir/data/postmaster.pid" ] || return 0
    pgbin=$(alf_pgbin)
    alf_as_server "$pgbin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
        alf_as_server "$pgbin/pg_ctl" -D "$dir/data" -m immediate -w -t 60 stop >/dev/null 2>&1 ||
        true
}

# alf_cluster_env DIR: export client settings for a running cluster
alf_cluster_env() {
    local dir=$1
    PGPORT=$(sed -n 4p "$dir/data/postmaster.pid")
    export PGHOST="$dir/sock" PGPORT PGUSER=postgres PGDATABASE=postgres
}

# ---------------------------------------------------------------- emulator

ALF_EMU_PID=
ALF_EMU_LOG=
ALF_EMU_VENDORS="zendesk koreai zoho_mail zscaler resolver"

# alf_emu_start PORTFILE LOG [ARGS...]: start test/emulator/emulator.py in the
# background (ARGS e.g. --anchor now), wait up to 10 s for PORTFILE, then export
# EMU_<VENDOR>_PORT for each `vendor=port` line.  Sets ALF_EMU_PID.
# Set ALF_EMU_DETACH=1 to start it under nohup (meant to outlive the script).
alf_emu_start() {
    local portfile=$1 log=$2 i line vendor port var
    shift 2
    local emu="$ALF_ROOT/test/emulator/emulator.py"
    [ -f "$emu" ] || alf_die "$emu not found"
    rm -f "$portfile"
    for vendor in $ALF_EMU_VENDORS; do unset "EMU_${vendor^^}_PORT"; done
    if [ "${ALF_EMU_DETACH:-0}" = 1 ]; then
        nohup "$ALF_PY" "$emu" --port-file "$portfile" "$@" </dev/null >"$log" 2>&1 &
    else
        "$ALF_PY" "$emu" --port-file "$portfile" "$@" </dev/null >"$log" 2>&1 &
    fi
    ALF_EMU_PID=$!
    ALF_EMU_LOG=$log
    for ((i = 0; i < 100; i++)); do
        # complete once non-empty and newline-terminated
        if [ -s "$portfile" ] && [ "$(tail -c 1 "$portfile" | od -An -c | tr -d ' ')" = '\n' ]; then
            break
        fi
        if ! kill -0 "$ALF_EMU_PID" 2>/dev/null; then
            echo "==== emulator log" >&2
            cat "$log" >&2 || true
            ALF_EMU_PID=
            alf_die "the emulator exited before writing $portfile"
        fi
        sleep 0.1
    done
    if ! [ -s "$portfile" ]; then
        echo "==== emulator log" >&2
        cat "$log" >&2 || true
        alf_die "the emulator did not write $portfile within 10 s"
    fi
    ALF_EMU_PORTS=
    while IFS= read -r line || [ -n "$line" ]; do
        line=${line%$'\r'}
        [[ $line =~ ^[[:space:]]*([A-Za-z0-9_]+)[[:space:]]*=[[:space:]]*([0-9]+)[[:space:]]*$ ]] || continue
        vendor=${BASH_REMATCH[1]}
        port=${BASH_REMATCH[2]}
        var="EMU_${vendor^^}_PORT"
        export "$var=$port"
        ALF_EMU_PORTS+="${ALF_EMU_PORTS:+ }$vendor=$port"
    done <"$portfile"
    [ -n "$ALF_EMU_PORTS" ] || alf_die "no vendor=port lines in $portfile"
    alf_log "emulator (pid $ALF_EMU_PID): $ALF_EMU_PORTS"
}

# alf_emu_stop [PID]: TERM, wait up to 5 s, then KILL
# shellcheck disable=SC2120  # PID is optional
alf_emu_stop() {
    local pid=${1:-$ALF_EMU_PID} i
    [ -n "$pid" ] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null || true   # 143 after TERM, 127 if not our child
    [ "$pid" = "$ALF_EMU_PID" ] && ALF_EMU_PID=
    return 0
}

# ---------------------------------------------------------------- cleanup

ALF_CLUSTERS=()   # cluster dirs to stop on exit
ALF_TMP_DIRS=()   # dirs to remove on exit (unless ALF_KEEP_TMP=1)
ALF_CLEANUP_ON_SUCCESS=1   # 0: leave cluster/emulator running when rc == 0 (demo)

# alf_mktemp_dir VAR: new temp dir (name stored in VAR, not printed: a command
# substitution would lose the registration), removed on exit, owned by the server user
alf_mktemp_dir() {
    local d
    # always under /tmp: the server user must reach it (a private TMPDIR may not
    # be) and Unix socket paths are limited to ~100 bytes
    d=$(mktemp -d /tmp/auditlog_fdw.XXXXXX)
    ALF_TMP_DIRS+=("$d")
    chmod 755 "$d"
    if [ "$(id -u)" -eq 0 ]; then
        alf_os_user # a fresh machine has no server user yet
        chown "$ALF_OS_USER": "$d"
    fi
    printf -v "$1" '%s' "$d"
}

# Hook for the caller, run last with the exit status as $1 (e.g. print a summary).
# It may set ALF_EXIT_RC to change the exit status.
alf_on_exit_hook() { :; }

alf__on_exit() {
    local rc=$? d
    set +e
    trap - EXIT INT TERM
    # output may be a closed pipe (`... | head`): keep cleaning up regardless
    trap '' PIPE HUP
    ALF_EXIT_RC=$rc
    if [ -n "$ALF_PHASE_CUR" ]; then
        if [ "$rc" -eq 0 ]; then alf_phase_end; else alf_phase_end "FAILED (exit $rc)"; fi
    fi
    if [ "$rc" -ne 0 ] || [ "$ALF_CLEANUP_ON_SUCCESS" = 1 ]; then
        alf_emu_stop
        for d in "${ALF_CLUSTERS[@]}"; do alf_cluster_stop "$d"; done
    fi
    if [ "$rc" -ne 0 ] || [ "${ALF_SHOW_DIAG:-0}" = 1 ]; then
        if [ "${ALF_SHOW_REGRESSION_DIFFS:-1}" = 1 ] && [ -s "$ALF_ROOT/regression.diffs" ]; then
            echo "==== regression.diffs"
            cat "$ALF_ROOT/regression.diffs"
        fi
        for d in "${ALF_CLUSTERS[@]}"; do
            if [ -s "$d/server.log" ]; then
                echo "==== $d/server.log (last 50 lines)"
                tail -n 50 "$d/server.log"
            fi
        done
        if [ -n "$ALF_EMU_LOG" ] && [ -s "$ALF_EMU_LOG" ]; then
            echo "==== emulator log (last 30 lines)"
            tail -n 30 "$ALF_EMU_LOG"
        fi
    fi
    if [ "${ALF_KEEP_TMP:-0}" = 1 ]; then
        for d in "${ALF_TMP_DIRS[@]}"; do echo "kept $d"; done
    else
        for d in "${ALF_TMP_DIRS[@]}"; do rm -rf "$d"; done
    fi
    alf_on_exit_hook "$rc"
    exit "$ALF_EXIT_RC"
}

# alf_cleanup_install: EXIT trap (INT/TERM/HUP/PIPE turn into exits so it runs too)
alf_cleanup_install() {
    trap alf__on_exit EXIT
    trap 'exit 129' HUP
    trap 'exit 130' INT
    trap 'exit 141' PIPE
    trap 'exit 143' TERM
}
