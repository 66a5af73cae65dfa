"""Zoho Mail: organization audit records (vendors.md section 4, section 6).

Endpoints, at the root of the emulator port.  The real API host is
mail.zoho.com and the token endpoint lives on accounts.zoho.com; here both
share one port, so the FDW's `accounts_url` and `base_url` point at the same
place:
  GET  /api/organization/{zoid}/activity                   audit records
  GET  /api/organization/{zoid}/activity?mode=getConstants code tables
  POST /oauth/v2/token                                     refresh_token grant

Request pipeline of the API: route (404 URL_RULE_NOT_CONFIGURED) ->
authenticate `Authorization: Zoho-oauthtoken <token>` (400 INVALID_TICKET
without one, 401 INVALID_OAUTHTOKEN for a bad or expired one) -> rate limit
(`rate_limit_status`, TOO_MANY_REQUESTS) -> zoid (404) -> parameters (400) ->
page.  Every API body is the {"status":{code,description},"data":{...}}
envelope.

Choices where the public docs are silent are marked [I] and listed in
README.md.
"""

import base64
import bisect
import json
import re
import secrets
import time
import urllib.parse

import emucore
from emucore import Key, json_response, reason

SPAN_MS = 30 * 86400 * 1000         # the dataset covers the 30 days before the anchor
FORCED_BURST_EVERY = 100            # newest-first positions 100, 200, ... sit inside a burst
MAX_LIMIT = 200
DEFAULT_LIMIT = 10
TOKEN_PATH = "/oauth/v2/token"
ACTIVITY_RE = re.compile(r"^/api/organization/([^/]+)/activity/?$")
KNOWN_PARAMS = frozenset({"searchKey", "startTime", "endTime", "limit", "lastEntityId",
                          "lastIndexTime", "mode", "byMode"})
SEARCH_KEYS = ("category", "subCategory", "operationType", "performedBy", "performedFor",
               "performedOn", "status", "auditLogType")
JSON_CT = "application/json;charset=UTF-8"
TOO_MANY_REFRESHES = {"error": "Access Denied",
                      "error_description": "You have made too many requests continuously. "
                                           "Please try again after some time."}
API_DOMAIN = "https://www.zohoapis.com"
# status_search=code: searchKey status takes these codes; any other value
# (e.g. "success") matches nothing [I]
STATUS_CODES = {"1": "success", "0": "failure"}
SCOPE = "ZohoMail.organization.audit.READ"

# ---------------------------------------------------------------- code tables

# getConstants "category": the documented codes.  A record's `mainCategory`
# is one of these names.
CATEGORIES = {
    1001: "Organization", 1002: "Domains", 1003: "Users", 1004: "Groups",
    1005: "Email policy", 1006: "Email restriction", 1007: "Account restriction",
    1008: "Access restriction", 1009: "Email forward policy", 1010: "Spam verification",
    1011: "Data Migration", 1012: "Import/Export", 1013: "Troubleshoot", 1014: "Subscription",
    1015: "Compliance", 1016: "Integrations and Extensions", 1017: "People",
    1018: "Email routing", 1019: "Security", 1020: "Roles and Privileges",
    1021: "Spam processing ", 1022: "Incoming rules", 1023: "Trusted list",
    1024: "Allowed list", 1025: "Blocked list", 1026: "Blocked list patterns",
    1027: "Internationalized spam", 1028: "Phishing and Malware", 1031: "Quarantine",
    1033: "Partner console", 1034: "Other apps", 1036: "MDM", 1037: "Imports",
    1038: "Exports", 1039: "Outgoing rules", 1040: "Banners and Modifiers", 1041: "Calendar",
    1042: "Shared Resources",
}

OPERATION_TYPES = {1: "ADD", 2: "UPDATE", 3: "DELETE", 4: "DOWNLOAD"}            # [I] codes

