#!/usr/bin/env bash
# TLS is verified, always: the emulator serves HTTPS with certificates from a
# throwaway CA made here with openssl.  With the CA in ca_file a scan returns
# exactly the emulator's own records; without ca_file (CA unknown to the
# system store) and with a certificate for another name, the scan fails with
# 08006 and libcurl's reason in DETAIL.  Also: a 3xx answer is an error
# (libcurl is told never to follow redirects).
#
# Connection reuse (issue 10, targets 5 and 7), counted by the emulator's own
# `connections` stat, i.e. TLS handshakes: in one backend, several scans of
# one server and a nested loop whose parameterized inner scan runs once per
# each of 5 outer rows open exactly one connection per server, across scans
# and rescans.  A cancel in the middle of a response closes that connection
# (the next scan opens a fresh one and reads the right rows), and ALTER
# SERVER drops the cached connections.
set -euo pipefail
[ -z "${ALF_TLS_DEBUG:-}" ] || set -x
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
: "${PGHOST:?PGHOST is not set}"

work=$(mktemp -d)
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS alf_tls" >/dev/null 2>&1 || true
    [ -n "${ALF_KEEP_TMP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
chmod 755 "$work"   # the server (another OS user) reads ca_file

# ---- a throwaway CA, a certificate for localhost/127.0.0.1, one for another name
cd "$work"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
    -subj "/CN=auditlog_fdw test CA" 2>/dev/null
cert() {  # cert NAME SAN
    openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$1" 2>/dev/null
    printf 'subjectAltName=%s\n' "$2" >"$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$1.pem" \
        -days 2 -extfile "$1.ext" 2>/dev/null
}
cert good "DNS:localhost,IP:127.0.0.1"
cert wrong "DNS:wrong.example.com"
chmod 644 ./*.pem

# ---- two HTTPS emulators (Kore.ai, which has /_emu/dump): right name, wrong name
emu() {  # emu NAME -> prints the port
    "$ALF_PY" "$ALF_ROOT/test/emulator/emulator.py" --vendors "$2" --port-file "$work/$1.port" \
        --tls-cert "$work/$1.pem" --tls-key "$work/$1.key" </dev/null >"$work/$1.log" 2>&1 &
    pids+=($!)
    local i
    for ((i = 0; i < 100; i++)); do
        [ -s "$work/$1.port" ] && break
        sleep 0.1
    done
    [ -s "$work/$1.port" ] || { cat "$work/$1.log" >&2; alf_die "emulator $1 did not start"; }
}
emu good koreai,zendesk
emu wrong koreai
good_port=$(sed -n 's/^koreai=//p' "$work/good.port")
zd_port=$(sed -n 's/^zendesk=//p' "$work/good.port")
wrong_port=$(sed -n 's/^koreai=//p' "$work/wrong.port")
# the reference: the emulator's own data, fetched with curl trusting the CA
curl -sS --fail --noproxy '*' --cacert "$work/ca.pem" "https://localhost:$good_port/_emu/dump" >"$work/dump.json"
curl -sS --fail --noproxy '*' --cacert "$work/ca.pem" \
    "https://localhost:$good_port/_emu/config?rate_limit_per_min=0&rate_limit_per_hour=0" >/dev/null
# a plain-HTTP emulator, for the redirect check
: "${EMU_ZENDESK_PORT:?EMU_ZENDESK_PORT is not set}"
plain="http://127.0.0.1:$EMU_ZENDESK_PORT"

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE alf_tls"
run() {  # run SQL -> stdout: rows, or the error (SQLSTATE, message, detail)
    { psql -X -q -At -d alf_tls -v VERBOSITY=verbose -c "$1" 2>&1 || true; } | sed -e 's/^psql:[^E]*//'
}
psql -X -q -v ON_ERROR_STOP=1 -d alf_tls <<SQL
CREATE EXTENSION auditlog_fdw;
CREATE SERVER tls_ok FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'koreai',
  base_url 'https://localhost:$good_port', ca_file '$work/ca.pem', max_retries '0', min_request_interval_ms '0');
CREATE SERVER tls_ip FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'koreai',
  base_url 'https://127.0.0.1:$good_port', ca_file '$work/ca.pem', max_retries '0', min_request_interval_ms '0');
CREATE SERVER tls_noca FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'koreai',
  base_url 'https://localhost:$good_port', max_retries '0', min_request_interval_ms '0');
CREATE SERVER tls_wrong FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'koreai',
  base_url 'https://localhost:$wrong_port', ca_file '$work/ca.pem', max_retries '0', min_request_interval_ms '0');
