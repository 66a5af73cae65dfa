"""Zendesk Support audit logs (vendors.md section 2, section 6).

Endpoints, at the root of the emulator port as on https://{sub}.zendesk.com:
  GET  /api/v2/audit_logs[.json]          list: cursor or offset pagination, filters
  GET  /api/v2/audit_logs/{id}[.json]     show
  POST /api/v2/audit_logs/export[.json]   202, 1 per minute per account

Request pipeline: route (unknown path -> 404 InvalidEndpoint) -> authenticate
(401) -> account rate limit (429 text/plain, Retry-After) -> admin role (403)
-> Enterprise plan (403) -> endpoint.  Every response carries X-Rate-Limit /
X-Rate-Limit-Remaining (and ratelimit-limit/-remaining/-reset) when the
limit is on.

Choices where the public docs are silent are marked [I] and listed in
README.md.
"""

import base64
import binascii
import bisect
import ipaddress
import json
import re

import emucore
from emucore import Key, json_response, text_response, empty_response, build_url, reason

MAX_PAGE_SIZE = 100
OFFSET_CAP = 10000          # records reachable with offset pagination
SPAN_SECONDS = 30 * 86400   # the dataset covers the 30 days before the anchor
FIRST_ID = 1000000
SYSTEM_ACTOR_ID = -1

ACTION_LABELS = {
    "create": "Created",
    "destroy": "Deleted",
    "exported": "Exported",
    "login": "Signed in",
    "update": "Updated",
}

FORBIDDEN_DESCRIPTION = ("You do not have access to this page. Please contact the account "
                         "owner of this help desk for further help.")
PLAN_DESCRIPTION = ("Audit logs are only available on the Enterprise plan. Please upgrade "
                    "your plan to access this feature.")                       # [I]
EXPORT_LIMIT_TEXT = ("Rate limit for Audit log CSV Export exceeded. Please wait 1 minute and "
                     "try again.")
RATE_LIMIT_TEXT = "Too many requests. The rate limit for this account has been exceeded."  # [I]

LIST_RE = re.compile(r"^/api/v2/audit_logs(?:\.json)?$")
EXPORT_RE = re.compile(r"^/api/v2/audit_logs/export(?:\.json)?$")
SHOW_RE = re.compile(r"^/api/v2/audit_logs/([^/]+?)(?:\.json)?$")

# ---------------------------------------------------------------- dataset material

HUMAN_NAMES = [
    "José Müller", "李小龙", "Zoë Ødegaard", "Ørjan Ås", "Sameer Patel", "Amélie Laurent",
    "Łukasz Wróbel", "Søren Lindqvist", "Nguyễn Thị Lan", "Siobhán O'Connor", "Jürgen Weiß",
    "Çağla Yıldız", "Ana Lúcia Gonçalves", "田中 太郎", "김민준", "Олег Петренко",
    "Ελένη Παπαδοπούλου", "محمد العلي", "Priya Raghunathan", "John Smith",
    "María José García", "Chen Wei", "Fatima Zahra Benali", "Björn Lindgren", "Tomáš Novák",
    "Renée Dubois", "Kwame Mensah", "Aiko Suzuki", "Inés Fernández", "Mateo Rossi",
    "Hana Kovač", "Lars-Erik Holm", "Yusuf Demir", 'Anna "Annie" Schmidt',
    "D'Arcy McAllister", "Émile Petit", "Wang, Fang", "Ngozi Okafor", "Zsófia Horváth",
]
END_USERS = ["Kunde Müller", "Café Olé GmbH", "Jane Doe", "Børge Ås", "王芳", "O'Neil, Pat"]