# getConstants "subCategory" [I]: code -> the record's `subCategory` string.
# Each also fixes the record's `mainCategory` (via its category code), its
# `category` string, the operations seen and what `performedOn` names.
#   code: (category code, record category, record subCategory, [(operation, type)], target)
SUBCATEGORIES = {
    4001: (1001, "ORGANIZATION", "ORG_DETAILS", [("ORG_INFO_UPDATE", "UPDATE")], "org"),
    4003: (1002, "DOMAIN", "DOMAIN_DETAILS",
           [("DOMAIN_ADD", "ADD"), ("DOMAIN_VERIFY", "UPDATE"), ("DOMAIN_DELETE", "DELETE")],
           "domain"),
    4007: (1003, "MAILBOX", "MAILBOX_USER",
           [("ORG_INFO_ADD", "ADD"), ("USER_UPDATE", "UPDATE"), ("USER_DELETE", "DELETE")],
           "user"),
    4008: (1003, "MAILBOX", "USER_ALIAS", [("ALIAS_ADD", "ADD"), ("ALIAS_DELETE", "DELETE")],
           "user"),
    4009: (1003, "MAILBOX", "USER_PASSWORD", [("PASSWORD_RESET", "UPDATE")], "user"),
    4012: (1004, "GROUP", "GROUP_DETAILS", [("GROUP_ADD", "ADD"), ("GROUP_DELETE", "DELETE")],
           "group"),
    4013: (1004, "GROUP", "GROUP_MEMBER",
           [("GROUP_MEMBER_ADD", "ADD"), ("GROUP_MEMBER_DELETE", "DELETE")], "group"),
    4020: (1005, "POLICY", "EMAIL_POLICY", [("POLICY_UPDATE", "UPDATE")], "policy"),
    4031: (1012, "EXPORT", "MAILBOX_EXPORT", [("MAILBOX_EXPORT_DOWNLOAD", "DOWNLOAD")], "user"),
    4045: (1019, "SECURITY", "TFA", [("TFA_ENFORCE", "UPDATE")], "user"),
    4046: (1019, "SECURITY", "ALLOWED_IPS",
           [("ALLOWED_IP_ADD", "ADD"), ("ALLOWED_IP_DELETE", "DELETE")], "org"),
    4050: (1020, "ROLES", "ROLE_ASSIGNMENT", [("ROLE_UPDATE", "UPDATE")], "user"),
    4061: (1025, "SPAM", "BLOCKED_SENDER",
           [("BLOCKED_ADD", "ADD"), ("BLOCKED_DELETE", "DELETE")], "sender"),
    4070: (1038, "EXPORT", "AUDIT_EXPORT", [("AUDIT_DOWNLOAD", "DOWNLOAD")], "org"),
}
SUB_WEIGHTS = {4001: 2, 4003: 3, 4007: 20, 4008: 6, 4009: 8, 4012: 4, 4013: 10, 4020: 3,
               4031: 3, 4045: 4, 4046: 3, 4050: 6, 4061: 5, 4070: 2}

# ---------------------------------------------------------------- dataset material

ADMINS = ["admin@zylker.com", "josé.müller@zylker.com", "李雷@zylker.com",
          "ops+audit@zylker.com", "zoë.ødegaard@zylker.com", "sameer.patel@zylker.com",
          "o'brien@zylker.com"]
USERS = [("user@zylker.com", "User", "Zylker"),
         ("amélie.laurent@zylker.com", "Amélie", "Laurent"),
         ("田中太郎@zylker.com", "太郎", "田中"), ("jane.doe@zylker.com", "Jane", "Doe"),
         ("siobhán.oconnor@zylker.com", "Siobhán", "O'Connor"),
         ("wang.fang@zylker.com", "Fang", "Wang"), ("rené.dubois@zylker.in", "René", "Dubois")]
GROUPS = ["sales@zylker.com", "support@zylker.com", "équipe@zylker.com"]
DOMAINS = ["zylker.com", "zylker.in", "zylker-café.example"]
SENDERS = ["spam@example.net", "promo@bulk.example", "ñoño@example.org"]
ORG = "Zylker Corp"
SERVERS = ["sas", "mas", "zmsvc"]



def _echo_forms(*values):
    """Each value raw, %XX-encoded, form-encoded and base64 (echo_secrets)."""
    out = []
    for v in values:
        out += [v, urllib.parse.quote(v, safe=""), urllib.parse.quote_plus(v),
                base64.b64encode(v.encode("utf-8")).decode("ascii")]
    return " ".join(out)

class _Reply(Exception):
    """Raised inside a handler to answer at once with `resp`."""

    def __init__(self, resp):
        super().__init__(resp.status)
        self.resp = resp


def _envelope(status, description, data):
    return json_response(status, {"status": {"code": status, "description": description},
                                  "data": data}, content_type=JSON_CT)