DO \$\$
DECLARE s text;
BEGIN
  FOREACH s IN ARRAY ARRAY['tls_ok', 'tls_ip', 'tls_noca', 'tls_wrong'] LOOP
    EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER %I OPTIONS (client_id %L, client_secret %L)',
                   s, 'cs-kore-test-client', 'kore-test-secret-0123456789');
    EXECUTE format('CREATE FOREIGN TABLE %I (audit_log_id text) SERVER %I', s || '_t', s);
  END LOOP;
END \$\$;
CREATE SERVER tls_zd FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk',
  base_url 'https://localhost:$zd_port', ca_file '$work/ca.pem', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER tls_zd OPTIONS (email 'admin@example.com', api_token 'zd-test-token');
IMPORT FOREIGN SCHEMA audit FROM SERVER tls_zd INTO public;
CREATE SERVER redir FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'zendesk', base_url '$plain', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER redir OPTIONS (email 'admin@example.com', api_token 'zd-test-token');
CREATE FOREIGN TABLE redir_t (id bigint) SERVER redir;
SQL

run "COPY (SELECT audit_log_id FROM tls_ok_t ORDER BY 1) TO STDOUT" >"$work/ok.out"
run "COPY (SELECT audit_log_id FROM tls_ip_t ORDER BY 1) TO STDOUT" >"$work/ip.out"
run "SELECT count(*) FROM tls_noca_t" >"$work/noca.out"
run "SELECT count(*) FROM tls_wrong_t" >"$work/wrong.out"
curl -sS --noproxy '*' "$plain/_emu/reset" >/dev/null
curl -sS --noproxy '*' "$plain/_emu/config?fault=status&fault_status=302&fault_count=1" >"$work/redir.cfg" || true
run "SELECT count(*) FROM redir_t" >"$work/redir.out"
curl -sS --noproxy '*' "$plain/_emu/reset" >/dev/null

# ---- connection reuse: one backend, many scans and rescans, one handshake per server
tcurl() { curl -sS --fail --noproxy '*' --cacert "$work/ca.pem" "https://localhost:$1$2"; }
tcurl "$good_port" "/_emu/reset" >/dev/null
tcurl "$good_port" "/_emu/config?rate_limit_per_min=0&rate_limit_per_hour=0" >/dev/null
tcurl "$zd_port" "/_emu/reset" >/dev/null
tcurl "$zd_port" "/_emu/config?rate_limit_per_min=0" >/dev/null
tcurl "$zd_port" "/_emu/dump" >"$work/zd_dump.json"
outer=$("$ALF_PY" -c 'import json,sys; a=sorted({r["actor_id"] for r in json.load(open(sys.argv[1]))}); print(",".join(str(x) for x in a[:5]))' "$work/zd_dump.json")
psql -X -q -At -v ON_ERROR_STOP=1 -d alf_tls >"$work/reuse.out" 2>&1 <<SQL || true
SET enable_hashjoin = off; SET enable_mergejoin = off; SET enable_material = off;
CREATE TEMP TABLE outer5 (actor bigint);
INSERT INTO outer5 SELECT unnest('{$outer}'::bigint[]);
ANALYZE outer5;
SELECT 'kore ' || count(*) FROM tls_ok_t;
SELECT 'kore ' || count(*) FROM tls_ok_t;
SELECT 'kore ' || count(*) FROM tls_ok_t;
SELECT 'zd ' || count(*) FROM zendesk_audit;
SELECT 'zd ' || count(*) FROM zendesk_audit WHERE action = 'update';
EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT a.id FROM outer5 o JOIN zendesk_audit a ON a.actor_id = o.actor;
\copy (SELECT a.id FROM outer5 o JOIN zendesk_audit a ON a.actor_id = o.actor ORDER BY 1) TO '$work/nl.ids'
SQL
tcurl "$good_port" "/_emu/stats" >"$work/kore_stats.json"
tcurl "$zd_port" "/_emu/stats" >"$work/zd_stats1.json"
# a cancel in the middle of a response, then a scan on the same backend;
# then ALTER SERVER, then a scan: each opens one new connection
psql -X -q -At -d alf_tls >"$work/cancel.out" 2>&1 <<SQL || true
SELECT 'zd ' || count(*) FROM zendesk_audit;
\! curl -sS --fail --noproxy '*' --cacert '$work/ca.pem' 'https://localhost:$zd_port/_emu/config?latency_ms=3000' >/dev/null
SET statement_timeout = '500ms';
\set VERBOSITY verbose
SELECT count(*) FROM zendesk_audit;
\set VERBOSITY default
RESET statement_timeout;
\! curl -sS --fail --noproxy '*' --cacert '$work/ca.pem' 'https://localhost:$zd_port/_emu/config?latency_ms=0' >/dev/null
SELECT 'after cancel ' || count(*) FROM zendesk_audit;
ALTER SERVER tls_zd OPTIONS (ADD timeout_ms '20000');
SELECT 'after alter ' || count(*) FROM zendesk_audit;
SQL
tcurl "$zd_port" "/_emu/stats" >"$work/zd_stats2.json"

