#!/usr/bin/env bash
# Syncs run by others than one psql session, in a cluster of its own with
# pg_cron preloaded (background workers, so no TCP):
# 1. a pg_cron job running auditlog_fdw.sync_all every minute: within about
#    two minutes a succeeded run in cron.job_run_details, and a target with
#    exactly the vendor's rows of the synced window;
# 2. three backends starting a first sync of one missing target at once: the
#    advisory lock serializes them, one creates the target and copies the
#    window, the others wait and add nothing.
# Rows are compared with a direct scan of the foreign table over the windows
# sync_log says were read.
set -euo pipefail
: "${EMU_ZENDESK_PORT:?EMU_ZENDESK_PORT is not set}"
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
alf_cleanup_install

pgbin=$(alf_pgbin)
if [ ! -f "$("$PG_CONFIG" --pkglibdir)/pg_cron.so" ]; then
    echo "pg_cron is not installed (package postgresql-15-cron; test/setup-deps.sh installs it)"
    exit 1
fi
alf_mktemp_dir dir
port=$(free_port)
alf_cluster_init "$dir" "$port"
cat >>"$dir/data/postgresql.conf" <<CONF
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 16
CONF
ALF_CLUSTERS+=("$dir")
alf_cluster_start "$dir"
alf_cluster_env "$dir"

curl -sS --noproxy '*' "http://127.0.0.1:$EMU_ZENDESK_PORT/_emu/reset" >/dev/null
curl -sS --noproxy '*' "http://127.0.0.1:$EMU_ZENDESK_PORT/_emu/config?anchor=now&rate_limit_per_min=0" >/dev/null
"$pgbin/psql" -X -q -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
CREATE EXTENSION pg_cron;
CREATE EXTENSION auditlog_fdw;
CREATE SERVER zd FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zendesk', base_url 'http://127.0.0.1:$EMU_ZENDESK_PORT');
CREATE USER MAPPING FOR CURRENT_USER SERVER zd
  OPTIONS (email 'admin@example.com', api_token 'zd-test-token');
IMPORT FOREIGN SCHEMA audit FROM SERVER zd INTO public;
SELECT cron.schedule('zendesk-sync', '* * * * *',
  \$\$CALL auditlog_fdw.sync_all('public.zendesk_audit', 'public.zendesk_store', since => now() - interval '31 days')\$\$);
SQL

# the first run starts at the next minute boundary
status=
for _ in $(seq 150); do
    status=$("$pgbin/psql" -X -At -c \
        "SELECT status FROM cron.job_run_details WHERE status IN ('succeeded', 'failed') ORDER BY runid LIMIT 1")
    [ -n "$status" ] && break
    sleep 1
done
"$pgbin/psql" -X -c "SELECT jobid, status, return_message FROM cron.job_run_details ORDER BY runid"
if [ "$status" != succeeded ]; then
    echo "no succeeded run of the scheduled sync (status: '${status:-none}')"
    exit 1
fi
"$pgbin/psql" -X -At -c "SELECT cron.unschedule('zendesk-sync')" >/dev/null
# compare TARGET: "<windows> windows, <rows> rows, <missing> missing, <extra> extra, <n> logged as added"
compare() {
    "$pgbin/psql" -X -At -v ON_ERROR_STOP=1 -v target="$1" <<'SQL'
WITH w AS (SELECT min(lower(time_window)) AS lo, max(upper(time_window)) AS hi
             FROM auditlog_fdw.sync_log WHERE target = :'target'),
     v AS MATERIALIZED (SELECT z.* FROM zendesk_audit z, w WHERE z.created_at >= w.lo AND z.created_at < w.hi)
SELECT format('%s windows, %s rows, %s missing, %s extra, %s logged as added',
              (SELECT count(*) FROM auditlog_fdw.sync_log WHERE target = :'target'),
              (SELECT count(*) FROM ONLY :target),
              (SELECT count(*) FROM (TABLE v EXCEPT ALL SELECT * FROM :target) m),
              (SELECT count(*) FROM (SELECT * FROM :target EXCEPT ALL TABLE v) e),
              (SELECT sum(rows_added) FROM auditlog_fdw.sync_log WHERE target = :'target'));
SQL
}
fail=0
result=$(compare public.zendesk_store)
echo "scheduled sync: $result"
case "$result" in
0\ windows* | *\ 0\ rows*) fail=1 ;;
*", 0 missing, 0 extra, "*) ;;
*) fail=1 ;;
esac

# 2. concurrent first syncs of one target; latency makes the scans overlap
curl -sS --noproxy '*' "http://127.0.0.1:$EMU_ZENDESK_PORT/_emu/config?latency_ms=20" >/dev/null
since=$("$pgbin/psql" -X -At -c "SELECT now() - interval '31 days'")
for i in 1 2 3; do
    "$pgbin/psql" -X -At -v ON_ERROR_STOP=1 -c \
        "SELECT auditlog_fdw.sync('zendesk_audit', 'zd_concurrent', max_window => '40 days', since => '$since')" \
        >"$dir/out.$i" 2>&1 &
done
wait || true
added=()
for i in 1 2 3; do
    added+=("$(cat "$dir/out.$i")")
done
echo "concurrent syncs added: ${added[*]}"
nonzero=0
total=0
for a in "${added[@]}"; do
    if ! [[ "$a" =~ ^[0-9]+$ ]]; then
        echo "a call failed"
        exit 1
    fi
    total=$((total + a))
    [ "$a" != 0 ] && nonzero=$((nonzero + 1))
done
result=$(compare public.zd_concurrent)
echo "concurrent target: $result"
case "$result" in
"3 windows, $total rows, 0 missing, 0 extra, $total logged as added") ;;
*) fail=1 ;;
esac
if [ "$nonzero" -ne 1 ]; then
    echo "expected exactly one call to add rows"
    fail=1
fi
[ "$fail" -eq 0 ] && echo ok
exit "$fail"