def _error(status, code, more_info=None, description="Invalid Input", headers=None):
    data = {"errorCode": code}
    if more_info is not None:
        data["moreInfo"] = more_info
    resp = _envelope(status, description, data)
    resp.headers.extend(headers or [])
    return _Reply(resp)


def _bad(code, more_info):
    return _error(400, code, more_info)


class _Search:
    """Parsed searchKey: key:value pairs joined by '::' (values were
    percent-decoded once by the query parsing)."""

    def __init__(self, text, status_search="text"):
        self.terms = {}
        self.status_search = status_search
        if text is None or text == "":
            return
        for part in text.split("::"):
            key, sep, value = part.partition(":")
            if not sep or not key:
                raise _bad("PATTERN_NOT_MATCHED", "searchKey must be key:value pairs "
                                                  "joined by ::")
            if key not in SEARCH_KEYS:
                raise _bad("INVALID_SEARCH_KEY", "Unknown searchKey %r; allowed: %s"
                           % (key, ", ".join(SEARCH_KEYS)))
            if key == "performedOn":
                key = "performedFor"                # the older name of the same key
            if key in self.terms:
                raise _bad("INVALID_SEARCH_KEY", "searchKey %r given twice" % key)
            if key in ("category", "subCategory") and not value.strip().isdigit():
                raise _bad("PATTERN_NOT_MATCHED", "%s takes a numeric code (see "
                                                  "mode=getConstants)" % key)
            self.terms[key] = value

    def key(self):
        terms = tuple(sorted(self.terms.items()))
        return terms + (("", self.status_search),) if "status" in self.terms else terms

    def matches(self, rec, meta):
        for key, value in self.terms.items():
            if key == "category":
                if int(value) != meta["category_code"]:
                    return False
            elif key == "subCategory":
                if int(value) != meta["sub_code"]:
                    return False
            elif key == "operationType":
                name = OPERATION_TYPES.get(int(value)) if value.isdigit() else value
                if rec["operationType"] != name:
                    return False
            elif key == "performedFor":
                if rec["performedOn"] != value:
                    return False
            elif key == "status":
                if self.status_search == "code":                            # [I]
                    if STATUS_CODES.get(value) != rec["status"]:
                        return False
                elif rec["status"].lower() != value.lower():                 # [I]
                    return False
            elif rec[key] != value:                 # performedBy, auditLogType
                return False
        return True


# ---------------------------------------------------------------- the vendor