RULES = [
    ("Trigger", "Notify requester of received request"),
    ("Trigger", "Notify assignee of comment update"),
    ("Trigger", "Auto-assign \"VIP\" tickets, urgent"),
    ("Automation", "Close ticket 4 days after status is set to solved"),
    ("Automation", "Pending notification 24 hours"),
    ("Macro", "Downgrade and inform"),
    ("Macro", "Réponse standard – remboursement"),
    ("View", "Unsolved tickets in your groups"),
    ("View", "Recently updated tickets"),
    ("View", "Tickets «escalated», Tier 2"),
    ("SLA policy", "Enterprise, 1h first reply"),
]
TICKET_SUBJECTS = [
    "Printer on fire", "Refund request, order #4711", 'Login fails with "invalid token"',
    "Lieferung verspätet – bitte prüfen", "账户无法登录", "Can't reset password",
    "Invoice, VAT number wrong", "Ødelagt skjerm", "API returns 500 on /tickets",
]
API_TOKENS = ["Zapier", "auditlog_fdw", "Salesforce sync", "Backup, nightly", "Jira bridge"]
APPS = ["Slack", "Jira", "Salesforce", "Übersetzer Pro", "Shopify", "Answer Bot – beta"]
LOGIN_DESCRIPTIONS = [
    "", "Signed in via Zendesk password", "Signed in via Google", "Signed in via SAML",
    "Signed in via Microsoft, from São Paulo", "Signed in via single sign-on (JWT)",
]
ROLES = ["Administrator", "Agent", "End User", "Light Agent", "Team Leader"]

SOURCE_TYPES = ["user", "rule", "ticket", "apitoken", "zendesk/app_market/app"]
SOURCE_WEIGHTS = [30, 30, 20, 8, 12]


class _Reply(Exception):
    """Raised inside a handler to answer at once with `resp`."""

    def __init__(self, resp):
        super().__init__(resp.status)
        self.resp = resp


def _error(status, error, description=None):
    body = {"error": error}
    if description is not None:
        body["description"] = description
    return _Reply(json_response(status, body))


# ---------------------------------------------------------------- filters

class Filters:
    """Parsed filter[...] parameters of one request.  Values that match no
    record simply give an empty result; malformed requests raise _Reply(400)."""

    def __init__(self, req, bounds):
        q = req.query
        created = [v for k, v in q if k in ("filter[created_at]", "filter[created_at][]")]
        self.created = None
        if created:
            if len(created) != 2:
                raise _error(400, "InvalidValue",
                             "filter[created_at] must be specified twice: first with the "
                             "start time and again with the end time")
            try:
                start, end = (emucore.parse_iso8601(v).timestamp() for v in created)
            except ValueError:
                raise _error(400, "InvalidValue",
                             "filter[created_at] must be ISO-8601 times, e.g. "
                             "2016-01-01T00:00:00Z") from None
            self.created = (start, end, bounds)
        # filter[action] takes one value, filter[action][] any number      [I]
        single_action = self._single(req, "filter[action]")
        actions = req.params("filter[action][]")
        if single_action is not None:
            actions.append(single_action)
        self.actions = frozenset(actions) if (actions or single_action is not None) else None
        self.actor_id = self._single(req, "filter[actor_id]")
        self.ip_address = self._single(req, "filter[ip_address]")
        self.source_type = self._single(req, "filter[source_type]")
        self.source_id = self._single(req, "filter[source_id]")
        if self.source_id is not None and self.source_type is None:
            raise _error(400, "InvalidValue",
                         "filter[source_id] requires filter[source_type] to also be set")

    @staticmethod
    def _single(req, name):
        vals = req.params(name)
        if len(vals) > 1:                                                   # [I]
            raise _error(400, "InvalidValue", "%s may be given only once" % name)
        return vals[0] if vals else None

    def key(self):
        return (self.created, self.actions, self.actor_id, self.ip_address,
                self.source_type, self.source_id)

    def matches(self, epoch, rec):
        if self.created is not None:
            start, end, bounds = self.created
            if bounds == "inclusive":
                ok = start <= epoch <= end
            elif bounds == "exclusive":
                ok = start < epoch < end
            else:                       # half_open
                ok = start <= epoch < end
            if not ok:
                return False
        if self.actions is not None and rec["action"] not in self.actions:
            return False
        if self.actor_id is not None and not _int_eq(self.actor_id, rec["actor_id"]):
            return False
        if self.ip_address is not None and rec["ip_address"] != self.ip_address:
            return False
        if self.source_type is not None and rec["source_type"] != self.source_type:
            return False
        if self.source_id is not None and not _int_eq(self.source_id, rec["source_id"]):
            return False
        return True


