#!/usr/bin/env bash
# Concurrent syncs of one target are serialized by sync()'s advisory lock:
# three backends start a first sync of a missing target at once; one creates
# it and copies the window, the others wait, then find nothing new.  The
# target ends with every row of the window exactly once (compared with a
# direct scan of the foreign table over the logged window).
set -euo pipefail
: "${EMU_ZENDESK_PORT:?EMU_ZENDESK_PORT is not set}"
db=alf_t_sync_concurrent
tmp=$(mktemp -d)
cleanup() {
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
curl -sS --noproxy '*' "http://127.0.0.1:$EMU_ZENDESK_PORT/_emu/reset" >/dev/null
# latency makes the scans long enough to overlap
curl -sS --noproxy '*' "http://127.0.0.1:$EMU_ZENDESK_PORT/_emu/config?anchor=now&rate_limit_per_min=0&latency_ms=20" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<SQL
SET client_min_messages = warning;
CREATE EXTENSION auditlog_fdw;
CREATE SERVER zd FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zendesk', base_url 'http://127.0.0.1:$EMU_ZENDESK_PORT');
CREATE USER MAPPING FOR CURRENT_USER SERVER zd
  OPTIONS (email 'admin@example.com', api_token 'zd-test-token');
IMPORT FOREIGN SCHEMA audit FROM SERVER zd INTO public;
SQL
since=$(psql -X -At -d "$db" -c "SELECT now() - interval '31 days'")
for i in 1 2 3; do
    psql -X -At -v ON_ERROR_STOP=1 -d "$db" -c \
        "SELECT auditlog_fdw.sync('zendesk_audit', 'zd_store', max_window => '40 days', since => '$since')" \
        >"$tmp/out.$i" 2>&1 &
done
fail=0
wait || fail=1
added=()
for i in 1 2 3; do
    added+=("$(cat "$tmp/out.$i")")
done
echo "rows added by the three calls: ${added[*]}"
result=$(psql -X -At -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
WITH w AS (SELECT min(lower(time_window)) AS lo, max(upper(time_window)) AS hi FROM auditlog_fdw.sync_log),
     v AS MATERIALIZED (SELECT z.* FROM zendesk_audit z, w WHERE z.created_at >= w.lo AND z.created_at < w.hi)
SELECT format('%s rows, %s missing, %s extra, %s logged as added',
              (SELECT count(*) FROM zd_store),
              (SELECT count(*) FROM (TABLE v EXCEPT ALL TABLE zd_store) m),
              (SELECT count(*) FROM (TABLE zd_store EXCEPT ALL TABLE v) e),
              (SELECT sum(rows_added) FROM auditlog_fdw.sync_log));
SQL
)
echo "target: $result"
for a in "${added[@]}"; do
    [[ "$a" =~ ^[0-9]+$ ]] || { echo "a call failed: $a"; exit 1; }
done
total=$((added[0] + added[1] + added[2]))
nonzero=0
for a in "${added[@]}"; do [ "$a" != 0 ] && nonzero=$((nonzero + 1)); done
case "$result" in
"$total rows, 0 missing, 0 extra, $total logged as added") ;;
*) fail=1 ;;
esac
if [ "$nonzero" -ne 1 ] || [ "$total" -eq 0 ]; then
    echo "expected exactly one call to add rows"
    fail=1
fi
[ "$fail" -eq 0 ] && echo ok
exit "$fail"