class Vendor(emucore.VendorBase):
    name = "zoho_mail"
    default_records = 1200
    default_rate_limit_per_min = 30             # third-party claim [C-3p]
    secret_keys = ("access_token",)
    config_keys = {
        "zoid": Key("57047751", "str", doc="the organization id in the path"),
        "oauth_token": Key("zoho-test-oauth", "str",
                           doc="an access token that is always valid ('' = none)"),
        "token_ttl": Key(3600, minimum=1, doc="lifetime of minted access tokens (s)"),
        "client_id": Key("zoho-test-client", "str", doc="OAuth client id"),
        "client_secret": Key("zoho-test-secret", "str", doc="OAuth client secret"),
        "refresh_token": Key("zoho-test-refresh", "str", doc="the refresh token"),
        "refresh_limit": Key(10, minimum=0, doc="access tokens per window per refresh token"),
        "refresh_window_s": Key(600, minimum=1, doc="window of refresh_limit (s)"),
        "refresh_limit_status": Key(400, minimum=200, maximum=599,
                                    doc="status of the 'Access Denied' answer"),
        "token_error_status": Key(200, minimum=200, maximum=599,
                                  doc="status of invalid_client / invalid_code answers"),
        "rate_limit_status": Key(429, minimum=400, maximum=599,
                                 doc="status of the rate-limit answer (unknown publicly)"),
        "rate_limit_retry_after": Key(0, minimum=0,
                                      doc="Retry-After seconds on rate-limit answers (0 = none)"),
        "rate_limit_lock_s": Key(0, minimum=0,
                                 doc="after an excess, refuse everything for this long (s)"),
        "require_time": Key(1, minimum=0, maximum=1,
                            doc="1: startTime and endTime are mandatory"),
        "time_bounds": Key("inclusive", "choice", choices=("inclusive", "exclusive", "half_open"),
                           doc="startTime/endTime semantics (unknown publicly)"),
        "end_signal": Key("empty", "choice", choices=("empty", "short", "omit"),
                          doc="how the end of the records shows (unknown publicly)"),
        "short_pages": Key(0, minimum=0, maximum=1,
                           doc="1: some pages mid-stream have fewer than limit rows"),
        "strict_params": Key(1, minimum=0, maximum=1,
                             doc="1: unknown query parameters give 400 EXTRA_PARAM_FOUND"),
        "status_search": Key("text", "choice", choices=("text", "code"),
                             doc="searchKey status values: text (success/failure) or "
                                 "code (1/0; text matches nothing)"),
        "echo_secrets": Key(0, minimum=0, maximum=1,
                            doc="1 (hostile test mode, not Zoho's behaviour): token errors echo "
                                "the client_secret and refresh_token received, raw, URL-encoded "
                                "and base64, then CR LF and 1200 more characters"),
        "cursor_mode": Key("follow", "choice", choices=("follow", "ignore", "echo"),
                           doc="misbehaviour: 'ignore' the cursors sent (every request "
                               "gets the first page), or 'echo' them back unchanged on the "
                               "right next page"),
    }

    def __init__(self, server):
        super().__init__(server)
        self.records = []       # ascending by index time (so oldest first)
        self.meta = []          # parallel: codes used by the searchKey filter
        self.idx = []           # parallel: index times (int, 16 digits)
        self.by_idx = {}        # index time -> position
        self.cache = {}
        self.tokens = {}        # minted access token -> expiry (time.monotonic())
        self.locked_until = 0.0

    def on_reset(self):
        self.tokens = {}
        self.locked_until = 0.0

    # -- dataset ----------------------------------------------------------------

    def generate(self, rng, anchor, records):
        anchor_ms = int(anchor.timestamp()) * 1000
        starts, total = [], 0
        while total < records:
            starts.append(total)
            total += rng.randint(2, 6) if rng.random() < 0.25 else 1
        # newest-first positions 100, 200, ... fall inside a burst, so page
        # boundaries of limit 10/20/25/50/100/200 split one millisecond.  The
        # groups above are laid out newest first.
        forced = set(range(FORCED_BURST_EVERY, records, FORCED_BURST_EVERY))
        starts = [s for s in starts if s not in forced]
        sizes = [b - a for a, b in zip(starts, starts[1:] + [records])]
        offsets = rng.sample(range(1, SPAN_MS), len(sizes) - 1) if sizes else []
        instants = [anchor_ms] + sorted((anchor_ms - o for o in offsets), reverse=True)

        subs = list(SUBCATEGORIES)
        sub_w = [SUB_WEIGHTS[c] for c in subs]
        admin_w = [rng.uniform(0.3, 3.0) for _ in ADMINS]
        admin_ips = {a: [self._make_ip(rng) for _ in range(rng.randint(1, 3))] for a in ADMINS}
        admin_ips[ADMINS[0]][0] = "172.18.249.197"         # the sample's address
        admin_ips[ADMINS[1]][0] = "2001:db8::1"
        newest_first = []
        for size, ms in zip(sizes, instants):
            admin = rng.choices(ADMINS, admin_w)[0]
            ip = rng.choice(admin_ips[admin])
            seq = rng.randint(0, 9) + 3 * size          # highest first: newest first
            for _ in range(size):
                code = rng.choices(subs, sub_w)[0]
                rec, meta = self._make_record(rng, ms, admin, ip, code)
                meta["idx"] = ms * 1000 + seq
                meta["entity"] = "%d_%s@172.18.%d.%d" % (meta["idx"], rng.choice(SERVERS),
                                                         rng.randint(224, 255),
                                                         rng.randint(1, 254))
                seq -= rng.randint(1, 3)
                newest_first.append((rec, meta))
        newest_first.reverse()
        self.records = [r for r, _ in newest_first]
        self.meta = [m for _, m in newest_first]
        self.idx = [m["idx"] for m in self.meta]
        self.by_idx = {v: i for i, v in enumerate(self.idx)}
        self.cache = {}

    @staticmethod
    def _make_ip(rng):
        if rng.random() < 0.7:
            return rng.choice(["172.18.249.", "192.0.2.", "198.51.100.", "203.0.113."]) + \
                str(rng.randint(1, 254))
        return "2001:db8:%x::%x" % (rng.randint(1, 0xffff), rng.randint(1, 0xffff))

    @staticmethod
    def _make_record(rng, ms, admin, ip, code):
        cat_code, category, sub, ops, target = SUBCATEGORIES[code]
        operation, op_type = rng.choice(ops)
        status = "failure" if rng.random() < 0.06 else "success"
        user = rng.choice(USERS)
        if target == "user":
            on = user[0]
            data = {"peopleInfo": {}, "emailId": on}
            if rng.random() < 0.5:
                data["peopleInfo"] = {"firstName": user[1], "lastName": user[2],
                                      "role": rng.choice(["member", "admin", "super admin"])}
            if sub == "ROLE_ASSIGNMENT":
                data["role"] = {"old": "member", "new": "admin"}
            elif sub == "USER_ALIAS":
                data["alias"] = on.split("@")[0] + ".alias@zylker.com"
            elif sub == "MAILBOX_EXPORT":
                data["export"] = {"format": "EML", "folders": ["Inbox", "Sent", "Entwürfe"]}
        elif target == "group":
            on = rng.choice(GROUPS)
            data = {"groupEmail": on, "members": [u[0] for u in rng.sample(USERS, 2)],
                    "settings": {"moderation": rng.choice([True, False]), "name": "Équipe, \"A\""}}
        elif target == "domain":
            on = rng.choice(DOMAINS)
            data = {"domainName": on, "verified": op_type != "ADD", "mx": {"priority": 10}}
        elif target == "sender":
            on = rng.choice(SENDERS)
            data = {"emailId": on, "reason": "Phishing, reported by 3 users"}
        elif target == "policy":
            on = "Default policy – Zylker"
            data = {"policyName": on, "changes": {"maxAttachmentMB": {"old": 20, "new": 35}}}
        else:
            on = ORG
            data = {"orgName": ORG,
                    "details": {"timeZone": "Asia/Kolkata", "language": "日本語"}}
            if sub == "ALLOWED_IPS":
                data["ipRange"] = {"from": "203.0.113.1", "to": "203.0.113.254"}
        if status == "failure":
            data["error"] = rng.choice(["Permission denied", 'Value "%s" is invalid' % on])
        text = json.dumps(data, ensure_ascii=rng.random() < 0.3, separators=(",", ":"))
        rec = {                             # key order of the doc's sample
            "subCategory": sub,
            "data": text,
            "type": "ADMIN",
            "requestTime": ms,
            "performedBy": admin,
            "auditLogType": "ORGADMIN_AUDIT",
            "clientIp": ip,
            "mainCategory": CATEGORIES[cat_code],
            "operationType": op_type,
            "performedOn": on,
            "category": category,
            "operation": operation,
            "status": status,
        }
        return rec, {"category_code": cat_code, "sub_code": code}

    # -- request pipeline -------------------------------------------------------

    def handle(self, req):
        try:
            if req.path == TOKEN_PATH:
                if req.method != "POST":
                    raise _error(404, "URL_RULE_NOT_CONFIGURED")
                return self._token(req)
            m = ACTIVITY_RE.match(req.path)
            if m is None or req.method not in ("GET", "HEAD"):
                raise _error(404, "URL_RULE_NOT_CONFIGURED")                 # [I]
            self._authenticate(req)
            self._rate_limit()
            zoid = m.group(1)
            if not zoid.isdigit():
                raise _bad("PATTERN_NOT_MATCHED", "zoid must be a number")
            if zoid != self.config["zoid"]:
                raise _error(404, "INVALID_ORGANIZATION",
                             "No organization with zoid %s for this user" % zoid)  # [I]
            self._check_params(req)
            mode = req.param("mode")
            if mode is not None:
                if mode != "getConstants":
                    raise _bad("PATTERN_NOT_MATCHED", "mode must be getConstants")
                return self._constants()
            return self._activity(req)
        except _Reply as r:
            return r.resp

    def fault_status_response(self, req, status):
        if req.path == TOKEN_PATH:
            return json_response(status, {"error": reason(status)})
        return _envelope(status, reason(status),
                         {"errorCode": reason(status).upper().replace(" ", "_")})

    def fault_rate_limit_response(self, req, retry_after):
        hdr = [("Retry-After", str(retry_after))] if retry_after > 0 else []
        return self._rate_limit_reply(hdr).resp

    def _rate_limit_reply(self, headers):
        status = self.config["rate_limit_status"]
        return _error(status, "TOO_MANY_REQUESTS",
                      "Too many requests. Please try again after some time.",
                      description=reason(status), headers=headers)                 # [I]

    def _rate_limit(self):
        cfg = self.config
        hdr = ([("Retry-After", str(cfg["rate_limit_retry_after"]))]
               if cfg["rate_limit_retry_after"] > 0 else [])
        now = time.monotonic()
        if now < self.locked_until:
            raise self._rate_limit_reply(hdr)
        allowed, _, _ = self.server.limiter("account").hit(cfg["rate_limit_per_min"])
        if not allowed:
            if cfg["rate_limit_lock_s"] > 0:
                self.locked_until = now + cfg["rate_limit_lock_s"]
            raise self._rate_limit_reply(hdr)

    def _authenticate(self, req):
        header = (req.headers.get("Authorization") or "").strip()
        if not header:
            raise _error(400, "INVALID_TICKET", "Invalid ticket")        # [C-3p] live probe
        scheme, _, token = header.partition(" ")
        token = token.strip()
        ok = False
        if scheme.lower() == "zoho-oauthtoken" and token:
            if token == self.config["oauth_token"]:
                ok = True
            else:
                expiry = self.tokens.get(token)
                ok = expiry is not None and time.monotonic() < expiry
        if not ok:
            raise _error(401, "INVALID_OAUTHTOKEN", description="Invalid Access")  # [C-3p]

    def _check_params(self, req):
        seen = set()
        for k, _ in req.query:
            if k in seen:
                raise _bad("MORE_THAN_MAX_OCCURANCE", "%s given more than once" % k)
            seen.add(k)
            if self.config["strict_params"] and k not in KNOWN_PARAMS:
                raise _bad("EXTRA_PARAM_FOUND", "Unknown parameter %s" % k)

    # -- token endpoint ---------------------------------------------------------

    def _token(self, req):
        cfg = self.config
        params = dict(req.query)
        ct = (req.headers.get("Content-Type") or "").lower()
        if req.body and ("x-www-form-urlencoded" in ct or not ct):
            params.update(req.form())
        err_status = cfg["token_error_status"]

        def error(code):
            if cfg["echo_secrets"]:
                # plus a forged log line and an overlong tail
                code += " (got %s)\r\nLOG:  forged line %s" % (
                    _echo_forms(params.get("client_secret", ""), params.get("refresh_token", "")),
                    "x" * 1200)
            return json_response(err_status, {"error": code})

        if params.get("grant_type") != "refresh_token":
            return error("unsupported_grant_type")
        if (params.get("client_id") != cfg["client_id"]
                or params.get("client_secret") != cfg["client_secret"]):
            return error("invalid_client")
        rt = params.get("refresh_token")
        if not rt or rt != cfg["refresh_token"]:
            return error("invalid_code")
        allowed, _, _ = self.server.limiter("refresh:" + rt, cfg["refresh_window_s"]) \
            .hit(cfg["refresh_limit"])
        if not allowed:
            return json_response(cfg["refresh_limit_status"], TOO_MANY_REFRESHES)
        now = time.monotonic()
        self.tokens = {t: e for t, e in self.tokens.items() if e > now}
        token = "1000.%s.%s" % (secrets.token_hex(16), secrets.token_hex(16))
        self.tokens[token] = now + cfg["token_ttl"]
        return json_response(200, {"access_token": token, "scope": SCOPE,
                                   "api_domain": API_DOMAIN, "token_type": "Bearer",
                                   "expires_in": cfg["token_ttl"]})

    # -- the endpoint -----------------------------------------------------------

    def _constants(self):
        return _envelope(200, "success", {
            "category": {str(k): v for k, v in CATEGORIES.items()},
            "subCategory": {str(k): v[2] for k, v in SUBCATEGORIES.items()},
            "operationType": {str(k): v for k, v in OPERATION_TYPES.items()},
        })

    @staticmethod
    def _value(req, name):
        v = req.param(name)
        return None if v is None or v == "" else v                          # [I] blank = absent

    def _ms(self, req, name):
        text = self._value(req, name)
        if text is None:
            if self.config["require_time"]:
                raise _bad("PATTERN_NOT_MATCHED", "%s is mandatory" % name)
            return None
        if not re.fullmatch(r"-?\d{1,18}", text.strip()):
            raise _bad("PATTERN_NOT_MATCHED", "%s must be epoch milliseconds" % name)
        return int(text)

    def _filtered(self, search):
        key = search.key()
        hit = self.cache.get(key)
        if hit is None:
            if not key:
                pos = list(range(len(self.records)))
            else:
                pos = [i for i, (r, m) in enumerate(zip(self.records, self.meta))
                       if search.matches(r, m)]
            hit = (pos, [self.records[i]["requestTime"] for i in pos])
            if len(self.cache) >= 64:
                self.cache.clear()
            self.cache[key] = hit
        return hit

    def _activity(self, req):
        cfg = self.config
        limit_text = self._value(req, "limit")
        if limit_text is None:
            limit = DEFAULT_LIMIT
        else:
            if not re.fullmatch(r"-?\d{1,9}", limit_text.strip()):
                raise _bad("PATTERN_NOT_MATCHED", "limit must be an integer from 1 to 200")
            limit = int(limit_text)
            if not 1 <= limit <= MAX_LIMIT:
                raise _bad("INVALID_LIMIT", "limit must be from 1 to %d" % MAX_LIMIT)   # [I]
        start_ms = self._ms(req, "startTime")
        end_ms = self._ms(req, "endTime")
        if start_ms is not None and end_ms is not None and start_ms > end_ms:
            raise _bad("INVALID_TIME_RANGE", "startTime must not be after endTime")  # [I]
        search = _Search(self._value(req, "searchKey"), self.config["status_search"])

        last_idx_text = self._value(req, "lastIndexTime")
        last_entity = self._value(req, "lastEntityId")
        cursor = None
        if cfg["cursor_mode"] == "ignore":
            last_idx_text = last_entity = None
        if last_idx_text is not None or last_entity is not None:
            pos = None
            if last_idx_text is not None and re.fullmatch(r"\d{16}", last_idx_text):
                pos = self.by_idx.get(int(last_idx_text))
            if pos is None or last_entity != self.meta[pos]["entity"]:
                raise _bad("INVALID_CURSOR", "lastIndexTime and lastEntityId must be the "
                                             "values of the previous response")      # [I]
            cursor = int(last_idx_text)

        positions, times = self._filtered(search)
        bounds = cfg["time_bounds"]
        lo, hi = 0, len(positions)
        if start_ms is not None:
            lo = (bisect.bisect_right(times, start_ms) if bounds == "exclusive"
                  else bisect.bisect_left(times, start_ms))
        if end_ms is not None:
            hi = (bisect.bisect_right(times, end_ms) if bounds == "inclusive"
                  else bisect.bisect_left(times, end_ms))
        if cursor is not None:
            # rows strictly older than the cursor row, newest first
            k = bisect.bisect_left(positions, self.by_idx[cursor])
            hi = min(hi, k)
        remaining = max(0, hi - lo)

        take = min(limit, remaining)
        if (cfg["short_pages"] and limit > 1 and remaining > limit
                and self.idx[positions[hi - 1]] % 3 == 0):
            take = max(1, limit // 2)           # a short page that is not the end
        rows = [positions[hi - 1 - i] for i in range(take)]
        is_last = take == remaining

        data = {}
        signal = cfg["end_signal"]
        if rows and not (is_last and signal == "short"):
            data["lastIndexTime"] = "%d" % self.idx[rows[-1]]
        data["audit"] = [self.records[i] for i in rows]
        if rows and not (is_last and signal == "short"):
            data["lastEntityId"] = self.meta[rows[-1]]["entity"]
        if rows and cursor is not None and cfg["cursor_mode"] == "echo":
            data["lastIndexTime"], data["lastEntityId"] = last_idx_text, last_entity
        if not rows and cursor is not None and signal == "omit":
            # no explicit end marker: the cursors sent come back unchanged
            data = {"lastIndexTime": last_idx_text, "audit": [], "lastEntityId": last_entity}
        return _envelope(200, "success", data)


def dump(state):
    """The whole dataset (the `/_emu/dump` hook), newest first as the API
    pages it, each record as the API returns it."""
    return list(reversed(state.records))
