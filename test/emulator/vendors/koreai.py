"""Kore.ai XO Platform: Admin Console audit logs (vendors.md section 3, section 6).

Endpoint, at the root of the emulator port as on https://{host} (platform.kore.ai):
  GET /api/public/auditlogs?size=&offset=&fromDate=&toDate=&fetchAfter=

Request pipeline: route (unknown path -> 404) -> authenticate the JWT in the
`auth` header (401 "Invalid SDK credentials", code 4002) -> account rate
limit, 60/min and 1800/hour (status `rate_limit_status`, Kore errors body) ->
API scope of the app (403) -> parameters (400) -> page.

Every error body is the Kore envelope {"errors":[{"msg":...,"code":...}]}.

Choices where the public docs are silent are marked [I] and listed in
README.md.
"""

import base64
import binascii
import bisect
import datetime
import hashlib
import hmac
import json
import random
import re
import time

import emucore
from emucore import Key, json_response, reason

LIST_PATH = "/api/public/auditlogs"
SPAN_MS = 30 * 86400 * 1000         # the dataset covers the 30 days before the anchor
FORCED_BURST_EVERY = 100            # ascending positions 100, 200, ... sit inside a burst
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)

INVALID_CREDENTIALS = {"errors": [{"msg": "Invalid SDK credentials", "code": 4002}]}
NO_SCOPE_MSG = ("You are not authorized to access this API. Please check the API scopes "
                "assigned to the app")                                            # [I]
RATE_LIMIT_MSG = "Rate limit for this API has been reached. Please try again later"

DATE_ONLY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?"
                         r"(?:[zZ]|[+-]\d{2}:?\d{2})?$")
OBJECT_ID_RE = re.compile(r"^[0-9a-fA-F]{24}$")

# ---------------------------------------------------------------- dataset material

USERS = [
    ("José Müller", "jose.muller@acme-bots.example"),
    ("李小龙", "li.xiaolong@acme-bots.example"),
    ("Zoë Ødegaard", "zoe.odegaard@acme-bots.example"),
    ("Ørjan Ås", "orjan.as@acme-bots.example"),
    ("Sameer Patel", "sameer.patel@acme-bots.example"),
    ("Amélie Laurent", "amelie.laurent@acme-bots.example"),
    ("Siobhán O'Connor", "siobhan.oconnor@acme-bots.example"),
    ("Nguyễn Thị Lan", "lan.nguyen@acme-bots.example"),
    ("Олег Петренко", "oleg.petrenko@acme-bots.example"),
    ('Anna "Annie" Schmidt', "anna.schmidt@acme-bots.example"),
    ("Wang, Fang", "fang.wang@acme-bots.example"),
    ("John Smith", "john.smith@acme-bots.example"),
]
TIME_ZONES = [                      # (minutes east of UTC, JS Date zone name)
    (330, "India Standard Time"),
    (0, "Coordinated Universal Time"),
    (60, "Central European Standard Time"),
    (540, "Japan Standard Time"),
    (-300, "Eastern Standard Time"),
    (480, "中国标准时间"),
]
CHANNELS = ["web", "web", "web", "mobile", "SSO", "api"]
APPS = ["Zylker Support Bot", "Audit Exporter", "Café Concierge", "HR Helpdesk, EMEA",
        "Bot \"Ops\" Console"]
BOTS = ["Banking Assistant", "Réservations", "IT Helpdesk", "Ticket Triage – beta",
        "销售助理"]
ROLES = ["Master Admin", "Bot Owner", "Bot Developer", "Tester", "Billing Admin"]