"$ALF_PY" - "$work" <<'PY'
import json, sys
work = sys.argv[1]
def read(name):
    return open("%s/%s" % (work, name), encoding="utf-8").read()
fails = []
want = sorted(r["AuditLogId"] for r in json.loads(read("dump.json")))
if len(want) < 100:
    fails.append("the emulator dump has only %d records: the test proves nothing" % len(want))
for name in ("ok.out", "ip.out"):
    got = sorted(read(name).split())
    if "ERROR" in read(name):
        fails.append("%s: the scan failed: %s" % (name, read(name)[:400]))
        continue
    if got != want:
        fails.append("%s: %d rows, the emulator has %d" % (name, len(got), len(want)))
for name, reason in (("noca.out", "certificate"), ("wrong.out", "")):
    out = read(name)
    if "ERROR:  08006:" not in out:
        fails.append("%s: expected SQLSTATE 08006, got %r" % (name, out[:400]))
    if "DETAIL:" not in out or reason not in out.split("DETAIL:", 1)[-1]:
        fails.append("%s: expected a DETAIL naming the %s problem, got %r" % (name, reason or "TLS", out[:400]))
# a certificate for another name must be refused for that reason
if not any(w in read("wrong.out") for w in ("wrong.example.com", "subject name", "no alternative certificate subject name")):
    fails.append("wrong.out: the error does not say the name does not match: %r" % read("wrong.out")[:400])
if "ERROR:" not in read("redir.out") or "302" not in read("redir.out"):
    fails.append("redir.out: a 302 answer must be an error naming it, got %r" % read("redir.out")[:400])
# connection reuse
reuse = read("reuse.out")
zd = json.loads(read("zd_dump.json"))
kore_stats = json.loads(read("kore_stats.json"))
zd1 = json.loads(read("zd_stats1.json"))
zd2 = json.loads(read("zd_stats2.json"))
if reuse.count("kore %d" % len(want)) != 3:
    fails.append("reuse.out: 3 Kore.ai scans of %d rows expected: %r" % (len(want), reuse[:600]))
if reuse.count("zd %d" % len(zd)) != 1 or ("zd %d" % sum(1 for r in zd if r["action"] == "update")) not in reuse:
    fails.append("reuse.out: the Zendesk scans did not return the emulator's rows: %r" % reuse[:600])
outer = sorted({r["actor_id"] for r in zd})[:5]
want_nl = sorted(r["id"] for r in zd if r["actor_id"] in outer)
got_nl = sorted(int(x) for x in read("nl.ids").split())
if got_nl != want_nl:
    fails.append("nested loop: %d rows, the emulator has %d" % (len(got_nl), len(want_nl)))
if "Nested Loop" not in reuse or "loops=5" not in reuse:
    fails.append("reuse.out: no nested loop with a parameterized inner scan run 5 times: %r" % reuse[:2000])
if "Vendor Connections Opened: 0" not in reuse:
    fails.append("reuse.out: EXPLAIN ANALYZE should show the nested loop opened no connection: %r" % reuse[:2000])
if kore_stats["connections"] != 1 or kore_stats["requests"] < 3:
    fails.append("Kore.ai: %d requests over %d connections, expected one connection: %r"
                 % (kore_stats["requests"], kore_stats["connections"], kore_stats))
# at least: the full scan's pages, one for the action scan, 5 + 5 rescans
if zd1["connections"] != 1 or zd1["requests"] < len(zd) // 100 + 11:
    fails.append("Zendesk: %d requests over %d connections, expected one connection"
                 % (zd1["requests"], zd1["connections"]))
cancel = read("cancel.out")
if "57014" not in cancel:
    fails.append("cancel.out: the statement_timeout did not cancel the scan: %r" % cancel[:600])
if ("after cancel %d" % len(zd)) not in cancel or ("after alter %d" % len(zd)) not in cancel:
    fails.append("cancel.out: a scan after the cancel or the ALTER SERVER is wrong: %r" % cancel[:600])
# a new backend opens one, the cancelled request (on it) closes it, the
# next scan opens one, ALTER SERVER drops it, the last scan opens one: 1 + 3
if zd2["connections"] != 4:
    fails.append("Zendesk after cancel and ALTER SERVER: %d connections in all, expected 4"
                 % zd2["connections"])
print("tls: %d records over verified https; untrusted CA and wrong name refused" % len(want))
print("tls: one connection per server for %d Kore.ai and %d Zendesk requests (5 rescans included)"
      % (kore_stats["requests"], zd1["requests"]))
for f in fails:
    print("FAIL:", f)
sys.exit(1 if fails else 0)
PY
