#!/usr/bin/env bash
# Vendor text (UTF-8) in a LATIN1 database: values are converted to the
# database encoding (a character LATIN1 cannot hold becomes '?' with a
# WARNING naming the record and column, and the other rows are unaffected),
# and filter values go out as UTF-8.  The reference is the same scan in the
# UTF8 database, whose names the emulator's data holds ("José Müller", "李小龙").
set -euo pipefail
: "${EMU_ZENDESK_PORT:?EMU_ZENDESK_PORT is not set}"
work=$(mktemp -d)
trap 'rm -rf "$work"; psql -X -q -d postgres -c "DROP DATABASE IF EXISTS alf_latin1" >/dev/null 2>&1 || true' EXIT
url="http://127.0.0.1:$EMU_ZENDESK_PORT"
curl -sS --noproxy '*' "$url/_emu/reset" >/dev/null

setup="
CREATE EXTENSION IF NOT EXISTS auditlog_fdw;
CREATE SERVER enc_zd FOREIGN DATA WRAPPER auditlog_fdw OPTIONS (vendor 'zendesk', base_url '$url');
CREATE USER MAPPING FOR CURRENT_USER SERVER enc_zd OPTIONS (email 'admin@example.com', api_token 'zd-test-token');
CREATE FOREIGN TABLE enc_zd (id bigint, actor_name text, action text, source_label text, change_description text, raw jsonb) SERVER enc_zd;"
query="COPY (SELECT id, actor_name, source_label, change_description, raw->>'actor_name' FROM enc_zd ORDER BY id) TO STDOUT"

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE alf_utf8ref ENCODING 'UTF8' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'" \
    -c "CREATE DATABASE alf_latin1 ENCODING 'LATIN1' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'"
trap 'rm -rf "$work"; psql -X -q -d postgres -c "DROP DATABASE IF EXISTS alf_latin1" -c "DROP DATABASE IF EXISTS alf_utf8ref" >/dev/null 2>&1 || true' EXIT
for db in alf_utf8ref alf_latin1; do
    PGCLIENTENCODING=UTF8 psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "$setup" -c "$query" \
        >"$work/$db.out" 2>"$work/$db.err"
done
# a filter value with a non-ASCII character must reach the vendor as UTF-8
curl -sS --noproxy '*' "$url/_emu/log?clear=1" >/dev/null
PGCLIENTENCODING=UTF8 psql -X -q -At -v ON_ERROR_STOP=1 -d alf_latin1 \
    -c "SELECT count(*) FROM enc_zd WHERE action = 'Müller'" >"$work/filter.out"
curl -sS --noproxy '*' "$url/_emu/log" >"$work/emu.log"

/usr/bin/python3 - "$work" <<'PY'
import sys
work = sys.argv[1]
ref = open(work + "/alf_utf8ref.out", encoding="utf-8").read().splitlines()
got = open(work + "/alf_latin1.out", encoding="utf-8").read().splitlines()
err = open(work + "/alf_latin1.err", encoding="utf-8").read()
fails = []

def latin1(text):
    return "".join(c if ord(c) < 256 else "?" for c in text)

if len(ref) < 100:
    fails.append("reference scan returned only %d rows" % len(ref))
if len(got) != len(ref):
    fails.append("LATIN1 scan: %d rows, UTF8 scan: %d" % (len(got), len(ref)))
wrong = [(r, g) for r, g in zip(ref, got) if latin1(r) != g]
if wrong:
    fails.append("%d rows differ, e.g. %r vs %r" % (len(wrong), wrong[0][0][:120], wrong[0][1][:120]))
if not any("\tJosé Müller\t" in r for r in got):
    fails.append("no 'José Müller' in the LATIN1 scan")
replaced = sum(1 for r in ref if latin1(r) != r)
if replaced == 0:
    fails.append("the data has no character outside LATIN1: the test proves nothing")
warnings = err.count("characters the database encoding cannot hold")
if warnings == 0:
    fails.append("no WARNING about replaced characters")
if open(work + "/filter.out").read().strip() != "0":
    fails.append("filter query: %r" % open(work + "/filter.out").read())
log = open(work + "/emu.log", encoding="utf-8", errors="replace").read()
if "filter[action]=Müller" not in log:
    fails.append("filter value not sent as UTF-8: %r" % log[:300])
for f in fails:
    print("FAIL:", f)
if fails:
    sys.exit(1)
print("LATIN1 database: %d rows as in UTF8, %d with '?' replacements, %d warnings, "
      "UTF-8 filter value" % (len(got), replaced, warnings))
PY
