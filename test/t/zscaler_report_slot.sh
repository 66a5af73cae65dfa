#!/usr/bin/env bash
# Zscaler ZIA keeps one report per tenant, and a new report replaces the
# last one.  Three backends scanning the same tenant at once must take
# turns (the FDW serializes report jobs with an advisory lock), so every
# scan gets exactly its own rows.  Also: a range that starts before the
# 183-day retention is clipped with a NOTICE (its text holds the scan's
# start, which is why pg_regress cannot check it).
set -euo pipefail
: "${EMU_ZSCALER_PORT:?EMU_ZSCALER_PORT is not set}"
db=alf_t_zscaler_slot
tmp=$(mktemp -d)
emu() { curl -sS --noproxy '*' "http://127.0.0.1:$EMU_ZSCALER_PORT$1"; }
cleanup() {
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
emu "/_emu/reset" >/dev/null
emu "/_emu/config?anchor=now&report_delay_ms=100&post_per_min=0&post_per_hour=0&req_per_sec=0&req_per_hour=0" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<SQL
CREATE EXTENSION auditlog_fdw;
CREATE SERVER zs FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zscaler', base_url 'http://127.0.0.1:$EMU_ZSCALER_PORT', poll_interval_ms '50');
CREATE USER MAPPING FOR CURRENT_USER SERVER zs
  OPTIONS (username 'admin@example.com', password 'zia-test-password', api_key 'ZiaTestKey2026xyz');
IMPORT FOREIGN SCHEMA audit FROM SERVER zs INTO public;
SQL

fail=0
# each backend asks for a different range, so a report taken from another
# backend's slot would show as a wrong count
lower=$(psql -X -At -d "$db" -c "SELECT now() - interval '25 days'")
upper=$(psql -X -At -d "$db" -c "SELECT now()")
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c \
    "CREATE TABLE truth AS SELECT time FROM zscaler_audit WHERE time >= '$lower' AND time <= '$upper'"
declare -A expected
for i in 1 2 3; do
    expected[$i]=$(psql -X -At -d "$db" -c \
        "SELECT count(*) FROM truth WHERE time >= '$lower'::timestamptz + interval '$i days'")
done
emu "/_emu/log?clear=1" >/dev/null
for i in 1 2 3; do
    psql -X -At -d "$db" -c \
        "SELECT count(*) FROM zscaler_audit WHERE time >= '$lower'::timestamptz + interval '$i days' AND time <= '$upper'" \
        >"$tmp/out.$i" 2>&1 &
done
wait
for i in 1 2 3; do
    got=$(cat "$tmp/out.$i")
    if [ "$got" != "${expected[$i]}" ]; then
        echo "backend $i: got '$got', expected ${expected[$i]}"
        fail=1
    fi
done
# the log: between a report POST and its download no other report starts
emu "/_emu/log?clear=1" >"$tmp/log"
awk '
    / POST [^ ]*\/auditlogEntryReport/ { posts++; if (open) { bad++ } open = 1 }
    / GET [^ ]*\/auditlogEntryReport\/download/ { open = 0 }
    END {
        printf "%d reports by 3 backends, %d started while another ran\n", posts, bad
        exit (bad > 0 || posts < 6)
    }' "$tmp/log" || fail=1

# retention: a NOTICE, and the scan starts 183 days before its start
out=$(psql -X -d "$db" -c "SELECT count(*) FROM zscaler_audit WHERE time >= '2000-01-01'" 2>&1)
if ! grep -q 'NOTICE:  Zscaler keeps audit records for 183 days only; the scan starts at ' <<<"$out"; then
    echo "no retention NOTICE in:"
    echo "$out"
    fail=1
else
    grep NOTICE <<<"$out"
fi
[ "$fail" -eq 0 ] && echo ok
exit "$fail"
