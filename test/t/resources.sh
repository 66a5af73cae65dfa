#!/usr/bin/env bash
# Resources: many scans in ONE backend, mixing all five vendors, full scans,
# LIMIT scans (the scan ends with pages or a job left over), errors (a wrong
# token, a faulted emulator) and cancels (statement_timeout during a slow
# response and during job polling).  The backend's anonymous memory
# (RssAnon: file-backed pages are no leak) and its open file descriptors
# must stay flat between the end of a warm-up and the end of the run.
#
#   bash test/t/resources.sh [SCANS]      default 2000 (CI); 10000 is the long check
#
# Under test/run-tests.sh it uses the suite's cluster (PGHOST...); run alone
# (extension installed) it makes its own throwaway cluster.  It always
# starts its own emulators, so the suite's emulator state is untouched.
# Must run as root (or as the server's OS user) to read /proc/<backend>.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
scans=${1:-${ALF_RES_SCANS:-2000}}
[[ $scans =~ ^[0-9]+$ ]] && [ "$scans" -ge 200 ] || alf_die "SCANS must be a number >= 200"
rss_bound_kb=${ALF_RES_RSS_KB:-1024}
db=alf_t_resources
per_cycle=10                        # statements per cycle below
cycles=$(((scans + per_cycle - 1) / per_cycle))
warm=$((cycles / 10 > 20 ? cycles / 10 : 20))   # warm-up cycles: caches, token, connections

alf_cleanup_install
alf_mktemp_dir tmp
slow_pid=
own_cluster=0
alf_on_exit_hook() {
    [ -n "$slow_pid" ] && alf_emu_stop "$slow_pid"
    [ "$own_cluster" = 1 ] || psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
}

if [ -z "${PGHOST:-}" ]; then
    alf_os_user
    port=$(free_port)
    alf_cluster_init "$tmp/pg" "$port"
    ALF_CLUSTERS+=("$tmp/pg")
    alf_cluster_start "$tmp/pg"
    alf_cluster_env "$tmp/pg"
    own_cluster=1
fi

# the slow emulator (cancels): zendesk answers after 300 ms, resolver jobs never finish
"$ALF_PY" "$ALF_ROOT/test/emulator/emulator.py" --vendors zendesk,resolver \
    --port-file "$tmp/slow.ports" </dev/null >"$tmp/slow.log" 2>&1 &