def _int_eq(text, value):
    try:
        return int(text.strip()) == value
    except ValueError:
        return False            # not an integer: matches nothing


def _single_param(req, name):
    vals = req.params(name)
    if len(vals) > 1:
        raise _error(400, "InvalidPaginationParameter", "%s may be given only once" % name)
    return vals[0] if vals else None


# ---------------------------------------------------------------- cursors

def _encode_cursor(sort, key):
    """Opaque cursor: standard base64 (may contain + / =) of a small JSON."""
    order = "-created_at,-id" if sort == "-created_at" else "created_at,id"
    raw = json.dumps({"o": order, "v": [key[0], key[1]]}, separators=(",", ":"))
    return base64.b64encode(raw.encode("ascii")).decode("ascii")


def _decode_cursor(name, text):
    """-> (sort, (epoch, id)); raises _Reply(400) on anything unexpected."""
    try:
        obj = json.loads(base64.b64decode(text, validate=True).decode("ascii"))
        order = obj["o"]
        epoch, rid = obj["v"]
        if order not in ("-created_at,-id", "created_at,id"):
            raise ValueError(order)
        if not isinstance(epoch, int) or not isinstance(rid, int):
            raise ValueError("v")
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise _error(400, "InvalidPaginationParameter", "%s is not a valid cursor" % name) \
            from None
    return ("-created_at" if order.startswith("-") else "created_at"), (epoch, rid)


# ---------------------------------------------------------------- the vendor

