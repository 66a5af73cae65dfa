#!/usr/bin/env bash
# Credentials by reference: api_token_file names a file the server reads at
# scan time.  The scan authenticates with the file's first line (the
# emulator accepts only that token), pg_user_mappings and `pg_dump -s` show
# the path and never the secret, the server log never sees it, and every bad
# setup fails with its SQLSTATE: missing file 58P01, empty file or control
# character 28000, relative path 22023, both api_token and api_token_file
# 42601, set by a non-superuser 42501.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
: "${PGHOST:?PGHOST is not set}"

secret="file-secret-Qz81xv7Kp"
work=$(mktemp -d)
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS alf_credfile" -c "DROP ROLE IF EXISTS alf_cf_user" \
        >/dev/null 2>&1 || true
    [ -n "${ALF_KEEP_TMP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
chmod 755 "$work"   # the server (another OS user) reads the files
printf '%s\n' "$secret" >"$work/token"
printf 'not-%s\n' "$secret" >"$work/wrong"
: >"$work/empty"
printf '%s\r\nX-Injected: 1\n' "$secret" >"$work/crlf"      # CRLF line end: accepted
printf 'a\tb%s\n' "$secret" >"$work/ctrl"                    # a tab inside: refused
chmod 644 "$work"/*

# our own emulator: only this token is accepted
"$ALF_PY" "$ALF_ROOT/test/emulator/emulator.py" --vendors zendesk --port-file "$work/port" \
    </dev/null >"$work/emu.log" 2>&1 &
pids+=($!)
for ((i = 0; i < 100; i++)); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { cat "$work/emu.log" >&2; alf_die "emulator did not start"; }
url="http://127.0.0.1:$(cut -d= -f2 "$work/port")"
curl -sS --fail --noproxy '*' "$url/_emu/config?api_token=$secret&records=300" >/dev/null

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE alf_credfile" -c "CREATE ROLE alf_cf_user"
psql -X -q -v ON_ERROR_STOP=1 -d alf_credfile <<SQL
CREATE EXTENSION auditlog_fdw;
CREATE SERVER cf FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url '$url', max_retries '0');
GRANT USAGE ON FOREIGN SERVER cf TO alf_cf_user;
CREATE USER MAPPING FOR CURRENT_USER SERVER cf
  OPTIONS (email 'admin@example.com', api_token_file '$work/token');
CREATE FOREIGN TABLE cf_t (id bigint) SERVER cf;
SQL
run() {  # run SQL -> stdout: rows, or the error with its SQLSTATE
    { psql -X -q -At -d alf_credfile -v VERBOSITY=verbose -c "$1" 2>&1 || true; } |
        sed -e 's/^psql:[^E]*//' | grep -v '^LOCATION:'
}
setfile() {  # setfile PATH: the mapping's api_token_file
    psql -X -q -v ON_ERROR_STOP=1 -d alf_credfile \
        -c "ALTER USER MAPPING FOR CURRENT_USER SERVER cf OPTIONS (SET api_token_file '$1')"
}
{
    echo "== scan";            run "SELECT count(*) FROM cf_t"
    echo "== umoptions";       run "SELECT array_to_string(umoptions, ' ') FROM pg_user_mappings WHERE srvname = 'cf'"
    setfile "$work/crlf";      echo "== crlf";    run "SELECT count(*) FROM cf_t"
    setfile "$work/wrong";     echo "== wrong";   run "SELECT count(*) FROM cf_t"
    setfile "$work/missing";   echo "== missing"; run "SELECT count(*) FROM cf_t"
    setfile "$work/empty";     echo "== empty";   run "SELECT count(*) FROM cf_t"
    setfile "$work/ctrl";      echo "== ctrl";    run "SELECT count(*) FROM cf_t"
    setfile "$work/token"
    echo "== relative"
    run "ALTER USER MAPPING FOR CURRENT_USER SERVER cf OPTIONS (SET api_token_file 'token')"
    echo "== both"
    run "ALTER USER MAPPING FOR CURRENT_USER SERVER cf OPTIONS (ADD api_token 'x')"
    echo "== nonsuper"
    run "SET ROLE alf_cf_user; CREATE USER MAPPING FOR CURRENT_USER SERVER cf OPTIONS (email 'a@b.c', api_token_file '$work/token')"
    echo "== server option"
    run "ALTER SERVER cf OPTIONS (ADD api_token_file '$work/token')"
} >"$work/out" 2>&1
"$(alf_pgbin)/pg_dump" -s -d alf_credfile >"$work/dump.sql"
records=$(curl -sS --fail --noproxy '*' "$url/_emu/config" | "$ALF_PY" -c 'import json,sys; print(json.load(sys.stdin)["records"])')

"$ALF_PY" - "$work" "$secret" "$records" "${ALF_SERVER_LOG:-}" <<'PY'
import re, sys
work, secret, records, server_log = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
out = open(work + "/out", encoding="utf-8").read()
parts = dict(re.findall(r"^== (.+)\n((?:(?!== ).*\n)*)", out, re.M))
fails = []
def expect(name, cond, what):
    if not cond:
        fails.append("%s: expected %s, got %r" % (name, what, parts.get(name, "")[:400]))
expect("scan", parts.get("scan", "").strip() == records, "all %s records" % records)
expect("umoptions", "api_token_file=" + work + "/token" in parts.get("umoptions", ""), "the path")
expect("crlf", parts.get("crlf", "").strip() == records, "a CRLF line end stripped and the scan working")
expect("wrong", "ERROR:  28000:" in parts.get("wrong", ""), "28000 from the vendor")
expect("missing", "ERROR:  58P01:" in parts.get("missing", "") and "HINT:" in parts.get("missing", ""), "58P01 with a hint")
expect("empty", "ERROR:  28000:" in parts.get("empty", "") and "empty" in parts.get("empty", ""), "28000, empty")
expect("ctrl", "ERROR:  28000:" in parts.get("ctrl", "") and "control character" in parts.get("ctrl", ""), "28000, control character")
expect("relative", "ERROR:  22023:" in parts.get("relative", "") and "absolute" in parts.get("relative", ""), "22023, absolute path")
expect("both", "ERROR:  42601:" in parts.get("both", ""), "42601")
expect("nonsuper", "ERROR:  42501:" in parts.get("nonsuper", ""), "42501")
expect("server option", "ERROR:  HV00D:" in parts.get("server option", ""), "HV00D (a user-mapping option)")
if secret in out:
    fails.append("the secret appears in an error or a result")
dump = open(work + "/dump.sql", encoding="utf-8").read()
if "api_token_file '%s/token'" % work not in dump:
    fails.append("pg_dump -s does not show the user mapping's path: the check below proves nothing")
if secret in dump:
    fails.append("the secret is in pg_dump -s")
if server_log and secret in open(server_log, encoding="utf-8", errors="replace").read():
    fails.append("the secret is in the server log")
print("credential files: scan with the file's token, path-only catalog and dump, %d error cases" % 9)
for f in fails:
    print("FAIL:", f)
sys.exit(1 if fails else 0)
PY
