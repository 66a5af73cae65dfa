#!/usr/bin/python3
"""Self-test of the vendor emulator (framework + Zendesk module).

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
        t.check("--port fixes the port; lines on stdout without --port-file",
                emu.wait_ports() and emu.ports == {"zendesk": port}, emu.ports)
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
                                           test_gzip, test_keepalive, test_log,
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
    try:
        test_cli(t)
    except Exception:
        t.check("test_cli ran to completion", False, traceback.format_exc())
    return t


if __name__ == "__main__":
    suite = main()
    print("emulator selftest: %d passed, %d failed" % (suite.passed, suite.failed))
    sys.exit(1 if suite.failed else 0)
