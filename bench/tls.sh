#!/usr/bin/env bash
# bench/tls.sh - connections and TLS handshakes across scans (issue 10,
# targets 5 and 7), against the emulator serving HTTPS with a throwaway CA.
#
#   bash bench/tls.sh              (as root, after `make install`; ~1 minute)
#   ALF_BENCH_SCANS=50 bash bench/tls.sh
#
# In one backend: SCANS small Zendesk scans (1 page each), then a nested loop
# whose parameterized inner scan runs once per each of SCANS outer rows.
# Counted by the emulator (`connections` = TLS handshakes, `requests`).
# The baseline is the same workload with the backend's cached connections
# dropped before every scan (an ALTER SERVER between scans), i.e. what every
# scan and rescan paid before the cache: one TCP + TLS handshake each.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../test/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ALF_ROOT"
SCANS=${ALF_BENCH_SCANS:-30}
bench_cluster
chmod 755 "$BENCH"
(
    cd "$BENCH"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
        -subj "/CN=auditlog_fdw bench CA" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj "/CN=localhost" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >srv.ext
    openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem \
        -days 2 -extfile srv.ext 2>/dev/null
    chmod 644 ./*.pem
)
alf_emu_start "$BENCH/ports" "$BENCH/emu.log" --vendors zendesk \
    --tls-cert "$BENCH/srv.pem" --tls-key "$BENCH/srv.key"
emu() { curl -fsS --noproxy '*' --cacert "$BENCH/ca.pem" "https://localhost:$EMU_ZENDESK_PORT$1"; }
emu "/_emu/config?rate_limit_per_min=0" >/dev/null
emu "/_emu/dump" >"$BENCH/dump.json"
actors=$("$ALF_PY" -c 'import json,sys; a=sorted({r["actor_id"] for r in json.load(open(sys.argv[1]))}); print(",".join(str(x) for x in a[:int(sys.argv[2])]))' "$BENCH/dump.json" "$SCANS")

psql -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION auditlog_fdw;
CREATE SERVER zd FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zendesk', base_url 'https://localhost:$EMU_ZENDESK_PORT', ca_file '$BENCH/ca.pem');
CREATE USER MAPPING FOR CURRENT_USER SERVER zd OPTIONS (oauth_token 'zd-test-oauth');
IMPORT FOREIGN SCHEMA audit FROM SERVER zd INTO public;
CREATE TABLE outer_rows AS SELECT unnest('{$actors}'::bigint[]) AS actor;
ANALYZE outer_rows;
SQL

run() {  # run NAME DROP_CACHE(0/1)
    local drop=$2 sql i t0 t1 stats
    emu "/_emu/reset" >/dev/null
    emu "/_emu/config?rate_limit_per_min=0" >/dev/null
    sql="SET enable_hashjoin = off; SET enable_mergejoin = off; SET enable_material = off;"$'\n'
    for ((i = 1; i <= SCANS; i++)); do
        [ "$drop" = 1 ] && sql+="ALTER SERVER zd OPTIONS (SET base_url 'https://localhost:$EMU_ZENDESK_PORT');"$'\n'
        sql+="SELECT count(*) FROM zendesk_audit WHERE created_at >= '2026-10-31';"$'\n'
    done
    t0=$(alf_now_ms)
    psql -X -q -At -v ON_ERROR_STOP=1 >/dev/null <<<"$sql"
    t1=$(alf_now_ms)
    stats=$(emu "/_emu/stats")
    printf '%-22s %d scans: %5d ms  %s\n' "$1" "$SCANS" $((t1 - t0)) "$stats"
    if [ "$drop" = 0 ]; then
        emu "/_emu/reset" >/dev/null
        emu "/_emu/config?rate_limit_per_min=0" >/dev/null
        t0=$(alf_now_ms)
        psql -X -q -At -v ON_ERROR_STOP=1 >/dev/null <<SQL
SET enable_hashjoin = off; SET enable_mergejoin = off; SET enable_material = off;
SELECT count(*) FROM outer_rows o JOIN zendesk_audit a ON a.actor_id = o.actor;
SQL
        t1=$(alf_now_ms)
        printf '%-22s %d rescans: %3d ms  %s\n' "nested_loop_cached" "$SCANS" $((t1 - t0)) "$(emu "/_emu/stats")"
    fi
}
echo "https, $(nproc) cores, $(uname -r), $(psql -X -At -c 'SHOW server_version')"
run cached 0
run new_connection_each 1
