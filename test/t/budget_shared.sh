#!/usr/bin/env bash
# Request budgets shared by all backends: a cluster of its own with
# auditlog_fdw in shared_preload_libraries, and the suite's emulator.
#  1. max_requests_per_minute 12, emulator limit off: two backends scanning
#     the same server at once get 12 requests between them (per-backend
#     budgets would give 16), and a third session sees them in the view.
#  2. The default budget is the vendor's documented limit: Kore.ai's 60 a
#     minute on both sides (the emulator enforces its default limits), two
#     backends at once: exactly 60 requests, none refused.
#  3. A 429 with Retry-After 3 seen by one backend pauses the other: its
#     scan sends nothing within its 1 s statement_timeout.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
: "${EMU_ZENDESK_PORT:?EMU_ZENDESK_PORT is not set}"
: "${EMU_KOREAI_PORT:?EMU_KOREAI_PORT is not set}"
alf_cleanup_install
alf_mktemp_dir work
alf_cluster_init "$work/pg" "$(free_port)"
printf "%s\n" "shared_preload_libraries = 'auditlog_fdw'" "auditlog_fdw.request_budgets = on" >>"$work/pg/data/postgresql.conf"
ALF_CLUSTERS+=("$work/pg")
alf_cluster_start "$work/pg"
alf_cluster_env "$work/pg"

fail=0
check() {  # check WHAT GOT WANT
    if [ "$2" = "$3" ]; then
        echo "ok: $1 ($2)"
    else
        echo "FAILED: $1: got '$2', expected '$3'"
        fail=1
    fi
}
zd() { curl -sS --fail --noproxy '*' "http://127.0.0.1:$EMU_ZENDESK_PORT$1"; }
kore() { curl -sS --fail --noproxy '*' "http://127.0.0.1:$EMU_KOREAI_PORT$1"; }
q() { psql -X -At -v ON_ERROR_STOP=1 -c "$1"; }

psql -X -q -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" -c "CREATE EXTENSION auditlog_fdw" \
    -c "CREATE SERVER zd FOREIGN DATA WRAPPER auditlog_fdw
          OPTIONS (vendor 'zendesk', base_url 'http://127.0.0.1:$EMU_ZENDESK_PORT', page_size '5',
                   max_requests_per_minute '12', concurrency '8')" \
    -c "CREATE SERVER zd429 FOREIGN DATA WRAPPER auditlog_fdw
          OPTIONS (vendor 'zendesk', base_url 'http://127.0.0.1:$EMU_ZENDESK_PORT', max_retries '0')" \
    -c "CREATE SERVER kore FOREIGN DATA WRAPPER auditlog_fdw
          OPTIONS (vendor 'koreai', base_url 'http://127.0.0.1:$EMU_KOREAI_PORT', page_size '5',
                   min_request_interval_ms '0')" \
    -c "CREATE USER MAPPING FOR CURRENT_USER SERVER zd
          OPTIONS (email 'admin@example.com', api_token 'zd-test-token')" \
    -c "CREATE USER MAPPING FOR CURRENT_USER SERVER zd429
          OPTIONS (email 'admin@example.com', api_token 'zd-test-token')" \
    -c "CREATE USER MAPPING FOR CURRENT_USER SERVER kore
          OPTIONS (client_id 'cs-kore-test-client', client_secret 'kore-test-secret-0123456789')" \
    -c "CREATE SCHEMA zd" -c "CREATE SCHEMA zd429" -c "CREATE SCHEMA kore" \
    -c "IMPORT FOREIGN SCHEMA audit LIMIT TO (zendesk_audit) FROM SERVER zd INTO zd" \
    -c "IMPORT FOREIGN SCHEMA audit LIMIT TO (zendesk_audit) FROM SERVER zd429 INTO zd429" \
    -c "IMPORT FOREIGN SCHEMA audit LIMIT TO (koreai_audit) FROM SERVER kore INTO kore"
check "budgets are shared" "$(q "SELECT auditlog_fdw.budgets_shared()")" t

# two backends scan at once until done or statement_timeout ends their wait
scan_two() {  # scan_two TABLE TIMEOUT
    local i
    for i in 1 2; do
        psql -X -At -c "SET statement_timeout = '$2'" -c "SELECT count(*) FROM $1" \
            >"$work/scan.$i" 2>&1 &
    done
    wait
}
cancelled() { cat "$work/scan.1" "$work/scan.2" | grep -c 'canceling statement due to statement timeout' || true; }

# ---- 1. one budget for both backends (each would read 8 pages)
zd "/_emu/reset" >/dev/null
zd "/_emu/config?records=40&rate_limit_per_min=0" >/dev/null
scan_two zd.zendesk_audit 4s
zd "/_emu/log?clear=1" >"$work/zd.log"
check "requests of two backends under one budget of 12" "$(wc -l <"$work/zd.log")" 12
check "all answered 200" "$(grep -c '^200 ' "$work/zd.log" || true)" 12
check "scans stopped by the budget (at least one)" "$(($(cancelled) >= 1))" 1
check "view from a third session" \
    "$(q "SELECT limit_per_minute, requests_last_minute, shared, requests FROM auditlog_fdw.request_budgets WHERE server = 'zd'")" \
    "12|12|t|12"

# ---- 2. the default budget is the vendor's limit, never exceeded
kore "/_emu/reset" >/dev/null
kore "/_emu/config?records=400" >/dev/null
check "Kore.ai default budget = emulator's limit" \
    "$(q "SELECT limit_per_minute FROM auditlog_fdw.request_budgets WHERE server = 'kore'")" \
    "$(kore "/_emu/config" | "$ALF_PY" -c 'import json,sys; print(json.load(sys.stdin)["rate_limit_per_min"])')"
scan_two kore.koreai_audit 6s
kore "/_emu/log?clear=1" >"$work/kore.log"
check "Kore.ai requests of two backends in a minute" "$(wc -l <"$work/kore.log")" 60
check "none refused by the emulator's own limit" "$(grep -vc '^200 ' "$work/kore.log" || true)" 0
check "both scans stopped by the budget" "$(cancelled)" 2

# ---- 3. a 429 in one backend pauses the server for the other
zd "/_emu/reset" >/dev/null
zd "/_emu/config?records=40&rate_limit_per_min=0&fault=rate_limit&retry_after=3&fault_count=1" >/dev/null
out=$(psql -X -At -c "SELECT count(*) FROM zd429.zendesk_audit" 2>&1 || true)
check "first backend: refused" "$(grep -c 'kept rate-limiting' <<<"$out" || true)" 1
zd "/_emu/log?clear=1" >/dev/null
out=$(psql -X -At -c "SET statement_timeout = '1s'" -c "SELECT count(*) FROM zd429.zendesk_audit" 2>&1 || true)
check "second backend: waits out the pause" "$(grep -c 'canceling statement due to statement timeout' <<<"$out" || true)" 1
check "second backend: sent nothing" "$(zd "/_emu/log?clear=1" | wc -l)" 0
check "the pause in the view" \
    "$(q "SELECT blocked_until > now(), throttled FROM auditlog_fdw.request_budgets WHERE server = 'zd429'")" "t|1"
check "after the pause: the whole data set" "$(q "SELECT count(*) FROM zd429.zendesk_audit")" 40

zd "/_emu/reset" >/dev/null
kore "/_emu/reset" >/dev/null
exit "$fail"
