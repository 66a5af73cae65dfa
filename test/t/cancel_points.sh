#!/usr/bin/env bash
# statement_timeout ends a scan within a second where pg_regress cannot
# reach: (1) connecting to a port whose accept queue is full, so the SYN
# gets no answer (a listener that never accepts, its queue filled by its
# own connections), (2) waiting for the ZIA report slot
# while another backend holds it.  Each must end with SQLSTATE 57014.
set -euo pipefail
: "${EMU_ZSCALER_PORT:?EMU_ZSCALER_PORT is not set}"
PY=/usr/bin/python3
db=alf_t_cancel_points
tmp=$(mktemp -d)
emu() { curl -sS --noproxy '*' "http://127.0.0.1:$EMU_ZSCALER_PORT$1"; }
listener=
holder=
cleanup() {
    [ -n "$listener" ] && kill "$listener" 2>/dev/null || true
    [ -n "$holder" ] && kill "$holder" 2>/dev/null || true
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
    emu "/_emu/reset" >/dev/null 2>&1 || true    # no never-finishing reports for the next test
    rm -rf "$tmp"
}
trap cleanup EXIT

# the listener: never accepts; its own connections fill the accept queue,
# so the kernel drops further SYNs and curl stays in "connecting"
"$PY" - "$tmp/port" <<'EOF' &
import os, socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(0)
port = s.getsockname()[1]
fill = []
for _ in range(4):
    c = socket.socket()
    c.setblocking(False)
    c.connect_ex(("127.0.0.1", port))
    fill.append(c)
time.sleep(0.2)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(port))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(120)
EOF
listener=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
hang_port=$(cat "$tmp/port")

psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
emu "/_emu/reset" >/dev/null
emu "/_emu/config?anchor=now&records=100&report_delay_ms=600000&post_per_min=0&post_per_hour=0&req_per_sec=0&req_per_hour=0" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<SQL
CREATE EXTENSION auditlog_fdw;
CREATE SERVER hang FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zendesk', base_url 'http://127.0.0.1:$hang_port', timeout_ms '60000');
CREATE USER MAPPING FOR CURRENT_USER SERVER hang OPTIONS (email 'a@example.com', api_token 't');
CREATE SCHEMA h;
IMPORT FOREIGN SCHEMA audit LIMIT TO (zendesk_audit) FROM SERVER hang INTO h;
CREATE SERVER zs FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zscaler', base_url 'http://127.0.0.1:$EMU_ZSCALER_PORT', poll_interval_ms '50',
           report_timeout_ms '600000');
CREATE USER MAPPING FOR CURRENT_USER SERVER zs
  OPTIONS (username 'admin@example.com', password 'zia-test-password', api_key 'ZiaTestKey2026xyz');
IMPORT FOREIGN SCHEMA audit FROM SERVER zs INTO public;
SQL

fail=0
# timed_cancel NAME SQL: the statement under a 500 ms statement_timeout
# must fail with 57014 and end within 1.5 s
timed_cancel() {
    local name=$1 sql=$2 t0 t1 out
    t0=$(date +%s%3N)
    out=$(psql -X -At -d "$db" -v VERBOSITY=sqlstate -c "SET statement_timeout = '500ms'" -c "$sql" 2>&1 || true)
    t1=$(date +%s%3N)
    if [[ $out != *57014* ]] || [ $((t1 - t0)) -ge 1500 ]; then
        echo "$name: got '$out' after $((t1 - t0)) ms, expected 57014 within 1500 ms"
        fail=1
    else
        echo "$name: 57014 after $((t1 - t0)) ms"
    fi
}

timed_cancel "connecting (SYN unanswered)" "SELECT count(*) FROM h.zendesk_audit"

# another backend holds the ZIA report slot (its report never finishes)
psql -X -At -d "$db" -c "SET statement_timeout = '20s'" -c "SELECT count(*) FROM zscaler_audit" \
    >"$tmp/holder.out" 2>&1 &
holder=$!
for _ in $(seq 50); do
    emu "/_emu/log" | grep -q "POST /api/v1/auditlogEntryReport" && break
    sleep 0.1
done
timed_cancel "waiting for the ZIA report slot" "SELECT count(*) FROM zscaler_audit"
# the waiting backend never reached ZIA: still one report POST
posts=$(emu "/_emu/log" | grep -c "POST /api/v1/auditlogEntryReport" || true)
if [ "$posts" != 1 ]; then
    echo "expected 1 report POST while the slot was held, got $posts"
    fail=1
fi
psql -X -q -d "$db" -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = '$db' AND pid <> pg_backend_pid()" >/dev/null
wait "$holder" || true
holder=
exit $fail
