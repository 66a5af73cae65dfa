#!/usr/bin/python3
"""Self-test of the vendor emulator (framework, Zendesk, Kore.ai and Zoho Mail).

    /usr/bin/python3 test/emulator/selftest.py [-v]

Starts emulator.py as a subprocess, checks it over HTTP with the standard
library only, stops it with SIGTERM, and prints
    emulator selftest: N passed, M failed
as its last line.  Exit status 0 only when nothing failed.
"""

import sys

sys.dont_write_bytecode = True

import base64                       # noqa: E402
import collections                  # noqa: E402
import datetime                     # noqa: E402
import gzip                         # noqa: E402
import http.client                  # noqa: E402
import ipaddress                    # noqa: E402
import json                         # noqa: E402
import os                           # noqa: E402
import re                           # noqa: E402
import signal                       # noqa: E402
import socket                       # noqa: E402
import subprocess                   # noqa: E402
import tempfile                     # noqa: E402
import time                         # noqa: E402
import traceback                    # noqa: E402
import urllib.parse                 # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
EMULATOR = os.path.join(HERE, "emulator.py")
PYTHON = sys.executable or "/usr/bin/python3"

ADMIN, TOKEN = "admin@example.com", "zd-test-token"
OAUTH, AGENT = "zd-test-oauth", "agent@example.com"
ANCHOR = "2026-11-01T00:00:00Z"
RECORDS = 2500
LIST = "/api/v2/audit_logs"
VERBOSE = "-v" in sys.argv[1:]


def basic(email, token):
    return "Basic " + base64.b64encode(("%s/token:%s" % (email, token)).encode()).decode()


ADMIN_AUTH = basic(ADMIN, TOKEN)


# ---------------------------------------------------------------- harness

class Suite:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, cond, detail=""):
        if cond:
            self.passed += 1
            if VERBOSE:
                print("ok   %s" % name)
        else:
            self.failed += 1
            print("FAIL %s%s" % (name, (": " + str(detail)[:600]) if detail != "" else ""))
        return bool(cond)

    def eq(self, name, got, want):
        return self.check(name, got == want, "got %r, want %r" % (got, want))


class Emulator:
    """emulator.py as a subprocess with a port file."""

    def __init__(self, *args, port_file=True):
        self.tmp = tempfile.mkdtemp(prefix="emu-selftest-")
        self.port_file = os.path.join(self.tmp, "ports") if port_file else None
        cmd = [PYTHON, EMULATOR] + list(args)
        if self.port_file:
            cmd += ["--port-file", self.port_file]
        self.stderr_path = os.path.join(self.tmp, "stderr")
        self.stdout_path = os.path.join(self.tmp, "stdout")
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        self.proc = subprocess.Popen(cmd, stdout=open(self.stdout_path, "wb"),
                                     stderr=open(self.stderr_path, "wb"),
                                     stdin=subprocess.DEVNULL, env=env)
        self.ports = {}

    def wait_ports(self, timeout=10.0):
        deadline = time.time() + timeout
        src = self.port_file or self.stdout_path
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            if os.path.exists(src):
                text = open(src).read()
                if text.endswith("\n"):
                    for line in text.splitlines():
                        name, _, port = line.partition("=")
                        self.ports[name] = int(port)
                    return True
            time.sleep(0.05)
        return False

    def stop(self, timeout=5.0):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return None
        return self.proc.returncode

    def stderr(self):
        return open(self.stderr_path, encoding="utf-8", errors="replace").read()


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers          # lower-case name -> value (last wins)
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))


