#!/usr/bin/env bash
# bench/run.sh - scan throughput and backend memory against the vendor emulator.
#
#   bash bench/run.sh            (as root, after `make install`; ~1-2 minutes)
#
# Starts its own throwaway cluster and emulator (zero latency, rate limits off),
# then for N in 100 (baseline), 10k and 100k Zendesk records: a full scan (SELECT count(*)) in a
# fresh backend, timed, with the backend's peak resident memory (VmHWM) read from
# /proc before and after the scan.  Prints one line per run:
#   records=N seconds=S rows_per_s=R vmhwm_before_kb=A vmhwm_after_kb=B growth_kb=B-A
# The emulator (Python) is the slower side at zero latency; the numbers bound the
# extension's cost from above.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../test/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ALF_ROOT"
bench_cluster
alf_emu_start "$BENCH/ports" "$BENCH/emu.log" --vendors zendesk
emu() { curl -fsS --noproxy '*' "http://127.0.0.1:$EMU_ZENDESK_PORT$1" >/dev/null; }

psql -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION auditlog_fdw;
CREATE SERVER zd FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zendesk', base_url 'http://127.0.0.1:$EMU_ZENDESK_PORT');
CREATE USER MAPPING FOR CURRENT_USER SERVER zd OPTIONS (oauth_token 'zd-test-oauth');
IMPORT FOREIGN SCHEMA audit FROM SERVER zd INTO public;
SQL

for n in 100 10000 100000; do
    emu "/_emu/reset"
    emu "/_emu/config?rate_limit_per_min=0&gzip=1&records=$n"
    for concurrency in 1 2; do
        psql -X -q -At -v ON_ERROR_STOP=1 <<SQL
ALTER FOREIGN TABLE zendesk_audit OPTIONS (ADD concurrency '$concurrency');
CREATE TEMP TABLE m (k text, v text);
SELECT pg_backend_pid() AS pid \gset
\set cmd 'grep VmHWM /proc/' :pid '/status'
COPY m (k) FROM PROGRAM :'cmd' WITH (FORMAT text, DELIMITER E'\x01');
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) AS rows FROM zendesk_audit \gset
SELECT extract(epoch FROM clock_timestamp() - :'t0') AS secs \gset
COPY m (k) FROM PROGRAM :'cmd' WITH (FORMAT text, DELIMITER E'\x01');
SELECT format('records=%s concurrency=%s seconds=%s rows_per_s=%s vmhwm_before_kb=%s vmhwm_after_kb=%s growth_kb=%s',
              :rows, $concurrency, round(:secs::numeric, 2), round(:rows / :secs::numeric),
              b, a, a - b)
  FROM (SELECT min((regexp_match(k, '\d+'))[1]::int) AS b, max((regexp_match(k, '\d+'))[1]::int) AS a FROM m) x;
ALTER FOREIGN TABLE zendesk_audit OPTIONS (DROP concurrency);
SQL
    done
done
