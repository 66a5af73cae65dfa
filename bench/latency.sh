#!/usr/bin/env bash
# bench/latency.sh - latency hiding: concurrent sub-windows (src/chains.c).
#
#   bash bench/latency.sh        (as root, after `make install`; ~2 minutes)
#
# Own throwaway cluster and emulator; every API answer is delayed 50 ms
# (emulator latency_ms=50), the vendors' rate limits are off so no budget
# binds.  A 30-day window over 20k Zendesk records (200 pages of 100):
#   - plain sequential paging: a client walking the cursor chain, one
#     request after the other (Python urllib, no FDW);
#   - the extension at concurrency 1 (one chain, no prefetch), at the
#     vendor default, and at 4, 8 and 16; and at the default with the rows
#     in time order (ORDER BY pushed: sub-windows read in order);
# and the same window over 20k Kore.ai and Zoho Mail records through the
# extension at concurrency 1, 4 and 8 with their pacing off
# (min_request_interval_ms 0: their defaults pace requests to the vendors'
# rate limits, which hides latency by itself).  Prints one line per run:
#   vendor=V mode=M seconds=S rows=R ratio=S/baseline
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../test/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ALF_ROOT"
bench_cluster
alf_emu_start "$BENCH/ports" "$BENCH/emu.log" --vendors zendesk,koreai,zoho_mail
emu() { curl -fsS --noproxy '*' "http://127.0.0.1:$1$2" >/dev/null; }

RECORDS=${RECORDS:-20000}
LATENCY_MS=${LATENCY_MS:-50}
emu "$EMU_ZENDESK_PORT" "/_emu/config?rate_limit_per_min=0&records=$RECORDS&latency_ms=$LATENCY_MS"
emu "$EMU_KOREAI_PORT" "/_emu/config?rate_limit_per_min=0&rate_limit_per_hour=0&records=$RECORDS&latency_ms=$LATENCY_MS"
emu "$EMU_ZOHO_MAIL_PORT" "/_emu/config?rate_limit_per_min=0&records=$RECORDS&latency_ms=$LATENCY_MS"

# the dataset: the 30 days before the emulator's anchor
LO='2026-10-01T00:00:00Z'
HI='2026-11-01T00:00:00Z'

# plain sequential paging: the cursor chain, one request at a time
baseline=$(/usr/bin/python3 - "$EMU_ZENDESK_PORT" "$LO" "$HI" <<'PY'
import base64, json, sys, time, urllib.parse, urllib.request
port, lo, hi = sys.argv[1:]
auth = "Bearer zd-test-oauth"
params = [("filter[created_at][]", lo), ("filter[created_at][]", hi), ("page[size]", "100")]
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
t0, rows, cursor = time.monotonic(), 0, None
while True:
    q = params + ([("page[after]", cursor)] if cursor else [])
    req = urllib.request.Request("http://127.0.0.1:%s/api/v2/audit_logs?%s" % (port, urllib.parse.urlencode(q)),
                                 headers={"Authorization": auth})
    body = json.load(opener.open(req))
    rows += len(body["audit_logs"])
    if not body["meta"]["has_more"]:
        break
    cursor = body["meta"]["after_cursor"]
print("%.3f %d" % (time.monotonic() - t0, rows))
PY
)
base_s=${baseline% *}
echo "vendor=zendesk mode=sequential-paging seconds=$base_s rows=${baseline#* } ratio=1.00"

psql -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION auditlog_fdw;
$(bench_paging_servers_sql)
IMPORT FOREIGN SCHEMA audit LIMIT TO (zendesk_audit) FROM SERVER zd INTO public;
IMPORT FOREIGN SCHEMA audit LIMIT TO (koreai_audit) FROM SERVER kore INTO public;
IMPORT FOREIGN SCHEMA audit LIMIT TO (zoho_mail_audit) FROM SERVER zoho INTO public;
SQL

# run VENDOR TABLE COLUMN CONCURRENCY (empty: the vendor default) [BASE_SECONDS [ORDER]]
# ORDER (ASC or DESC): rows in time order, the ORDER BY pushed to the vendor
run() {
    local vendor=$1 table=$2 col=$3 conc=$4 base=${5:-} order=${6:-}
    local set='' unset='' label=${conc:-default}${6:+-order-$6}
    local q="SELECT $col FROM $table WHERE $col >= '$LO' AND $col <= '$HI'"
    [ -n "$order" ] && q="$q ORDER BY $col $order OFFSET 0"
    if [ -n "$conc" ]; then
        set="ALTER FOREIGN TABLE $table OPTIONS (ADD concurrency '$conc');"
        unset="ALTER FOREIGN TABLE $table OPTIONS (DROP concurrency);"
    fi
    psql -X -q -At -v ON_ERROR_STOP=1 <<SQL
$set
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) AS rows FROM ($q) s \gset
SELECT extract(epoch FROM clock_timestamp() - :'t0') AS secs \gset
SELECT format('vendor=%s mode=concurrency-%s seconds=%s rows=%s ratio=%s', '$vendor', '$label',
              round(:secs::numeric, 3), :rows,
              CASE WHEN '$base' = '' THEN '-' ELSE round(:secs::numeric / '${base:-1}'::numeric, 2)::text END);
$unset
SQL
}

for c in 1 '' 4 8 16; do run zendesk zendesk_audit created_at "$c" "$base_s"; done
run zendesk zendesk_audit created_at '' "$base_s" ASC
run zendesk zendesk_audit created_at '' "$base_s" DESC
kore1=$(run koreai koreai_audit date_time 1 | sed 's/.*seconds=\([^ ]*\).*/\1/')
echo "vendor=koreai mode=concurrency-1 seconds=$kore1 (baseline: one chain)"
for c in 4 8; do run koreai koreai_audit date_time "$c" "$kore1"; done
zoho1=$(run zoho_mail zoho_mail_audit request_time 1 | sed 's/.*seconds=\([^ ]*\).*/\1/')
echo "vendor=zoho_mail mode=concurrency-1 seconds=$zoho1 (baseline: one chain)"
for c in 4 8; do run zoho_mail zoho_mail_audit request_time "$c" "$zoho1"; done
echo "machine: nproc=$(nproc) kernel=$(uname -r) $(psql -X -At -c 'SELECT version()' | cut -d, -f1) date=$(date -u +%FT%TZ)"
