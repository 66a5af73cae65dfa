#!/usr/bin/env bash
# bench/cpu.sh - backend CPU per row (issue 10 target 1) and peak memory (target 4).
#
#   bash bench/cpu.sh        (as root, after `make install`; ~3-5 minutes)
#   ALF_CPU_ROWS=200000 ALF_MEM_ROWS="10000 1000000" ALF_PERF=1 bash bench/cpu.sh
#   ALF_BENCH_SO=$PWD/auditlog_fdw.so bash bench/cpu.sh   (a built, not installed,
#       library: the wrapper is created from auditlog_fdw--0.1.sql pointing at it)
#
# Own throwaway cluster and emulator (Zendesk, zero latency, rate limits off, gzip
# off).  The same ALF_CPU_ROWS rows are read three ways, each with the same query
# shape `SELECT count(*) FROM x WHERE x.id IS NULL AND ... AND x.raw IS NULL`
# (every column referenced, so converted; never true), JIT off:
#   fdw  - the foreign table zendesk_audit (200k rows = 2,000 pages over HTTP)
#   file - file_fdw over the same rows as a local CSV file
#   sql  - the same JSON pages, fetched from the emulator with curl-like paging
#          (python urllib), COPYed into a jsonb table, then
#          jsonb_populate_recordset(null::zendesk_audit, doc->'audit_logs')
# Backend CPU = utime+stime of /proc/<backend>/stat before and after the query,
# read by the backend itself (pg_read_file('/proc/self/stat')), best of 3 runs.
# "jsonapi" lines: PostgreSQL's own event parser (common/jsonapi.h) over the
# same record arrays as json text, for comparison.  Then memory: VmHWM of a
# fresh backend before and after a full scan (same shape) of each ALF_MEM_ROWS size.  ALF_PERF=1 also records `perf record -g` of an FDW scan and
# prints the top entries by library and by symbol.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../test/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ALF_ROOT"
ROWS=${ALF_CPU_ROWS:-200000}
MEM_ROWS=${ALF_MEM_ROWS:-10000 1000000}
bench_cluster
ALF_CLUSTERS+=("$BENCH/pg")
alf_emu_start "$BENCH/ports" "$BENCH/emu.log" --vendors zendesk
alf_on_exit_hook() { alf_emu_stop; alf_cluster_stop "$BENCH/pg"; }
BASE="http://127.0.0.1:$EMU_ZENDESK_PORT"
emu() { curl -fsS --noproxy '*' "$BASE$1" >/dev/null; }
# no JIT: its compile time would be counted against whichever route runs first
q() { PGOPTIONS="-c jit=off" psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

emu "/_emu/reset"
emu "/_emu/config?rate_limit_per_min=0&gzip=0&latency_ms=0&records=$ROWS"

if [ -n "${ALF_BENCH_SO:-}" ]; then
    cp "$ALF_BENCH_SO" "$BENCH/alf.so" && chmod 755 "$BENCH/alf.so"
    sed -e '/^\\echo/d' -e "s|MODULE_PATHNAME|$BENCH/alf.so|" auditlog_fdw--0.1.sql | q
else
    q -c "CREATE EXTENSION auditlog_fdw"
fi
q <<SQL
CREATE EXTENSION file_fdw;
CREATE SERVER zd FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zendesk', base_url '$BASE');
CREATE USER MAPPING FOR CURRENT_USER SERVER zd OPTIONS (oauth_token 'zd-test-oauth');
IMPORT FOREIGN SCHEMA audit FROM SERVER zd INTO public;
CREATE FUNCTION backend_cpu_ms() RETURNS bigint LANGUAGE sql AS \$\$
  SELECT ((f[14])::bigint + (f[15])::bigint) * 1000 / 100
    FROM (SELECT regexp_split_to_array(split_part(pg_read_file('/proc/self/stat'), ') ', 2), ' ') AS g) s,
         LATERAL (SELECT array_prepend(NULL, array_prepend(NULL, g)) AS f) t
\$\$;
SQL

# the CSV for file_fdw: the same rows, written once
chmod 777 "$BENCH"
q -c "COPY (SELECT * FROM zendesk_audit) TO '$BENCH/rows.csv' WITH (FORMAT csv)"
COLS=$(q -c "SELECT string_agg(format('%I %s', attname, format_type(atttypid, atttypmod)), ', ' ORDER BY attnum)
               FROM pg_attribute WHERE attrelid = 'zendesk_audit'::regclass AND attnum > 0 AND NOT attisdropped")
q <<SQL
CREATE SERVER files FOREIGN DATA WRAPPER file_fdw;
CREATE FOREIGN TABLE csv_rows ($COLS) SERVER files OPTIONS (filename '$BENCH/rows.csv', format 'csv');
SQL

# the JSON pages for the SQL route, one compact document per line
"$ALF_PY" - "$BASE" "$BENCH/pages.json" <<'PY'
import json, sys, urllib.request, urllib.parse
base, out = sys.argv[1], sys.argv[2]
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
after, n = None, 0
with open(out, "w") as f:
    while True:
        url = base + "/api/v2/audit_logs.json?page%5Bsize%5D=100"
        if after:
            url += "&page%5Bafter%5D=" + urllib.parse.quote(after)
        req = urllib.request.Request(url, headers={"Authorization": "Bearer zd-test-oauth"})
        doc = json.load(opener.open(req))
        f.write(json.dumps(doc, separators=(",", ":")) + "\n")
        n += len(doc["audit_logs"])
        if not doc["meta"]["has_more"]:
            break
        after = doc["meta"]["after_cursor"]
print("pages fetched: %d records" % n, file=sys.stderr)
PY
q <<SQL
CREATE TABLE pages (doc jsonb);
COPY pages FROM '$BENCH/pages.json' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02');
SQL

q <<SQL
CREATE TABLE page_arrays AS SELECT (doc->'audit_logs')::text AS arr FROM pages;
SQL

cpu_of() {   # cpu_of NAME SQL -> best backend CPU ms of 3 fresh backends
    local name=$1 sql=$2 best= i out
    for i in 1 2 3; do
        out=$(q <<SQL
SELECT backend_cpu_ms() AS c0 \gset
$sql;
SELECT backend_cpu_ms() - :c0;
SQL
)
        out=${out##*$'\n'}
        if [ -z "$best" ] || [ "$out" -lt "$best" ]; then best=$out; fi
    done
    printf '%-28s cpu_ms=%s\n' "$name" "$best" >&2
    echo "$best"
}
# every column is referenced (so converted); the predicate is never true
NEVER=$(q -c "SELECT string_agg(format('x.%I IS NULL', attname), ' AND ' ORDER BY attnum)
                FROM pg_attribute WHERE attrelid = 'zendesk_audit'::regclass AND attnum > 0 AND NOT attisdropped")
shape() { echo "SELECT count(*) FROM $1 WHERE $NEVER"; }
echo "== backend CPU, $ROWS rows, best of 3 =="
q -c "SELECT count(*) AS fdw_rows FROM zendesk_audit" -c "SELECT count(*) AS csv_rows FROM csv_rows" \
  -c "SELECT count(*) AS sql_rows FROM pages, jsonb_array_elements(doc->'audit_logs')"
FDW=$(cpu_of fdw "$(shape "zendesk_audit x")")
FILE=$(cpu_of file_fdw "$(shape "csv_rows x")")
SQLQ=$(cpu_of "sql: select" "$(shape "pages, jsonb_populate_recordset(null::zendesk_audit, pages.doc->'audit_logs') x")")
SQLC=$(cpu_of "sql: copy" "CREATE TEMP TABLE p2 (doc jsonb); COPY p2 FROM '$BENCH/pages.json' WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')")
JAPI=$(cpu_of "jsonapi: json_populate_recordset" "$(shape "page_arrays, json_populate_recordset(null::zendesk_audit, page_arrays.arr::json) x")")
JVAL=$(cpu_of "jsonapi: validate only" "SELECT count(*) FROM page_arrays WHERE arr::json IS NOT NULL")
SQLR=$((SQLQ + SQLC))
printf '| route | backend CPU ms |\n|---|---:|\n'
printf '| auditlog_fdw | %s |\n| file_fdw (CSV) | %s |\n' "$FDW" "$FILE"
printf '| SQL: COPY pages into jsonb | %s |\n| SQL: jsonb_populate_recordset | %s |\n| SQL route (both) | %s |\n' "$SQLC" "$SQLQ" "$SQLR"
printf '| jsonapi: json_populate_recordset over the record arrays | %s |\n| jsonapi: validating the record arrays (::json) | %s |\n' "$JAPI" "$JVAL"
awk -v f="$FDW" -v c="$FILE" -v s="$SQLR" -v q="$SQLQ" 'BEGIN {
    printf "fdw/file_fdw = %.2f (target <= 1.5)\nfdw/sql route = %.2f (target <= 0.25; against the SELECT alone: %.2f)\n", f / c, f / s, f / q }'

if [ "${ALF_PERF:-0}" = 1 ]; then
    echo "== perf profile of one FDW scan =="
    PIDFILE=$BENCH/pid
    ( q -o "$PIDFILE" -c "SELECT pg_backend_pid()" -c "SELECT pg_sleep(2)" \
        -c "$(shape "zendesk_audit x")" ) &
    QPID=$!
    sleep 1
    BPID=$(head -1 "$PIDFILE")
    perf record -q -g -o "$BENCH/perf.data" -p "$BPID" >/dev/null 2>&1 &
    PERF_PID=$!
    wait $QPID || true
    kill -INT $PERF_PID; wait $PERF_PID || true
    echo "-- by library"
    perf report -q -i "$BENCH/perf.data" --no-children -g none --sort dso 2>/dev/null |
        grep -v "^$" | head -12 | sed 's/ *$//' || true
    echo "-- by symbol (postgres and libjansson have no symbols here: one line per address)"
    perf report -q -i "$BENCH/perf.data" --no-children -g none --percent-limit 1 \
        --sort dso,symbol 2>/dev/null | grep -v "^$" | head -20 | sed 's/ *$//' || true
fi

echo "== peak backend memory (VmHWM) =="
for n in $MEM_ROWS; do
    emu "/_emu/config?records=$n"
    q <<SQL
CREATE TEMP TABLE m (k text);
SELECT pg_backend_pid() AS pid \gset
\set cmd 'grep VmHWM /proc/' :pid '/status'
COPY m FROM PROGRAM :'cmd' WITH (FORMAT text, DELIMITER E'\x01');
$(shape "zendesk_audit x") \g /dev/null
COPY m FROM PROGRAM :'cmd' WITH (FORMAT text, DELIMITER E'\x01');
SELECT format('rows=%s vmhwm_before_kb=%s vmhwm_after_kb=%s', $n, min(v), max(v))
  FROM (SELECT (regexp_match(k, '\d+'))[1]::int AS v FROM m) x;
SQL
done
