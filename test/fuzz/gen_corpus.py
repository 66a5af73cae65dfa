#!/usr/bin/python3
"""test/fuzz/gen_corpus.py - seed corpora for the fuzz targets from the emulator.

    /usr/bin/python3 test/fuzz/gen_corpus.py

Starts test/emulator/emulator.py on free ports, asks each vendor for small
answers the way the FDW does (small datasets: seeds stay small), and writes
them to test/fuzz/corpus/<target>/ (replacing the generated seeds, keeping
hand-written ones, whose names start with "hand-"):

  fuzz_json_page      JSON pages, single records, job/token answers, error bodies
  fuzz_csv_header     ZIA report CSVs in every csv_style/footer/BOM/line-end/time
                      format variant, Resolver export CSVs in each time format
  fuzz_csv_reader     the same CSVs
  fuzz_timeparse      every timestamp text seen in the above
  fuzz_zia_obfuscate  key/timestamp pairs (first byte = key length)

Python standard library only.  The committed corpora were made with it; rerun
it after the emulator's formats change.
"""
import base64
import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")
TARGETS = ["fuzz_json_page", "fuzz_csv_header", "fuzz_csv_reader", "fuzz_timeparse",
           "fuzz_zia_obfuscate"]

seeds = {t: {} for t in TARGETS}
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def add(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    if data:
        seeds[target][name] = data


def http(port, method, path, headers=None, body=None):
    """(status, body bytes); never raises for an HTTP error status."""
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=body,
                                 method=method, headers=headers or {})
    try:
        with opener.open(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def config(port, **kv):
    q = "&".join("%s=%s" % (k, v) for k, v in kv.items())
    status, body = http(port, "GET", "/_emu/config?" + q)
    if status != 200:
        sys.exit("gen_corpus: config %s: %s %s" % (q, status, body))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def kore_jwt():
    now = int(time.time())
    seg = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64url(
        json.dumps({"appId": "cs-kore-test-client", "iat": now, "exp": now + 300}).encode())
    sig = hmac.new(b"kore-test-secret-0123456789", seg.encode(), hashlib.sha256).digest()
    return seg + "." + b64url(sig)


def times_of(text):
    """Timestamp-looking texts in a body, for the time reader's corpus."""
    found = re.findall(r'\d{4}-\d\d-\d\d[T ][0-9:.]+(?:Z|[+-]\d\d:?\d\d)?'
                       r'|\d\d?/\d\d?/\d{4} \d\d?:\d\d(?::\d\d)? ?[AP]M'
                       r'|[A-Z][a-z]+ \d\d?, \d{4},? \d\d?:\d\d(?::\d\d)?(?: ?[AP]M)?(?: [A-Z]{2,5})?'
                       r'|"timestampValue":\s*\d+|"requestTime":\s*"?\d+', text)
    return [re.sub(r'^"\w+":\s*"?', "", f) for f in found]


def zendesk(port):
    config(port, records=6)
    auth = {"Authorization": "Basic " + base64.b64encode(b"admin@example.com/token:zd-test-token").decode()}
    st, page = http(port, "GET", "/api/v2/audit_logs?page[size]=3", auth)
    add("fuzz_json_page", "zendesk-page", page)
    rec = json.loads(page)["audit_logs"][0]
    st, one = http(port, "GET", "/api/v2/audit_logs/%d" % rec["id"], auth)
    add("fuzz_json_page", "zendesk-show", one)
    for name, (path, hdr) in {
            "zendesk-401": ("/api/v2/audit_logs", {}),
            "zendesk-404": ("/api/v2/audit_logs/1", auth),
            "zendesk-400": ("/api/v2/audit_logs?page[size]=0", auth)}.items():
        add("fuzz_json_page", name, http(port, "GET", path, hdr)[1])
    st, last = http(port, "GET", "/api/v2/audit_logs?page[size]=3&page[after]=" +
                    urllib.request.quote(json.loads(page)["meta"]["after_cursor"], safe=""), auth)
    add("fuzz_json_page", "zendesk-last-page", last)
    return page + one


def koreai(port):
    config(port, records=4, rate_limit_per_min=0, rate_limit_per_hour=0)
    st, page = http(port, "GET", "/api/public/auditlogs?size=3", {"auth": kore_jwt()})
    add("fuzz_json_page", "koreai-page", page)
    add("fuzz_json_page", "koreai-401", http(port, "GET", "/api/public/auditlogs", {})[1])
    add("fuzz_json_page", "koreai-404", http(port, "GET", "/nope", {"auth": kore_jwt()})[1])
    return page


def zoho(port):
    config(port, records=4)
    auth = {"Authorization": "Zoho-oauthtoken zoho-test-oauth"}
    base = "/api/organization/1000000000/activity"
    st, orgs = http(port, "GET", "/_emu/config")
    zoid = json.loads(orgs).get("zoid", 1000000000)
    base = "/api/organization/%s/activity" % zoid
    end = 1793491200000
    st, page = http(port, "GET", "%s?startTime=%d&endTime=%d&limit=3" % (base, end - 40 * 86400000, end), auth)
    add("fuzz_json_page", "zoho-page", page)
    add("fuzz_json_page", "zoho-401", http(port, "GET", base, {"Authorization": "Zoho-oauthtoken bad"})[1])
    add("fuzz_json_page", "zoho-400", http(port, "GET", base + "?limit=x", auth)[1])
    st, tok = http(port, "POST", "/oauth/v2/token",
                   {"Content-Type": "application/x-www-form-urlencoded"},
                   b"grant_type=refresh_token&client_id=zoho-test-client&client_secret=x&refresh_token=y")
    add("fuzz_json_page", "zoho-token-error", tok)
    return page


def zscaler(port):
    config(port, records=40, burst_second_rows=0, report_delay_ms=0, post_per_min=0,
           post_per_hour=0, req_per_sec=0, req_per_hour=0)
    st, tok = http(port, "POST", "/oauth2/v1/token", {"Content-Type": "application/x-www-form-urlencoded"},
                   b"grant_type=client_credentials&client_id=zia-test-client&client_secret=zia-test-secret"
                   b"&audience=https://api.zscaler.com")
    add("fuzz_json_page", "zscaler-token", tok)
    add("fuzz_json_page", "zscaler-token-401", http(
        port, "POST", "/oauth2/v1/token", {"Content-Type": "application/x-www-form-urlencoded"},
        b"grant_type=client_credentials&client_id=zia-test-client&client_secret=no"
        b"&audience=https://api.zscaler.com")[1])
    auth = {"Authorization": "Bearer " + json.loads(tok)["access_token"]}
    add("fuzz_json_page", "zscaler-401", http(port, "GET", "/api/v1/auditlogEntryReport")[1])
    end = 1793491200999     # the anchor's second, inclusive
    body = json.dumps({"startTime": end - 2678399999, "endTime": end}).encode()
    seen = b""
    variants = [
        ("ui", dict(csv_style="ui")),
        ("ui-nofooter-lf", dict(csv_style="ui", csv_footer=0, csv_line_end="lf")),
        ("ui-bom-asc", dict(csv_style="ui", csv_bom=1, csv_order="asc")),
        ("plain", dict(csv_style="plain")),
        ("time-iso", dict(time_format="iso")),
        ("time-us", dict(time_format="us")),
        ("time-long-tz", dict(time_format="long", time_zone="America/Los_Angeles")),
    ]
    for name, kv in variants:
        config(port, csv_style="ui", csv_footer=1, csv_line_end="crlf", csv_bom=0, csv_order="desc",
               time_format="plain", time_zone="UTC")
        config(port, **kv)
        st, _ = http(port, "POST", "/api/v1/auditlogEntryReport",
                     dict(auth, **{"Content-Type": "application/json"}), body)
        if st != 204:
            sys.exit("gen_corpus: zscaler report POST: %s" % st)
        add("fuzz_json_page", "zscaler-taskinfo", http(port, "GET", "/api/v1/auditlogEntryReport", auth)[1])
        for _ in range(50):
            st, csv = http(port, "GET", "/api/v1/auditlogEntryReport/download", dict(auth, Accept="text/csv"))
            if st != 409:
                break
            time.sleep(0.1)
        if st != 200:
            sys.exit("gen_corpus: zscaler download: %s %s" % (st, csv[:200]))
        add("fuzz_csv_header", "zscaler-" + name, csv)
        add("fuzz_csv_reader", "zscaler-" + name, csv)
        seen += csv
    add("fuzz_json_page", "zscaler-bad-range", http(
        port, "POST", "/api/v1/auditlogEntryReport", dict(auth, **{"Content-Type": "application/json"}),
        json.dumps({"startTime": 0, "endTime": end}).encode())[1])
    return seen


def resolver(port):
    config(port, records=5, job_delay_ms=0)
    auth = {"Authorization": "bearer rslv-test-token", "Content-Type": "application/json"}
    body = json.dumps({"dateStart": 1790000000, "dateEnd": 1793491200}).encode()
    seen = b""
    for style in ("string", "number", "object", "object_jobid"):
        config(port, job_id_style=style)
        st, job = http(port, "POST", "/audit/user/export", auth, body)
        add("fuzz_json_page", "resolver-job-" + style, job)
    for fmt in ("iso", "plain", "us"):
        config(port, time_format=fmt, job_id_style="string", csv_line_end="lf" if fmt == "us" else "crlf")
        st, job = http(port, "POST", "/audit/user/export", auth, body)
        jid = json.loads(job)
        for _ in range(50):
            st, status = http(port, "GET", "/object/job/%s" % jid, auth)
            if json.loads(status).get("signedURL"):
                break
            time.sleep(0.05)
        add("fuzz_json_page", "resolver-status", status)
        url = json.loads(status)["signedURL"]
        st, csv = http(port, "GET", url[url.index("/signed/"):])
        add("fuzz_csv_header", "resolver-" + fmt, csv)
        add("fuzz_csv_reader", "resolver-" + fmt, csv)
        seen += csv
    config(port, fail_jobs=1)
    st, job = http(port, "POST", "/audit/user/export", auth, body)
    time.sleep(0.05)
    add("fuzz_json_page", "resolver-failed", http(port, "GET", "/object/job/%s" % json.loads(job), auth)[1])
    add("fuzz_json_page", "resolver-401", http(port, "POST", "/audit/user/export",
                                               {"Authorization": "bearer x"}, body)[1])
    return seen


def main():
    with tempfile.TemporaryDirectory() as tmp:
        portfile = os.path.join(tmp, "ports")
        emu = subprocess.Popen([sys.executable, os.path.join(ROOT, "test/emulator/emulator.py"),
                                "--port-file", portfile], stdin=subprocess.DEVNULL)
        try:
            for _ in range(100):
                if os.path.exists(portfile):
                    break
                time.sleep(0.1)
            ports = dict(l.split("=") for l in open(portfile).read().split())
            ports = {k: int(v) for k, v in ports.items()}
            seen = b""
            for vendor, fn in (("zendesk", zendesk), ("koreai", koreai), ("zoho_mail", zoho),
                               ("zscaler", zscaler), ("resolver", resolver)):
                seen += fn(ports[vendor])
        finally:
            emu.terminate()
            emu.wait()

    text = seen.decode("utf-8", "replace")
    for i, t in enumerate(sorted(set(times_of(text)))[:40]):
        add("fuzz_timeparse", "emu-%02d" % i, t)
    key = b"ZiaTestKey2026xyz"
    for i, ts in enumerate((b"1793491200000", b"1700000000123", b"000000")):
        add("fuzz_zia_obfuscate", "emu-%d" % i, bytes([len(key)]) + key + ts)

    for target in TARGETS:
        d = os.path.join(CORPUS, target)
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            if not f.startswith("hand-"):
                os.unlink(os.path.join(d, f))
        for name, data in seeds[target].items():
            with open(os.path.join(d, name), "wb") as fh:
                fh.write(data)
        print("gen_corpus: %-20s %3d seeds" % (target, len(seeds[target])))


if __name__ == "__main__":
    main()
