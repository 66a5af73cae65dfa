#!/usr/bin/env bash
# bench/pushdown.sh - vendor requests per query shape (issue 10, target 3).
#
#   bash bench/pushdown.sh      (as root, after `make install`; about a minute)
#
# Starts its own throwaway cluster and emulator (data ending now, rate limits
# off, LATENCY_MS per request, default 50), then for each case prints the
# requests the emulator logged, by kind, and the wall time:
#   case=NAME vendor=V list=N report=N poll=N download=N other=N rows=R seconds=S
# (other: logins, logouts and token requests)
# Cases: a 1-hour window (over a month of 20,000 records on Zendesk, Kore.ai and
# Zoho; six months on ZIA and Resolver), LIMIT 10, and a join on actor_id with
# 5 and with 50,000 local rows (the plan the planner chose is printed too).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../test/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ALF_ROOT"
LATENCY_MS=${LATENCY_MS:-50}
bench_cluster
alf_emu_start "$BENCH/ports" "$BENCH/emu.log" --anchor now
emu() { curl -fsS --noproxy '*' "http://127.0.0.1:$1$2"; }

emu "$EMU_ZENDESK_PORT" "/_emu/config?rate_limit_per_min=0&records=20000&latency_ms=$LATENCY_MS" >/dev/null
emu "$EMU_KOREAI_PORT" "/_emu/config?rate_limit_per_min=0&rate_limit_per_hour=0&records=20000&latency_ms=$LATENCY_MS" >/dev/null
emu "$EMU_ZOHO_MAIL_PORT" "/_emu/config?rate_limit_per_min=0&records=20000&latency_ms=$LATENCY_MS" >/dev/null
emu "$EMU_ZSCALER_PORT" "/_emu/config?report_delay_ms=0&post_per_min=0&post_per_hour=0&req_per_sec=0&req_per_hour=0&latency_ms=$LATENCY_MS" >/dev/null
emu "$EMU_RESOLVER_PORT" "/_emu/config?job_delay_ms=0&latency_ms=$LATENCY_MS" >/dev/null

psql -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION auditlog_fdw;
$(bench_paging_servers_sql)
CREATE SERVER zs FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zscaler', base_url 'http://127.0.0.1:$EMU_ZSCALER_PORT', poll_interval_ms '10');
CREATE USER MAPPING FOR CURRENT_USER SERVER zs
  OPTIONS (username 'admin@example.com', password 'zia-test-password', api_key 'ZiaTestKey2026xyz');
CREATE SERVER rs FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'resolver', base_url 'http://127.0.0.1:$EMU_RESOLVER_PORT', poll_interval_ms '10',
           epoch_unit 's');
CREATE USER MAPPING FOR CURRENT_USER SERVER rs OPTIONS (api_token 'rslv-test-token');
IMPORT FOREIGN SCHEMA audit FROM SERVER zd INTO public;
IMPORT FOREIGN SCHEMA audit FROM SERVER kore INTO public;
IMPORT FOREIGN SCHEMA audit FROM SERVER zoho INTO public;
IMPORT FOREIGN SCHEMA audit FROM SERVER zs INTO public;
IMPORT FOREIGN SCHEMA audit FROM SERVER rs INTO public;
-- five actors that exist, and 50,000 ids including them
CREATE TABLE few_actors AS
  SELECT DISTINCT actor_id AS id FROM zendesk_audit WHERE actor_id > 0 ORDER BY 1 LIMIT 5;
CREATE TABLE many_actors AS
  SELECT id FROM few_actors UNION ALL SELECT g::bigint FROM generate_series(1, 49995) g;
ANALYZE few_actors;
ANALYZE many_actors;
SQL

# run NAME VENDOR PORTVAR SQL: clear the emulator's log, run SQL (its one
# value is the row count), then count the logged API requests by kind
run() {
    local name=$1 vendor=$2 port=$3 sql=$4 t0 t1 rows
    emu "$port" "/_emu/log?clear=1" >/dev/null
    t0=$(alf_now_ms)
    rows=$(psql -X -q -At -v ON_ERROR_STOP=1 -c "$sql")
    t1=$(alf_now_ms)
    emu "$port" "/_emu/log" | awk -v name="$name" -v vendor="$vendor" -v rows="$rows" \
        -v ms=$((t1 - t0)) '
        /GET \/api\/v2\/audit_logs|GET \/api\/public\/auditlogs|GET \/api\/organization\/[0-9]+\/activity/ { list++; next }
        /POST \/api\/v1\/auditlogEntryReport|POST \/audit\/user\/export/ { report++; next }
        /GET \/api\/v1\/auditlogEntryReport($| )|GET \/object\/job\// { poll++; next }
        /auditlogEntryReport\/download|GET \/signed\// { download++; next }
        { other++ }
        END { printf "case=%s vendor=%s list=%d report=%d poll=%d download=%d other=%d rows=%s seconds=%.2f\n",
                     name, vendor, list, report, poll, download, other, rows, ms / 1000 }'
}

HOUR="now() - interval '1 hour'"
run window_1h zendesk "$EMU_ZENDESK_PORT" "SELECT count(*) FROM zendesk_audit WHERE created_at >= $HOUR"
run window_1h koreai "$EMU_KOREAI_PORT" "SELECT count(*) FROM koreai_audit WHERE date_time >= $HOUR"
run window_1h zoho_mail "$EMU_ZOHO_MAIL_PORT" "SELECT count(*) FROM zoho_mail_audit WHERE request_time >= $HOUR"
run window_1h zscaler "$EMU_ZSCALER_PORT" "SELECT count(*) FROM zscaler_audit WHERE time >= $HOUR"
run window_1h resolver "$EMU_RESOLVER_PORT" "SELECT count(*) FROM resolver_audit WHERE date_time >= $HOUR"
OLD="time >= now() - interval '150 days' AND time < now() - interval '150 days' + interval '1 hour'"
run window_1h_150d_back zscaler "$EMU_ZSCALER_PORT" "SELECT count(*) FROM zscaler_audit WHERE $OLD"
run window_1h_150d_back resolver "$EMU_RESOLVER_PORT" "SELECT count(*) FROM resolver_audit WHERE ${OLD//time/date_time}"
run full_month zendesk "$EMU_ZENDESK_PORT" "SELECT count(*) FROM zendesk_audit"
run limit_10 zendesk "$EMU_ZENDESK_PORT" "SELECT count(*) FROM (SELECT * FROM zendesk_audit LIMIT 10) s"
run limit_10_sorted zendesk "$EMU_ZENDESK_PORT" "SELECT count(*) FROM (SELECT * FROM zendesk_audit ORDER BY created_at DESC LIMIT 10) s"
run limit_10 koreai "$EMU_KOREAI_PORT" "SELECT count(*) FROM (SELECT * FROM koreai_audit LIMIT 10) s"
run limit_10 zoho_mail "$EMU_ZOHO_MAIL_PORT" "SELECT count(*) FROM (SELECT * FROM zoho_mail_audit LIMIT 10) s"
for outer in few_actors many_actors; do
    q="SELECT count(*) FROM $outer o JOIN zendesk_audit a ON a.actor_id = o.id"
    echo "plan for $outer: $(psql -X -q -At -c "EXPLAIN (COSTS OFF) $q" | tr '\n' ' ' | tr -s ' ')"
    run "join_$outer" zendesk "$EMU_ZENDESK_PORT" "$q"
done