class Vendor(emucore.VendorBase):
    name = "zendesk"
    default_records = 2500
    default_rate_limit_per_min = 700            # Enterprise
    config_keys = {
        "email": Key("admin@example.com", "str", doc="admin user of the API token"),
        "api_token": Key("zd-test-token", "str", doc="API token (Basic email/token:...)"),
        "oauth_token": Key("zd-test-oauth", "str", doc="accepted Bearer token"),
        "agent_email": Key("agent@example.com", "str",
                           doc="non-admin user: valid token, 403 on audit logs"),
        "plan": Key("enterprise", "choice",
                    choices=("team", "growth", "professional", "enterprise", "enterprise_plus"),
                    doc="audit logs need enterprise or enterprise_plus, else 403"),
        "created_at_bounds": Key("inclusive", "choice",
                                 choices=("inclusive", "exclusive", "half_open"),
                                 doc="filter[created_at] bound semantics (unknown publicly)"),
        "export_rate_limit_per_min": Key(1, minimum=0,
                                         doc="POST .../export limit per minute (0 = off)"),
        "echo_secrets": Key(0, minimum=0, maximum=1,
                            doc="1 (hostile test mode): 401 echoes the Authorization header, "
                                "then CR LF and 600 more characters"),
        "poison": Key("none", "choice", choices=("none", "nul", "invalid_utf8", "u0000"),
                      doc="plant a raw NUL, invalid UTF-8 or \\u0000 in the actor_name of "
                          "record poison_id"),
        "poison_id": Key(0, minimum=0, doc="record id to poison (0: the oldest record)"),
    }

    def __init__(self, server):
        super().__init__(server)
        self.records = []       # [(key, record)] ascending by key = (epoch, id)
        self.keys = []
        self.by_id = {}
        self.cache = {}         # Filters.key() -> (records, keys)

    # -- dataset ----------------------------------------------------------------

    def generate(self, rng, anchor, records):
        anchor_epoch = int(anchor.timestamp())
        actors = self._make_actors(rng)
        humans = [a for a in actors if a["id"] != SYSTEM_ACTOR_ID]
        system = actors[-1]
        weights = [a["weight"] for a in humans]

        # bursts: groups of 2-8 records share one created_at second
        groups, total = [], 0
        while total < records:
            size = rng.randint(2, 8) if rng.random() < 0.3 else 1
            size = min(size, records - total)
            groups.append(size)
            total += size
        offsets = rng.sample(range(1, SPAN_SECONDS), len(groups) - 1) if groups else []
        seconds = sorted(anchor_epoch - o for o in offsets) + ([anchor_epoch] if groups else [])

        out = []
        rid = FIRST_ID + rng.randint(0, 999)
        for size, epoch in zip(groups, seconds):
            actor = system if rng.random() < 0.08 else rng.choices(humans, weights)[0]
            ip = None if actor is system else rng.choice(actor["ips"])
            for _ in range(size):
                rid += rng.randint(1, 37)
                rec = self._make_record(rng, rid, epoch, actor, ip, humans)
                out.append(((epoch, rid), rec))
        self.records = out
        self.keys = [k for k, _ in out]
        self.by_id = {k[1]: rec for k, rec in out}
        self.cache = {}

    def _make_actors(self, rng):
        actors, used = [], set()
        for i, name in enumerate(HUMAN_NAMES):
            aid = rng.randint(360000000000, 399999999999)
            while aid in used:
                aid = rng.randint(360000000000, 399999999999)
            used.add(aid)
            ips = [self._make_ip(rng) for _ in range(rng.randint(1, 3))]
            if i == 0:
                ips[0] = "2001:db8::1"            # a known IPv6 address for filter tests
            if name == "Sameer Patel":
                ips[0] = "209.119.38.228"         # the docs' example address
            actors.append({"id": aid, "name": name, "ips": ips,
                           "weight": rng.uniform(0.2, 3.0)})
        actors.append({"id": SYSTEM_ACTOR_ID, "name": "Zendesk", "ips": [None], "weight": 0})
        return actors

    @staticmethod
    def _make_ip(rng):
        r = rng.random()
        if r < 0.65:
            prefix = rng.choice(["192.0.2.", "198.51.100.", "203.0.113.", "10.20.30."])
            return prefix + str(rng.randint(1, 254))
        base = 0x20010DB8 << 96
        if r < 0.8:         # 2001:db8::x
            val = base | rng.randint(2, 0xFFFF)
        elif r < 0.9:       # 2001:db8:a:b::c (zero run in the middle)
            val = base | (rng.randint(1, 0xFFFF) << 80) | (rng.randint(0, 0xFFFF) << 64) \
                | rng.randint(1, 0xFFFF)
        else:               # no zero run
            val = base | rng.getrandbits(96) | (1 << 80) | (1 << 48) | 1
        return ipaddress.IPv6Address(val).compressed      # canonical lower-case form

    def _make_record(self, rng, rid, epoch, actor, ip, humans):
        system = actor["id"] == SYSTEM_ACTOR_ID
        if system:
            stype = rng.choice(["rule", "ticket", "zendesk/app_market/app"])
            action = rng.choice(["update", "update", "create", "destroy"])
        else:
            action = rng.choices(["login", "update", "create", "destroy", "exported"],
                                 [25, 38, 17, 10, 10])[0]
            if action == "login":
                stype = "user"
            elif action == "exported":
                stype = rng.choice(["rule", "user"])
            else:
                stype = rng.choices(SOURCE_TYPES, SOURCE_WEIGHTS)[0]
        sid, label, desc = self._make_source(rng, action, stype, actor, humans)
        rec = {"action": action}
        if rng.random() >= 0.1:                 # some records lack action_label entirely
            rec["action_label"] = ACTION_LABELS[action]
        rec.update({
            "actor_id": actor["id"],
            "actor_name": actor["name"],
            "change_description": desc,
            "created_at": emucore.iso_z(epoch),
            "id": rid,
            "ip_address": ip,
            "source_id": sid,
            "source_label": label,
            "source_type": stype,
            "url": "%s/api/v2/audit_logs/%d.json" % (self.server.base_url, rid),
        })
        return rec

    @staticmethod
    def _make_source(rng, action, stype, actor, humans):
        """-> (source_id, source_label, change_description)"""
        if action == "login":
            return actor["id"], actor["name"], rng.choice(LOGIN_DESCRIPTIONS)
        if stype == "user":
            if action == "exported":
                return actor["id"], actor["name"], rng.choice([
                    "Audit log export requested, format: CSV",
                    'Exported users matching "role:agent", 312 rows'])
            if rng.random() < 0.3:
                idx = rng.randrange(len(END_USERS))
                target = {"id": 370000000000 + idx * 7919, "name": END_USERS[idx]}
            else:
                target = rng.choice(humans)
            name = target["name"]
            if action == "create":
                desc = 'Created user "%s", role: %s' % (name, rng.choice(ROLES))
            elif action == "destroy":
                desc = 'Deleted user "%s"' % name
            else:
                a, b = rng.sample(ROLES, 2)
                desc = rng.choice([
                    "Role changed from %s to %s" % (a, b),
                    'Name changed from "%s" to "%s"' % (name.split(" ")[0], name),
                    'Email changed from "jose@example.com" to "josé.müller@example.com"',
                    'Tags changed\nadded: vip, "premium", müller\nremoved: trial',
                    "Phone changed from +49 30 1234567 to +49 30 7654321",
                ])
            return target["id"], name, desc
        if stype == "rule":
            idx = rng.randrange(len(RULES))
            kind, name = RULES[idx]
            sid = 360000100000 + idx * 104729
            label = "%s: %s" % (kind, name)
            if action == "exported":
                desc = 'Exported %s "%s" as CSV, 1,204 rows' % (kind.lower(), name)
            elif action == "create":
                desc = 'Created %s "%s"' % (kind.lower(), name)
            elif action == "destroy":
                desc = 'Deleted %s "%s"' % (kind.lower(), name)
            else:
                desc = rng.choice([
                    'Conditions changed:\nAll: Status is "Open", Priority is "Urgent"\n'
                    'Any: Tags contain "vip"',
                    'Title changed from "%s" to "%s (v2)"' % (name, name),
                    'Actions changed:\nSet "Status" to "Solved"\n'
                    'Email requester: "Thanks, we’ll be in touch"',
                    "Position changed from 3 to 1",
                ])
            return sid, label, desc
        if stype == "ticket":
            tid = rng.randint(1, 99999)
            subject = rng.choice(TICKET_SUBJECTS)
            label = "#%d %s" % (tid, subject)
            if action == "create":
                desc = "Ticket created via API, channel: web"
            elif action == "destroy":
                desc = rng.choice(["Ticket deleted permanently", "Ticket deleted, moved to trash"])
            else:
                desc = rng.choice([
                    'Subject changed from "%s" to "%s – follow-up"' % (subject, subject),
                    "Priority changed from Normal to Urgent, assignee: %s" % actor["name"],
                    "Status changed from Open to Solved",
                ])
            return tid, label, desc
        if stype == "apitoken":
            idx = rng.randrange(len(API_TOKENS))
            sid = 360000500000 + idx * 15485863
            name = API_TOKENS[idx]
            label = "API token: %s" % name
            desc = {"create": 'Token created, description: "%s"' % name,
                    "destroy": "Token revoked",
                    "update": 'Description changed from "%s" to "%s – prod"' % (name, name),
                    }[action]
            return sid, label, desc
        idx = rng.randrange(len(APPS))            # zendesk/app_market/app
        sid = 100000 + idx * 31337
        name = APPS[idx]
        desc = {"create": 'Installed app "%s"' % name,
                "destroy": 'Uninstalled app "%s"' % name,
                "update": 'Settings changed: "channel", "notify on solve"\nVersion 2.3 → 2.4',
                }[action]
        return sid, name, desc

    # -- request pipeline -------------------------------------------------------

    def handle(self, req):
        try:
            route = self._route(req)
            if route is None:
                raise _error(404, "InvalidEndpoint", "Not found")
            role = self._authenticate(req)
            if role is None:
                body = {"error": "Couldn't authenticate you"}
                if self.config["echo_secrets"]:
                    body["description"] = "got Authorization: %s\r\nLOG:  forged line %s" % (
                        req.headers.get("Authorization", ""), "x" * 600)
                raise _Reply(json_response(401, body,
                                           [("WWW-Authenticate", 'Basic realm="Web Password"')]))
            limit = self.config["rate_limit_per_min"]
            allowed, _, retry = self.server.limiter("account").hit(limit)
            if not allowed:
                raise _Reply(self._rate_limit_429(retry))
            if role != "admin":
                raise _error(403, "Forbidden", FORBIDDEN_DESCRIPTION)
            if self.config["plan"] not in ("enterprise", "enterprise_plus"):
                raise _error(403, "Forbidden", PLAN_DESCRIPTION)
            resp = route()
            resp.body = self._poisoned(resp.body)
        except _Reply as r:
            resp = r.resp
        return self._with_rate_headers(resp)

    POISON_BYTES = {"nul": b"Bad\x00Actor", "invalid_utf8": b"Bad\xffActor\xe9",
                    "u0000": b"Bad\\u0000Actor"}

    def _poison_target(self):
        if self.config["poison"] == "none" or not self.records:
            return None
        pid = self.config["poison_id"] or self.records[0][0][1]
        return self.by_id.get(pid)

    def _poisoned(self, body):
        """The body with the poisoned record's actor_name as raw bad bytes."""
        rec = self._poison_target()
        if rec is None:
            return body
        good = json.dumps({"actor_name": rec["actor_name"], "id": rec["id"]},
                          ensure_ascii=False, separators=(",", ":"))[1:-1].encode("utf-8")
        name, rid = good.split(b',"id":')
        needle = b'"id":' + rid + b','
        at = body.find(needle)
        start = body.rfind(b'{"action":', 0, at)      # records start with "action"
        if at < 0 or start < 0:
            return body
        seg = body[start:at].replace(name, b'"actor_name":"' + self.POISON_BYTES[
            self.config["poison"]] + b'"', 1)
        return body[:start] + seg + body[at:]

    def fault_status_response(self, req, status):
        return self._with_rate_headers(json_response(status, {
            "error": reason(status).replace(" ", "").replace("-", ""),
            "description": reason(status)}))

    def fault_rate_limit_response(self, req, retry_after):
        return self._with_rate_headers(self._rate_limit_429(retry_after))

    @staticmethod
    def _rate_limit_429(retry_after):
        return text_response(429, RATE_LIMIT_TEXT, [("Retry-After", str(retry_after))])

    def _with_rate_headers(self, resp):
        limit = self.config["rate_limit_per_min"]
        if limit > 0:
            remaining, reset = self.server.limiter("account").peek(limit)
            resp.header("X-Rate-Limit", limit)
            resp.header("X-Rate-Limit-Remaining", remaining)
            resp.header("ratelimit-limit", limit)
            resp.header("ratelimit-remaining", remaining)
            resp.header("ratelimit-reset", reset)
        return resp

    def _route(self, req):
        """-> a zero-argument callable producing the Response, or None."""
        path = req.path
        if req.method in ("GET", "HEAD"):
            if LIST_RE.match(path):
                return lambda: self._list(req)
            m = SHOW_RE.match(path)
            if m:
                return lambda: self._show(m.group(1))
        elif req.method == "POST" and EXPORT_RE.match(path):
            return lambda: self._export(req)
        return None

    def _authenticate(self, req):
        """-> "admin", "agent" or None (401)."""
        header = (req.headers.get("Authorization") or "").strip()
        scheme, _, cred = header.partition(" ")
        cred = cred.strip()
        cfg = self.config
        if scheme.lower() == "basic":
            try:
                user, sep, secret = base64.b64decode(cred, validate=True).decode("utf-8") \
                    .partition(":")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                return None
            if not sep or not user.endswith("/token") or secret != cfg["api_token"]:
                return None
            email = user[:-len("/token")].lower()
            if email == cfg["email"].lower():
                return "admin"
            if email == cfg["agent_email"].lower():
                return "agent"
            return None
        if scheme.lower() == "bearer" and cred and cred == cfg["oauth_token"]:
            return "admin"
        return None

    # -- endpoints ----------------------------------------------------------------

    def _show(self, id_text):
        rec = self.by_id.get(int(id_text)) if id_text.isdigit() else None
        if rec is None:
            raise _error(404, "RecordNotFound", "Not found")
        return json_response(200, {"audit_log": rec})

    def _export(self, req):
        Filters(req, self.config["created_at_bounds"])          # same validation as list
        limit = self.config["export_rate_limit_per_min"]
        lim = self.server.limiter("export")
        allowed, _, retry = lim.hit(limit)
        remaining, reset = lim.peek(limit)
        hdr = []
        if limit > 0:
            hdr.append(("Zendesk-RateLimit-audit-logs-export",
                        "total=%d; remaining=%d; resets=%d" % (limit, remaining, reset)))
        if not allowed:
            return text_response(429, EXPORT_LIMIT_TEXT, hdr + [("Retry-After", str(retry))])
        return empty_response(202, hdr)

    def _filtered(self, filters):
        """Matching records ascending by (created_at, id), with their keys."""
        key = filters.key()
        hit = self.cache.get(key)
        if hit is None:
            if key == (None, None, None, None, None, None):
                hit = (self.records, self.keys)
            else:
                recs = [(k, r) for k, r in self.records if filters.matches(k[0], r)]
                hit = (recs, [k for k, _ in recs])
            if len(self.cache) >= 64:
                self.cache.clear()
            self.cache[key] = hit
        return hit

    def _list(self, req):
        cursor_mode = any(req.has(p) for p in ("page[size]", "page[after]", "page[before]"))
        if cursor_mode:
            return self._list_cursor(req)
        return self._list_offset(req)

    def _list_cursor(self, req):
        size_text = _single_param(req, "page[size]")
        after = _single_param(req, "page[after]")
        before = _single_param(req, "page[before]")
        sort = _single_param(req, "sort")
        if size_text is None:
            size = MAX_PAGE_SIZE
        else:
            try:
                size = int(size_text)
            except ValueError:
                size = 0
            if not 1 <= size <= MAX_PAGE_SIZE:
                raise _error(400, "InvalidPaginationParameter",
                             "page[size] must be an integer between 1 and %d" % MAX_PAGE_SIZE)
        if after is not None and before is not None:
            raise _error(400, "InvalidPaginationParameter",
                         "page[before] and page[after] can't be used together")
        if sort is not None and sort not in ("created_at", "-created_at"):
            raise _error(400, "InvalidPaginationParameter",
                         "sort must be created_at or -created_at")
        cursor_key = None
        if after is not None or before is not None:
            name = "page[after]" if after is not None else "page[before]"
            csort, cursor_key = _decode_cursor(name, after if after is not None else before)
            if sort is not None and sort != csort:                          # [I]
                raise _error(400, "InvalidPaginationParameter",
                             "%s was issued for sort=%s" % (name, csort))
            sort = csort
        sort = sort or "-created_at"
        filters = Filters(req, self.config["created_at_bounds"])
        recs, keys = self._filtered(filters)
        n = len(recs)
        asc = sort == "created_at"

        def view(i):            # i-th record in the requested order
            return recs[i] if asc else recs[n - 1 - i]

        if after is not None:   # records strictly after the cursor, in view order
            start = (bisect.bisect_right(keys, cursor_key) if asc
                     else n - bisect.bisect_left(keys, cursor_key))
            end = min(start + size, n)
        elif before is not None:
            end = (bisect.bisect_left(keys, cursor_key) if asc
                   else n - bisect.bisect_right(keys, cursor_key))
            start = max(0, end - size)
        else:
            start, end = 0, min(size, n)
        page = [view(i) for i in range(start, end)]
        more_after, more_before = end < n, start > 0
        has_more = more_before if before is not None else more_after
        after_cursor = _encode_cursor(sort, page[-1][0]) if page else None
        before_cursor = _encode_cursor(sort, page[0][0]) if page else None

        base = [(k, v) for k, v in req.query if k not in ("page[after]", "page[before]")]
        if not any(k == "sort" for k, _ in base) and sort != "-created_at":
            base.append(("sort", sort))
        # [I] links mirror the cursors: present whenever the page is not empty
        links_next = (build_url(req.base_url, req.path, base + [("page[after]", after_cursor)])
                      if after_cursor else None)
        links_prev = (build_url(req.base_url, req.path, base + [("page[before]", before_cursor)])
                      if before_cursor else None)
        return json_response(200, {
            "audit_logs": [r for _, r in page],
            "meta": {"has_more": has_more, "after_cursor": after_cursor,
                     "before_cursor": before_cursor},
            "links": {"next": links_next, "prev": links_prev},
        })

    def _list_offset(self, req):
        page_text = _single_param(req, "page")
        per_page_text = _single_param(req, "per_page")
        sort_by = _single_param(req, "sort_by") or "created_at"
        sort_order = _single_param(req, "sort_order") or "desc"
        try:
            page = int(page_text) if page_text is not None else 1
            per_page = int(per_page_text) if per_page_text is not None else MAX_PAGE_SIZE
        except ValueError:
            raise _error(400, "InvalidPaginationParameter",
                         "page and per_page must be positive integers") from None
        if page < 1 or per_page < 1:
            raise _error(400, "InvalidPaginationParameter",
                         "page and per_page must be positive integers")
        per_page = min(per_page, MAX_PAGE_SIZE)                 # [I] clamped, not rejected
        if sort_by != "created_at":
            raise _error(400, "InvalidPaginationParameter", "sort_by must be created_at")
        if sort_order not in ("asc", "desc"):
            raise _error(400, "InvalidPaginationParameter", "sort_order must be asc or desc")
        if page * per_page > OFFSET_CAP:
            raise _error(400, "InvalidPaginationParameter",
                         "Offset pagination is limited to the first %d records. Use cursor "
                         "pagination instead." % OFFSET_CAP)
        filters = Filters(req, self.config["created_at_bounds"])
        recs, _ = self._filtered(filters)
        n = len(recs)
        lo, hi = (page - 1) * per_page, min(page * per_page, n)
        if sort_order == "asc":
            rows = [r for _, r in recs[lo:hi]]
        else:
            rows = [recs[n - 1 - i][1] for i in range(lo, hi)]
        base = [(k, v) for k, v in req.query if k != "page"]
        next_page = (build_url(req.base_url, req.path, base + [("page", str(page + 1))])
                     if page * per_page < n else None)
        prev_page = (build_url(req.base_url, req.path, base + [("page", str(page - 1))])
                     if page > 1 else None)
        return json_response(200, {"audit_logs": rows, "next_page": next_page,
                                   "previous_page": prev_page, "count": n})


def dump(vendor):
    """The whole dataset (the `/_emu/dump` hook), ascending by time, each
    record as the API returns it."""
    return [r for _key, r in vendor.records]
