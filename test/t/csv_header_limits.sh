#!/usr/bin/env bash
# A report whose CSV header repeats one name thousands of times once took
# minutes of uninterruptible CPU (a cubic loop making the keys unique).
# Key making is linear now, and a header above 1000 columns is an error.
# The Resolver emulator runs the job; its signed download URL points at a
# tiny local server that serves the hostile CSV (no vendor would send it,
# so the emulator has no switch for it).
set -euo pipefail
: "${EMU_RESOLVER_PORT:?EMU_RESOLVER_PORT is not set}"
db=alf_t_csv_header
tmp=$(mktemp -d)
srv_pid=
emu() { curl -sS --noproxy '*' "http://127.0.0.1:$EMU_RESOLVER_PORT$1"; }
cleanup() {
    [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null
    emu "/_emu/reset" >/dev/null 2>&1 || true
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT

# serves $tmp/body.csv for any GET; prints its port on the first line
cat >"$tmp/serve.py" <<'PY'
import http.server, socketserver, sys
body_file = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(body_file, "rb") as f:
            body = f.read()
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = socketserver.TCPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
# make_csv N: "Date and Time,Event" then N-2 columns all named "a", 3 rows
make_csv() {
    /usr/bin/python3 - "$1" "$tmp/body.csv" <<'PY'
import datetime, sys
n, path = int(sys.argv[1]), sys.argv[2]
t = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
rows = [["Date and Time", "Event"] + ["a"] * (n - 2)]
for i in range(3):
    rows.append([(t - datetime.timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                 "Login"] + [str(i)] * (n - 2))
with open(path, "w") as f:
    f.write("".join(",".join(r) + "\r\n" for r in rows))
PY
}
make_csv 10
/usr/bin/python3 "$tmp/serve.py" "$tmp/body.csv" >"$tmp/port" &
srv_pid=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(head -n1 "$tmp/port")

emu "/_emu/reset" >/dev/null
emu "/_emu/config?anchor=now&job_delay_ms=0&signed_base=http://127.0.0.1:$port" >/dev/null
psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<SQL
CREATE EXTENSION auditlog_fdw;
CREATE SERVER rs FOREIGN DATA WRAPPER auditlog_fdw
  OPTIONS (vendor 'resolver', base_url 'http://127.0.0.1:$EMU_RESOLVER_PORT', poll_interval_ms '10');
CREATE USER MAPPING FOR CURRENT_USER SERVER rs OPTIONS (api_token 'rslv-test-token');
IMPORT FOREIGN SCHEMA audit FROM SERVER rs INTO public;
SQL

fail=0
q="SELECT count(*), max((SELECT count(*) FROM jsonb_object_keys(raw))), bool_and(raw ? 'a (2)') FROM resolver_audit"
# 1000 columns (the cap), 998 of them "a": fast, and every key kept
make_csv 1000
t0=$(date +%s%N)
out=$(timeout 60 psql -X -At -d "$db" -c "$q" 2>&1) || true
ms=$((($(date +%s%N) - t0) / 1000000))
echo "1000 columns: $out in $ms ms"
if [ "$out" != "3|1000|t" ] || [ "$ms" -gt 10000 ]; then
    echo "FAIL: expected 3|1000|t within 10 s"
    fail=1
fi
# 4000 columns: a clear error at once (it used to run for minutes, deaf to cancel)
make_csv 4000
t0=$(date +%s%N)
out=$(timeout 60 psql -X -At -d "$db" -c "$q" 2>&1) || true
ms=$((($(date +%s%N) - t0) / 1000000))
echo "4000 columns: $out in $ms ms"
if ! grep -q "the header has 4000 columns, more than the 1000 allowed" <<<"$out" || [ "$ms" -gt 10000 ]; then
    echo "FAIL: expected the column cap error within 10 s"
    fail=1
fi
exit "$fail"