# (category, name, weight)
EVENTS = [
    ("Login/Logout", "Login - Success", 26),
    ("Login/Logout", "Login - Failure", 5),
    ("Login/Logout", "Logout", 20),
    ("App Management", "App creation - Success", 5),
    ("App Management", "App deletion - Success", 2),
    ("App Management", "API scopes updated", 3),
    ("User Management", "Role changed", 8),
    ("User Management", "User added", 5),
    ("User Management", "User deleted", 2),
    ("User Management", "User deactivated", 3),
    ("Bot Management", "Bot published", 4),
    ("Bot Management", "Bot assigned", 3),
    ("Security & Control", "Password policy changed", 1),
    ("Security & Control", "SSO settings updated", 1),
]
EVENT_WEIGHTS = [e[2] for e in EVENTS]


class _Reply(Exception):
    """Raised inside a handler to answer at once with `resp`."""

    def __init__(self, resp):
        super().__init__(resp.status)
        self.resp = resp


def _errors(status, msg, code=None, headers=None):
    """A Kore errors envelope response."""
    return json_response(status, {"errors": [{"msg": msg, "code": status if code is None
                                              else code}]}, headers)


def _bad_request(msg):
    return _Reply(_errors(400, msg))


# ---------------------------------------------------------------- JWT

def _b64url_decode(seg):
    if not re.fullmatch(r"[A-Za-z0-9_-]*", seg):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4))