slow_pid=$!
for _ in $(seq 100); do [ -s "$tmp/slow.ports" ] && [ "$(wc -l <"$tmp/slow.ports")" -ge 2 ] && break; sleep 0.1; done
slow_zd=$(sed -n 's/^zendesk=//p' "$tmp/slow.ports")
slow_rs=$(sed -n 's/^resolver=//p' "$tmp/slow.ports")
[ -n "$slow_zd" ] && [ -n "$slow_rs" ] || alf_die "the slow emulator did not start"
# the main emulator: small datasets, no rate limits, no waiting
alf_emu_start "$tmp/emu.ports" "$tmp/emu.log"
emu() { curl -sSf --noproxy '*' "http://127.0.0.1:$1$2" >/dev/null; }
emu "$EMU_ZENDESK_PORT" "/_emu/config?records=120&rate_limit_per_min=0"
emu "$EMU_KOREAI_PORT" "/_emu/config?records=120&rate_limit_per_min=0&rate_limit_per_hour=0"
# every 4th Zoho request is an HTML error page: some scans end in errors
emu "$EMU_ZOHO_MAIL_PORT" "/_emu/config?records=120&rate_limit_per_min=0&fault=malformed&fault_every=4"
emu "$EMU_ZSCALER_PORT" "/_emu/config?records=200&report_delay_ms=0&post_per_min=0&post_per_hour=0&req_per_sec=0&req_per_hour=0"
emu "$EMU_RESOLVER_PORT" "/_emu/config?records=120&job_delay_ms=0"
emu "$slow_zd" "/_emu/config?records=120&rate_limit_per_min=0&latency_ms=300"
emu "$slow_rs" "/_emu/config?records=120&job_delay_ms=600000"
# the truth for the full scans: the emulator's own data sets
dump_len() { curl -sSf --noproxy '*' "http://127.0.0.1:$1/_emu/dump" | "$ALF_PY" -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
n_zd=$(dump_len "$EMU_ZENDESK_PORT")
n_kore=$(dump_len "$EMU_KOREAI_PORT")
n_rs=$(dump_len "$EMU_RESOLVER_PORT")
# ZIA: the records of October 2026 (a report covers at most 31 days)
n_zs=$(curl -sSf --noproxy '*' "http://127.0.0.1:$EMU_ZSCALER_PORT/_emu/dump" | "$ALF_PY" -c '
import json, sys
lo, hi = 1790812800000, 1793491200000       # 2026-10-01, 2026-11-01 UTC
print(sum(lo <= d["_epoch_ms"] < hi for d in json.load(sys.stdin)))')
[ "$n_zs" -gt 0 ] && [ "$n_zd" = 120 ] && [ "$n_kore" = 120 ] && [ "$n_rs" = 120 ] || alf_die "unexpected dump sizes $n_zd $n_kore $n_rs $n_zs"

psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
u() { printf 'http://127.0.0.1:%s' "$1"; }
psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<SQL
SET client_min_messages = warning;
CREATE EXTENSION auditlog_fdw;
CREATE SERVER zd FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url '$(u "$EMU_ZENDESK_PORT")');
CREATE USER MAPPING FOR CURRENT_USER SERVER zd OPTIONS (email 'admin@example.com', api_token 'zd-test-token');
CREATE SERVER zd_bad FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url '$(u "$EMU_ZENDESK_PORT")');
CREATE USER MAPPING FOR CURRENT_USER SERVER zd_bad OPTIONS (email 'admin@example.com', api_token 'wrong-secret-token-123');
CREATE SERVER zd_slow FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url '$(u "$slow_zd")');
CREATE USER MAPPING FOR CURRENT_USER SERVER zd_slow OPTIONS (email 'admin@example.com', api_token 'zd-test-token');
CREATE SERVER kore FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'koreai', base_url '$(u "$EMU_KOREAI_PORT")', min_request_interval_ms '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER kore OPTIONS (client_id 'cs-kore-test-client', client_secret 'kore-test-secret-0123456789');
CREATE SERVER zoho FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zoho_mail', base_url '$(u "$EMU_ZOHO_MAIL_PORT")', accounts_url '$(u "$EMU_ZOHO_MAIL_PORT")', zoid '57047751', min_request_interval_ms '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER zoho OPTIONS (client_id 'zoho-test-client', client_secret 'zoho-test-secret', refresh_token 'zoho-test-refresh');
CREATE SERVER zs FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zscaler', base_url '$(u "$EMU_ZSCALER_PORT")', poll_interval_ms '10');
CREATE USER MAPPING FOR CURRENT_USER SERVER zs OPTIONS (username 'admin@example.com', password 'zia-test-password', api_key 'ZiaTestKey2026xyz');
CREATE SERVER rs FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'resolver', base_url '$(u "$EMU_RESOLVER_PORT")', poll_interval_ms '10');
CREATE USER MAPPING FOR CURRENT_USER SERVER rs OPTIONS (api_token 'rslv-test-token');
CREATE SERVER rs_slow FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'resolver', base_url '$(u "$slow_rs")', poll_interval_ms '10');
CREATE USER MAPPING FOR CURRENT_USER SERVER rs_slow OPTIONS (api_token 'rslv-test-token');
CREATE SCHEMA zd; CREATE SCHEMA zd_bad; CREATE SCHEMA zd_slow; CREATE SCHEMA kore;
CREATE SCHEMA zoho; CREATE SCHEMA zs; CREATE SCHEMA rs; CREATE SCHEMA rs_slow;
IMPORT FOREIGN SCHEMA audit FROM SERVER zd INTO zd;
IMPORT FOREIGN SCHEMA audit FROM SERVER zd_bad INTO zd_bad;
IMPORT FOREIGN SCHEMA audit FROM SERVER zd_slow INTO zd_slow;
IMPORT FOREIGN SCHEMA audit FROM SERVER kore INTO kore;
IMPORT FOREIGN SCHEMA audit FROM SERVER zoho INTO zoho;
IMPORT FOREIGN SCHEMA audit FROM SERVER zs INTO zs;
IMPORT FOREIGN SCHEMA audit FROM SERVER rs INTO rs;
IMPORT FOREIGN SCHEMA audit FROM SERVER rs_slow INTO rs_slow;
SQL

# sample LABEL: the backend's RssAnon (kB) and open fds, appended to samples
cat >"$tmp/sample.sh" <<EOF
pid=\$(cat "$tmp/pid")
printf '%s %s %s\n' "\$1" "\$(awk '/^RssAnon:/ {print \$2}' /proc/\$pid/status)" \
    "\$(ls /proc/\$pid/fd | wc -l)" >>"$tmp/samples"