class Client:
    def __init__(self, port):
        self.port = port

    def conn(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def request(self, method, path, headers=None, body=None, conn=None, auth=ADMIN_AUTH):
        own = conn is None
        c = conn or self.conn()
        try:
            h = {}
            if auth:
                h["Authorization"] = auth
            h.update(headers or {})
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            return Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
        finally:
            if own:
                c.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def get_json(self, path, **kw):
        r = self.get(path, **kw)
        try:
            obj = r.json()
        except ValueError:
            obj = None
        return r, obj

    def ctl(self, name, pairs=()):
        q = urllib.parse.urlencode(list(pairs))
        r = self.request("GET", "/_emu/" + name + ("?" + q if q else ""), auth=None)
        return r

    def config(self, **kv):
        r = self.ctl("config", [(k, str(v)) for k, v in kv.items()])
        if r.status != 200:
            raise RuntimeError("config %r: %s %s" % (kv, r.status, r.body))
        return json.loads(r.body)

    def reset(self):
        r = self.ctl("reset")
        if r.status != 200:
            raise RuntimeError("reset failed")

    def fresh(self):
        """Reset, then lift the 700/min limit: the bulk walks below send
        thousands of requests a minute."""
        self.reset()
        self.config(rate_limit_per_min=0)

    def stats(self):
        return json.loads(self.ctl("stats").body)

    def log(self, clear=False):
        return self.ctl("log", [("clear", "1")] if clear else []).body.decode("utf-8")


def q(pairs):
    return "?" + urllib.parse.urlencode([(k, str(v)) for k, v in pairs])


def walk(cl, size, sort=None, extra=(), path=LIST):
    """Cursor walk following meta.after_cursor until has_more is false.
    Returns (records, pages, has_more flags)."""
    base = [("page[size]", size)] + ([("sort", sort)] if sort else []) + list(extra)
    out, flags, after = [], [], None
    for _ in range(100000):
        pairs = base + ([("page[after]", after)] if after else [])
        r, obj = cl.get_json(path + q(pairs))
        if r.status != 200:
            raise RuntimeError("walk: %d %s" % (r.status, r.body[:200]))
        out += obj["audit_logs"]
        flags.append(obj["meta"]["has_more"])
        if not obj["meta"]["has_more"]:
            return out, len(flags), flags
        after = obj["meta"]["after_cursor"]
    raise RuntimeError("walk did not end")


def key(rec):
    return (rec["created_at"], rec["id"])


def epoch(iso):
    return int(datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ")
               .replace(tzinfo=datetime.timezone.utc).timestamp())


# ---------------------------------------------------------------- tests

def test_startup(t, emu, cl):
    text = open(emu.port_file).read()
    t.check("port file has zendesk=PORT", re.fullmatch(r"zendesk=\d+\n", text), text)
    r = cl.ctl("health")
    t.check("health", r.status == 200 and r.body.strip() == b"ok", r.body)
    r = cl.ctl("nosuch")
    t.eq("unknown control endpoint 404", r.status, 404)


def test_dataset(t, cl, port):
    cl.fresh()
    recs, _, _ = walk(cl, 100, "created_at")
    t.eq("dataset size", len(recs), RECORDS)
    ids = [r["id"] for r in recs]
    t.eq("ids unique", len(set(ids)), len(ids))
    t.check("ids start around 1000000", 1000000 <= min(ids) < 1002000, min(ids))
    by_id = sorted(recs, key=lambda r: r["id"])
    t.check("ids strictly increase with created_at",
            all(a["created_at"] <= b["created_at"] for a, b in zip(by_id, by_id[1:])))
    t.eq("newest created_at is the anchor", max(r["created_at"] for r in recs), ANCHOR)
    oldest = min(epoch(r["created_at"]) for r in recs)
    t.check("spread over the 30 days before the anchor",
            epoch(ANCHOR) - 30 * 86400 <= oldest < epoch(ANCHOR) - 25 * 86400,
            recs[0]["created_at"])
    t.check("created_at format", all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
                                                   r["created_at"]) for r in recs))
    bursts = collections.Counter(r["created_at"] for r in recs)
    groups = [n for n in bursts.values() if n > 1]
    t.check("bursts of identical created_at (often, 2-8)",
            len(groups) > 100 and max(groups) <= 8, (len(groups), max(groups or [0])))
    actors = {r["actor_id"]: r["actor_name"] for r in recs}
    t.check("about 40 actors", 35 <= len(actors) <= 45, len(actors))
    names = set(actors.values())
    for n in ("José Müller", "李小龙", "Zoë Ødegaard", "Ørjan Ås"):
        t.check("non-ASCII actor %s" % n, n in names)
    system = [r for r in recs if r["actor_id"] == -1]
    t.check("system actor -1 'Zendesk' with null ip",
            system and all(r["actor_name"] == "Zendesk" and r["ip_address"] is None
                           for r in system))
    ips = {r["ip_address"] for r in recs if r["ip_address"] is not None}
    v6 = {ip for ip in ips if ":" in ip}
    t.check("IPv4 and IPv6 addresses", v6 and ips - v6)
    t.check("IPv6 canonical compressed lower-case",
            all(ipaddress.ip_address(ip).compressed == ip for ip in ips), sorted(v6)[:5])
    t.check("2001:db8::1 present", "2001:db8::1" in ips)
    t.eq("actions", {r["action"] for r in recs},
         {"create", "destroy", "exported", "login", "update"})
    missing = [r for r in recs if "action_label" not in r]
    t.check("some records lack action_label", 0 < len(missing) < len(recs) // 4, len(missing))
    t.eq("source types", {r["source_type"] for r in recs},
         {"user", "rule", "ticket", "apitoken", "zendesk/app_market/app"})
    t.check("source_id / source_label everywhere",
            all(isinstance(r["source_id"], int) and r["source_label"] for r in recs))
    descs = [r["change_description"] for r in recs]
    for what, pred in (("comma", lambda d: "," in d), ("double quote", lambda d: '"' in d),
                       ("newline", lambda d: "\n" in d),
                       ("non-ASCII", lambda d: any(ord(c) > 127 for c in d))):
        t.check("change_description with %s" % what, any(pred(d) for d in descs))
    t.check("url field", all(r["url"] == "http://127.0.0.1:%d/api/v2/audit_logs/%d.json"
                             % (port, r["id"]) for r in recs), recs[0]["url"])
    t.check("keys alphabetical like the docs",
            all(list(r) == sorted(r) for r in recs[:50]))
    t.eq("/_emu/dump: every record as the API returns it, by (created_at, id)",
         json.loads(cl.ctl("dump").body), sorted(recs, key=lambda r: (r["created_at"], r["id"])))
    return recs


def test_auth(t, cl):
    path = LIST + "?page[size]=1"
    r = cl.get(path, auth=None)
    t.check("no auth -> 401",
            r.status == 401 and r.json() == {"error": "Couldn't authenticate you"},
            (r.status, r.body))
    t.eq("401 is JSON", r.headers.get("content-type", "").split(";")[0], "application/json")
    t.eq("wrong token -> 401", cl.get(path, auth=basic(ADMIN, "nope")).status, 401)
    t.eq("unknown email -> 401", cl.get(path, auth=basic("x@example.com", TOKEN)).status, 401)
    pw = "Basic " + base64.b64encode(("%s:%s" % (ADMIN, TOKEN)).encode()).decode()
    t.eq("email:password (no /token) -> 401", cl.get(path, auth=pw).status, 401)
    t.eq("garbage Basic -> 401", cl.get(path, auth="Basic %%%").status, 401)
    t.eq("Basic admin token -> 200", cl.get(path).status, 200)
    t.eq("Basic email case-insensitive", cl.get(path, auth=basic(ADMIN.upper(), TOKEN)).status, 200)
    t.eq("Bearer oauth -> 200", cl.get(path, auth="Bearer " + OAUTH).status, 200)
    t.eq("Bearer bad -> 401", cl.get(path, auth="Bearer nope").status, 401)
    r = cl.get(path, auth=basic(AGENT, TOKEN))
    t.check("agent -> 403 body", r.status == 403 and r.json() == {
        "error": "Forbidden",
        "description": "You do not have access to this page. Please contact the account "
                       "owner of this help desk for further help."}, (r.status, r.body))
    t.eq("show without auth -> 401", cl.get(LIST + "/1000001", auth=None).status, 401)
    cl.config(plan="professional")
    r = cl.get(path)
    t.check("non-Enterprise plan -> 403", r.status == 403 and r.json()["error"] == "Forbidden"
            and "plan" in r.json()["description"].lower(), (r.status, r.body))
    cl.config(plan="enterprise_plus")
    t.eq("enterprise_plus plan -> 200", cl.get(path).status, 200)
    cl.config(plan="enterprise", email="ops@acme.test", api_token="s3cret")
    t.eq("configured credentials accepted",
         cl.get(path, auth=basic("ops@acme.test", "s3cret")).status, 200)
    t.eq("old credentials rejected", cl.get(path).status, 401)
    cl.reset()


def test_cursor(t, cl, all_recs):
    cl.fresh()
    want_asc = sorted(all_recs, key=key)
    want_desc = list(reversed(want_asc))
    for size in (100, 37, 7):
        for sort in (None, "-created_at", "created_at"):
            if size == 7 and sort is None:
                continue
            recs, pages, flags = walk(cl, size, sort)
            label = "cursor walk size=%d sort=%s" % (size, sort or "(default)")
            want = want_asc if sort == "created_at" else want_desc
            t.check(label + ": every record once, in order",
                    [r["id"] for r in recs] == [r["id"] for r in want],
                    (len(recs), len(want)))
            t.check(label + ": has_more true until the last page",
                    flags[-1] is False and all(flags[:-1]) and pages == -(-RECORDS // size),
                    (pages, flags[-3:]))

    # follow links.next instead of building URLs
    r, obj = cl.get_json(LIST + q([("page[size]", 100), ("sort", "created_at")]))
    got = list(obj["audit_logs"])
    while obj["meta"]["has_more"]:
        nxt = urllib.parse.urlsplit(obj["links"]["next"])
        t_ok = nxt.netloc == "127.0.0.1:%d" % cl.port
        r, obj = cl.get_json(nxt.path + "?" + nxt.query)
        got += obj["audit_logs"]
    t.check("links.next walk returns every record once",
            t_ok and [x["id"] for x in got] == [x["id"] for x in want_asc], len(got))
    t.check("links.next on last page mirrors after_cursor, prev present",
            obj["links"]["next"] and obj["links"]["prev"], obj["links"])

    # backward walk with page[before] from the last page
    last = obj
    back = []
    before = last["meta"]["before_cursor"]
    for _ in range(1000):
        r, o = cl.get_json(LIST + q([("page[size]", 100), ("sort", "created_at"),
                                     ("page[before]", before)]))
        back = o["audit_logs"] + back
        if not o["meta"]["has_more"]:
            break
        before = o["meta"]["before_cursor"]
    t.check("page[before] walk covers everything before the last page, in order",
            [x["id"] for x in back + last["audit_logs"]] == [x["id"] for x in want_asc],
            len(back))

    # page[after] without page[size] -> cursor mode with 100 per page
    r, o1 = cl.get_json(LIST + q([("page[size]", 5)]))
    r, o2 = cl.get_json(LIST + q([("page[after]", o1["meta"]["after_cursor"])]))
    t.check("page[after] alone: cursor mode, default size 100",
            r.status == 200 and len(o2["audit_logs"]) == 100
            and o2["audit_logs"][0]["id"] == want_desc[5]["id"], r.status)
    r, o = cl.get_json(LIST + ".json" + q([("page[size]", 3)]))
    t.check(".json suffix on list", r.status == 200 and len(o["audit_logs"]) == 3)
    r, o = cl.get_json(LIST + q([("page[size]", 100)]))
    t.eq("page[size]=100 accepted", (r.status, len(o["audit_logs"])), (200, 100))

    # empty result
    r, o = cl.get_json(LIST + q([("page[size]", 10), ("filter[action]", "nosuch")]))
    t.check("empty page: has_more false, null cursors and links",
            r.status == 200 and o["audit_logs"] == [] and o["meta"] == {
                "has_more": False, "after_cursor": None, "before_cursor": None}
            and o["links"] == {"next": None, "prev": None}, o)

    # errors
    for bad in ("101", "0", "-1", "abc", ""):
        r = cl.get(LIST + q([("page[size]", bad)]))
        t.check("page[size]=%r -> 400 Zendesk error body" % bad,
                r.status == 400 and "error" in r.json() and "description" in r.json(),
                (r.status, r.body))
    cur = o1["meta"]["after_cursor"]
    r = cl.get(LIST + q([("page[size]", 5), ("page[after]", cur), ("page[before]", cur)]))
    t.eq("page[after] with page[before] -> 400", r.status, 400)
    r = cl.get(LIST + q([("page[size]", 5), ("page[after]", "not-a-cursor")]))
    t.eq("garbage cursor -> 400", r.status, 400)
    r = cl.get(LIST + q([("page[size]", 5), ("sort", "id")]))
    t.eq("sort=id -> 400", r.status, 400)
    r = cl.get(LIST + q([("page[size]", 5), ("sort", "created_at"), ("page[after]", cur)]))
    t.eq("cursor of another sort order -> 400", r.status, 400)
    raw = LIST + "?page%5Bsize%5D=5&page%5Bafter%5D=" + cur.replace("=", "%3D")
    t.eq("percent-encoded brackets and cursor", cl.get(raw).status, 200)


def test_offset(t, cl, all_recs):
    cl.fresh()
    want_asc = sorted(all_recs, key=key)
    want_desc = list(reversed(want_asc))
    r, o = cl.get_json(LIST)
    t.check("offset default: 100 newest first, count, next_page, previous_page null",
            r.status == 200
            and [x["id"] for x in o["audit_logs"]] == [x["id"] for x in want_desc[:100]]
            and o["count"] == RECORDS and o["previous_page"] is None
            and o["next_page"] == "http://127.0.0.1:%d%s?page=2" % (cl.port, LIST),
            {k: o.get(k) for k in ("count", "next_page", "previous_page")})
    r, o = cl.get_json(LIST + q([("sort_order", "asc"), ("per_page", 10), ("page", 3)]))
    t.check("offset asc page 3 of 10",
            [x["id"] for x in o["audit_logs"]] == [x["id"] for x in want_asc[20:30]]
            and "page=2" in o["previous_page"] and "page=4" in o["next_page"], o.get("next_page"))
    got, url = [], LIST + "?per_page=100"
    while url:
        r, o = cl.get_json(url)
        got += o["audit_logs"]
        url = o["next_page"]
        if url:
            s = urllib.parse.urlsplit(url)
            url = s.path + "?" + s.query
    t.check("offset walk via next_page returns every record once",
            [x["id"] for x in got] == [x["id"] for x in want_desc], len(got))
    t.eq("page=100 accepted", cl.get(LIST + "?page=100").status, 200)
    r = cl.get(LIST + "?page=101")
    t.check("page=101 (beyond record 10,000) -> 400", r.status == 400 and "error" in r.json(),
            (r.status, r.body))
    t.eq("per_page=10&page=1000 accepted", cl.get(LIST + "?per_page=10&page=1000").status, 200)
    t.eq("per_page=10&page=1001 -> 400", cl.get(LIST + "?per_page=10&page=1001").status, 400)
    t.eq("per_page=0 -> 400", cl.get(LIST + "?per_page=0").status, 400)
    t.eq("page=0 -> 400", cl.get(LIST + "?page=0").status, 400)
    r, o = cl.get_json(LIST + "?per_page=500")
    t.eq("per_page above 100 is clamped to 100", (r.status, len(o["audit_logs"])), (200, 100))
    t.eq("sort_by=id -> 400", cl.get(LIST + "?sort_by=id").status, 400)
    t.eq("sort_order=up -> 400", cl.get(LIST + "?sort_order=up").status, 400)


def _ids(cl, pairs, size=100):
    recs, _, _ = walk(cl, size, "created_at", pairs)
    return [r["id"] for r in recs]


def _want(all_recs, pred):
    return [r["id"] for r in sorted(all_recs, key=key) if pred(r)]


def test_filters(t, cl, all_recs):
    cl.fresh()
    cases = [
        ("filter[action]=login", [("filter[action]", "login")],
         lambda r: r["action"] == "login"),
        ("filter[action][] create+destroy",
         [("filter[action][]", "create"), ("filter[action][]", "destroy")],
         lambda r: r["action"] in ("create", "destroy")),
        ("filter[actor_id]=-1 (system)", [("filter[actor_id]", "-1")],
         lambda r: r["actor_id"] == -1),
        ("filter[ip_address]=2001:db8::1", [("filter[ip_address]", "2001:db8::1")],
         lambda r: r["ip_address"] == "2001:db8::1"),
        ("filter[ip_address]=209.119.38.228", [("filter[ip_address]", "209.119.38.228")],
         lambda r: r["ip_address"] == "209.119.38.228"),
        ("filter[source_type]=zendesk/app_market/app",
         [("filter[source_type]", "zendesk/app_market/app")],
         lambda r: r["source_type"] == "zendesk/app_market/app"),
    ]
    actor = collections.Counter(r["actor_id"] for r in all_recs
                                if r["actor_id"] != -1).most_common(1)[0][0]
    cases.append(("filter[actor_id]=<busiest>", [("filter[actor_id]", str(actor))],
                  lambda r: r["actor_id"] == actor))
    rule = next(r for r in all_recs if r["source_type"] == "rule")
    cases.append(("filter[source_type]=rule&filter[source_id]",
                  [("filter[source_type]", "rule"), ("filter[source_id]", str(rule["source_id"]))],
                  lambda r: r["source_type"] == "rule" and r["source_id"] == rule["source_id"]))
    cases.append(("combined action + actor", [("filter[action]", "login"),
                                               ("filter[actor_id]", str(actor))],
                  lambda r: r["action"] == "login" and r["actor_id"] == actor))
    for name, pairs, pred in cases:
        want = _want(all_recs, pred)
        got = _ids(cl, pairs, size=7 if len(want) < 300 else 100)
        t.check(name + " (%d records)" % len(want), want and got == want, (len(got), len(want)))

    for name, pairs in (("unknown action value", [("filter[action]", "frobnicate")]),
                        ("non-integer actor_id", [("filter[actor_id]", "abc")]),
                        ("unknown ip", [("filter[ip_address]", "2001:DB8::1")]),
                        ("unknown source_type", [("filter[source_type]", "nosuch")])):
        r, o = cl.get_json(LIST + q([("page[size]", 10)] + pairs))
        t.check(name + " matches nothing", r.status == 200 and o["audit_logs"] == [], r.status)
    r = cl.get(LIST + q([("page[size]", 10), ("filter[source_id]", "1")]))
    t.check("filter[source_id] without source_type -> 400",
            r.status == 400 and "error" in r.json(), (r.status, r.body))
    r = cl.get(LIST + q([("filter[source_id]", "1")]))
    t.eq("... also in offset mode", r.status, 400)
    r = cl.get(LIST + q([("filter[actor_id]", "1"), ("filter[actor_id]", "2")]))
    t.eq("single-valued filter given twice -> 400", r.status, 400)

    # created_at: bounds on burst seconds, in each mode and both forms
    bursts = sorted(s for s, n in collections.Counter(r["created_at"] for r in all_recs).items()
                    if n >= 2)
    lo, hi = bursts[len(bursts) // 3], bursts[len(bursts) // 3 + 40]
    lo_e, hi_e = epoch(lo), epoch(hi)
    preds = {
        "inclusive": lambda r: lo_e <= epoch(r["created_at"]) <= hi_e,
        "exclusive": lambda r: lo_e < epoch(r["created_at"]) < hi_e,
        "half_open": lambda r: lo_e <= epoch(r["created_at"]) < hi_e,
    }
    counts = set()
    for mode, pred in preds.items():
        cl.config(created_at_bounds=mode)
        want = _want(all_recs, pred)
        counts.add(len(want))
        for form in ("filter[created_at][]", "filter[created_at]"):
            got = _ids(cl, [(form, lo), (form, hi)])
            t.check("created_at %s, %s x2 (%d records)" % (mode, form, len(want)),
                    got == want, (len(got), len(want)))
        r, o = cl.get_json(LIST + q([("filter[created_at][]", lo), ("filter[created_at][]", hi),
                                     ("per_page", 100)]))
        t.eq("created_at %s in offset mode: count" % mode, o["count"], len(want))
    t.check("the three bound modes differ on burst boundaries", len(counts) == 3, counts)
    cl.config(created_at_bounds="inclusive")
    # other ISO-8601 spellings of the same instants
    lo_dt = datetime.datetime.fromtimestamp(lo_e, datetime.timezone.utc)
    lo_off = lo_dt.astimezone(datetime.timezone(datetime.timedelta(hours=2))).isoformat()
    hi_frac = hi[:-1] + ".000Z"
    got = _ids(cl, [("filter[created_at][]", lo_off), ("filter[created_at][]", hi_frac)])
    t.check("created_at with +02:00 offset and fractional seconds",
            got == _want(all_recs, preds["inclusive"]), (lo_off, hi_frac))
    got = _ids(cl, [("filter[created_at][]", lo[:-1] + ".5Z"), ("filter[created_at][]", hi)])
    t.check("fractional start bound excludes the whole second before it",
            got == _want(all_recs, lambda r: lo_e < epoch(r["created_at"]) <= hi_e))
    for name, pairs in (("one created_at value", [("filter[created_at][]", lo)]),
                        ("three created_at values", [("filter[created_at][]", lo)] * 3),
                        ("unparseable created_at", [("filter[created_at][]", "yesterday"),
                                                    ("filter[created_at][]", hi)])):
        r = cl.get(LIST + q([("page[size]", 10)] + pairs))
        t.check(name + " -> 400", r.status == 400 and "error" in r.json(), (r.status, r.body))
    r, o = cl.get_json(LIST + q([("page[size]", 10), ("filter[created_at][]", hi),
                                 ("filter[created_at][]", lo)]))
    t.check("start after end matches nothing", r.status == 200 and o["audit_logs"] == [])


def test_show(t, cl, all_recs):
    cl.fresh()
    rec = all_recs[1234]
    r, o = cl.get_json(LIST + "/%d" % rec["id"])
    t.check("show 200 equals the list record", r.status == 200 and o == {"audit_log": rec},
            (r.status, o))
    r, o = cl.get_json(LIST + "/%d.json" % rec["id"])
    t.check("show .json", r.status == 200 and o["audit_log"]["id"] == rec["id"])
    for bad in ("999", "abc"):
        r = cl.get(LIST + "/" + bad)
        t.check("show %s -> 404 RecordNotFound" % bad, r.status == 404 and r.json() == {
            "error": "RecordNotFound", "description": "Not found"}, (r.status, r.body))
    r = cl.get("/api/v2/nosuch")
    t.eq("unknown endpoint -> 404", r.status, 404)


def test_export(t, cl):
    cl.reset()
    r = cl.request("POST", LIST + "/export" + q([("filter[action]", "login")]))
    t.check("export -> 202 empty", r.status == 202 and r.body == b"", (r.status, r.body))
    t.check("export rate-limit header",
            re.fullmatch(r"total=1; remaining=0; resets=\d+",
                         r.headers.get("zendesk-ratelimit-audit-logs-export", "")),
            r.headers)
    r = cl.request("POST", LIST + "/export")
    t.check("second export within a minute -> 429 text/plain",
            r.status == 429 and r.headers.get("content-type", "").startswith("text/plain")
            and r.body.decode() == "Rate limit for Audit log CSV Export exceeded. Please wait "
                                   "1 minute and try again."
            and int(r.headers.get("retry-after", "0")) >= 1, (r.status, r.body, r.headers))
    cl.config(export_rate_limit_per_min=0)
    r = cl.request("POST", LIST + "/export.json" + q([("filter[source_id]", "1")]))
    t.eq("export validates filters (source_id without type -> 400)", r.status, 400)
    r = cl.request("POST", LIST + "/export", auth=basic(AGENT, TOKEN))
    t.eq("export by an agent -> 403", r.status, 403)
    cl.reset()


def test_rate_limit(t, cl):
    cl.reset()
    cl.config(rate_limit_per_min=3)
    rem = []
    for _ in range(3):
        r = cl.get(LIST + "?page[size]=1")
        rem.append((r.status, r.headers.get("x-rate-limit"),
                    r.headers.get("x-rate-limit-remaining")))
    t.eq("X-Rate-Limit headers count down", rem,
         [(200, "3", "2"), (200, "3", "1"), (200, "3", "0")])
    r = cl.get(LIST + "?page[size]=1")
    ra = r.headers.get("retry-after", "")
    t.check("4th request in a minute -> 429, Retry-After, text/plain",
            r.status == 429 and ra.isdigit() and 1 <= int(ra) <= 60
            and r.headers.get("content-type", "").startswith("text/plain"),
            (r.status, r.headers))
    t.check("429 carries X-Rate-Limit headers",
            r.headers.get("x-rate-limit") == "3" and r.headers.get("x-rate-limit-remaining") == "0")
    t.eq("unauthenticated requests are not counted (401, not 429)",
         cl.get(LIST, auth=None).status, 401)
    cl.config(rate_limit_per_min=0)
    r = cl.get(LIST + "?page[size]=1")
    t.check("rate_limit_per_min=0 turns it off",
            r.status == 200 and "x-rate-limit" not in r.headers)
    cl.reset()
    r = cl.get(LIST + "?page[size]=1")
    t.eq("default limit is 700 (Enterprise)",
         (r.headers.get("x-rate-limit"), r.headers.get("x-rate-limit-remaining")), ("700", "699"))
    cl.reset()


def _raw_get(cl, path, conn=None):
    """GET returning (status, headers, body) or the exception raised."""
    c = conn or cl.conn()
    try:
        c.request("GET", path, headers={"Authorization": ADMIN_AUTH})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    except (http.client.HTTPException, OSError) as e:
        return e
    finally:
        if conn is None:
            c.close()


def test_faults(t, cl):
    path = LIST + "?page[size]=20"
    cl.reset()
    normal = cl.get(path)

    cl.config(fault="status")
    r = cl.get(path)
    t.check("fault=status -> 503 with Zendesk error JSON",
            r.status == 503 and set(r.json()) == {"error", "description"}, (r.status, r.body))
    cl.config(fault_status=500)
    t.eq("fault_status=500", cl.get(path).status, 500)

    cl.config(fault="rate_limit", retry_after=7)
    r = cl.get(path)
    t.check("fault=rate_limit -> 429 text/plain, Retry-After",
            r.status == 429 and r.headers.get("retry-after") == "7"
            and r.headers.get("content-type", "").startswith("text/plain"), (r.status, r.headers))

    cl.config(fault="truncate")
    res = _raw_get(cl, path)
    t.check("fault=truncate -> IncompleteRead (short body, full Content-Length)",
            isinstance(res, http.client.IncompleteRead)
            and len(res.partial) == len(normal.body) // 2
            and res.expected == len(normal.body) - len(normal.body) // 2, res)

    cl.config(fault="cut")
    res = _raw_get(cl, path)
    ok = isinstance(res, tuple) and res[0] == 200
    if ok:
        try:
            json.loads(res[2])
            ok = False
        except ValueError:
            pass
    t.check("fault=cut -> 200, Content-Length matches, body is the JSON cut in half",
            ok and int(res[1]["content-length"]) == len(res[2])
            and res[2] == normal.body[:len(normal.body) // 2], res if not ok else len(res[2]))

    cl.config(fault="malformed")
    res = _raw_get(cl, path)
    ok = isinstance(res, tuple) and res[0] == 200
    if ok:
        try:
            json.loads(res[2])
            ok = False
        except ValueError:
            pass
    t.check("fault=malformed -> 200 non-JSON body", ok, res)

    cl.config(fault="reset")
    res = _raw_get(cl, path)
    t.check("fault=reset -> connection closed without a response",
            isinstance(res, (http.client.RemoteDisconnected, ConnectionResetError,
                             http.client.BadStatusLine, BrokenPipeError)), res)
    t.eq("faults_injected counted", cl.stats()["faults_injected"], 7)

    # scheduling: skip the first 2, then every 3rd, at most 2 faults
    cl.config(fault="status", fault_status=503, fault_skip=2, fault_every=3, fault_count=2)
    got = [cl.get(path).status for _ in range(12)]
    t.eq("fault_skip / fault_every / fault_count schedule", got,
         [200, 200, 200, 200, 503, 200, 200, 503, 200, 200, 200, 200])
    cl.config(fault="none")
    t.eq("fault=none", cl.get(path).status, 200)
    log = cl.log().splitlines()
    t.check("faulted requests are logged", any(l.startswith("000 GET ") for l in log)
            and any(l.startswith("503 GET ") for l in log), log[-15:])
    cl.reset()


def test_gzip(t, cl):
    cl.reset()
    path = LIST + "?page[size]=50"
    plain = cl.get(path)
    r = cl.get(path, headers={"Accept-Encoding": "gzip"})
    t.check("gzip when Accept-Encoding: gzip",
            r.headers.get("content-encoding") == "gzip" and gzip.decompress(r.body) == plain.body
            and int(r.headers["content-length"]) == len(r.body), r.headers)
    t.check("no gzip without Accept-Encoding", "content-encoding" not in plain.headers)
    r = cl.get(path, headers={"Accept-Encoding": "gzip;q=0, identity"})
    t.check("no gzip when q=0", "content-encoding" not in r.headers)
    t.eq("stats.gzip_responses", cl.stats()["gzip_responses"], 1)
    cl.config(gzip=0)
    r = cl.get(path, headers={"Accept-Encoding": "gzip, deflate"})
    t.check("gzip=0 turns it off", "content-encoding" not in r.headers and r.body == plain.body)
    cl.reset()


def test_json_style(t, cl):
    cl.reset()
    path = LIST + "?page[size]=50"
    compact = cl.get(path).body
    t.check("compact: no spaces, non-ASCII as UTF-8",
            b'": ' not in compact and b"\\u" not in compact
            and any(b > 127 for b in compact), compact[:200])
    cl.config(json_style="pretty")
    pretty = cl.get(path).body
    t.check("pretty: indented, the same document",
            b'\n  "' in pretty and json.loads(pretty) == json.loads(compact), pretty[:200])
    cl.config(json_style="ascii")
    ascii_ = cl.get(path).body
    t.check("ascii: only ASCII bytes, \\u escapes, the same document",
            all(b < 128 for b in ascii_) and b"\\u" in ascii_
            and json.loads(ascii_) == json.loads(compact), ascii_[:200])
    t.eq("errors keep their status", cl.get(LIST + "?page[size]=500").status, 400)
    cl.reset()


def test_keepalive(t, cl):
    cl.reset()
    c = cl.conn()
    statuses = [cl.get(LIST + "?page[size]=10", conn=c).status for _ in range(6)]
    r = cl.get(LIST + "/nosuch", conn=c)          # error responses keep the connection too
    statuses.append(r.status)
    st = json.loads(cl.request("GET", "/_emu/stats", conn=c, auth=None).body)
    t.eq("several requests on one connection", statuses, [200] * 6 + [404])
    t.check("stats.connections == 1 over one keep-alive connection",
            st["connections"] == 1 and st["requests"] == 7, st)
    c.close()
    st = cl.stats()
    t.check("control-only connections are not counted", st["connections"] == 1, st)
    cl.get(LIST + "?page[size]=1")
    t.eq("a new connection is counted", cl.stats()["connections"], 2)
    cl.reset()


def test_log(t, cl):
    cl.reset()
    cl.get(LIST + "?filter%5Bcreated_at%5D%5B%5D=2026-10-01T00%3A00%3A00Z"
                  "&filter%5Bcreated_at%5D%5B%5D=2026-10-02T00%3A00%3A00%2B00%3A00"
                  "&page%5Bsize%5D=2")
    cl.get(LIST + "/1", auth=None)
    cl.request("POST", LIST + "/export", body=json.dumps(
        {"password": "pw1", "nested": {"api_token": "tok1"}, "x": [1, 2], "ü": "é"}, indent=2),
        headers={"Content-Type": "application/json"})
    cl.request("POST", "/oauth/v2/token",
               body="grant_type=refresh_token&client_secret=cs1&refresh_token=rt1&client_id=abc",
               headers={"Content-Type": "application/x-www-form-urlencoded"})
    cl.get("/x?apiKey=k1&b=%20c")
    cl.ctl("stats")
    want = [
        "200 GET /api/v2/audit_logs?filter[created_at][]=2026-10-01T00:00:00Z"
        "&filter[created_at][]=2026-10-02T00:00:00+00:00&page[size]=2",
        "401 GET /api/v2/audit_logs/1",
        '202 POST /api/v2/audit_logs/export {"password":"***","nested":{"api_token":"***"},'
        '"x":[1,2],"ü":"é"}',
        "404 POST /oauth/v2/token grant_type=refresh_token&client_secret=***"
        "&refresh_token=***&client_id=abc",
        "404 GET /x?apiKey=***&b= c",
    ]
    text = cl.log()
    t.eq("log lines (format, decoding, JSON compaction, redaction)", text.splitlines(), want)
    t.check("no secrets or auth headers in the log",
            not any(s in text for s in ("pw1", "tok1", "cs1", "rt1", "k1", TOKEN,
                                         ADMIN_AUTH.split()[1])))
    t.eq("log?clear=1 returns the log", cl.log(clear=True), text)
    t.eq("... and clears it", cl.log(), "")
    t.eq("log content type", cl.ctl("log").headers.get("content-type", "").split(";")[0],
         "text/plain")


def test_config_reset(t, cl):
    cl.reset()
    r = cl.ctl("config", [("nosuch", "1")])
    t.eq("unknown config key -> 400", r.status, 400)
    for k, v in (("fault", "bogus"), ("latency_ms", "-5"), ("records", "x"),
                 ("created_at_bounds", "open"), ("anchor", "tomorrow"), ("plan", "free")):
        t.eq("bad value %s=%s -> 400" % (k, v), cl.ctl("config", [(k, v)]).status, 400)
    r = cl.ctl("config", [("latency_ms", "5"), ("fault", "bogus")])
    t.eq("a rejected config call applies nothing", cl.config()["latency_ms"], 0)
    cfg = cl.config()
    t.check("config defaults", cfg["records"] == 2500 and cfg["rate_limit_per_min"] == 700
            and cfg["anchor"] == ANCHOR and cfg["gzip"] == 1 and cfg["fault"] == "none"
            and cfg["created_at_bounds"] == "inclusive" and cfg["plan"] == "enterprise", cfg)

    first = cl.get(LIST + "?page[size]=5").body
    cl.config(records=40)
    r, o = cl.get_json(LIST)
    t.eq("records=40 regenerates", (o["count"], len(o["audit_logs"])), (40, 40))
    t.eq("newest record still at the anchor", o["audit_logs"][0]["created_at"], ANCHOR)
    cl.config(records=2500, seed=2)
    t.check("another seed gives another dataset", cl.get(LIST + "?page[size]=5").body != first)
    cl.config(seed=1)
    t.eq("same seed gives the same dataset", cl.get(LIST + "?page[size]=5").body, first)
    cl.config(anchor="2025-01-01T12:00:00+01:00")
    r, o = cl.get_json(LIST + "?page[size]=1")
    t.eq("anchor moves the newest record", o["audit_logs"][0]["created_at"], "2025-01-01T11:00:00Z")
    cl.config(anchor="now")
    r, o = cl.get_json(LIST + "?page[size]=1")
    age = time.time() - epoch(o["audit_logs"][0]["created_at"])
    t.check("anchor=now", -2 <= age <= 5, age)

    cl.config(latency_ms=300)
    t0 = time.time()
    cl.get(LIST + "?page[size]=1")
    dt = time.time() - t0
    t.check("latency_ms=300 delays API responses", dt >= 0.29, dt)
    t0 = time.time()
    cl.ctl("stats")
    t.check("... but not control requests", time.time() - t0 < 0.25)

    cl.config(fault="status", records=10, api_token="other")
    cl.get(LIST)
    cl.reset()
    cfg2 = cl.config()
    t.eq("reset restores the default config", cfg2, cfg)
    t.eq("reset clears the log", cl.log(), "")
    t.eq("reset zeroes stats", cl.stats(), {"requests": 0, "connections": 0,
                                            "gzip_responses": 0, "faults_injected": 0})
    t.eq("reset regenerates the default dataset", cl.get(LIST + "?page[size]=5").body, first)
    cl.reset()


def test_concurrency(t, cl):
    """Parallel clients with latency: requests overlap and all succeed."""
    import threading
    cl.reset()
    cl.config(latency_ms=200)
    results = []
    lock = threading.Lock()

    def worker():
        r = cl.get(LIST + "?page[size]=10")
        with lock:
            results.append(r.status)

    t0 = time.time()
    threads = [threading.Thread(target=worker) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    dt = time.time() - t0
    t.check("8 concurrent requests with 200 ms latency overlap",
            results == [200] * 8 and dt < 1.2, (results, dt))
    cl.reset()


def test_cli(t):
    """Fixed --port, stdout port lines, --seed/--anchor defaults, bad arguments."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    emu = Emulator("--port", "zendesk=%d" % port, "--seed", "7", "--anchor",
                   "2024-02-29T12:00:00Z", port_file=False)
    try:
        import vendors
        t.check("--port fixes the port; lines on stdout without --port-file",
                emu.wait_ports() and emu.ports.get("zendesk") == port
                and list(emu.ports) == vendors.names(), emu.ports)
        cl = Client(port)
        cfg = cl.config()
        t.eq("--seed / --anchor become config defaults", (cfg["seed"], cfg["anchor"]),
             (7, "2024-02-29T12:00:00Z"))
        cl.config(seed=1)
        cl.reset()
        t.eq("... and survive reset", cl.config()["seed"], 7)
        r, o = cl.get_json(LIST + "?page[size]=1")
        t.eq("newest record at --anchor", o["audit_logs"][0]["created_at"], "2024-02-29T12:00:00Z")
    finally:
        rc = emu.stop()
    t.eq("SIGTERM -> exit 0 (fixed-port instance)", rc, 0)
    for args in (["--vendors", "nosuch"], ["--port", "zendesk=abc"], ["--anchor", "tomorrow"]):
        p = subprocess.run([PYTHON, EMULATOR] + args, capture_output=True, timeout=20)
        t.check("bad arguments %s -> non-zero exit" % " ".join(args), p.returncode != 0,
                p.returncode)


# ---------------------------------------------------------------- Kore.ai

KORE_LIST = "/api/public/auditlogs"
KORE_ID, KORE_SECRET = "cs-kore-test-client", "kore-test-secret-0123456789"
KORE_NOSCOPE_ID, KORE_NOSCOPE_SECRET = "cs-kore-noscope-client", "kore-noscope-secret-0123456789"
KORE_RECORDS = 1500
KORE_KEYS = ["timestampValue", "Date/Time", "Description", "Name", "Category", "AuditLogId"]
KORE_RATE_MSG = "Rate limit for this API has been reached. Please try again later"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def kore_jwt(secret=KORE_SECRET, app_id=KORE_ID, alg="HS256", header=None, digest=None,
             **claims):
    """Compact JWT.  HS256 by default; digest=None with alg 'none' gives an
    empty signature."""
    import hashlib
    import hmac
    payload = {"sub": "auditlog_fdw", "iat": int(time.time()), "exp": int(time.time()) + 300}
    if app_id is not None:
        payload["appId"] = app_id
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not None}
    head = header or {"alg": alg, "typ": "JWT"}
    seg = b64url(json.dumps(head).encode()) + "." + b64url(json.dumps(payload).encode())
    if digest is None and alg in ("HS256", "hs256"):
        digest = hashlib.sha256
    sig = hmac.new(secret.encode(), seg.encode(), digest).digest() if digest else b""
    return seg + "." + b64url(sig)


class KoreClient(Client):
    """Sends a fresh valid JWT in `auth` unless told otherwise (kore=None: no
    auth header; kore='...': that token)."""

    def request(self, method, path, headers=None, body=None, conn=None, auth=None, kore=""):
        h = dict(headers or {})
        tok = kore_jwt() if kore == "" else kore
        if tok and not path.startswith("/_emu/"):
            h.setdefault("auth", tok)
        return Client.request(self, method, path, headers=h, body=body, conn=conn, auth=auth)

    def fresh(self):
        self.reset()
        self.config(rate_limit_per_min=0, rate_limit_per_hour=0)


def kore_ms(iso):
    return int(datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ")
               .replace(tzinfo=datetime.timezone.utc).timestamp() * 1000 + 0.5)


def kore_iso(ms):
    return datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc) \
        .strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ms % 1000)


def kore_walk(cl, size, extra=(), use_fetch_after=False):
    """Offset walk (offset = page number) until moreAvailable is false, or a
    fetchAfter walk (offset 0, fetchAfter = last id).  -> (records, pages)"""
    out, pages, offset, after = [], [], 0, None
    for _ in range(100000):
        pairs = [("size", size)] + list(extra)
        if use_fetch_after:
            pairs += [("offset", 0)] + ([("fetchAfter", after)] if after else [])
        else:
            pairs += [("offset", offset)]
        r, o = cl.get_json(KORE_LIST + q(pairs))
        if r.status != 200:
            raise RuntimeError("kore walk: %d %s" % (r.status, r.body[:200]))
        out += o["auditlogs"]
        pages.append((len(o["auditlogs"]), o["moreAvailable"], o["total"]))
        if not o["moreAvailable"]:
            return out, pages
        offset += 1
        after = o["auditlogs"][-1]["AuditLogId"]
    raise RuntimeError("kore walk did not end")


def test_kore_dataset(t, cl):
    cl.fresh()
    recs, pages = kore_walk(cl, 100)
    t.eq("kore: dataset size", len(recs), KORE_RECORDS)
    t.eq("kore: total", pages[0][2], KORE_RECORDS)
    t.check("kore: exactly the six documented keys, in the sample's order",
            all(list(r) == KORE_KEYS for r in recs), list(recs[0]))
    t.check("kore: Date/Time is the same instant as timestampValue (ms, Z)",
            all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", r["Date/Time"])
                and kore_ms(r["Date/Time"]) == r["timestampValue"] for r in recs))
    t.check("kore: timestampValue is an integer",
            all(type(r["timestampValue"]) is int for r in recs))
    ids = [r["AuditLogId"] for r in recs]
    t.check("kore: AuditLogId is 24 lower-case hex",
            all(re.fullmatch(r"[0-9a-f]{24}", i) for i in ids), ids[:3])
    t.eq("kore: AuditLogId unique", len(set(ids)), len(ids))
    t.check("kore: AuditLogId increases with time (order is time, then id)",
            all(a < b for a, b in zip(ids, ids[1:]))
            and all((a["timestampValue"], a["AuditLogId"]) < (b["timestampValue"],
                                                                b["AuditLogId"])
                    for a, b in zip(recs, recs[1:])))
    anchor_ms = epoch(ANCHOR) * 1000
    t.eq("kore: newest record at the anchor", recs[-1]["timestampValue"], anchor_ms)
    t.check("kore: spread over the 30 days before the anchor",
            anchor_ms - 30 * 86400000 <= recs[0]["timestampValue"] < anchor_ms - 25 * 86400000,
            recs[0]["Date/Time"])
    bursts = collections.Counter(r["timestampValue"] for r in recs)
    t.check("kore: bursts of identical timestampValue (same millisecond)",
            sum(1 for n in bursts.values() if n > 1) > 50, len(bursts))
    t.check("kore: bursts straddle page boundaries (records 100 and 101)",
            recs[99]["timestampValue"] == recs[100]["timestampValue"])
    names = {r["Name"] for r in recs}
    for n in ("Logout", "App creation - Success", "Login - Success", "Role changed"):
        t.check("kore: Name %r present" % n, n in names, sorted(names))
    cats = {r["Category"] for r in recs}
    for c in ("Login/Logout", "App Management", "User Management"):
        t.check("kore: Category %r present" % c, c in cats, sorted(cats))
    descs = [r["Description"] for r in recs]
    for what, pred in (("comma", lambda d: "," in d), ("double quote", lambda d: '"' in d),
                       ("non-ASCII", lambda d: any(ord(c) > 127 for c in d)),
                       ("IPv4 and channel like the sample",
                        lambda d: re.search(r"from \d+\.\d+\.\d+\.\d+ via \w+", d)),
                       ("IPv6", lambda d: re.search(r"from [0-9a-f:]*::[0-9a-f:]* via", d)),
                       ("the sample's form", lambda d: re.fullmatch(
                           r"User logged out at \w{3} \w{3} \d\d \d{4} \d\d:\d\d:\d\d "
                           r"GMT[+-]\d{4}\(.+\) from \S+ via \w+", d))):
        t.check("kore: Description with %s" % what, any(pred(d) for d in descs))
    return recs


def test_kore_auth(t, cl):
    cl.fresh()
    path = KORE_LIST + "?size=1"
    r = cl.get(path, kore=None)
    t.check("kore: no auth header -> 401 Invalid SDK credentials",
            r.status == 401 and r.json() == {"errors": [{"msg": "Invalid SDK credentials",
                                                          "code": 4002}]}, (r.status, r.body))
    t.eq("kore: 401 is JSON", r.headers.get("content-type", "").split(";")[0],
         "application/json")
    t.eq("kore: valid HS256 JWT -> 200", cl.get(path).status, 200)
    t.eq("kore: minimal payload {sub, appId} -> 200",
         cl.get(path, kore=kore_jwt(iat=None, exp=None)).status, 200)
    t.eq("kore: JWT in Authorization instead of auth -> 401",
         cl.get(path, kore=None, auth=kore_jwt()).status, 401)
    t.eq("kore: 'bearer <jwt>' in auth -> 401",
         cl.get(path, kore="bearer " + kore_jwt()).status, 401)
    import hashlib
    cases = [
        ("wrong secret", kore_jwt(secret="nope")),
        ("alg none, no signature", kore_jwt(alg="none")),
        ("alg none, HS256 signature", kore_jwt(alg="none", digest=hashlib.sha256)),
        ("alg HS512", kore_jwt(alg="HS512", digest=hashlib.sha512)),
        ("alg hs256 (case)", kore_jwt(alg="hs256")),
        ("no alg", kore_jwt(header={"typ": "JWT"}, digest=hashlib.sha256)),
        ("expired exp", kore_jwt(exp=int(time.time()) - 5)),
        ("non-numeric exp", kore_jwt(exp="tomorrow")),
        ("iat far in the future", kore_jwt(iat=int(time.time()) + 3600)),
        ("nbf in the future", kore_jwt(nbf=int(time.time()) + 3600)),
        ("unknown appId", kore_jwt(app_id="cs-someone-else")),
        ("no appId", kore_jwt(app_id=None)),
        ("appId spelled appid", kore_jwt(app_id=None, appid=KORE_ID)),
        ("garbage", "not-a-jwt"),
        ("two segments", ".".join(kore_jwt().split(".")[:2])),
    ]
    tok = kore_jwt().split(".")
    forged = json.loads(base64.urlsafe_b64decode(tok[1] + "==").decode())
    forged["sub"] = "someone"
    cases.append(("tampered payload", tok[0] + "." + b64url(json.dumps(forged).encode()) + "."
                  + tok[2]))
    for name, token in cases:
        r = cl.get(path, kore=token)
        t.check("kore: %s -> 401" % name,
                r.status == 401 and r.json()["errors"][0]["code"] == 4002, (r.status, r.body))
    t.eq("kore: iat slightly ahead (clock skew) -> 200",
         cl.get(path, kore=kore_jwt(iat=int(time.time()) + 60)).status, 200)
    t.eq("kore: exp in the future -> 200",
         cl.get(path, kore=kore_jwt(exp=int(time.time()) + 3600)).status, 200)
    r = cl.get(path, kore=kore_jwt(KORE_NOSCOPE_SECRET, KORE_NOSCOPE_ID))
    t.check("kore: app without the audit-log scope -> 403 errors envelope",
            r.status == 403 and set(r.json()) == {"errors"}
            and set(r.json()["errors"][0]) == {"msg", "code"}, (r.status, r.body))
    t.eq("kore: no-scope app signed with the other secret -> 401",
         cl.get(path, kore=kore_jwt(KORE_SECRET, KORE_NOSCOPE_ID)).status, 401)
    cl.config(require_jti=1)
    t.eq("kore: require_jti=1 without jti -> 401", cl.get(path).status, 401)
    t.eq("kore: require_jti=1 with jti -> 200", cl.get(path, kore=kore_jwt(jti="j-1")).status,
         200)
    cl.config(require_jti=0, client_id="cs-other", client_secret="s3cret-s3cret")
    t.eq("kore: configured client accepted",
         cl.get(path, kore=kore_jwt("s3cret-s3cret", "cs-other")).status, 200)
    t.eq("kore: old client rejected", cl.get(path).status, 401)
    cl.reset()
    cl.get(path)
    t.check("kore: the JWT never reaches the log", "eyJ" not in cl.log(), cl.log())


def test_kore_paging(t, cl, recs):
    cl.fresh()
    want = [r["AuditLogId"] for r in recs]
    r, o = cl.get_json(KORE_LIST)
    t.check("kore: no size -> default 50, offset 0, total, moreAvailable",
            r.status == 200 and list(o) == ["total", "auditlogs", "moreAvailable"]
            and [x["AuditLogId"] for x in o["auditlogs"]] == want[:50]
            and o["total"] == KORE_RECORDS and o["moreAvailable"] is True, r.status)
    for size in (100, 37, 7):
        got, pages = kore_walk(cl, size)
        t.check("kore: offset walk size=%d returns every record once, in order" % size,
                [x["AuditLogId"] for x in got] == want, len(got))
        t.check("kore: size=%d moreAvailable true until the last page" % size,
                [p[1] for p in pages] == [True] * (len(pages) - 1) + [False]
                and len(pages) == -(-KORE_RECORDS // size), pages[-2:])
    r, o = cl.get_json(KORE_LIST + q([("size", 10), ("offset", 3)]))
    t.eq("kore: offset is a page number", [x["AuditLogId"] for x in o["auditlogs"]],
         want[30:40])
    r, o = cl.get_json(KORE_LIST + q([("size", 100), ("offset", 15)]))
    t.check("kore: offset past the end -> empty page, moreAvailable false, total kept",
            r.status == 200 and o == {"total": KORE_RECORDS, "auditlogs": [],
                                      "moreAvailable": False}, o)
    got, pages = kore_walk(cl, 100, use_fetch_after=True)
    t.check("kore: fetchAfter walk returns every record once, in order",
            [x["AuditLogId"] for x in got] == want, len(got))
    t.check("kore: fetchAfter total counts the records after the id",
            [p[2] for p in pages] == [KORE_RECORDS - 100 * i for i in range(len(pages))],
            pages[:3])
    got, _ = kore_walk(cl, 37, use_fetch_after=True)
    t.check("kore: fetchAfter walk size=37", [x["AuditLogId"] for x in got] == want, len(got))
    r, o = cl.get_json(KORE_LIST + q([("size", 10), ("offset", 2), ("fetchAfter", want[500])]))
    t.check("kore: fetchAfter + offset pages within the records after the id",
            [x["AuditLogId"] for x in o["auditlogs"]] == want[521:531]
            and o["total"] == KORE_RECORDS - 501 and o["moreAvailable"], o.get("total"))
    r, o = cl.get_json(KORE_LIST + q([("size", 5), ("fetchAfter", want[500].upper())]))
    t.eq("kore: fetchAfter is case-insensitive hex", [x["AuditLogId"] for x in o["auditlogs"]],
         want[501:506])
    r, o = cl.get_json(KORE_LIST + q([("size", 5), ("fetchAfter", "0" * 24)]))
    t.eq("kore: fetchAfter below every id -> all records", o["total"], KORE_RECORDS)
    r, o = cl.get_json(KORE_LIST + q([("size", 5), ("fetchAfter", "f" * 24)]))
    t.eq("kore: fetchAfter above every id -> none", (o["total"], o["auditlogs"],
                                                     o["moreAvailable"]), (0, [], False))
    r, o = cl.get_json(KORE_LIST + q([("size", 5), ("fetchAfter", want[-1])]))
    t.eq("kore: fetchAfter = newest id -> none", o["total"], 0)
    r, o = cl.get_json(KORE_LIST + q([("size", 5), ("fetchAfter", ""), ("fromDate", "")]))
    t.eq("kore: blank fetchAfter / fromDate are ignored", o["total"], KORE_RECORDS)
    r, o = cl.get_json(KORE_LIST + q([("size", 100)]))
    t.eq("kore: size=100 accepted", len(o["auditlogs"]), 100)
    for name, pairs in (("size=101", [("size", 101)]), ("size=0", [("size", 0)]),
                        ("size=-1", [("size", -1)]), ("size=abc", [("size", "abc")]),
                        ("offset=-1", [("offset", -1)]), ("offset=x", [("offset", "x")]),
                        ("fetchAfter not an id", [("fetchAfter", "5e10c62ce0e2f05f0548048")]),
                        ("size twice", [("size", 5), ("size", 6)])):
        r = cl.get(KORE_LIST + q(pairs))
        ok = r.status == 400
        if ok:
            e = r.json()["errors"][0]
            ok = e["code"] == 400 and e["msg"]
        t.check("kore: %s -> 400 errors envelope" % name, ok, (r.status, r.body))
    cl.config(page_max=20, default_size=15)
    t.eq("kore: page_max=20: size=21 -> 400", cl.get(KORE_LIST + "?size=21").status, 400)
    r, o = cl.get_json(KORE_LIST + "?size=20")
    t.eq("kore: page_max=20: size=20 accepted", (r.status, len(o["auditlogs"])), (200, 20))
    r, o = cl.get_json(KORE_LIST)
    t.eq("kore: default_size=15", len(o["auditlogs"]), 15)
    cl.config(page_max=100, default_size=50)


def _kore_ids(cl, pairs, size=100):
    got, _ = kore_walk(cl, size, pairs)
    return [x["AuditLogId"] for x in got]


def test_kore_filters(t, cl, recs):
    cl.fresh()

    def want(pred):
        return [r["AuditLogId"] for r in recs if pred(r["timestampValue"])]

    bursts = sorted(ms for ms, n in collections.Counter(r["timestampValue"]
                                                       for r in recs).items() if n >= 2)
    lo, hi = bursts[len(bursts) // 3], bursts[len(bursts) // 3 + 25]
    preds = {"inclusive": lambda ms: lo <= ms <= hi, "exclusive": lambda ms: lo < ms < hi,
             "half_open": lambda ms: lo <= ms < hi}
    counts = set()
    for mode, pred in preds.items():
        cl.config(date_bounds=mode)
        w = want(pred)
        counts.add(len(w))
        got = _kore_ids(cl, [("fromDate", kore_iso(lo)), ("toDate", kore_iso(hi))], 37)
        t.check("kore: fromDate/toDate %s on burst instants (%d records)" % (mode, len(w)),
                w and got == w, (len(got), len(w)))
    t.check("kore: the bound modes differ on burst instants", len(counts) == 3, counts)
    cl.config(date_bounds="inclusive")
    r, o = cl.get_json(KORE_LIST + q([("size", 1), ("fromDate", kore_iso(lo)),
                                      ("toDate", kore_iso(hi))]))
    t.eq("kore: total counts the matching records", o["total"], len(want(preds["inclusive"])))
    # second precision: no milliseconds
    lo_s, hi_s = lo // 1000 * 1000, hi // 1000 * 1000
    got = _kore_ids(cl, [("fromDate", kore_iso_s(lo_s)), ("toDate", kore_iso_s(hi_s))])
    t.check("kore: yyyy-mm-ddThh:mm:ssZ (no ms) accepted",
            got == want(lambda ms: lo_s <= ms <= hi_s), len(got))
    # date only: fromDate is the start of the day, toDate covers the whole day
    d1 = datetime.datetime.fromtimestamp(lo // 1000, datetime.timezone.utc).date()
    d2 = d1 + datetime.timedelta(days=2)
    start = epoch(d1.isoformat() + "T00:00:00Z") * 1000
    end = epoch(d2.isoformat() + "T00:00:00Z") * 1000 + 86400000
    w = want(lambda ms: start <= ms < end)
    got = _kore_ids(cl, [("fromDate", d1.isoformat()), ("toDate", d2.isoformat())])
    t.check("kore: yyyy-mm-dd bounds cover whole days (%d records)" % len(w), w and got == w,
            (len(got), len(w)))
    got = _kore_ids(cl, [("fromDate", d1.isoformat()), ("toDate", d1.isoformat())])
    t.check("kore: fromDate = toDate = one day",
            got == want(lambda ms: start <= ms < start + 86400000), len(got))
    got = _kore_ids(cl, [("fromDate", kore_iso(lo))])
    t.check("kore: fromDate only", got == want(lambda ms: ms >= lo), len(got))
    got = _kore_ids(cl, [("toDate", kore_iso(hi))])
    t.check("kore: toDate only", got == want(lambda ms: ms <= hi), len(got))
    off = datetime.datetime.fromtimestamp(lo / 1000, datetime.timezone(
        datetime.timedelta(hours=5, minutes=30))).isoformat(timespec="milliseconds")
    got = _kore_ids(cl, [("fromDate", off), ("toDate", kore_iso(hi))])
    t.check("kore: +05:30 offset accepted", got == want(preds["inclusive"]), off)
    got = _kore_ids(cl, [("fromDate", kore_iso(lo).replace("T", " T")),
                         ("toDate", kore_iso(hi))])
    t.check("kore: the doc's 'yyyy-mm-dd Thh:mm:ss.msZ' spelling accepted",
            got == want(preds["inclusive"]), len(got))
    got = _kore_ids(cl, [("fromDate", kore_iso(lo)), ("toDate", kore_iso(hi)),
                         ("fetchAfter", recs[len(recs) // 2]["AuditLogId"])])
    mid = recs[len(recs) // 2]["AuditLogId"]
    t.check("kore: dates combined with fetchAfter",
            got == [i for i in want(preds["inclusive"]) if i > mid], len(got))
    # reversed range, as in the doc's own sample request
    rev = [("fromDate", kore_iso(hi)), ("toDate", kore_iso(lo))]
    got = _kore_ids(cl, rev)
    t.check("kore: reversed_range=swap (default)", got == want(preds["inclusive"]), len(got))
    got = _kore_ids(cl, [("fromDate", d2.isoformat()), ("toDate", d1.isoformat())])
    t.check("kore: swap of date-only values keeps whole days",
            got == want(lambda ms: start <= ms < end), len(got))
    cl.config(reversed_range="reject")
    r = cl.get(KORE_LIST + q([("size", 10)] + rev))
    t.check("kore: reversed_range=reject -> 400", r.status == 400 and "errors" in r.json(),
            (r.status, r.body))
    cl.config(reversed_range="empty")
    r, o = cl.get_json(KORE_LIST + q([("size", 10)] + rev))
    t.eq("kore: reversed_range=empty", (r.status, o), (200, {"total": 0, "auditlogs": [],
                                                            "moreAvailable": False}))
    cl.config(reversed_range="swap")
    for bad in ("yesterday", "2026-13-01", "2026-10-05T25:00:00Z", "1790000000000",
                "05/10/2026"):
        r = cl.get(KORE_LIST + q([("fromDate", bad)]))
        t.check("kore: unparseable fromDate %r -> 400" % bad,
                r.status == 400 and "errors" in r.json(), (r.status, r.body))
    r = cl.get(KORE_LIST + q([("toDate", "tomorrow")]))
    t.eq("kore: unparseable toDate -> 400", r.status, 400)


def kore_iso_s(ms):
    return datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc) \
        .strftime("%Y-%m-%dT%H:%M:%SZ")


def test_kore_rate_limit(t, cl):
    cl.reset()
    cfg = cl.config()
    t.check("kore: config defaults",
            (cfg["records"], cfg["rate_limit_per_min"], cfg["rate_limit_per_hour"],
             cfg["rate_limit_status"], cfg["rate_limit_retry_after"], cfg["page_max"],
             cfg["default_size"], cfg["date_bounds"], cfg["reversed_range"], cfg["client_id"],
             cfg["client_secret"]) == (1500, 60, 1800, 429, 0, 100, 50, "inclusive", "swap",
                                       KORE_ID, KORE_SECRET), cfg)
    path = KORE_LIST + "?size=1"
    got = [cl.get(path).status for _ in range(61)]
    t.eq("kore: default 60 requests a minute, the 61st refused", got, [200] * 60 + [429])
    cl.reset()
    cl.config(rate_limit_per_min=3)
    got = [cl.get(path).status for _ in range(3)]
    r = cl.get(path)
    t.check("kore: 4th request in a minute -> 429 with the Kore message, no Retry-After",
            got == [200] * 3 and r.status == 429
            and r.json() == {"errors": [{"msg": KORE_RATE_MSG, "code": 429}]}
            and "retry-after" not in r.headers, (got, r.status, r.body, r.headers))
    cl.config(rate_limit_status=403)
    r = cl.get(path)
    t.check("kore: rate_limit_status=403", r.status == 403
            and r.json()["errors"][0]["msg"] == KORE_RATE_MSG, (r.status, r.body))
    cl.config(rate_limit_status=400, rate_limit_retry_after=5)
    r = cl.get(path)
    t.check("kore: rate_limit_status=400 with rate_limit_retry_after=5",
            r.status == 400 and r.headers.get("retry-after") == "5", (r.status, r.headers))
    cl.reset()
    cl.config(rate_limit_per_min=1)
    got = [cl.get(path, kore=None).status for _ in range(3)] + [cl.get(path).status]
    t.eq("kore: 401s are not counted", got, [401, 401, 401, 200])
    t.eq("kore: the rate limit applies before the scope check",
         cl.get(path, kore=kore_jwt(KORE_NOSCOPE_SECRET, KORE_NOSCOPE_ID)).status, 429)
    cl.reset()
    cl.config(rate_limit_per_min=0, rate_limit_per_hour=2)
    got = [cl.get(path).status for _ in range(3)]
    t.eq("kore: rate_limit_per_hour=2", got, [200, 200, 429])
    cl.config(rate_limit_per_hour=0)
    t.eq("kore: both limits 0 -> unlimited", [cl.get(path).status for _ in range(5)], [200] * 5)
    cl.reset()


def test_kore_faults(t, cl):
    cl.reset()
    path = KORE_LIST + "?size=20"
    normal = cl.get(path)
    cl.config(fault="status")
    r = cl.get(path)
    t.check("kore: fault=status -> 503 errors envelope",
            r.status == 503 and r.json() == {"errors": [{"msg": "Service Unavailable",
                                                          "code": 503}]}, (r.status, r.body))
    cl.config(fault="rate_limit", retry_after=7)
    r = cl.get(path)
    t.check("kore: fault=rate_limit -> 429 Kore body, Retry-After",
            r.status == 429 and r.json()["errors"][0]["msg"] == KORE_RATE_MSG
            and r.headers.get("retry-after") == "7", (r.status, r.body, r.headers))
    cl.config(rate_limit_status=400, retry_after=0)
    r = cl.get(path)
    t.check("kore: fault=rate_limit follows rate_limit_status; retry_after=0 -> no header",
            r.status == 400 and "retry-after" not in r.headers, (r.status, r.headers))
    cl.config(fault="malformed")
    r = cl.get(path)
    t.check("kore: fault=malformed -> 200 HTML", r.status == 200 and r.body.startswith(b"<"),
            r.body[:50])
    cl.config(fault="cut")
    r = cl.get(path)
    t.check("kore: fault=cut -> the body cut in half",
            r.status == 200 and r.body == normal.body[:len(normal.body) // 2], len(r.body))
    cl.config(fault="reset")
    try:
        cl.get(path)
        res = None
    except (http.client.HTTPException, OSError) as e:
        res = e
    t.check("kore: fault=reset closes the connection", res is not None, res)
    cl.config(fault="none")
    t.eq("kore: faults_injected", cl.stats()["faults_injected"], 6)
    cl.reset()


# ---------------------------------------------------------------- Zoho Mail

ZOHO_ZOID = "57047751"
ZOHO_ACT = "/api/organization/%s/activity" % ZOHO_ZOID
ZOHO_AUTH = "Zoho-oauthtoken zoho-test-oauth"
ZOHO_RECORDS = 1200
ZOHO_ALL = [("startTime", 0), ("endTime", 9999999999999)]
ZOHO_FIELDS = {"requestTime", "performedBy", "performedOn", "clientIp", "mainCategory",
               "category", "subCategory", "operation", "operationType", "status", "type",
               "auditLogType", "data"}
ZOHO_FORM = {"grant_type": "refresh_token", "client_id": "zoho-test-client",
             "client_secret": "zoho-test-secret", "refresh_token": "zoho-test-refresh"}
ZOHO_TOO_MANY = {"error": "Access Denied",
                 "error_description": "You have made too many requests continuously. "
                                      "Please try again after some time."}


class ZohoClient(Client):
    def request(self, method, path, headers=None, body=None, conn=None, auth=ZOHO_AUTH):
        return Client.request(self, method, path, headers, body, conn, auth)

    def token(self, form=None, in_query=False, **over):
        f = dict(ZOHO_FORM if form is None else form)
        f.update(over)
        if in_query:
            return self.request("POST", "/oauth/v2/token" + q(sorted(f.items())), auth=None)
        return self.request("POST", "/oauth/v2/token", auth=None,
                            body=urllib.parse.urlencode(f),
                            headers={"Content-Type": "application/x-www-form-urlencoded"})


def zoho_walk(cl, limit=None, extra=(), base=ZOHO_ALL, max_calls=10000):
    """A cautious client: send the cursors back until the response has no
    cursors, an empty audit, or the same cursors again.
    -> (rows, calls) with calls = [(rows, lastIndexTime, lastEntityId)]"""
    rows, calls, cur = [], [], None
    for _ in range(max_calls):
        pairs = list(base) + ([("limit", limit)] if limit else []) + list(extra)
        if cur:
            pairs += [("lastIndexTime", cur[0]), ("lastEntityId", cur[1])]
        r, o = cl.get_json(ZOHO_ACT + q(pairs))
        if r.status != 200:
            raise RuntimeError("zoho walk: %d %s" % (r.status, r.body[:300]))
        d = o["data"]
        rows += d["audit"]
        nxt = (d.get("lastIndexTime"), d.get("lastEntityId"))
        calls.append((len(d["audit"]), nxt[0], nxt[1]))
        if not d["audit"] or nxt == (None, None) or nxt == cur:
            return rows, calls
        cur = nxt
    raise RuntimeError("zoho walk did not end")


def test_zoho_dataset(t, cl):
    cl.fresh()
    recs, calls = zoho_walk(cl, 200)
    t.eq("zoho: dataset size", len(recs), ZOHO_RECORDS)
    t.check("zoho: the 13 documented fields", all(set(r) == ZOHO_FIELDS for r in recs),
            set(recs[0]) ^ ZOHO_FIELDS)
    times = [r["requestTime"] for r in recs]
    t.check("zoho: requestTime is integer ms", all(type(x) is int for x in times))
    t.check("zoho: newest first", all(a >= b for a, b in zip(times, times[1:])))
    anchor_ms = epoch(ANCHOR) * 1000
    t.eq("zoho: newest record at the anchor", times[0], anchor_ms)
    t.check("zoho: spread over the 30 days before the anchor",
            anchor_ms - 30 * 86400000 <= times[-1] < anchor_ms - 25 * 86400000, times[-1])
    bursts = collections.Counter(times)
    t.check("zoho: bursts of identical requestTime",
            sum(1 for n in bursts.values() if n > 1) > 50)
    t.check("zoho: a burst straddles the 100th/101st record", times[99] == times[100])
    ok, nested, non_ascii, escaped = True, False, False, False
    for r in recs:
        if not isinstance(r["data"], str):
            ok = False
            break
        try:
            obj = json.loads(r["data"])
        except ValueError:
            ok = False
            break
        ok = ok and isinstance(obj, dict)
        nested = nested or any(isinstance(v, dict) and v for v in obj.values())
        non_ascii = non_ascii or any(ord(c) > 127 for c in json.dumps(obj, ensure_ascii=False))
        escaped = escaped or "\\u" in r["data"]
    t.check("zoho: data is a string holding a JSON object", ok)
    t.check("zoho: data with nested objects", nested)
    t.check("zoho: data with non-ASCII, raw and \\u-escaped", non_ascii and escaped)
    t.check("zoho: the sample's data shape occurs",
            any(r["data"] == '{"peopleInfo":{},"emailId":"user@zylker.com"}' for r in recs))
    ips = {r["clientIp"] for r in recs}
    t.check("zoho: clientIp IPv4 and IPv6", any(":" in i for i in ips)
            and any("." in i for i in ips), sorted(ips)[:5])
    t.check("zoho: clientIp canonical", all(ipaddress.ip_address(i).compressed == i
                                            for i in ips))
    by = {r["performedBy"] for r in recs}
    t.check("zoho: performedBy with non-ASCII local parts",
            any(any(ord(c) > 127 for c in b.split("@")[0]) for b in by), by)
    t.check("zoho: performedBy with '+'", "ops+audit@zylker.com" in by, by)
    t.eq("zoho: operationType values", {r["operationType"] for r in recs},
         {"ADD", "UPDATE", "DELETE", "DOWNLOAD"})
    t.eq("zoho: status values", {r["status"] for r in recs}, {"success", "failure"})
    t.eq("zoho: type", {r["type"] for r in recs}, {"ADMIN"})
    t.eq("zoho: auditLogType", {r["auditLogType"] for r in recs}, {"ORGADMIN_AUDIT"})
    t.check("zoho: the sample's record shape occurs",
            any(r["subCategory"] == "MAILBOX_USER" and r["category"] == "MAILBOX"
                and r["mainCategory"] == "Users" and r["operation"] == "ORG_INFO_ADD"
                and r["operationType"] == "ADD" and r["performedOn"] == "user@zylker.com"
                for r in recs))
    t.check("zoho: cursors look like the doc's",
            all(re.fullmatch(r"\d{16}", c[1]) and re.fullmatch(r"\d{16}_\S+", c[2])
                and c[2].startswith(c[1] + "_") for c in calls if c[1]), calls[:2])
    return recs


def test_zoho_auth(t, cl):
    cl.fresh()
    path = ZOHO_ACT + q(ZOHO_ALL + [("limit", 1)])
    r = cl.get(path, auth=None)
    t.check("zoho: no Authorization -> 400 INVALID_TICKET envelope",
            r.status == 400 and r.json()["status"]["code"] == 400
            and r.json()["data"]["errorCode"] == "INVALID_TICKET", (r.status, r.body))
    for name, auth in (("bad token", "Zoho-oauthtoken nope"),
                       ("Bearer scheme", "Bearer zoho-test-oauth"),
                       ("no token", "Zoho-oauthtoken")):
        r = cl.get(path, auth=auth)
        t.check("zoho: %s -> 401 INVALID_OAUTHTOKEN envelope" % name,
                r.status == 401 and r.json()["status"]["code"] == 401
                and r.json()["data"]["errorCode"] == "INVALID_OAUTHTOKEN", (r.status, r.body))
    t.eq("zoho: static oauth_token -> 200", cl.get(path).status, 200)
    t.eq("zoho: scheme case-insensitive", cl.get(path, auth="zoho-oauthtoken zoho-test-oauth")
         .status, 200)
    r = cl.get("/api/organization/12345/activity" + q(ZOHO_ALL))
    t.check("zoho: another zoid -> 404 envelope", r.status == 404
            and r.json()["status"]["code"] == 404 and "errorCode" in r.json()["data"],
            (r.status, r.body))
    t.eq("zoho: non-numeric zoid -> 400", cl.get("/api/organization/acme/activity").status, 400)
    r = cl.get("/api/organization/%s/nosuch" % ZOHO_ZOID)
    t.check("zoho: unknown path -> 404 URL_RULE_NOT_CONFIGURED",
            r.status == 404 and r.json()["data"]["errorCode"] == "URL_RULE_NOT_CONFIGURED",
            (r.status, r.body))
    cl.config(zoid="123", oauth_token="tok-2")
    t.eq("zoho: configured zoid and token", cl.get("/api/organization/123/activity"
                                                   + q(ZOHO_ALL), auth="Zoho-oauthtoken tok-2")
         .status, 200)
    t.eq("zoho: old token rejected", cl.get("/api/organization/123/activity" + q(ZOHO_ALL))
         .status, 401)
    cl.reset()


def test_zoho_token(t, cl):
    cl.fresh()
    path = ZOHO_ACT + q(ZOHO_ALL + [("limit", 1)])
    r = cl.token()
    o = r.json() if r.status == 200 else {}
    t.check("zoho: token endpoint -> access_token, expires_in 3600, api_domain, Bearer",
            r.status == 200 and o.get("access_token") and o.get("expires_in") == 3600
            and o.get("api_domain") and o.get("token_type") == "Bearer", (r.status, r.body))
    tok = o.get("access_token", "")
    t.eq("zoho: minted token works", cl.get(path, auth="Zoho-oauthtoken " + tok).status, 200)
    r = cl.token(in_query=True)
    t.check("zoho: parameters in the query string also work",
            r.status == 200 and "access_token" in r.json(), (r.status, r.body))
    for name, over, err in (("bad client_secret", {"client_secret": "x"}, "invalid_client"),
                            ("bad client_id", {"client_id": "x"}, "invalid_client"),
                            ("bad refresh_token", {"refresh_token": "x"}, "invalid_code"),
                            ("grant_type", {"grant_type": "password"},
                             "unsupported_grant_type")):
        r = cl.token(**over)
        t.check("zoho: token %s -> 200 {error: %s}" % (name, err),
                r.status == 200 and r.json() == {"error": err}, (r.status, r.body))
    cl.config(token_error_status=400)
    r = cl.token(client_secret="x")
    t.check("zoho: token_error_status=400", r.status == 400
            and r.json() == {"error": "invalid_client"}, (r.status, r.body))
    t.eq("zoho: GET on the token endpoint -> 404",
         cl.request("GET", "/oauth/v2/token", auth=None).status, 404)
    log = cl.log()
    t.check("zoho: token requests logged with client_secret and refresh_token as ***",
            "client_secret=***" in log and "refresh_token=***" in log
            and "zoho-test-secret" not in log and "zoho-test-refresh" not in log
            and tok not in log, log[-400:])
    cl.reset()
    tok = cl.token().json()["access_token"]
    cl.reset()
    t.eq("zoho: reset forgets minted tokens", cl.get(path, auth="Zoho-oauthtoken " + tok).status,
         401)
    cl.config(token_ttl=1)
    r = cl.token()
    tok = r.json()["access_token"]
    t.eq("zoho: token_ttl=1 -> expires_in 1", r.json()["expires_in"], 1)
    t.eq("zoho: fresh short-lived token works",
         cl.get(path, auth="Zoho-oauthtoken " + tok).status, 200)
    time.sleep(1.1)
    r = cl.get(path, auth="Zoho-oauthtoken " + tok)
    t.check("zoho: expired token -> 401 INVALID_OAUTHTOKEN",
            r.status == 401 and r.json()["data"]["errorCode"] == "INVALID_OAUTHTOKEN",
            (r.status, r.body))
    # the refresh limit: 10 access tokens per 10 minutes per refresh token
    cl.reset()
    got = [cl.token() for _ in range(11)]
    t.check("zoho: 10 tokens per refresh token, the 11th -> 400 Access Denied",
            all(r.status == 200 and "access_token" in r.json() for r in got[:10])
            and got[10].status == 400 and got[10].json() == ZOHO_TOO_MANY,
            [(r.status, r.body[:80]) for r in got[9:]])
    t.eq("zoho: tokens minted before the limit still work",
         cl.get(path, auth="Zoho-oauthtoken " + got[0].json()["access_token"]).status, 200)
    cl.config(refresh_limit_status=200)
    r = cl.token()
    t.check("zoho: refresh_limit_status=200", r.status == 200 and r.json() == ZOHO_TOO_MANY,
            (r.status, r.body))
    t.eq("zoho: bad credentials are checked before the limit",
         cl.token(client_secret="x").json(), {"error": "invalid_client"})
    cl.reset()
    cl.config(refresh_limit=2, refresh_window_s=1)
    got = [cl.token().status for _ in range(2)] + [cl.token().json().get("error")]
    time.sleep(1.1)
    got.append(cl.token().status)
    t.eq("zoho: refresh_limit / refresh_window_s", got, [200, 200, "Access Denied", 200])
    cl.config(refresh_limit=0)
    t.check("zoho: refresh_limit=0 -> unlimited",
            all("access_token" in cl.token().json() for _ in range(15)))
    cl.reset()
    cl.config(rate_limit_per_min=1)
    for _ in range(3):
        cl.token()
    t.eq("zoho: token requests do not count against the API limit", cl.get(path).status, 200)
    cl.reset()


def test_zoho_constants(t, cl, recs):
    cl.fresh()
    r, o = cl.get_json(ZOHO_ACT + "?mode=getConstants")
    t.check("zoho: getConstants -> 200 envelope (no startTime/endTime needed)",
            r.status == 200 and o["status"] == {"code": 200, "description": "success"},
            (r.status, r.body[:200]))
    d = o["data"]
    t.check("zoho: category codes as documented",
            d["category"].get("1001") == "Organization" and d["category"].get("1003") == "Users"
            and d["category"].get("1019") == "Security"
            and d["category"].get("1020") == "Roles and Privileges", d["category"])
    t.eq("zoho: subCategory 4007 is MAILBOX_USER", d["subCategory"].get("4007"), "MAILBOX_USER")
    t.eq("zoho: operationType table", set(d["operationType"].values()),
         {"ADD", "UPDATE", "DELETE", "DOWNLOAD"})
    t.check("zoho: every mainCategory is a category name",
            {r["mainCategory"] for r in recs} <= set(d["category"].values()))
    t.check("zoho: every subCategory is a subCategory name",
            {r["subCategory"] for r in recs} <= set(d["subCategory"].values()))
    t.eq("zoho: mode=other -> 400", cl.get(ZOHO_ACT + "?mode=list").status, 400)
    ok = True
    for code, name in d["subCategory"].items():
        got, _ = zoho_walk(cl, 200, [("searchKey", "subCategory:" + code)])
        ok = ok and got == [r for r in recs if r["subCategory"] == name] and got
    t.check("zoho: searchKey subCategory:<code> matches that subCategory name, every code", ok)
    ok = True
    for name in {r["mainCategory"] for r in recs}:
        code = [c for c, n in d["category"].items() if n == name][0]
        got, _ = zoho_walk(cl, 200, [("searchKey", "category:" + code)])
        ok = ok and got == [r for r in recs if r["mainCategory"] == name]
    t.check("zoho: searchKey category:<code> matches that mainCategory, every code used", ok)
    return d


def test_zoho_paging(t, cl, recs):
    cl.fresh()
    r, o = cl.get_json(ZOHO_ACT + q(ZOHO_ALL))
    t.check("zoho: default limit 10, newest first, both cursors",
            r.status == 200 and o["data"]["audit"] == recs[:10]
            and list(o["data"]) == ["lastIndexTime", "audit", "lastEntityId"], r.status)
    r, o = cl.get_json(ZOHO_ACT + q(ZOHO_ALL + [("limit", 200)]))
    t.eq("zoho: limit 200 accepted", len(o["data"]["audit"]), 200)
    for bad in ("0", "201", "-1", "abc", "1.5"):
        r = cl.get(ZOHO_ACT + q(ZOHO_ALL + [("limit", bad)]))
        t.check("zoho: limit=%s -> 400 envelope" % bad,
                r.status == 400 and r.json()["status"]["code"] == 400
                and "errorCode" in r.json()["data"], (r.status, r.body))
    for end_sig in ("empty", "short", "omit"):
        for short in (0, 1):
            cl.config(end_signal=end_sig, short_pages=short)
            for limit in (200, 37):
                label = "zoho: end_signal=%s short_pages=%d limit=%d" % (end_sig, short, limit)
                rows, calls = zoho_walk(cl, limit)
                t.check(label + ": every record once, newest first", rows == recs,
                        (len(rows), len(recs)))
                last = calls[-1]
                if end_sig == "empty":
                    ok = last[0] == 0 and last[1] is None and calls[-2][1] is not None
                elif end_sig == "short":
                    ok = last[0] > 0 and last[1] is None and last[2] is None
                else:
                    ok = last[0] == 0 and (last[1], last[2]) == calls[-2][1:]
                t.check(label + ": end shows as documented", ok, calls[-3:])
                mid = calls[:-1] if end_sig == "short" else calls[:-2]
                shorts = [c for c in mid if c[0] < limit]
                if short:
                    t.check(label + ": short pages mid-stream, with cursors",
                            shorts and all(c[1] for c in shorts), len(shorts))
                else:
                    t.check(label + ": every page but the last is full", not shorts, shorts)
    cl.config(end_signal="empty", short_pages=0)
    rows, calls = zoho_walk(cl, 100)
    t.check("zoho: a burst straddles the page boundary",
            rows[99]["requestTime"] == rows[100]["requestTime"])
    # the last page exactly full
    cl.config(records=400, end_signal="short")
    rows, calls = zoho_walk(cl, 200)
    t.check("zoho: end_signal=short, exactly full last page has no cursors",
            [c[0] for c in calls] == [200, 200] and calls[-1][1] is None and len(rows) == 400,
            calls)
    cl.config(end_signal="empty")
    rows, calls = zoho_walk(cl, 200)
    t.eq("zoho: end_signal=empty, exactly full last page: one more empty call",
         [(c[0], c[1] is None) for c in calls], [(200, False), (200, False), (0, True)])
    cl.config(records=1200)
    r, o = cl.get_json(ZOHO_ACT + q(ZOHO_ALL + [("limit", 5)]))
    cur = (o["data"]["lastIndexTime"], o["data"]["lastEntityId"])
    r, o2 = cl.get_json(ZOHO_ACT + q(ZOHO_ALL + [("limit", 5), ("lastIndexTime", cur[0]),
                                                  ("lastEntityId", cur[1])]))
    t.eq("zoho: cursors continue after the last row", o2["data"]["audit"], recs[5:10])
    r, o2 = cl.get_json(ZOHO_ACT + q(ZOHO_ALL + [("limit", 5), ("lastIndexTime", ""),
                                                  ("lastEntityId", "")]))
    t.eq("zoho: blank cursors mean the first page", o2["data"]["audit"], recs[:5])
    bad_cursors = [
        ("unknown lastIndexTime", [("lastIndexTime", "1000000000000000"),
                                   ("lastEntityId", "1000000000000000_sas@172.18.232.99")]),
        ("lastEntityId of another row", [("lastIndexTime", cur[0]),
                                         ("lastEntityId", cur[0] + "_x@1.2.3.4")]),
        ("only lastIndexTime", [("lastIndexTime", cur[0])]),
        ("only lastEntityId", [("lastEntityId", cur[1])]),
        ("13-digit lastIndexTime", [("lastIndexTime", cur[0][:13]),
                                    ("lastEntityId", cur[1])]),
    ]
    for name, pairs in bad_cursors:
        r = cl.get(ZOHO_ACT + q(ZOHO_ALL + [("limit", 5)] + pairs))
        t.check("zoho: cursor %s -> 400 envelope" % name,
                r.status == 400 and r.json()["status"]["code"] == 400, (r.status, r.body))


def test_zoho_filters(t, cl, recs):
    cl.fresh()

    def check(name, pairs, pred, base=ZOHO_ALL, nonempty=True):
        want = [r for r in recs if pred(r)]
        got, _ = zoho_walk(cl, 200 if len(want) > 300 else 37, pairs, base)
        t.check("zoho: %s (%d records)" % (name, len(want)),
                got == want and (want or not nonempty), (len(got), len(want)))

    times = sorted({r["requestTime"] for r in recs})
    bursts = sorted(ms for ms, n in collections.Counter(r["requestTime"] for r in recs)
                    .items() if n >= 2)
    lo, hi = bursts[len(bursts) // 3], bursts[len(bursts) // 3 + 25]
    preds = {"inclusive": lambda r: lo <= r["requestTime"] <= hi,
             "exclusive": lambda r: lo < r["requestTime"] < hi,
             "half_open": lambda r: lo <= r["requestTime"] < hi}
    counts = set()
    for mode, pred in preds.items():
        cl.config(time_bounds=mode)
        counts.add(sum(1 for r in recs if pred(r)))
        check("startTime/endTime %s on burst instants" % mode, [], pred,
              base=[("startTime", lo), ("endTime", hi)])
    t.check("zoho: the bound modes differ", len(counts) == 3, counts)
    cl.config(time_bounds="inclusive")
    check("startTime = endTime = one burst", [], lambda r: r["requestTime"] == lo,
          base=[("startTime", lo), ("endTime", lo)])
    for name, pairs in (("no startTime", [("endTime", hi)]), ("no endTime", [("startTime", lo)]),
                        ("neither", []), ("startTime after endTime",
                                          [("startTime", hi), ("endTime", lo)]),
                        ("startTime not a number", [("startTime", "2026-10-01"),
                                                    ("endTime", hi)]),
                        ("endTime in seconds with a dot", [("startTime", lo),
                                                           ("endTime", "1790000000.5")])):
        r = cl.get(ZOHO_ACT + q(pairs))
        t.check("zoho: %s -> 400 envelope" % name,
                r.status == 400 and r.json()["data"]["errorCode"], (r.status, r.body))
    cl.config(require_time=0)
    check("require_time=0: no time bounds", [], lambda r: True, base=[])
    check("require_time=0: startTime only", [], lambda r: r["requestTime"] >= times[600],
          base=[("startTime", times[600])])
    cl.config(require_time=1)

    sk = [
        ("category:1003", lambda r: r["mainCategory"] == "Users"),
        ("subCategory:4007", lambda r: r["subCategory"] == "MAILBOX_USER"),
        ("operationType:DELETE", lambda r: r["operationType"] == "DELETE"),
        ("operationType:DOWNLOAD", lambda r: r["operationType"] == "DOWNLOAD"),
        ("performedBy:josé.müller@zylker.com",
         lambda r: r["performedBy"] == "josé.müller@zylker.com"),
        ("performedBy:李雷@zylker.com", lambda r: r["performedBy"] == "李雷@zylker.com"),
        ("performedBy:ops+audit@zylker.com",
         lambda r: r["performedBy"] == "ops+audit@zylker.com"),
        ("performedFor:user@zylker.com", lambda r: r["performedOn"] == "user@zylker.com"),
        ("performedOn:user@zylker.com", lambda r: r["performedOn"] == "user@zylker.com"),
        ("status:failure", lambda r: r["status"] == "failure"),
        ("status:FAILURE", lambda r: r["status"] == "failure"),
        ("auditLogType:ORGADMIN_AUDIT", lambda r: True),
        ("category:1003::subCategory:4007::performedFor:user@zylker.com",
         lambda r: r["mainCategory"] == "Users" and r["subCategory"] == "MAILBOX_USER"
         and r["performedOn"] == "user@zylker.com"),
        ("operationType:ADD::status:success::performedBy:admin@zylker.com",
         lambda r: r["operationType"] == "ADD" and r["status"] == "success"
         and r["performedBy"] == "admin@zylker.com"),
    ]
    for text, pred in sk:
        check("searchKey " + text, [("searchKey", text)], pred)
    check("searchKey performedBy combined with a time range",
          [("searchKey", "performedBy:admin@zylker.com")],
          lambda r: r["performedBy"] == "admin@zylker.com" and lo <= r["requestTime"] <= hi,
          base=[("startTime", lo), ("endTime", hi)])
    for text in ("operationType:add", "performedBy:nobody@zylker.com", "category:9999",
                 "status:ok"):
        r, o = cl.get_json(ZOHO_ACT + q(ZOHO_ALL + [("searchKey", text)]))
        t.check("zoho: searchKey %s matches nothing" % text,
                r.status == 200 and o["data"]["audit"] == [], (r.status, r.body[:200]))
    cl.config(status_search="code")
    check("status_search=code: searchKey status:0", [("searchKey", "status:0")],
          lambda r: r["status"] == "failure")
    r, o = cl.get_json(ZOHO_ACT + q(ZOHO_ALL + [("searchKey", "status:failure")]))
    t.check("zoho: status_search=code: status:failure matches nothing",
            r.status == 200 and o["data"]["audit"] == [], (r.status, r.body[:200]))
    cl.config(status_search="text")
    raw = ZOHO_ACT + q(ZOHO_ALL) + "&searchKey=performedBy:ops+audit@zylker.com"
    r, o = cl.get_json(raw)
    t.check("zoho: an unencoded '+' decodes to a space (matches nothing)",
            r.status == 200 and o["data"]["audit"] == [], (r.status, r.body[:200]))
    for text in ("nosuch:1", "category", "category:abc", "status:success::status:failure",
                 ":x", "category:1003:::subCategory:4007"):
        r = cl.get(ZOHO_ACT + q(ZOHO_ALL + [("searchKey", text)]))
        t.check("zoho: searchKey %r -> 400 envelope" % text,
                r.status == 400 and r.json()["status"]["code"] == 400, (r.status, r.body))
    r = cl.get(ZOHO_ACT + q(ZOHO_ALL + [("foo", "1")]))
    t.check("zoho: unknown parameter -> 400 EXTRA_PARAM_FOUND",
            r.status == 400 and r.json()["data"]["errorCode"] == "EXTRA_PARAM_FOUND",
            (r.status, r.body))
    r = cl.get(ZOHO_ACT + q(ZOHO_ALL + [("limit", 5), ("limit", 6)]))
    t.check("zoho: a parameter twice -> 400",
            r.status == 400 and r.json()["data"]["errorCode"] == "MORE_THAN_MAX_OCCURANCE",
            (r.status, r.body))
    t.eq("zoho: byMode=true (older doc) accepted",
         cl.get(ZOHO_ACT + q(ZOHO_ALL + [("byMode", "true")])).status, 200)
    cl.config(strict_params=0)
    t.eq("zoho: strict_params=0 ignores unknown parameters",
         cl.get(ZOHO_ACT + q(ZOHO_ALL + [("foo", "1")])).status, 200)
    cl.reset()


def test_zoho_rate_limit(t, cl):
    cl.reset()
    cfg = cl.config()
    t.check("zoho: config defaults",
            (cfg["records"], cfg["rate_limit_per_min"], cfg["rate_limit_status"], cfg["zoid"],
             cfg["oauth_token"], cfg["token_ttl"], cfg["client_id"], cfg["client_secret"],
             cfg["refresh_token"], cfg["refresh_limit"], cfg["refresh_window_s"],
             cfg["require_time"], cfg["time_bounds"], cfg["end_signal"], cfg["short_pages"])
            == (1200, 30, 429, ZOHO_ZOID, "zoho-test-oauth", 3600, "zoho-test-client",
                "zoho-test-secret", "zoho-test-refresh", 10, 600, 1, "inclusive", "empty", 0),
            cfg)
    path = ZOHO_ACT + q(ZOHO_ALL + [("limit", 1)])
    got = [cl.get(path) for _ in range(31)]
    r = got[-1]
    t.check("zoho: default 30 a minute, the 31st -> 429 TOO_MANY_REQUESTS envelope",
            [x.status for x in got[:30]] == [200] * 30 and r.status == 429
            and r.json()["status"]["code"] == 429
            and r.json()["data"]["errorCode"] == "TOO_MANY_REQUESTS"
            and "retry-after" not in r.headers, (r.status, r.body, r.headers))
    cl.config(rate_limit_status=400, rate_limit_retry_after=9)
    r = cl.get(path)
    t.check("zoho: rate_limit_status=400, rate_limit_retry_after=9",
            r.status == 400 and r.json()["status"]["code"] == 400
            and r.json()["data"]["errorCode"] == "TOO_MANY_REQUESTS"
            and r.headers.get("retry-after") == "9", (r.status, r.body, r.headers))
    cl.reset()
    cl.config(rate_limit_per_min=1)
    got = [cl.get(path, auth="Zoho-oauthtoken bad").status for _ in range(2)]
    got += [cl.get(path).status, cl.get(path).status]
    t.eq("zoho: rejected tokens are not counted", got, [401, 401, 200, 429])
    cl.reset()
    cl.config(rate_limit_per_min=2, rate_limit_lock_s=100)
    got = [cl.get(path).status for _ in range(3)]
    cl.config(rate_limit_per_min=0)
    got.append(cl.get(path).status)
    t.eq("zoho: rate_limit_lock_s keeps refusing after an excess", got, [200, 200, 429, 429])
    cl.reset()
    t.eq("zoho: reset lifts the lock", cl.get(path).status, 200)
    cl.reset()


def test_zoho_faults(t, cl):
    cl.reset()
    path = ZOHO_ACT + q(ZOHO_ALL + [("limit", 20)])
    normal = cl.get(path)
    cl.config(fault="status")
    r = cl.get(path)
    t.check("zoho: fault=status -> 503 Zoho envelope",
            r.status == 503 and r.json()["status"]["code"] == 503
            and r.json()["data"]["errorCode"], (r.status, r.body))
    r = cl.token()
    t.check("zoho: fault=status on the token endpoint -> {error}",
            r.status == 503 and "error" in r.json(), (r.status, r.body))
    cl.config(fault="rate_limit", retry_after=4)
    r = cl.get(path)
    t.check("zoho: fault=rate_limit -> 429 TOO_MANY_REQUESTS, Retry-After",
            r.status == 429 and r.json()["data"]["errorCode"] == "TOO_MANY_REQUESTS"
            and r.headers.get("retry-after") == "4", (r.status, r.body, r.headers))
    cl.config(fault="malformed")
    r = cl.get(path)
    t.check("zoho: fault=malformed -> 200 HTML", r.status == 200 and r.body.startswith(b"<"))
    cl.config(fault="truncate")
    c = cl.conn()
    try:
        c.request("GET", path, headers={"Authorization": ZOHO_AUTH})
        resp = c.getresponse()
        res = resp.read()
    except (http.client.HTTPException, OSError) as e:
        res = e
    finally:
        c.close()
    t.check("zoho: fault=truncate -> IncompleteRead",
            isinstance(res, http.client.IncompleteRead)
            and len(res.partial) == len(normal.body) // 2, res)
    cl.config(fault="none", fault_status=500)
    t.eq("zoho: fault=none", cl.get(path).status, 200)
    t.eq("zoho: faults_injected", cl.stats()["faults_injected"], 5)
    cl.reset()


def run_koreai_zoho(t):
    """Kore.ai and Zoho Mail on a second emulator instance."""
    emu = Emulator("--vendors", "koreai,zoho_mail")
    try:
        if not t.check("koreai/zoho_mail emulator starts", emu.wait_ports(), emu.stderr()):
            return
        text = open(emu.port_file).read()
        t.check("port file has koreai=PORT and zoho_mail=PORT",
                re.fullmatch(r"koreai=\d+\nzoho_mail=\d+\n", text), text)
        kore = KoreClient(emu.ports["koreai"])
        zoho = ZohoClient(emu.ports["zoho_mail"])
        kore_recs = zoho_recs = None
        try:
            kore_recs = test_kore_dataset(t, kore)
        except Exception:
            t.check("test_kore_dataset ran to completion", False, traceback.format_exc())
        try:
            zoho_recs = test_zoho_dataset(t, zoho)
        except Exception:
            t.check("test_zoho_dataset ran to completion", False, traceback.format_exc())
        steps = [(test_kore_auth, (t, kore)), (test_kore_rate_limit, (t, kore)),
                 (test_kore_faults, (t, kore)), (test_zoho_auth, (t, zoho)),
                 (test_zoho_token, (t, zoho)), (test_zoho_rate_limit, (t, zoho)),
                 (test_zoho_faults, (t, zoho))]
        if kore_recs:
            steps += [(fn, (t, kore, kore_recs)) for fn in (test_kore_paging, test_kore_filters)]
        if zoho_recs:
            steps += [(fn, (t, zoho, zoho_recs)) for fn in (test_zoho_constants,
                                                            test_zoho_paging,
                                                            test_zoho_filters)]
        for fn, args in steps:
            try:
                fn(*args)
            except Exception:
                t.check(fn.__name__ + " ran to completion", False, traceback.format_exc())
    finally:
        rc = emu.stop()
        t.eq("koreai/zoho_mail: SIGTERM -> clean exit 0", rc, 0)
        err = emu.stderr()
        t.check("koreai/zoho_mail: nothing on stderr", err == "", err[-2000:])


# ---------------------------------------------------------------- Zscaler ZIA and Resolver
#
# These run against their own emulator instance (--vendors zscaler,resolver),
# started by suite_zscaler_resolver().

ZIA_KEY, ZIA_USER, ZIA_PW = "ZiaTestKey2026xyz", "admin@example.com", "zia-test-password"
ZIA_CID, ZIA_SECRET, ZIA_AUD = "zia-test-client", "zia-test-secret", "https://api.zscaler.com"
ZIA_SESSION = "/api/v1/authenticatedSession"
ZIA_REPORT = "/api/v1/auditlogEntryReport"
ZIA_DOWNLOAD = ZIA_REPORT + "/download"
ZIA_REPORT_HEADER = ["Time", "User", "Action", "AA in Cloud", "Result", "Client IP", "Interface",
                     "Category", "Subcategory", "Resource", "Pre Action", "Post Action"]
ZIA_UI_HEADER = ["Time", "Action", "Category", "Sub-Category", "Resource", "Admin ID",
                 "Client IP", "Interface", "Trace ID", "Result", "Pre Action", "Post Action"]
ZIA_PLAIN_HEADER = ["Timestamp", "Admin ID", "Action", "Result", "Client IP", "Interface",
                    "Category", "Subcategory", "Resource", "Pre-Action", "Post-Action",
                    "Trace ID"]
ZIA_DAY = 86400
ZIA_ANCHOR_S = epoch(ANCHOR)
ZIA_DENSE_DAY = (ZIA_ANCHOR_S - 12 * ZIA_DAY) // ZIA_DAY * ZIA_DAY     # README: dense day 1
RSLV_TOKEN = "rslv-test-token"
RSLV_AUTH = "bearer " + RSLV_TOKEN
RSLV_EXPORT = "/audit/user/export"
RSLV_HEADER = ["Date and Time", "Event", "Subject", "Subject Type", "Performed By",
               "External Reference ID", "IP Address", "Details"]


def zia_obfuscate(key, ts):
    """The documented obfuscation, written out independently of the emulator."""
    digits = ts[-6:]
    half = "%06d" % (int(digits) >> 1)
    return "".join(key[int(c)] for c in digits) + "".join(key[int(c) + 2] for c in half)


def zia_login(cl, user=ZIA_USER, pw=ZIA_PW, key=ZIA_KEY, ts=None, obfuscate=True,
              ctype="application/json"):
    ts = ts or str(int(time.time() * 1000))
    body = json.dumps({"apiKey": zia_obfuscate(key, ts) if obfuscate else key,
                       "username": user, "password": pw, "timestamp": ts})
    return cl.request("POST", ZIA_SESSION, body=body, auth=None,
                      headers={"Content-Type": ctype} if ctype else {})


def zia_cookie(resp):
    return resp.headers.get("set-cookie", "").split(";")[0]


class ZiaSession:
    """Requests with a JSESSIONID cookie (or a Bearer token)."""

    def __init__(self, cl, cookie=None, bearer=None):
        self.cl, self.cookie, self.bearer = cl, cookie, bearer

    def req(self, method, path, body=None, headers=None):
        h = {}
        if self.cookie:
            h["Cookie"] = self.cookie
        if body is not None:
            h["Content-Type"] = "application/json"
            body = json.dumps(body)
        h.update(headers or {})
        return self.cl.request(method, path, body=body, headers=h,
                               auth=("Bearer " + self.bearer) if self.bearer else None)

    def post_report(self, start_s, end_s, **filters):
        body = {"startTime": int(start_s * 1000), "endTime": int(end_s * 1000)}
        body.update(filters)
        return self.req("POST", ZIA_REPORT, body)

    def status(self):
        r = self.req("GET", ZIA_REPORT)
        return r, (r.json() if r.status == 200 else None)

    def wait(self, timeout=10.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            r, o = self.status()
            if o is None or o["status"] in ("COMPLETE", "ERRORED"):
                return r, o
            time.sleep(0.05)
        return r, o

    def report(self, start_s, end_s, **filters):
        """POST, wait until COMPLETE, download -> (csv text, post response)."""
        p = self.post_report(start_s, end_s, **filters)
        if p.status != 204:
            return None, p
        self.wait()
        d = self.req("GET", ZIA_DOWNLOAD)
        return (d.body.decode("utf-8") if d.status == 200 else None), p


def zia_fresh(cl):
    """Reset, lift the rate limits and shorten the report delay."""
    cl.reset()
    cl.config(req_per_sec=0, post_per_min=0, post_per_hour=0, report_delay_ms=50)
    r = zia_login(cl)
    return ZiaSession(cl, zia_cookie(r))


def zia_parse(text):
    """CSV text -> (preamble lines, header, rows, trailer lines).  The header
    row is found by its contents, as the FDW must."""
    import csv
    import io
    if text.startswith("\ufeff"):
        text = text[1:]
    recs = list(csv.reader(io.StringIO(text, newline="")))
    hi = next(i for i, r in enumerate(recs) if r and r[0] in ("Time", "Timestamp")
              and ("Admin ID" in r or "User" in r))
    header = recs[hi]
    rows, trailer = [], []
    for r in recs[hi + 1:]:
        # data rows may end in empty fields the header does not name
        if len(r) >= len(header) and not any(r[len(header):]):
            rows.append(r[:len(header)])
        elif r:
            trailer.append(r)
    return recs[:hi], header, rows, trailer


def zia_rows(text):
    """CSV text -> list of dicts keyed by the UI header names."""
    _, header, rows, _ = zia_parse(text)
    names = {"Timestamp": "Time", "Subcategory": "Sub-Category", "Pre-Action": "Pre Action",
             "Post-Action": "Post Action", "User": "Admin ID"}
    return [{names.get(h, h): v for h, v in zip(header, r)} for r in rows]


def zia_epoch(text, zone="UTC"):
    """Any of the five time formats -> epoch seconds (plain ones are in `zone`;
    those with an abbreviation must be in `zone` too)."""
    import zoneinfo
    tz = zoneinfo.ZoneInfo(zone)
    m = re.fullmatch(r"(\d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d), (\w+)", text)
    if m:                                           # report: "31 Dec 2021 23:59:59, AEST"
        dt = datetime.datetime.strptime(m.group(1), "%d %b %Y %H:%M:%S").replace(tzinfo=tz)
        if dt.tzname() != m.group(2):
            dt = dt.replace(fold=1)
            if dt.tzname() != m.group(2):
                raise ValueError("zone %s is not %s's" % (m.group(2), zone))
        return int(dt.timestamp())
    if re.match(r"\d{4}-\d\d-\d\dT", text):
        return int(datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())
    for fmt in ("%Y-%m-%d %H:%M:%S", "%m/%d/%Y %I:%M:%S %p"):
        try:
            dt = datetime.datetime.strptime(text, fmt)
            return int(dt.replace(tzinfo=tz).timestamp())
        except ValueError:
            pass
    base, _, abbr = text.rpartition(" ")            # long: "November 23, 2026 10:00:00 AM PST"
    dt = datetime.datetime.strptime(base, "%B %d, %Y %I:%M:%S %p").replace(tzinfo=tz)
    if dt.tzname() != abbr:                         # the repeated hour at the end of DST
        dt = dt.replace(fold=1)
    return int(dt.timestamp())


def test_zia_auth(t, cl):
    cl.reset()
    cl.config(req_per_sec=0)
    r = zia_login(cl)
    t.check("zia: obfuscated login -> 200, JSESSIONID cookie, session body",
            r.status == 200 and re.fullmatch(r"JSESSIONID=[0-9A-F]{32}; Path=/; Secure; HttpOnly",
                                             r.headers.get("set-cookie", ""))
            and r.json() == {"authType": "ADMIN_LOGIN", "obfuscateApiKey": True,
                             "passwordExpiryTime": 0, "passwordExpiryDays": 0},
            (r.status, r.headers, r.body))
    zs = ZiaSession(cl, zia_cookie(r))
    bad = {"code": "INVALID_USERNAME_OR_PASSWORD", "message": "Invalid email or password"}
    r = zia_login(cl, obfuscate=False)
    t.check("zia: plain (unobfuscated) key -> 400 INVALID_USERNAME_OR_PASSWORD",
            r.status == 400 and r.json() == bad and "set-cookie" not in r.headers,
            (r.status, r.body))
    t.eq("zia: wrong password -> 400", zia_login(cl, pw="nope").status, 400)
    t.eq("zia: wrong key -> 400", zia_login(cl, key="AbcdefGhijkl9876").status, 400)
    old = str(int((time.time() - 3 * 3600) * 1000))
    t.eq("zia: timestamp 3 h old -> 400", zia_login(cl, ts=old).status, 400)
    ok_old = str(int((time.time() - 1.5 * 3600) * 1000))
    t.eq("zia: timestamp 1.5 h old -> 200", zia_login(cl, ts=ok_old).status, 200)
    t.eq("zia: username case-insensitive", zia_login(cl, user=ZIA_USER.upper()).status, 200)
    t.eq("zia: login without Content-Type JSON -> 415", zia_login(cl, ctype=None).status, 415)
    t.eq("zia: login as text/plain -> 415", zia_login(cl, ctype="text/plain").status, 415)
    r = zs.req("GET", ZIA_SESSION)
    t.check("zia: GET authenticatedSession has authType while valid",
            r.status == 200 and r.json().get("authType") == "ADMIN_LOGIN", r.body)
    r = ZiaSession(cl).req("GET", ZIA_SESSION)
    t.check("zia: GET authenticatedSession without a session has no authType",
            r.status == 200 and "authType" not in r.json(), r.body)
    r = ZiaSession(cl).req("GET", ZIA_REPORT)
    t.check("zia: report without auth -> 401 SESSION_NOT_VALID",
            r.status == 401 and r.json()["code"] == "SESSION_NOT_VALID", (r.status, r.body))
    r = ZiaSession(cl, "JSESSIONID=0123456789ABCDEF0123456789ABCDEF").req("GET", ZIA_REPORT)
    t.eq("zia: unknown JSESSIONID -> 401", r.status, 401)
    r = ZiaSession(cl, "foo=bar; " + zs.cookie + "; x=y").req("GET", ZIA_REPORT)
    t.eq("zia: cookie among others accepted (no report yet -> 404)", r.status, 404)

    # logout
    r = zs.req("DELETE", ZIA_SESSION)
    t.check("zia: logout -> 204", r.status == 204 and r.body == b"", (r.status, r.body))
    t.eq("zia: after logout -> 401", zs.req("GET", ZIA_REPORT).status, 401)
    t.eq("zia: second logout -> 401", zs.req("DELETE", ZIA_SESSION).status, 401)
    log = cl.log()
    t.check("zia: logout is logged", "204 DELETE /api/v1/authenticatedSession" in log, log)
    t.check("zia: apiKey and password are *** in the log",
            '"apiKey":"***"' in log and '"password":"***"' in log and ZIA_PW not in log,
            log[:400])

    # OneAPI
    def token(form, auth=None):
        return cl.request("POST", "/oauth2/v1/token", body=urllib.parse.urlencode(form),
                          headers={"Content-Type": "application/x-www-form-urlencoded"},
                          auth=auth)
    good = [("grant_type", "client_credentials"), ("client_id", ZIA_CID),
            ("client_secret", ZIA_SECRET), ("audience", ZIA_AUD)]
    r = token(good)
    o = r.json() if r.status == 200 else {}
    t.check("zia: OneAPI token -> access_token, Bearer, 3600",
            r.status == 200 and o.get("token_type") == "Bearer" and o.get("expires_in") == 3600
            and len(o.get("access_token", "")) > 20, (r.status, r.body))
    tok = o.get("access_token", "")
    r = ZiaSession(cl, bearer=tok).req("GET", ZIA_REPORT)
    t.check("zia: Bearer accepted on /api/v1 (no report -> 404 RESOURCE_NOT_FOUND)",
            r.status == 404 and r.json() == {"code": "RESOURCE_NOT_FOUND",
                                             "message": "No Report to download"},
            (r.status, r.body))
    t.eq("zia: Bearer accepted on /zia/api/v1 too",
         ZiaSession(cl, bearer=tok).req("GET", "/zia" + ZIA_REPORT).status, 404)
    basic_auth = "Basic " + base64.b64encode(("%s:%s" % (ZIA_CID, ZIA_SECRET)).encode()).decode()
    r = token([("grant_type", "client_credentials"), ("audience", ZIA_AUD)], auth=basic_auth)
    t.eq("zia: OneAPI token with HTTP Basic client auth", r.status, 200)
    r = token(good[:3])
    t.check("zia: token without audience -> 400", r.status == 400 and "error" in r.json(),
            (r.status, r.body))
    r = token(good[:3] + [("audience", "https://api.zscaler.net")])
    t.eq("zia: token with wrong audience -> 400", r.status, 400)
    r = token(good[:2] + [("client_secret", "nope"), ("audience", ZIA_AUD)])
    t.check("zia: token with wrong secret -> 401 invalid_client",
            r.status == 401 and r.json().get("error") == "invalid_client", (r.status, r.body))
    r = token([("grant_type", "password")] + good[1:])
    t.eq("zia: grant_type=password -> 400", r.status, 400)
    t.eq("zia: bogus Bearer -> 401", ZiaSession(cl, bearer="nope").req("GET", ZIA_REPORT).status,
         401)
    t.check("zia: client_secret is *** in the log",
            "client_secret=***" in cl.log() and ZIA_SECRET not in cl.log())

    # expiry: idle sessions and short-lived tokens
    cl.config(session_idle_s=1, token_ttl_s=1)
    s1 = ZiaSession(cl, zia_cookie(zia_login(cl)))
    s2 = ZiaSession(cl, zia_cookie(zia_login(cl)))
    tok = token(good).json()["access_token"]
    t.eq("zia: token_ttl_s reported in expires_in", token(good).json()["expires_in"], 1)
    statuses = []
    for _ in range(3):                      # s1 stays busy: each use restarts its idle timer
        time.sleep(0.55)
        statuses.append(s1.req("GET", ZIA_REPORT).status)
    t.eq("zia: a session in use does not expire", statuses, [404, 404, 404])
    r = s2.req("GET", ZIA_REPORT)
    t.check("zia: idle session expires -> 401 SESSION_NOT_VALID",
            r.status == 401 and r.json()["code"] == "SESSION_NOT_VALID", (r.status, r.body))
    t.check("zia: expired session has no authType",
            "authType" not in s2.req("GET", ZIA_SESSION).json())
    t.eq("zia: expired OneAPI token -> 401",
         ZiaSession(cl, bearer=tok).req("GET", ZIA_REPORT).status, 401)
    cl.reset()


def test_zia_report(t, cl):
    zs = zia_fresh(cl)
    d0, d1 = ZIA_DENSE_DAY, ZIA_DENSE_DAY + ZIA_DAY - 1
    r, o = zs.status()
    t.check("zia: no report -> 404 RESOURCE_NOT_FOUND",
            r.status == 404 and r.json() == {"code": "RESOURCE_NOT_FOUND",
                                             "message": "No Report to download"},
            (r.status, r.body))
    t.eq("zia: download without a report -> 404", zs.req("GET", ZIA_DOWNLOAD).status, 404)
    t.eq("zia: DELETE without a report -> 404", zs.req("DELETE", ZIA_REPORT).status, 404)
    r = zs.cl.request("POST", ZIA_REPORT, body=json.dumps({"startTime": 1, "endTime": 2}),
                      headers={"Cookie": zs.cookie}, auth=None)
    t.eq("zia: report POST without Content-Type JSON -> 415", r.status, 415)
    for name, body in (("missing endTime", {"startTime": d0 * 1000}),
                       ("label instead of enum in actionTypes",
                        {"startTime": d0 * 1000, "endTime": d1 * 1000, "actionTypes": ["Update"]}),
                       ("label as category",
                        {"startTime": d0 * 1000, "endTime": d1 * 1000,
                         "category": "Firewall Policy"}),
                       ("start after end", {"startTime": d1 * 1000, "endTime": d0 * 1000})):
        r = zs.req("POST", ZIA_REPORT, body)
        t.check("zia: %s -> 400 INVALID_INPUT_ARGUMENT" % name,
                r.status == 400 and r.json()["code"] == "INVALID_INPUT_ARGUMENT",
                (r.status, r.body))

    # lifecycle with the default delay and pending status
    cl.config(report_delay_ms=1500)
    r = zs.post_report(d0, d1 + 0.999)
    t.check("zia: POST -> 204 with no body", r.status == 204 and r.body == b"",
            (r.status, r.body))
    t0 = time.time()
    r, o = zs.status()
    t.check("zia: pending status EXECUTING",
            o and o["status"] == "EXECUTING" and o["progressItemsComplete"] < 1000, o)
    r = zs.req("GET", ZIA_DOWNLOAD)
    t.check("zia: download while pending -> 409", r.status == 409 and "code" in r.json(),
            (r.status, r.body))
    r, o = zs.wait()
    dt = time.time() - t0
    t.check("zia: COMPLETE after about report_delay_ms (1500)",
            o["status"] == "COMPLETE" and 1.2 <= dt <= 3.0 and o["progressEndTime"] > 0
            and o["progressItemsComplete"] == 1000, (o, dt))
    r = zs.req("GET", ZIA_DOWNLOAD)
    t.check("zia: download -> 200 text/csv",
            r.status == 200 and r.headers.get("content-type", "").startswith("text/csv"),
            (r.status, r.headers))
    capped = zia_rows(r.body.decode("utf-8"))
    t.eq("zia: a dense day is capped at row_cap 1000", len(capped), 1000)
    t.check("zia: all rows inside the requested range",
            all(d0 <= zia_epoch(x["Time"]) <= d1 for x in capped))
    r = zs.req("GET", ZIA_DOWNLOAD)
    t.check("zia: download can be repeated", r.status == 200 and len(zia_rows(r.body.decode()))
            == 1000)

    cl.config(report_delay_ms=150, pending_status="IN_PROGRESS")
    zs.post_report(d0, d0 + 3600)
    t.eq("zia: pending_status=IN_PROGRESS", zs.status()[1]["status"], "IN_PROGRESS")
    zs.wait()

    # the cap keeps the newest rows; the day holds more than 1000
    t_old = min(zia_epoch(x["Time"]) for x in capped)
    newer, _ = zs.report(t_old + 1, d1 + 0.999)
    newer = zia_rows(newer)
    same = collections.Counter(tuple(sorted(x.items())) for x in capped
                               if zia_epoch(x["Time"]) > t_old)
    t.check("zia: capped report = every row newer than its oldest second (cap keeps newest)",
            len(newer) < 1000 and collections.Counter(tuple(sorted(x.items()))
                                                      for x in newer) == same,
            (len(newer), sum(same.values())))
    older, _ = zs.report(d0, t_old + 0.999)
    n_older = len(zia_rows(older))
    t.check("zia: the dense day holds more than 1000 rows", len(newer) + n_older > 1000,
            (len(newer), n_older))
    cl.config(cap_keeps="oldest")
    oldest, _ = zs.report(d0, d1 + 0.999)
    oldest = zia_rows(oldest)
    key_of = lambda x: tuple(sorted(x.items()))             # noqa: E731
    t.check("zia: cap_keeps=oldest keeps the oldest 1000 (all rows up to the newest cap's "
            "oldest second are in it)",
            len(oldest) == 1000 and n_older < 1000
            and not (collections.Counter(map(key_of, zia_rows(older)))
                     - collections.Counter(map(key_of, oldest))), (len(oldest), n_older))
    cl.config(cap_keeps="newest")

    # bursts and identical rows
    burst = d0 + 10 * 3600 + 15 * 60
    text, _ = zs.report(burst, burst + 0.999)
    rows = zia_rows(text)
    t.check("zia: a burst second holds >= burst_second_rows (40) rows",
            len(rows) >= 40 and len({x["Time"] for x in rows}) == 1, len(rows))
    t.check("zia: identical full rows occur",
            max(collections.Counter(tuple(x.values()) for x in capped).values()) > 1)

    # filters take enums, the CSV shows labels
    for name, flt, pred in (
            ("actionTypes SIGN_IN,SIGN_OUT", {"actionTypes": ["SIGN_IN", "SIGN_OUT"]},
             lambda x: x["Action"] in ("Sign In", "Sign Out")),
            ("category FIREWALL_POLICY", {"category": "FIREWALL_POLICY"},
             lambda x: x["Category"] == "Firewall Policy"),
            ("subcategories URL_FILTERING_POLICY", {"subcategories": ["URL_FILTERING_POLICY"]},
             lambda x: x["Sub-Category"] == "URL Filtering Policy"),
            ("actionResult FAILURE", {"actionResult": "FAILURE"},
             lambda x: x["Result"] == "Failed"),
            ("actionInterface API", {"actionInterface": "API"},
             lambda x: x["Interface"] == "API"),
            ("adminName prefix 'auditor'", {"adminName": "auditor"},
             lambda x: x["Admin ID"].startswith("auditor"))):
        text, p = zs.report(d0, d1 + 0.999, **flt)
        got = zia_rows(text) if text else []
        want = [x for x in capped if pred(x)]
        t.check("zia: filter %s" % name, p.status == 204 and got and all(pred(x) for x in got)
                and len(got) >= len(want), (p.status, len(got), len(want)))
    cl.config(search_match="exact")
    text, _ = zs.report(d0, d1 + 0.999, adminName="auditor")
    t.eq("zia: search_match=exact: adminName 'auditor' matches nothing", len(zia_rows(text)), 0)
    text, _ = zs.report(d0, d1 + 0.999, adminName="auditor@example.com")
    t.check("zia: search_match=exact: full admin id matches",
            all(x["Admin ID"] == "auditor@example.com" for x in zia_rows(text))
            and zia_rows(text))
    cl.config(search_match="prefix")

    # one slot: a new POST overwrites the old one
    cl.config(report_delay_ms=400)
    zs.post_report(d0, d1 + 0.999)
    zs.post_report(burst, burst + 0.999)
    zs.wait()
    rows = zia_rows(zs.req("GET", ZIA_DOWNLOAD).body.decode())
    t.check("zia: a second POST overwrites the slot (download is the second report)",
            rows and all(zia_epoch(x["Time"]) == burst for x in rows), len(rows))

    # DELETE cancels
    zs.post_report(d0, d1)
    r = zs.req("DELETE", ZIA_REPORT)
    t.eq("zia: DELETE a pending report -> 200", r.status, 200)
    t.eq("zia: after DELETE: status 404", zs.status()[0].status, 404)
    t.eq("zia: after DELETE: download 404", zs.req("GET", ZIA_DOWNLOAD).status, 404)
    t.check("zia: DELETE is logged", "200 DELETE /api/v1/auditlogEntryReport" in cl.log())

    # ERRORED
    cl.config(report_delay_ms=100, fail_reports=2)
    zs.post_report(d0, d0 + 3600)
    first = zs.wait()[1]
    zs.post_report(d0, d0 + 3600)
    second = zs.wait()[1]
    t.check("zia: fail_reports=2: 1st COMPLETE, 2nd ERRORED with errorMessage/errorCode",
            first["status"] == "COMPLETE" and second["status"] == "ERRORED"
            and second.get("errorMessage") and second.get("errorCode"), (first, second))
    t.eq("zia: download of an ERRORED report -> 404", zs.req("GET", ZIA_DOWNLOAD).status, 404)
    cl.config(fail_reports=0)

    # 31 days
    end = ZIA_ANCHOR_S * 1000
    r = zs.req("POST", ZIA_REPORT, {"startTime": end - 31 * ZIA_DAY * 1000 + 1, "endTime": end})
    t.eq("zia: 31 days (inclusive end) -> 204", r.status, 204)
    r = zs.req("POST", ZIA_REPORT, {"startTime": end - 31 * ZIA_DAY * 1000, "endTime": end})
    t.check("zia: more than 31 days -> 400 INVALID_INPUT_ARGUMENT",
            r.status == 400 and r.json()["code"] == "INVALID_INPUT_ARGUMENT", (r.status, r.body))
    cl.config(long_range="truncate")
    r = zs.req("POST", ZIA_REPORT, {"startTime": end - 60 * ZIA_DAY * 1000, "endTime": end})
    zs.wait()
    pre, _, rows, _ = zia_parse(zs.req("GET", ZIA_DOWNLOAD).body.decode())
    t.check("zia: long_range=truncate keeps the newest 31 days",
            r.status == 204 and rows and min(zia_epoch(x[0]) for x in rows)
            >= ZIA_ANCHOR_S - 31 * ZIA_DAY, r.status)
    cl.config(long_range="reject")

    # a second holding more than row_cap rows
    cl.config(hot_second_rows=1200)
    hot = ZIA_ANCHOR_S - 9 * ZIA_DAY - 12 * 3600
    text, _ = zs.report(hot, hot + 0.999)
    rows = zia_rows(text)
    t.check("zia: hot_second_rows=1200: one second yields only row_cap rows",
            len(rows) == 1000 and {zia_epoch(x["Time"]) for x in rows} == {hot}, len(rows))

    # 406
    zs.report(d0, d0 + 3600)
    r = zs.req("GET", ZIA_DOWNLOAD, headers={"Accept": "application/json"})
    t.check("zia: download with Accept: application/json -> 406 HTML",
            r.status == 406 and r.headers.get("content-type", "").startswith("text/html"),
            (r.status, r.headers))
    for acc in ("text/csv", "*/*", "application/json, text/csv;q=0.5"):
        t.eq("zia: download with Accept: %s -> 200" % acc,
             zs.req("GET", ZIA_DOWNLOAD, headers={"Accept": acc}).status, 200)
    cl.reset()


def test_zia_csv(t, cl):
    zs = zia_fresh(cl)
    lo, hi = ZIA_DENSE_DAY + 8 * 3600, ZIA_DENSE_DAY + 11 * 3600
    zs.report(lo, hi)
    base = None
    for style in ("report", "ui", "plain"):
        for fmt in ("report", "plain", "iso", "us", "long"):
            cl.config(csv_style=style, time_format=fmt)
            text = zs.req("GET", ZIA_DOWNLOAD).body.decode("utf-8")
            pre, header, rows, trailer = zia_parse(text)
            times = [zia_epoch(r[0]) for r in rows]
            if base is None:
                base = times
            name = "zia: csv_style=%s time_format=%s" % (style, fmt)
            if style == "report":
                t.check(name + ": fixture preamble and header, no footer",
                        [p[0] for p in pre] == ["Administrator", "Report Created", "Start Time",
                                                "End Time"]
                        and pre[0] == ["Administrator", ZIA_USER]
                        and header == ZIA_REPORT_HEADER and trailer == [], (pre, header, trailer))
            elif style == "ui":
                t.check(name + ": preamble, header, footer",
                        [p[0].split(":")[0] for p in pre[:4]]
                        == ["Admin Audit Logs Report", "Generated", "Time Zone", "Time Range"]
                        and pre[4] == [] and header == ZIA_UI_HEADER
                        and trailer == [["Total: %d" % len(rows)]], (pre, header, trailer))
            else:
                t.check(name + ": header on line 1, no footer",
                        pre == [] and header == ZIA_PLAIN_HEADER and trailer == [],
                        (pre, header, trailer))
            t.check(name + ": rows parse, times equal, newest first",
                    len(rows) > 50 and times == base and times == sorted(times, reverse=True)
                    and all(lo <= x <= hi for x in times), (len(rows), rows[:1]))
    cl.config(csv_style="report", time_format="report")
    text = zs.req("GET", ZIA_DOWNLOAD).body.decode("utf-8")
    lines = text.split("\r\n")
    rows = zia_rows(text)
    t.check("zia: report style: data rows end with one comma more than the header",
            lines[4].count(",") == 11 and lines[5].endswith(",")
            and len(next(__import__("csv").reader([lines[5]]))) == 13, lines[4:6])
    t.check("zia: report style: labels Successful/Failed, UI/API, AA in Cloud, times with zone",
            {x["Result"] for x in rows} == {"Successful", "Failed"}
            and {x["Interface"] for x in rows} == {"UI", "API"}
            and {x["AA in Cloud"] for x in rows} == {"zscaler.net"}
            and all(x["Time"].endswith(", UTC") for x in rows), rows[:1])
    cl.config(csv_trace_id=1, csv_extra_fields=0)
    text = zs.req("GET", ZIA_DOWNLOAD).body.decode("utf-8")
    _, header, _, _ = zia_parse(text)
    t.check("zia: csv_trace_id=1 appends Trace ID; csv_extra_fields=0 drops the comma",
            header == ZIA_REPORT_HEADER + ["Trace ID"]
            and not text.split("\r\n")[5].endswith(","), text.split("\r\n")[4:6])
    cl.config(csv_trace_id=0, csv_extra_fields=1, profile_time_zone="Australia/Sydney")
    text = zs.req("GET", ZIA_DOWNLOAD).body.decode("utf-8")
    pre, _, rows, _ = zia_parse(text)
    t.check("zia: profile_time_zone=Australia/Sydney: AEDT/AEST abbreviations, same instants",
            re.fullmatch(r"\d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d, AE[DS]T", pre[1][1])
            and [zia_epoch(r[0], "Australia/Sydney") for r in rows] == base, (pre, rows[:1]))
    cl.config(profile_time_zone="UTC")
    # /_emu/dump: the dataset, keyed by the report header, with the instant
    dump = json.loads(cl.ctl("dump").body)
    lo_i = [i for i, d in enumerate(dump) if lo * 1000 <= d["_epoch_ms"] <= hi * 1000]
    got = sorted((zia_epoch(r["Time"]), r["Admin ID"], r["Action"], r["Result"])
                 for r in zia_rows(zs.req("GET", ZIA_DOWNLOAD).body.decode("utf-8")))
    t.check("zia: /_emu/dump: every record, report header keys + Trace ID + _epoch_ms",
            len(dump) == 3000 and set(dump[0]) == set(ZIA_REPORT_HEADER) | {"Trace ID", "_epoch_ms"}
            and [d["_epoch_ms"] for d in dump] == sorted(d["_epoch_ms"] for d in dump),
            (len(dump), dump[:1]))
    t.check("zia: /_emu/dump agrees with the report's rows (times as written, instants)",
            sorted((d["_epoch_ms"] // 1000, d["User"], d["Action"], d["Result"])
                   for d in (dump[i] for i in lo_i)) == got
            and all(zia_epoch(dump[i]["Time"]) * 1000 == dump[i]["_epoch_ms"] for i in lo_i),
            len(lo_i))
    cl.config(csv_style="ui", time_format="plain")
    text = zs.req("GET", ZIA_DOWNLOAD).body.decode("utf-8")
    t.check("zia: CRLF record separators", "\r\n" in text and text.endswith("\r\n"))
    rows = zia_rows(text)
    t.check("zia: RFC 4180 quoting (JSON pre/post with commas, quotes, newlines)",
            any("\n" in x["Post Action"] for x in rows)
            and any('"' in x["Pre Action"] and "," in x["Pre Action"] for x in rows))
    for x in rows:
        if x["Post Action"].startswith("{"):
            json.loads(x["Post Action"])
    t.check("zia: IPv4 and IPv6 client IPs",
            {ipaddress.ip_address(x["Client IP"]).version for x in rows} == {4, 6})
    t.check("zia: non-ASCII admin ids", any(not x["Admin ID"].isascii() for x in rows))
    t.check("zia: CSV labels, not enums", {x["Interface"] for x in rows} <= {"Admin UI", "API"}
            and {x["Result"] for x in rows} <= {"Success", "Failure"}
            and "Update" in {x["Action"] for x in rows})
    cl.config(profile_time_zone="America/Los_Angeles", time_format="long")
    text = zs.req("GET", ZIA_DOWNLOAD).body.decode("utf-8")
    pre, _, rows, _ = zia_parse(text)
    t.check("zia: profile_time_zone=America/Los_Angeles, long format",
            pre[2] == ["Time Zone: America/Los_Angeles"]
            and all(re.fullmatch(r"[A-Z][a-z]+ \d{1,2}, \d{4} \d\d:\d\d:\d\d [AP]M P[DS]T", r[0])
                    for r in rows)
            and [zia_epoch(r[0], "America/Los_Angeles") for r in rows] == base, rows[:1])
    cl.config(time_format="plain")
    rows = zia_parse(zs.req("GET", ZIA_DOWNLOAD).body.decode())[2]
    t.eq("zia: plain format in America/Los_Angeles",
         [zia_epoch(r[0], "America/Los_Angeles") for r in rows], base)
    cl.config(profile_time_zone="UTC", csv_line_end="lf", csv_bom=1, csv_footer=0)
    text = zs.req("GET", ZIA_DOWNLOAD).body.decode("utf-8")
    t.check("zia: csv_bom, csv_line_end=lf, csv_footer=0",
            text.startswith("\ufeffAdmin Audit Logs Report\n") and "\r\n" not in text
            and zia_parse(text)[3] == [])
    t.eq("zia: bad profile_time_zone -> 400",
         cl.ctl("config", [("profile_time_zone", "Mars/Base")]).status, 400)
    t.eq("zia: short api_key -> 400", cl.ctl("config", [("api_key", "short")]).status, 400)
    cl.reset()


def test_zia_limits(t, cl):
    zs = zia_fresh(cl)
    cl.config(post_per_min=10, post_per_hour=40)
    lo = ZIA_DENSE_DAY
    got = [zs.post_report(lo, lo + 60).status for _ in range(10)]
    r = zs.post_report(lo, lo + 60)
    ra = r.headers.get("retry-after", "")
    body = r.json() if r.status == 429 else {}
    t.check("zia: 10 report POSTs a minute, the 11th -> 429 with Retry-After",
            got == [204] * 10 and r.status == 429 and ra.isdigit() and 1 <= int(ra) <= 60
            and body.get("message") == "Rate Limit (10/MINUTE) exceeded"
            and body.get("Retry-After") == "%s seconds" % ra, (got, r.status, r.headers, r.body))
    cl.config(post_per_min=0, post_per_hour=12)
    got = [zs.post_report(lo, lo + 60).status for _ in range(3)]
    r = zs.post_report(lo, lo + 60)
    t.check("zia: post_per_hour counts the accepted POSTs only",
            got == [204, 204, 429] and r.json()["message"] == "Rate Limit (12/HOUR) exceeded",
            (got, r.body))
    cl.config(req_per_sec=2)
    got = [zs.status()[0].status for _ in range(3)]
    t.check("zia: GET 2/s -> the 3rd GET in a second is 429",
            got[:2] == [200, 200] and got[2] == 429, got)
    time.sleep(1.05)
    cl.config(read_only=1, post_per_hour=0)
    r = zs.post_report(lo, lo + 60)
    t.check("zia: read_only=1: POST -> 403 STATE_READONLY, x-zscaler-mode",
            r.status == 403 and r.headers.get("x-zscaler-mode") == "read-only"
            and r.json()["code"] == "STATE_READONLY", (r.status, r.headers, r.body))
    t.eq("zia: read_only=1: GET still works", zs.status()[0].status, 200)
    cl.config(read_only=0, fault="status", fault_count=1)
    r = zs.status()[0]
    t.check("zia: fault=status -> JSON code/message",
            r.status == 503 and set(r.json()) == {"code", "message"}, (r.status, r.body))
    cl.config(fault="rate_limit", fault_count=1, retry_after=3)
    r = zs.status()[0]
    t.check("zia: fault=rate_limit -> 429 JSON with Retry-After",
            r.status == 429 and r.headers.get("retry-after") == "3"
            and r.json()["Retry-After"] == "3 seconds", (r.status, r.headers, r.body))
    cl.config(fault="none", req_per_sec=0, rate_limit_per_min=2)
    got = [zs.status()[0] for _ in range(3)]
    t.check("zia: rate_limit_per_min=2 adds an account-wide window",
            [r.status for r in got] == [200, 200, 429]
            and got[2].json()["message"] == "Rate Limit (2/MINUTE) exceeded",
            [(r.status, r.body) for r in got])
    cl.reset()
    cfg = cl.config()
    t.check("zia: config defaults",
            cfg["records"] == 3000 and cfg["report_delay_ms"] == 1500 and cfg["row_cap"] == 1000
            and cfg["pending_status"] == "EXECUTING" and cfg["session_idle_s"] == 300
            and cfg["post_per_min"] == 10 and cfg["post_per_hour"] == 40
            and cfg["csv_style"] == "report" and cfg["time_format"] == "report"
            and cfg["profile_time_zone"] == "UTC" and cfg["csv_extra_fields"] == 1
            and cfg["csv_trace_id"] == 0, cfg)


# ---- Resolver

def rslv_export(cl, start, end, auth=RSLV_AUTH, ctype="application/json"):
    return cl.request("POST", RSLV_EXPORT, body=json.dumps({"dateStart": start, "dateEnd": end}),
                      headers={"Content-Type": ctype} if ctype else {}, auth=auth)


def rslv_job_id(body):
    obj = json.loads(body)
    if isinstance(obj, dict):
        obj = obj.get("id", obj.get("jobId"))
    return str(obj)


def rslv_poll(cl, job, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = cl.get("/object/job/" + job, auth=RSLV_AUTH)
        o = r.json()
        if o.get("signedURL") or o.get("status") == "FAILED":
            return o
        time.sleep(0.03)
    return o


def rslv_fetch(cl, url, auth=None):
    s = urllib.parse.urlsplit(url)
    return cl.request("GET", s.path + "?" + s.query, auth=auth)


def rslv_rows(text):
    import csv
    import io
    if text.startswith("\ufeff"):
        text = text[1:]
    recs = list(csv.reader(io.StringIO(text, newline="")))
    return recs[0], recs[1:]


def rslv_epoch(text):
    if "T" in text:
        return epoch(text)
    for fmt in ("%Y-%m-%d %H:%M:%S", "%m/%d/%Y %I:%M:%S %p"):
        try:
            return int(datetime.datetime.strptime(text, fmt)
                       .replace(tzinfo=datetime.timezone.utc).timestamp())
        except ValueError:
            pass
    raise ValueError(text)


def rslv_file(cl, start, end):
    """Export, poll, download -> (header, rows)."""
    r = rslv_export(cl, start, end)
    o = rslv_poll(cl, rslv_job_id(r.body))
    d = rslv_fetch(cl, o["signedURL"])
    if d.status != 200:
        raise RuntimeError("signed download: %d %s" % (d.status, d.body[:200]))
    return rslv_rows(d.body.decode("utf-8"))


def test_resolver_api(t, cl):
    cl.reset()
    cl.config(job_delay_ms=300)
    big = 4000000000
    r = rslv_export(cl, 0, big, auth=None)
    t.eq("resolver: no Authorization -> 403", r.status, 403)
    t.eq("resolver: wrong token -> 401", rslv_export(cl, 0, big, auth="bearer nope").status, 401)
    t.eq("resolver: Basic scheme -> 401",
         rslv_export(cl, 0, big, auth="Basic " + base64.b64encode(b"a:b").decode()).status, 401)
    t.eq("resolver: 'Bearer' scheme case-insensitive",
         rslv_export(cl, 0, big, auth="Bearer " + RSLV_TOKEN).status, 200)
    for name, body in (("missing dateEnd", {"dateStart": 0}),
                       ("string dateStart", {"dateStart": "0", "dateEnd": big}),
                       ("start after end", {"dateStart": 10, "dateEnd": 5})):
        r = cl.request("POST", RSLV_EXPORT, body=json.dumps(body),
                       headers={"Content-Type": "application/json"}, auth=RSLV_AUTH)
        t.eq("resolver: %s -> 400" % name, r.status, 400)
    t.eq("resolver: non-JSON body -> 400",
         cl.request("POST", RSLV_EXPORT, body="dateStart=0", auth=RSLV_AUTH,
                    headers={"Content-Type": "application/x-www-form-urlencoded"}).status, 400)

    r = rslv_export(cl, 0, big)
    body = json.loads(r.body)
    t.check("resolver: job_id_style=string -> a bare JSON string",
            r.status == 200 and isinstance(body, str) and len(body) >= 8, r.body)
    job = body
    r = cl.get("/object/job/" + job, auth=RSLV_AUTH)
    t.check("resolver: job pending -> status PENDING, signedURL null",
            r.status == 200 and r.json() == {"id": job, "status": "PENDING", "signedURL": None},
            r.body)
    t.eq("resolver: job without auth -> 403", cl.get("/object/job/" + job, auth=None).status, 403)
    t.eq("resolver: unknown job -> 404", cl.get("/object/job/nosuch", auth=RSLV_AUTH).status, 404)
    o = rslv_poll(cl, job)
    url = o.get("signedURL") or ""
    t.check("resolver: job COMPLETE with a presigned URL on this port",
            o.get("status") == "COMPLETE"
            and url.startswith("http://127.0.0.1:%d/signed/" % cl.port)
            and "X-Amz-Signature=" in url and "X-Amz-Expires=300" in url, o)
    d = rslv_fetch(cl, url)
    header, rows = rslv_rows(d.body.decode("utf-8"))
    t.check("resolver: signed URL without auth -> CSV of every record",
            d.status == 200 and d.headers.get("content-type", "").startswith("text/csv")
            and header == RSLV_HEADER and len(rows) == 400, (d.status, header, len(rows)))
    d2 = rslv_fetch(cl, url, auth=RSLV_AUTH)
    t.check("resolver: Authorization sent to the signed URL -> 400 S3 XML",
            d2.status == 400 and b"<Code>InvalidArgument</Code>" in d2.body
            and b"Only one auth mechanism allowed" in d2.body, (d2.status, d2.body))
    t.check("resolver: ... and it is logged",
            re.search(r"^400 GET /signed/\S+X-Amz-Signature=", cl.log(), re.M))
    t.check("resolver: no token in the log", RSLV_TOKEN not in cl.log())
    t.eq("resolver: tampered signature -> 403",
         rslv_fetch(cl, url.replace("X-Amz-Signature=", "X-Amz-Signature=0")).status, 403)
    r = cl.get("/signed/nosuch/user-audit-trail.csv?X-Amz-Signature=00", auth=None)
    t.check("resolver: unknown signed URL -> 403 AccessDenied",
            r.status == 403 and b"<Code>AccessDenied</Code>" in r.body, r.body)

    times = [rslv_epoch(x[0]) for x in rows]
    t.check("resolver: newest first, newest at the anchor",
            times == sorted(times, reverse=True) and times[0] == ZIA_ANCHOR_S, times[:3])
    c = collections.Counter(times)
    t.check("resolver: many rows share a second (bursts of 3-20)",
            sum(1 for n in c.values() if n >= 3) > 10 and max(c.values()) <= 20, max(c.values()))
    t.check("resolver: identical full rows occur",
            max(collections.Counter(map(tuple, rows)).values()) > 1)
    flat = [v for x in rows for v in x]
    for needle in ("Multiple Attributes Updated", "External Org User", " impersonating "):
        t.check("resolver: contains %r" % needle, any(needle in v for v in flat))
    t.check("resolver: contains 'Unknown <Type> with id <n>'",
            any(re.fullmatch(r"Unknown [A-Za-z ]+ with id \d+", x[2]) for x in rows))
    t.check("resolver: details with newlines, quotes and commas",
            any("\n" in x[7] for x in rows) and any('"' in x[7] and "," in x[7] for x in rows))

    for style, check in (("number", lambda b: isinstance(b, int)),
                         ("object", lambda b: isinstance(b, dict) and set(b) == {"id"}),
                         ("object_jobid", lambda b: isinstance(b, dict) and set(b) == {"jobId"})):
        cl.config(job_id_style=style)
        r = rslv_export(cl, 0, big)
        b = json.loads(r.body)
        o = rslv_poll(cl, rslv_job_id(r.body))
        t.check("resolver: job_id_style=%s, job polls to a URL" % style,
                r.status == 200 and check(b) and o.get("signedURL"), (r.body, o))
    cl.config(job_id_style="string", job_status_field=0, export_status=201)
    r = rslv_export(cl, 0, big)
    o = rslv_poll(cl, rslv_job_id(r.body))
    t.check("resolver: export_status=201, job_status_field=0 omits status",
            r.status == 201 and "status" not in o and o.get("signedURL"), (r.status, o))
    cl.config(job_status_field=1, export_status=200)

    cl.config(fail_jobs=2, job_delay_ms=50)
    a = rslv_poll(cl, rslv_job_id(rslv_export(cl, 0, big).body))
    b_id = rslv_job_id(rslv_export(cl, 0, big).body)
    b = rslv_poll(cl, b_id)
    time.sleep(0.1)
    b2 = cl.get("/object/job/" + b_id, auth=RSLV_AUTH).json()
    t.check("resolver: fail_jobs=2: 2nd job FAILED with an error and never a URL",
            a.get("signedURL") and b.get("status") == "FAILED" and b.get("error")
            and b.get("signedURL") is None and b2.get("signedURL") is None, (a, b, b2))
    cl.config(fail_jobs=0)

    cl.config(url_ttl_s=1)
    o = rslv_poll(cl, rslv_job_id(rslv_export(cl, 0, big).body))
    ok = rslv_fetch(cl, o["signedURL"]).status
    time.sleep(1.1)
    r = rslv_fetch(cl, o["signedURL"])
    t.check("resolver: signed URL expires after url_ttl_s -> 403 AccessDenied",
            ok == 200 and r.status == 403 and b"AccessDenied" in r.body, (ok, r.status))
    cl.reset()


def test_resolver_walk(t, cl):
    cl.reset()
    cl.config(job_delay_ms=0)
    big = 4000000000
    _, full = rslv_file(cl, 0, big)
    cl.config(row_cap=50)
    pages, end, dups = [], big, 0
    for _ in range(100):
        _, rows = rslv_file(cl, 0, end)
        pages.append(rows)
        if len(rows) < 50:
            break
        end = rslv_epoch(rows[-1][0])           # inclusive dateEnd: the boundary repeats
    got = []
    for i, rows in enumerate(pages):
        if i:
            prev = pages[i - 1]
            b = prev[-1][0]
            tail = collections.Counter(tuple(x) for x in prev if x[0] == b)
            head = collections.Counter(tuple(x) for x in rows if x[0] == b)
            if tail and tail - head == collections.Counter():
                dups += 1
            kept = []
            for x in rows:                      # drop the copies prev already returned
                if x[0] == b and tail[tuple(x)] > 0:
                    tail[tuple(x)] -= 1
                else:
                    kept.append(x)
            rows = kept
        got += rows
    t.check("resolver: row_cap=50 files end on the cap", len(pages) > 5
            and all(len(p) == 50 for p in pages[:-1]), [len(p) for p in pages])
    t.eq("resolver: every boundary second repeats in the next file", dups, len(pages) - 1)
    t.check("resolver: the dateEnd walk minus boundary duplicates = the whole export",
            collections.Counter(map(tuple, got)) == collections.Counter(map(tuple, full))
            and len(got) == len(full) == 400, (len(got), len(full)))

    cl.config(row_cap=50000, epoch_unit="ms")
    _, ms = rslv_file(cl, 0, big * 1000)
    t.eq("resolver: epoch_unit=ms with ms bounds returns the same rows", ms, full)
    lo = rslv_epoch(full[100][0])
    _, sec_bounds = rslv_file(cl, 0, lo)
    t.eq("resolver: epoch_unit=ms with seconds bounds returns nothing", sec_bounds, [])
    _, ms_bounds = rslv_file(cl, 0, lo * 1000)
    t.eq("resolver: epoch_unit=ms: dateEnd inclusive at ms precision",
         ms_bounds, [x for x in full if rslv_epoch(x[0]) <= lo])
    cl.config(epoch_unit="s")
    _, one = rslv_file(cl, lo, lo)
    t.eq("resolver: dateStart == dateEnd returns that second",
         one, [x for x in full if rslv_epoch(x[0]) == lo])

    for fmt, pattern in (("plain", r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"),
                         ("us", r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d [AP]M")):
        cl.config(time_format=fmt)
        _, rows = rslv_file(cl, 0, big)
        t.check("resolver: time_format=%s" % fmt,
                all(re.fullmatch(pattern, x[0]) for x in rows)
                and [rslv_epoch(x[0]) for x in rows] == [rslv_epoch(x[0]) for x in full], rows[0])
    cl.config(time_format="iso", csv_columns="Date and Time,Subject,Event,Notes",
              csv_line_end="lf", csv_bom=1)
    r = rslv_export(cl, 0, big)
    d = rslv_fetch(cl, rslv_poll(cl, rslv_job_id(r.body))["signedURL"])
    text = d.body.decode("utf-8")
    header, rows = rslv_rows(text)
    t.check("resolver: csv_columns (an unknown column is empty), lf, BOM",
            text.startswith("\ufeffDate and Time,Subject,Event,Notes\n")
            and header == ["Date and Time", "Subject", "Event", "Notes"]
            and all(x[3] == "" for x in rows) and [x[1] for x in rows] == [x[2] for x in full],
            header)
    t.eq("resolver: duplicate csv_columns -> 400",
         cl.ctl("config", [("csv_columns", "Event,event")]).status, 400)
    cl.reset()

    hot = ZIA_ANCHOR_S - 36 * 3600
    cl.config(job_delay_ms=0, row_cap=50, hot_second_rows=60)
    _, a = rslv_file(cl, 0, hot)
    _, b = rslv_file(cl, 0, rslv_epoch(a[-1][0]))
    t.check("resolver: hot_second_rows=60 > row_cap=50: the walk cannot move past it",
            len(a) == 50 and {rslv_epoch(x[0]) for x in a} == {hot} and b == a, len(a))
    cl.reset()
    cl.config(job_delay_ms=0, anchor="now", ingest_lag_s=3600)
    _, rows = rslv_file(cl, 0, big)
    t.check("resolver: ingest_lag_s hides the newest events",
            rows and rslv_epoch(rows[0][0]) <= time.time() - 3590 and len(rows) < 400, len(rows))
    cl.config(rate_limit_per_min=2, ingest_lag_s=0)
    got = [rslv_export(cl, 0, big).status for _ in range(3)]
    r = rslv_export(cl, 0, big)
    t.check("resolver: rate_limit_per_min=2 -> 429 with Retry-After",
            got == [200, 200, 429] and r.headers.get("retry-after", "").isdigit(), got)
    cl.reset()
    cfg = cl.config()
    t.check("resolver: config defaults",
            cfg["records"] == 400 and cfg["row_cap"] == 50000 and cfg["epoch_unit"] == "s"
            and cfg["job_id_style"] == "string" and cfg["job_delay_ms"] == 800
            and cfg["rate_limit_per_min"] == 0 and cfg["time_format"] == "iso", cfg)


def suite_zscaler_resolver(t):
    """Zscaler and Resolver checks on their own emulator instance."""
    emu = Emulator("--vendors", "zscaler,resolver")
    try:
        if not t.check("zscaler+resolver emulator starts", emu.wait_ports(), emu.stderr()):
            return
        text = open(emu.port_file).read()
        t.check("port file has zscaler=PORT and resolver=PORT",
                re.fullmatch(r"zscaler=\d+\nresolver=\d+\n", text), text)
        zcl, rcl = Client(emu.ports["zscaler"]), Client(emu.ports["resolver"])
        for fn, cl in ((test_zia_auth, zcl), (test_zia_report, zcl), (test_zia_csv, zcl),
                       (test_zia_limits, zcl), (test_resolver_api, rcl),
                       (test_resolver_walk, rcl)):
            try:
                fn(t, cl)
            except Exception:
                t.check(fn.__name__ + " ran to completion", False, traceback.format_exc())
    finally:
        rc = emu.stop()
        t.eq("zscaler+resolver: SIGTERM -> clean exit 0", rc, 0)
        err = emu.stderr()
        t.check("zscaler+resolver: nothing on stderr", err == "", err[-2000:])


def main():
    t = Suite()
    emu = Emulator("--vendors", "zendesk")
    try:
        if not t.check("emulator starts and writes its port file", emu.wait_ports(), emu.stderr()):
            return t
        port = emu.ports["zendesk"]
        cl = Client(port)
        test_startup(t, emu, cl)
        all_recs = test_dataset(t, cl, port)
        steps = [(fn, (t, cl, all_recs)) for fn in (test_cursor, test_offset, test_filters,
                                                    test_show)]
        steps += [(fn, (t, cl)) for fn in (test_auth, test_export, test_rate_limit, test_faults,
                                           test_gzip, test_json_style, test_keepalive, test_log,
                                           test_config_reset, test_concurrency)]
        for fn, args in steps:
            try:
                fn(*args)
            except Exception:
                t.check(fn.__name__ + " ran to completion", False, traceback.format_exc())
    except Exception:
        t.check("selftest ran to completion", False, traceback.format_exc())
    finally:
        rc = emu.stop()
        t.eq("SIGTERM -> clean exit 0", rc, 0)
        err = emu.stderr()
        t.check("nothing on stderr (no per-request noise, no errors)", err == "", err[-2000:])
    run_koreai_zoho(t)
    suite_zscaler_resolver(t)
    try:
        test_cli(t)
    except Exception:
        t.check("test_cli ran to completion", False, traceback.format_exc())
    return t


if __name__ == "__main__":
    suite = main()
    print("emulator selftest: %d passed, %d failed" % (suite.passed, suite.failed))
    sys.exit(1 if suite.failed else 0)
