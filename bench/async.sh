#!/usr/bin/env bash
# bench/async.sh - asynchronous Append: a UNION ALL across vendors against
# the sum (and the slowest) of the single scans, with latency on every vendor.
#
#   bash bench/async.sh            (as root, after `make install`; ~1 minute)
#   ALF_BENCH_LATENCY_MS=50 ALF_BENCH_PAGES=20 bash bench/async.sh
#
# Own throwaway cluster and emulator (Zendesk, Kore.ai, Zoho Mail; rate
# limits off, pacing off, the given latency before every response).  Each
# vendor holds PAGES pages of records.  Prints one line per query with the
# median wall time of 3 runs, then the ratios:
#   union_async / sum_of_singles   (1.0 = no overlap; 1/3 = perfect)
#   union_async / slowest_single   (1.0 = "costs the slowest vendor")
# ZIA and Resolver (report flows) are not async-capable, so they are not in
# the union: their job polling would stall the other branches.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../test/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ALF_ROOT"
LAT=${ALF_BENCH_LATENCY_MS:-50}
PAGES=${ALF_BENCH_PAGES:-20}
bench_cluster
alf_emu_start "$BENCH/ports" "$BENCH/emu.log" --vendors zendesk,koreai,zoho_mail
emu() { curl -fsS --noproxy '*' "http://127.0.0.1:$1$2" >/dev/null; }
emu "$EMU_ZENDESK_PORT" "/_emu/config?rate_limit_per_min=0&records=$((PAGES * 100))&latency_ms=$LAT"
emu "$EMU_KOREAI_PORT" "/_emu/config?rate_limit_per_min=0&rate_limit_per_hour=0&records=$((PAGES * 100))&latency_ms=$LAT"
emu "$EMU_ZOHO_MAIL_PORT" "/_emu/config?rate_limit_per_min=0&records=$((PAGES * 200))&latency_ms=$LAT"

psql -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION auditlog_fdw;
$(bench_paging_servers_sql)
IMPORT FOREIGN SCHEMA audit FROM SERVER zd INTO public;
IMPORT FOREIGN SCHEMA audit FROM SERVER kore INTO public;
IMPORT FOREIGN SCHEMA audit FROM SERVER zoho INTO public;
-- three Zendesk servers on one emulator: every branch keeps its next page in flight
CREATE SERVER zd2 FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zendesk', base_url 'http://127.0.0.1:$EMU_ZENDESK_PORT');
CREATE USER MAPPING FOR CURRENT_USER SERVER zd2 OPTIONS (oauth_token 'zd-test-oauth');
CREATE SERVER zd3 FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zendesk', base_url 'http://127.0.0.1:$EMU_ZENDESK_PORT');
CREATE USER MAPPING FOR CURRENT_USER SERVER zd3 OPTIONS (oauth_token 'zd-test-oauth');
CREATE SCHEMA s2; CREATE SCHEMA s3;
IMPORT FOREIGN SCHEMA audit FROM SERVER zd2 INTO s2;
IMPORT FOREIGN SCHEMA audit FROM SERVER zd3 INTO s3;
CREATE VIEW zd_x3 AS
  SELECT created_at AS at FROM zendesk_audit
  UNION ALL SELECT created_at FROM s2.zendesk_audit
  UNION ALL SELECT created_at FROM s3.zendesk_audit;
CREATE VIEW all_events AS
  SELECT created_at AS at FROM zendesk_audit
  UNION ALL SELECT date_time FROM koreai_audit
  UNION ALL SELECT request_time FROM zoho_mail_audit;
SQL

# median of 3 runs of one query, in seconds, each in a fresh backend
timed() {  # timed SETTINGS QUERY
    local i t out=()
    for i in 1 2 3; do
        t=$(psql -X -q -At -v ON_ERROR_STOP=1 <<SQL
$1
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) AS n FROM ($2) q \gset
SELECT round(extract(epoch FROM clock_timestamp() - :'t0')::numeric, 3) || ' ' || :n;
SQL
)
        out+=("$t")
    done
    printf '%s\n' "${out[@]}" | sort -n | sed -n 2p
}
res() {  # res NAME SETTINGS QUERY -> prints and stores seconds in R_NAME
    local r
    r=$(timed "$2" "$3")
    printf '%-28s seconds=%s rows=%s\n' "$1" "${r% *}" "${r#* }"
    printf -v "R_$1" '%s' "${r% *}"
}
echo "latency_ms=$LAT pages_per_vendor=$PAGES ($(nproc) cores, $(uname -r), $(psql -X -At -c 'SHOW server_version'))"
res zendesk "" "SELECT created_at FROM zendesk_audit"
res koreai "" "SELECT date_time FROM koreai_audit"
res zoho_mail "" "SELECT request_time FROM zoho_mail_audit"
res union_sync "SET enable_async_append = off;" "SELECT * FROM all_events"
res union_async "" "SELECT * FROM all_events"
res zd_x3_sync "SET enable_async_append = off;" "SELECT * FROM zd_x3"
res zd_x3_async "" "SELECT * FROM zd_x3"
"$ALF_PY" - "$R_zendesk" "$R_koreai" "$R_zoho_mail" "$R_union_sync" "$R_union_async" \
    "$R_zd_x3_sync" "$R_zd_x3_async" <<'PY'
import sys
zd, kore, zoho, us, ua, x3s, x3a = map(float, sys.argv[1:])
s = zd + kore + zoho
print("three vendors: sum_of_singles=%.3f slowest_single=%.3f" % (s, max(zd, kore, zoho)))
print("  union_sync/sum=%.2f union_async/sum=%.2f union_async/slowest=%.2f"
      % (us / s, ua / s, ua / max(zd, kore, zoho)))
print("three Zendesk scans (prefetching): sum=%.3f" % (3 * zd))
print("  sync/sum=%.2f async/sum=%.2f async/single=%.2f" % (x3s / (3 * zd), x3a / (3 * zd), x3a / zd))
PY