EOF
# one cycle: 5 full scans (one per vendor, each printing t when its row
# count is right), 2 LIMIT scans, 2 errors (wrong token; every 4th Zoho
# request is faulted, so Zoho scans fail now and then too), 2 cancels
cycle() {
    cat <<EOF
SELECT 'zd ' || (count(*) = $n_zd) FROM zd.zendesk_audit;
SELECT 'kore ' || (count(*) = $n_kore) FROM kore.koreai_audit;
SELECT 'zoho ' || (count(*) = 120) FROM zoho.zoho_mail_audit;
SELECT 'zs ' || (count(*) = $n_zs) FROM zs.zscaler_audit WHERE time >= '2026-10-01' AND time < '2026-11-01';
SELECT 'rs ' || (count(*) = $n_rs) FROM rs.resolver_audit;
SELECT 'zd_limit ' || (count(*) = 1) FROM (SELECT * FROM zd.zendesk_audit LIMIT 1) s;
SELECT 'kore_limit ' || (count(*) = 1) FROM (SELECT * FROM kore.koreai_audit LIMIT 1) s;
SELECT count(*) FROM zd_bad.zendesk_audit;
SET statement_timeout = 100; SELECT count(*) FROM zd_slow.zendesk_audit; RESET statement_timeout;
SET statement_timeout = 100; SELECT count(*) FROM rs_slow.resolver_audit; RESET statement_timeout;
EOF
}
{
    echo "SET application_name = 'alf_resources';"
    echo "\\o $tmp/pid"
    echo "SELECT pg_backend_pid();"
    echo "\\o $tmp/out"
    for ((i = 1; i <= cycles; i++)); do
        cycle
        if [ "$i" -eq "$warm" ] || [ "$i" -eq "$cycles" ] || { [ "$i" -gt "$warm" ] && [ $(((i - warm) % ((cycles - warm) / 4 + 1))) -eq 0 ]; }; then
            echo "\\! bash $tmp/sample.sh $i"
        fi
    done
} >"$tmp/run.sql"
chmod -R a+rX "$tmp"
alf_log "$((cycles * 10)) scans in one backend ($warm warm-up cycles of 10), RssAnon bound +$rss_bound_kb kB, fds +0"
t0=$(alf_now_ms)
psql -X -At -d "$db" -f "$tmp/run.sql" >/dev/null 2>"$tmp/err" || true
dt=$(($(alf_now_ms) - t0))

fail=0
bad=$(grep -c ' false$' "$tmp/out" || true)
good=$(grep -c ' true$' "$tmp/out" || true)
cancels=$(grep -c 'canceling statement due to statement timeout' "$tmp/err" || true)
denied=$(grep -c 'ERROR:  Zendesk rejected the credentials' "$tmp/err" || true)
faulted=$(grep -c 'ERROR:  malformed response from Zoho Mail' "$tmp/err" || true)
errors=$(grep -c '^psql:.*ERROR:' "$tmp/err" || true)
zoho_ok=$(grep -c '^zoho true$' "$tmp/out" || true)
echo "scans: $good right, $bad wrong row counts; errors: $denied wrong token, $faulted faulted Zoho, $((errors - denied - faulted - cancels)) unexpected; $cancels cancels; $(alf__fmt_ms "$dt")"
sed -n 's/^psql:[^:]*:[0-9]*: //p' "$tmp/err" | grep '^ERROR:' | sort | uniq -c | sort -rn | awk 'NR <= 8' | cut -c1-200
# every full scan is right or fails loudly (Zoho only, and then for its
# faults), every wrong-token scan and every cancel errs, nothing else does
if [ "$bad" -ne 0 ] || [ "$denied" -ne "$cycles" ] || [ "$cancels" -ne $((2 * cycles)) ] ||
    [ "$good" -ne $((7 * cycles - faulted)) ] || [ "$((zoho_ok + faulted))" -ne "$cycles" ] ||
    [ "$faulted" -eq 0 ] || [ "$errors" -ne $((denied + faulted + cancels)) ]; then
    echo "FAIL: expected $((7 * cycles)) right scans or faulted-Zoho errors, $cycles wrong-token errors, $((2 * cycles)) cancels, no other error"
    fail=1
fi
echo "samples (cycle, RssAnon kB, open fds):"
sed 's/^/    /' "$tmp/samples"
read -r _ rss0 fd0 < <(head -n1 "$tmp/samples")
read -r _ rss1 fd1 < <(tail -n1 "$tmp/samples")
echo "RssAnon ${rss0} -> ${rss1} kB ($((rss1 - rss0)) kB), fds ${fd0} -> ${fd1}"
if [ "$((rss1 - rss0))" -gt "$rss_bound_kb" ] || [ "$fd1" -gt "$fd0" ]; then
    echo "FAIL: the backend grew (bound: RssAnon +$rss_bound_kb kB, fds +0)"
    fail=1
fi
exit "$fail"