def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def decode_jwt(token):
    """Split and decode a compact JWT -> (header, payload, signing_input, signature).
    Raises ValueError on any malformation."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not three segments")
    try:
        header = json.loads(_b64url_decode(parts[0]).decode("utf-8"))
        payload = json.loads(_b64url_decode(parts[1]).decode("utf-8"))
        signature = _b64url_decode(parts[2])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValueError("bad encoding") from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise ValueError("not JSON objects")
    return header, payload, (parts[0] + "." + parts[1]).encode("ascii"), signature


# ---------------------------------------------------------------- dates

def _epoch_us(dt):
    return (dt - EPOCH) // datetime.timedelta(microseconds=1)


def parse_kore_date(name, text, is_end):
    """fromDate / toDate -> epoch microseconds.  `yyyy-mm-dd` is the start of
    that day (UTC) for fromDate and its last millisecond, 23:59:59.999, for
    toDate [I].  `yyyy-mm-ddThh:mm:ss[.mmm]Z` (also with an offset, without a
    zone = UTC, or with the doc's stray space before T) is exact."""
    s = text.strip().replace(" T", "T")
    try:
        if DATE_ONLY_RE.match(s):
            day = datetime.datetime.strptime(s, "%Y-%m-%d").replace(
                tzinfo=datetime.timezone.utc)
            us = _epoch_us(day)
            return us + (86400 * 10**6 - 1000) if is_end else us
        if DATETIME_RE.match(s):
            return _epoch_us(emucore.parse_iso8601(s.replace(" ", "T", 1)))
    except ValueError:
        pass
    raise _bad_request("Invalid %s. Supported formats are yyyy-mm-dd and "
                       "yyyy-mm-ddThh:mm:ss.msZ" % name)


def js_date_string(ms, offset_min, zone):
    """'Sat Jan 04 2020 22:36:52 GMT+0530(India Standard Time)', as in the sample."""
    tz = datetime.timezone(datetime.timedelta(minutes=offset_min))
    dt = datetime.datetime.fromtimestamp(ms / 1000.0, tz)
    sign = "+" if offset_min >= 0 else "-"
    off = abs(offset_min)
    return "%s GMT%s%02d%02d(%s)" % (dt.strftime("%a %b %d %Y %H:%M:%S"), sign, off // 60,
                                      off % 60, zone)


# ---------------------------------------------------------------- the vendor

class Vendor(emucore.VendorBase):
    name = "koreai"
    default_records = 1500
    default_rate_limit_per_min = 60             # "DesignTime Admin API", per account
    config_keys = {
        "rate_limit_per_hour": Key(1800, minimum=0, doc="second window, per hour (0 = off)"),
        "rate_limit_status": Key(429, minimum=400, maximum=599,
                                 doc="HTTP status of the rate-limit answer (unknown publicly)"),
        "rate_limit_retry_after": Key(0, minimum=0,
                                      doc="Retry-After seconds on rate-limit answers (0 = none)"),
        "client_id": Key("cs-kore-test-client", "str", doc="app with the audit-log scope"),
        "client_secret": Key("kore-test-secret-0123456789", "str", doc="its HS256 secret"),
        "noscope_client_id": Key("cs-kore-noscope-client", "str",
                                 doc="app without the audit-log scope: 403"),
        "noscope_client_secret": Key("kore-noscope-secret-0123456789", "str",
                                     doc="its HS256 secret"),
        "require_jti": Key(0, minimum=0, maximum=1, doc="1: a JWT without jti is rejected"),
        "iat_skew_s": Key(300, minimum=0, doc="iat may be at most this far in the future"),
        "page_max": Key(100, minimum=1, maximum=10000, doc="largest accepted size"),
        "default_size": Key(50, minimum=1, maximum=10000, doc="size when absent"),
        "date_bounds": Key("inclusive", "choice", choices=("inclusive", "exclusive", "half_open"),
                           doc="fromDate/toDate semantics (unknown publicly)"),
        "reversed_range": Key("swap", "choice", choices=("swap", "reject", "empty"),
                              doc="fromDate after toDate: swap them, 400, or no records"),
        "total_mode": Key("exact", "choice", choices=("exact", "page", "approx", "capped"),
                          doc="what `total` counts (unknown publicly): the window, this "
                              "page, roughly the window, or the window capped at 1000"),
        "order": Key("asc", "choice", choices=("asc", "desc", "shuffled"),
                     doc="record order (unknown publicly); shuffled: ascending pages, "
                         "each shuffled"),
        "ignore_dates": Key(0, minimum=0, maximum=1,
                            doc="misbehaviour: 1 ignores fromDate/toDate"),
        "short_pages": Key(0, minimum=0, maximum=1,
                           doc="misbehaviour: 1 drops the last record of every odd "
                               "page that is not the last"),
        "grow_after": Key(0, minimum=0,
                          doc="after this many list requests, grow_by records arrive "
                              "(0 = never)"),
        "grow_by": Key(1, minimum=1, maximum=1000, doc="records that arrive then"),
        "grow_at": Key("newest", "choice", choices=("newest", "oldest"),
                       doc="their times: after the newest record, or before the oldest "
                           "(late ingestion)"),
    }

    def __init__(self, server):
        super().__init__(server)
        self.records = []       # ascending by (timestampValue, AuditLogId)
        self.ts_us = []         # timestampValue * 1000, parallel to records
        self.ids = []           # AuditLogId, parallel (also ascending)
        self.list_requests = 0  # answered list requests since the reset (grow_after)

    def on_reset(self):
        self.list_requests = 0

    def _grow(self):
        """grow_by records arrive, all at one new instant (grow_at)."""
        cfg = self.config
        if not self.records:
            return
        if cfg["grow_at"] == "newest":
            ms = self.records[-1]["timestampValue"] + 1
        else:
            ms = self.records[0]["timestampValue"] - 1
        for i in range(cfg["grow_by"]):
            self.records.append({
                "timestampValue": ms,
                "Date/Time": "%s.%03dZ" % (emucore.iso_z(ms // 1000)[:-1], ms % 1000),
                "Description": "User logged out at %s from 192.0.2.77 via web"
                               % js_date_string(ms, 0, "Coordinated Universal Time"),
                "Name": "Logout",
                "Category": "Login/Logout",
                "AuditLogId": "%08x%s%06x" % (ms // 1000, "ffffffffff", i),
            })
        self.records.sort(key=lambda r: (r["timestampValue"], r["AuditLogId"]))
        self.ts_us = [r["timestampValue"] * 1000 for r in self.records]
        self.ids = [r["AuditLogId"] for r in self.records]

    # -- dataset ----------------------------------------------------------------

    def generate(self, rng, anchor, records):
        anchor_ms = int(anchor.timestamp()) * 1000
        # group sizes: about a quarter of the instants are bursts of 2-6 records
        # sharing one millisecond
        starts, total = [], 0
        while total < records:
            starts.append(total)
            total += rng.randint(2, 6) if rng.random() < 0.25 else 1
        # make ascending positions 100, 200, ... fall inside a burst, so page
        # boundaries of the default walks split a millisecond
        forced = set(range(FORCED_BURST_EVERY, records, FORCED_BURST_EVERY))
        starts = [s for s in starts if s not in forced]
        sizes = [b - a for a, b in zip(starts, starts[1:] + [records])]
        offsets = rng.sample(range(1, SPAN_MS), len(sizes) - 1) if sizes else []
        instants = sorted(anchor_ms - o for o in offsets) + ([anchor_ms] if sizes else [])

        machine = "%010x" % rng.getrandbits(40)
        counter = rng.randint(0, 0x7fffff)
        users = list(USERS)
        user_weights = [rng.uniform(0.3, 3.0) for _ in users]
        user_ips = {u[1]: [self._make_ip(rng) for _ in range(rng.randint(1, 3))] for u in users}
        user_ips[USERS[0][1]][0] = "127.0.0.1"            # the sample's address
        user_ips[USERS[4][1]][0] = "2001:db8::7"
        out = []
        for size, ms in zip(sizes, instants):
            user = rng.choices(users, user_weights)[0]
            event = rng.choices(EVENTS, EVENT_WEIGHTS)[0]
            for _ in range(size):
                counter += rng.randint(1, 3)
                aid = "%08x%s%06x" % (ms // 1000, machine, counter & 0xffffff)
                desc = self._describe(rng, event, ms, user, user_ips[user[1]], users)
                out.append({
                    "timestampValue": ms,
                    "Date/Time": "%s.%03dZ" % (emucore.iso_z(ms // 1000)[:-1], ms % 1000),
                    "Description": desc,
                    "Name": event[1],
                    "Category": event[0],
                    "AuditLogId": aid,
                })
        self.records = out
        self.ts_us = [r["timestampValue"] * 1000 for r in out]
        self.ids = [r["AuditLogId"] for r in out]

    @staticmethod
    def _make_ip(rng):
        if rng.random() < 0.75:
            return rng.choice(["192.0.2.", "198.51.100.", "203.0.113.", "10.20.30."]) + \
                str(rng.randint(1, 254))
        return "2001:db8:%x::%x" % (rng.randint(1, 0xffff), rng.randint(1, 0xffff))

    @staticmethod
    def _describe(rng, event, ms, user, ips, users):
        category, name, _ = event
        uname, email = user
        ip = rng.choice(ips)
        channel = rng.choice(CHANNELS)
        off, zone = rng.choice(TIME_ZONES)
        when = js_date_string(ms, off, zone)
        other = rng.choice([u for u in users if u != user])
        if name == "Logout":
            return "User logged out at %s from %s via %s" % (when, ip, channel)
        if name == "Login - Success":
            return rng.choice([
                "User %s logged in at %s from %s via %s" % (email, when, ip, channel),
                "User logged in at %s from %s via %s" % (when, ip, channel),
            ])
        if name == "Login - Failure":
            return 'Login failed for %s from %s via %s, reason: "Invalid password"' % (
                email, ip, channel)
        if name == "App creation - Success":
            return rng.choice(["New app admin created",
                               'New app "%s" created by %s' % (rng.choice(APPS), uname)])
        if name == "App deletion - Success":
            return 'App "%s" deleted by %s' % (rng.choice(APPS), uname)
        if name == "API scopes updated":
            return ('Scopes of app "%s" changed: added "Logs > Admin Console Audit Logs", '
                    'removed "Bot Export"' % rng.choice(APPS))
        if name == "Role changed":
            a, b = rng.sample(ROLES, 2)
            return "Role of %s changed from %s to %s by %s" % (other[0], a, b, uname)
        if name == "User added":
            return 'User %s ("%s") added to the account by %s, role: %s' % (
                other[1], other[0], uname, rng.choice(ROLES))
        if name == "User deleted":
            return 'User "%s" deleted by %s' % (other[0], uname)
        if name == "User deactivated":
            return 'User %s deactivated by %s, reason: "left the company"' % (other[0], uname)
        if name == "Bot published":
            return 'Bot "%s" published by %s, version 3.2 → 3.3' % (rng.choice(BOTS), uname)
        if name == "Bot assigned":
            return 'Bot "%s" assigned to %s, permission: Owner' % (rng.choice(BOTS), other[0])
        if name == "Password policy changed":
            return ('Password policy updated by %s: minimum length 8 → 12, '
                    '"require special characters" enabled' % uname)
        return "SSO settings updated by %s from %s via web" % (uname, ip)

    # -- request pipeline -------------------------------------------------------

    def handle(self, req):
        try:
            if req.method not in ("GET", "HEAD") or req.path.rstrip("/") != LIST_PATH:
                raise _Reply(_errors(404, "Not Found"))                      # [I]
            app = self._authenticate(req)
            if app is None:
                raise _Reply(json_response(401, INVALID_CREDENTIALS))
            self._rate_limit()
            if app != "scoped":
                raise _Reply(_errors(403, NO_SCOPE_MSG))
            return self._list(req)
        except _Reply as r:
            return r.resp

    def fault_status_response(self, req, status):
        return _errors(status, reason(status))

    def fault_rate_limit_response(self, req, retry_after):
        return self._rate_limit_response(retry_after)

    def _rate_limit_response(self, retry_after):
        hdr = [("Retry-After", str(retry_after))] if retry_after > 0 else []
        return json_response(self.config["rate_limit_status"],
                             {"errors": [{"msg": RATE_LIMIT_MSG, "code": 429}]}, hdr)

    def _rate_limit(self):
        """Both windows must have room; only then is the request counted in both."""
        cfg = self.config
        windows = [(self.server.limiter("minute", 60), cfg["rate_limit_per_min"]),
                   (self.server.limiter("hour", 3600), cfg["rate_limit_per_hour"])]
        for lim, limit in windows:
            remaining, _ = lim.peek(limit)
            if remaining is not None and remaining <= 0:
                raise _Reply(self._rate_limit_response(cfg["rate_limit_retry_after"]))
        for lim, limit in windows:
            lim.hit(limit)

    def _authenticate(self, req):
        """-> "scoped", "noscope" or None (401)."""
        token = (req.headers.get("auth") or "").strip()
        if not token:
            return None
        try:
            header, payload, signing_input, signature = decode_jwt(token)
        except ValueError:
            return None
        if header.get("alg") != "HS256":            # only HS256 (rejects "none")
            return None
        cfg = self.config
        app_id = payload.get("appId")
        if not isinstance(app_id, str) or not app_id:
            return None
        if app_id == cfg["client_id"]:
            app, secret = "scoped", cfg["client_secret"]
        elif app_id == cfg["noscope_client_id"]:
            app, secret = "noscope", cfg["noscope_client_secret"]
        else:
            return None
        want = hmac.new(secret.encode("utf-8"), signing_input, hashlib.sha256).digest()
        if not hmac.compare_digest(want, signature):
            return None
        now = time.time()
        for claim in ("exp", "nbf", "iat"):
            if claim in payload and not _number(payload[claim]):
                return None
        if "exp" in payload and now >= payload["exp"]:
            return None
        if "nbf" in payload and now < payload["nbf"]:
            return None
        if "iat" in payload and payload["iat"] > now + cfg["iat_skew_s"]:
            return None
        if cfg["require_jti"] and not payload.get("jti"):
            return None
        return app

    # -- the endpoint -----------------------------------------------------------

    @staticmethod
    def _single(req, name):
        """One value or None; empty means absent [I]; a repeat is 400 [I]."""
        vals = req.params(name)
        if len(vals) > 1:
            raise _bad_request("%s may be given only once" % name)
        if not vals or vals[0].strip() == "":
            return None
        return vals[0].strip()

    def _int_param(self, req, name, default, lo, hi=None):
        text = self._single(req, name)
        if text is None:
            return default
        try:
            v = int(text)
        except ValueError:
            v = None
        if v is None or v < lo or (hi is not None and v > hi):
            if hi is None:
                raise _bad_request("%s must be an integer >= %d" % (name, lo))
            raise _bad_request("%s must be an integer between %d and %d" % (name, lo, hi))
        return v

    def _list(self, req):
        cfg = self.config
        size = self._int_param(req, "size", cfg["default_size"], 1, cfg["page_max"])
        offset = self._int_param(req, "offset", 0, 0)
        from_text = self._single(req, "fromDate")
        to_text = self._single(req, "toDate")
        fetch_after = self._single(req, "fetchAfter")
        if fetch_after is not None:
            if not OBJECT_ID_RE.match(fetch_after):
                raise _bad_request("Invalid fetchAfter: expected an AuditLogId")
            fetch_after = fetch_after.lower()

        self.list_requests += 1
        if cfg["grow_after"] and self.list_requests == cfg["grow_after"] + 1:
            self._grow()

        lo = parse_kore_date("fromDate", from_text, False) if from_text is not None else None
        hi = parse_kore_date("toDate", to_text, True) if to_text is not None else None
        empty = False
        if lo is not None and hi is not None and lo > hi:
            mode = cfg["reversed_range"]
            if mode == "reject":
                raise _bad_request("fromDate must not be after toDate")
            if mode == "empty":
                empty = True
            else:           # swap the two values, then read each in its new role
                lo = parse_kore_date("fromDate", to_text, False)
                hi = parse_kore_date("toDate", from_text, True)

        if cfg["ignore_dates"]:
            lo = hi = None
            empty = False
        n = len(self.records)
        bounds = cfg["date_bounds"]
        start, end = 0, n
        if lo is not None:
            start = (bisect.bisect_right(self.ts_us, lo) if bounds == "exclusive"
                     else bisect.bisect_left(self.ts_us, lo))
        if hi is not None:
            end = (bisect.bisect_right(self.ts_us, hi) if bounds == "inclusive"
                   else bisect.bisect_left(self.ts_us, hi))
        if fetch_after is not None:     # ids ascend with time: still one slice
            start = max(start, bisect.bisect_right(self.ids, fetch_after))
        if empty or end < start:
            start = end = 0
        total = end - start
        more = offset * size + size < total
        if cfg["order"] == "desc":      # newest first: positions count from the end
            hi_pos = end - offset * size
            page = self.records[max(hi_pos - size, start):hi_pos][::-1] if hi_pos > start else []
        else:
            first = start + offset * size
            page = self.records[first:min(first + size, end)] if first < end else []
            if cfg["order"] == "shuffled":
                page = list(page)
                random.Random(offset * 7919 + size).shuffle(page)
        if cfg["short_pages"] and more and offset % 2 == 1 and page:
            page = page[:-1]
        mode = cfg["total_mode"]
        if mode == "page":
            shown = len(page)
        elif mode == "approx":          # within 10 %, differing from page to page
            shown = total + total * ((offset * 37) % 21 - 10) // 100
        elif mode == "capped":
            shown = min(total, 1000)
        else:
            shown = total
        return json_response(200, {"total": shown, "auditlogs": page, "moreAvailable": more})


def dump(state):
    """The whole dataset (the `/_emu/dump` hook), ascending by time, each
    record as the API returns it."""
    return list(state.records)
