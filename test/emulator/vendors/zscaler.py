"""Zscaler Internet Access (ZIA) admin audit-log report (vendors.md section 1, section 6).

Endpoints, at the root of the emulator port as on https://zsapi.<cloud>; the
same API is also served under /zia/api/v1 (the OneAPI gateway prefix):
  POST   /api/v1/authenticatedSession           legacy login: obfuscated API key
  GET    /api/v1/authenticatedSession           session info (no authType once expired)
  DELETE /api/v1/authenticatedSession           logout
  POST   /oauth2/v1/token                       OneAPI (ZIdentity) client credentials
  POST   /api/v1/auditlogEntryReport            start a report: 204, one slot per tenant
  GET    /api/v1/auditlogEntryReport            TaskInfo of the report in the slot
  DELETE /api/v1/auditlogEntryReport            cancel / discard the report
  GET    /api/v1/auditlogEntryReport/download   text/csv of the COMPLETE report

Request pipeline for the API paths: route (404 / 405) -> authenticate
(JSESSIONID cookie or OneAPI Bearer; 401 SESSION_NOT_VALID) -> per-resource
rate limits (429 JSON + Retry-After) -> maintenance mode (403 STATE_READONLY,
report POST only) -> Content-Type (415) -> body validation (400) -> endpoint.

Reports are asynchronous: the POST snapshots the matching rows and stores the
time at which the report finishes; every poll computes the state from the
clock (hooks run under the server lock and never sleep).

Choices where the public docs are silent are marked [I] and listed in
README.md.
"""

import base64
import binascii
import bisect
import datetime
import ipaddress
import json
import re
import secrets
import time
import urllib.parse
import zoneinfo

import emucore
from emucore import Key, json_response, empty_response, reason, Response

DAY = 86400
SPAN_SECONDS = 180 * DAY            # the dataset covers the 180 days before the anchor
AUDIENCE = "https://api.zscaler.com"

API_RE = re.compile(r"^(?:/zia)?/api/v1(/.*)$")
TOKEN_PATH = "/oauth2/v1/token"

# ---------------------------------------------------------------- enums and UI labels
#
# The CSV shows UI labels; the AuditLogEntryRequest filters take enum names.
# Action enums are the documented codes; category / sub-category enum
# spellings are not public, so these are the emulator's own [I].

ACTION_LABELS = {
    "ACTIVATE": "Activate", "ALERT": "Alert", "AUDIT_OPERATION": "Audit Operation",
    "AUTO_IR": "Auto IR", "CHANGE_DEPLOYED_PAC_VERSION": "Change Deployed PAC Version",
    "CONTAIN_DEVICE": "Contain Device", "CREATE": "Create",
    "CREATE_NEW_PAC_VERSION": "Create New PAC Version", "DELETE": "Delete",
    "DELETE_PAC": "Delete PAC", "DELETE_PAC_VERSION": "Delete PAC Version",
    "DOWNLOAD": "Download", "FORCED_ACTIVATE": "Forced Activate", "IMPORT": "Import",
    "ISOLATE": "Isolate", "KILL_CURRENT_EXECUTION": "Kill Current Execution", "PATCH": "Patch",
    "QUARANTINE": "Quarantine", "REMEDIATE": "Remediate", "REPORT": "Report",
    "SIGN_IN": "Sign In", "SIGN_OUT": "Sign Out", "STAGE_PAC_VERSION": "Stage PAC Version",
    "UPDATE": "Update",
}
# Labels of result and interface depend on the layout: the downloaded
# report (a public SDK's fixture, vendors.md section 1.5) writes "Successful"
# and "UI"; the failure label is not in that fixture ("Failed" [I]).  The
# older layouts keep the labels of the help pages ("Success", "Admin UI").
RESULT_LABELS = {"SUCCESS": "Success", "FAILURE": "Failure"}
INTERFACE_LABELS = {"UI": "Admin UI", "API": "API"}
REPORT_RESULT_LABELS = {"SUCCESS": "Successful", "FAILURE": "Failed"}       # Failed: [I]
REPORT_INTERFACE_LABELS = {"UI": "UI", "API": "API"}

# category enum -> (label, [(sub-category enum, label)])                  [I]
CATEGORIES = {
    "ACCESS_CONTROL": ("Access Control", [
        ("URL_FILTERING_POLICY", "URL Filtering Policy"),
        ("CLOUD_APP_CONTROL", "Cloud App Control"),
        ("FILE_TYPE_CONTROL", "File Type Control"),
        ("BANDWIDTH_CONTROL", "Bandwidth Control")]),
    "FIREWALL_POLICY": ("Firewall Policy", [
        ("FIREWALL_FILTERING_RULE", "Firewall Filtering Rule"),
        ("NAT_CONTROL", "NAT Control"),
        ("DNS_CONTROL", "DNS Control"),
        ("IPS_CONTROL", "IPS Control")]),
    "SECURITY": ("Security", [
        ("MALWARE_PROTECTION", "Malware Protection"),
        ("ADVANCED_THREAT_PROTECTION", "Advanced Threat Protection"),
        ("SANDBOX", "Sandbox")]),
    "DATA_LOSS_PREVENTION": ("Data Loss Prevention", [
        ("DLP_POLICY_RULE", "DLP Policy Rule"),
        ("DLP_DICTIONARY", "DLP Dictionaries & Engines")]),
    "ADMINISTRATION": ("Administration", [
        ("ADMIN_MANAGEMENT", "Admin Management"),
        ("ROLE_MANAGEMENT", "Role Management"),
        ("API_KEY_MANAGEMENT", "API Key Management"),
        ("AUDIT_LOGS", "Audit Logs")]),
    "TRAFFIC_FORWARDING": ("Traffic Forwarding", [
        ("LOCATIONS", "Locations"),
        ("PAC_FILES", "PAC Files"),
        ("VPN_CREDENTIALS", "VPN Credentials")]),
    "LOGIN": ("Login", [("LOGIN", "Login")]),
    "ACTIVATION": ("Activation", [("ACTIVATION", "Activation")]),
}
CATEGORY_LABELS = {k: v[0] for k, v in CATEGORIES.items()}
SUBCATEGORY_LABELS = {s: l for _, subs in CATEGORIES.values() for s, l in subs}
SUBCATEGORY_PARENT = {s: c for c, (_, subs) in CATEGORIES.items() for s, _ in subs}
POLICY_CATEGORIES = ["ACCESS_CONTROL", "FIREWALL_POLICY", "SECURITY", "DATA_LOSS_PREVENTION",
                     "ADMINISTRATION", "TRAFFIC_FORWARDING"]

# csv_style=report (the default): the SDK fixture's header; "Trace ID" is
# appended with csv_trace_id=1 [I]
REPORT_HEADER = ["Time", "User", "Action", "AA in Cloud", "Result", "Client IP", "Interface",
                 "Category", "Subcategory", "Resource", "Pre Action", "Post Action"]
UI_HEADER = ["Time", "Action", "Category", "Sub-Category", "Resource", "Admin ID", "Client IP",
             "Interface", "Trace ID", "Result", "Pre Action", "Post Action"]
PLAIN_HEADER = ["Timestamp", "Admin ID", "Action", "Result", "Client IP", "Interface",
                "Category", "Subcategory", "Resource", "Pre-Action", "Post-Action", "Trace ID"]
UI_TITLE = "Admin Audit Logs Report"

MONTHS_SHORT = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                "Dec"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]

NOT_ACCEPTABLE_HTML = (
    "<!doctype html><html lang=\"en\"><head><title>HTTP Status 406 \u2013 Not Acceptable"
    "</title></head><body><h1>HTTP Status 406 \u2013 Not Acceptable</h1><hr/><p><b>Type</b> "
    "Status Report</p><p><b>Description</b> The target resource does not have a current "
    "representation that would be acceptable to the user agent, according to the proactive "
    "negotiation header fields received in the request, and the server is unwilling to "
    "supply a default representation.</p></body></html>")

# ---------------------------------------------------------------- dataset material

ADMINS = [
    # (login id, interface weights UI:API)
    ("admin@example.com", 0.3),
    ("josé.müller@example.com", 0.1),
    ("zoë.ødegaard@example.com", 0.0),
    ("李小龙@example.cn", 0.0),
    ("siobhán.o'connor@example.ie", 0.1),
    ('"ops, team"@example.com', 0.2),
    ("security-ops@example.com", 0.4),
    ("netadmin@example.com", 0.2),
    ("auditor@example.com", 0.0),
    ("oauth-apirole$@8061246.zscalerthree.net", 1.0),
    ("zia-terraform@example.com", 1.0),
]
RESOURCES = {
    "URL_FILTERING_POLICY": ['Block "social" media, tier 1', "Allow Office 365",
                             "Caution: Streaming – HD video", "Default URL Filtering Rule"],
    "CLOUD_APP_CONTROL": ["Webmail, read-only", "Dropbox \"personal\" uploads",
                          "ChatGPT – block uploads"],
    "FILE_TYPE_CONTROL": ["Block .exe, .msi and .dmg", "Allow PDF"],
    "BANDWIDTH_CONTROL": ["Video, 20% max", "Updates (Windows, macOS)"],
    "FIREWALL_FILTERING_RULE": ["Default Firewall Filtering Rule", "Block SMB, RDP outbound",
                                "Allow \"DNS\" to 10.0.0.53", "Zürich office – allow all"],
    "NAT_CONTROL": ["DNAT 203.0.113.10:443 → 10.1.1.10"],
    "DNS_CONTROL": ["Block DoH, DoT", "Tunnel \"ddns\" resolvers"],
    "IPS_CONTROL": ["Default Cloud IPS Rule", "Log only, São Paulo"],
    "MALWARE_PROTECTION": ["Malware Policy"],
    "ADVANCED_THREAT_PROTECTION": ["ATP Policy, suspicious destinations"],
    "SANDBOX": ["Default BA Rule", "Quarantine \"first-time\" files"],
    "DLP_POLICY_RULE": ["PCI, block & notify", "Source code \"egress\""],
    "DLP_DICTIONARY": ["Credit Cards", "Social Security Numbers (US)"],
    "ADMIN_MANAGEMENT": ["josé.müller@example.com", "auditor@example.com",
                         "Admin, Read-Only \"Audit\""],
    "ROLE_MANAGEMENT": ["Super Admin", "Auditor, read only", "Helpdesk – Tier 1"],
    "API_KEY_MANAGEMENT": ["API key 7", "OneAPI client \"siem\""],
    "AUDIT_LOGS": ["Admin Audit Logs Report"],
    "LOCATIONS": ["HQ, New York", "Zürich", "São Paulo – branch 12", "東京オフィス"],
    "PAC_FILES": ["proxy.pac", "Default \"kerberos\" PAC"],
    "VPN_CREDENTIALS": ["hq-fw@example.com", "branch12@example.com"],
}
ACTIONS_WEIGHTED = [("UPDATE", 30), ("CREATE", 14), ("DELETE", 8), ("SIGN_IN", 16),
                    ("SIGN_OUT", 10), ("ACTIVATE", 9), ("FORCED_ACTIVATE", 1), ("DOWNLOAD", 3),
                    ("IMPORT", 2), ("PATCH", 4), ("AUDIT_OPERATION", 3)]
EDIT_ACTIONS = ("UPDATE", "CREATE", "DELETE", "IMPORT", "PATCH")
DESCRIPTIONS = ["", "Quarterly review, ticket #4711", "Requested by Jürgen, see \"CHG-1234\"",
                "Temporary exception – remove after 2026-12-01", "Line one\nLine two, \"quoted\""]


class _Reply(Exception):
    """Raised inside a handler to answer at once with `resp`."""

    def __init__(self, resp):
        super().__init__(resp.status)
        self.resp = resp


def _error(status, code, message, headers=None):
    return _Reply(json_response(status, {"code": code, "message": message}, headers))


class _ZoneKey(Key):
    """A time-zone name that zoneinfo knows."""

    def parse(self, text):
        try:
            zoneinfo.ZoneInfo(text)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown time zone (expected e.g. UTC or America/Los_Angeles)") \
                from None
        return text


class _ApiKeyKey(Key):
    """The ZIA API key: alphanumeric, at least 12 characters (the obfuscation
    indexes key[d + 2] for d up to 9)."""

    def parse(self, text):
        if len(text) < 12 or not text.isascii() or not text.isalnum():
            raise ValueError("expected at least 12 ASCII letters or digits")
        return text


# ---------------------------------------------------------------- helpers

def obfuscate_api_key(api_key, timestamp):
    """vendors.md section 1.2 item 5: n = last 6 digits of the ms timestamp,
    r = int(n) >> 1 zero-padded to 6 digits; key[d] for each digit of n, then
    key[d + 2] for each digit of r."""
    n = str(timestamp)[-6:]
    r = str(int(n) >> 1).zfill(6)
    return "".join(api_key[int(d)] for d in n) + "".join(api_key[int(d) + 2] for d in r)


def csv_line(fields, end):
    """One RFC 4180 record: fields holding , " CR or LF are quoted, quotes doubled."""
    out = []
    for f in fields:
        f = "" if f is None else str(f)
        if any(c in f for c in ',"\r\n'):
            f = '"' + f.replace('"', '""') + '"'
        out.append(f)
    return ",".join(out) + end


def format_time(epoch, zone, style):
    """Epoch seconds -> report time text in `zone` (a ZoneInfo)."""
    dt = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).astimezone(zone)
    if style == "plain":
        return "%04d-%02d-%02d %02d:%02d:%02d" % (dt.year, dt.month, dt.day, dt.hour,
                                                  dt.minute, dt.second)
    if style == "iso":
        off = dt.utcoffset() or datetime.timedelta(0)
        if off == datetime.timedelta(0):
            suffix = "Z"
        else:
            mins = int(off.total_seconds()) // 60
            sign = "+" if mins >= 0 else "-"
            suffix = "%s%02d:%02d" % (sign, abs(mins) // 60, abs(mins) % 60)
        return "%04d-%02d-%02dT%02d:%02d:%02d%s" % (dt.year, dt.month, dt.day, dt.hour,
                                                    dt.minute, dt.second, suffix)
    if style == "report":
        # "31 Dec 2021 23:59:59, AEST": the zone's abbreviation on that date
        return "%02d %s %04d %02d:%02d:%02d, %s" % (dt.day, MONTHS_SHORT[dt.month - 1], dt.year,
                                                    dt.hour, dt.minute, dt.second, dt.tzname())
    h12 = dt.hour % 12 or 12
    ampm = "AM" if dt.hour < 12 else "PM"
    if style == "us":
        return "%02d/%02d/%04d %02d:%02d:%02d %s" % (dt.month, dt.day, dt.year, h12, dt.minute,
                                                     dt.second, ampm)
    # long: "November 23, 2026 10:00:00 AM PST"
    return "%s %d, %04d %02d:%02d:%02d %s %s" % (MONTHS[dt.month - 1], dt.day, dt.year, h12,
                                                 dt.minute, dt.second, ampm, dt.tzname())


def accepts_csv(accept):
    """True unless the Accept header rules out text/csv (e.g. only application/json)."""
    if not accept or not accept.strip():
        return True
    for item in accept.split(","):
        mtype, _, params = item.strip().partition(";")
        mtype = mtype.strip().lower()
        q = 1.0
        for p in params.split(";"):
            name, _, val = p.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(val)
                except ValueError:
                    q = 0.0
        if q > 0 and mtype in ("text/csv", "text/*", "*/*"):
            return True
    return False


def _is_json(req):
    return (req.headers.get("Content-Type") or "").split(";")[0].strip().lower() \
        == "application/json"


# ---------------------------------------------------------------- the vendor

class Vendor(emucore.VendorBase):
    name = "zscaler"
    default_records = 3000
    default_rate_limit_per_min = 0      # ZIA limits per resource, see the keys below
    config_keys = {
        # legacy session login
        "api_key": _ApiKeyKey("ZiaTestKey2026xyz", "str",
                              doc="ZIA API key (obfuscated by the client)"),
        "username": Key("admin@example.com", "str", doc="admin login (case-insensitive)"),
        "password": Key("zia-test-password", "str", doc="admin password"),
        "login_skew_s": Key(7200, minimum=0, doc="allowed |timestamp - now| of a login"),
        "session_idle_s": Key(300, minimum=1, doc="JSESSIONID expires after this idle time"),
        # OneAPI
        "client_id": Key("zia-test-client", "str", doc="OneAPI client id"),
        "client_secret": Key("zia-test-secret", "str", doc="OneAPI client secret"),
        "token_ttl_s": Key(3600, minimum=1, doc="expires_in of OneAPI tokens"),
        # report lifecycle
        "report_delay_ms": Key(1500, minimum=0, doc="time from POST until COMPLETE"),
        "pending_status": Key("EXECUTING", "str", doc="TaskInfo.status while running [I]"),
        "fail_reports": Key(0, minimum=0, doc="every k-th report ends ERRORED (0 = never)"),
        "long_range": Key("reject", "choice", choices=("reject", "truncate", "truncate_end"),
                          doc="range above max_range_ms: 400, keep the newest part, or "
                              "keep the oldest part"),
        "max_range_ms": Key(31 * DAY * 1000 - 1, minimum=0,
                            doc="largest endTime - startTime (31 days, inclusive end)"),
        "row_cap": Key(1000, minimum=1, doc="rows per report"),
        "cap_keeps": Key("newest", "choice", choices=("newest", "oldest"),
                         doc="which rows a capped report keeps [I]"),
        "retention_days": Key(183, minimum=1, doc="rows older than anchor - this do not exist"),
        "search_match": Key("prefix", "choice", choices=("prefix", "exact"),
                            doc="clientIP / adminName / objectName matching [I]"),
        # rate limits and maintenance
        "post_per_min": Key(10, minimum=0, doc="POST /auditlogEntryReport per minute (0 = off)"),
        "post_per_hour": Key(40, minimum=0, doc="POST /auditlogEntryReport per hour (0 = off)"),
        "req_per_sec": Key(2, minimum=0, doc="every other resource+method, per second"),
        "req_per_hour": Key(1000, minimum=0, doc="every other resource+method, per hour"),
        "read_only": Key(0, minimum=0, maximum=1, doc="maintenance: report POST gets 403"),
        # CSV
        "csv_style": Key("report", "choice", choices=("report", "ui", "plain"),
                         doc="report: the SDK fixture's layout; ui: the emulator's older "
                             "preamble + UI header + footer; plain: header on line 1"),
        "csv_trace_id": Key(0, minimum=0, maximum=1,
                            doc="report style: append a Trace ID column [I]"),
        "csv_extra_fields": Key(1, minimum=0, maximum=5,
                                doc="empty fields after the last column of each data row "
                                    "(the fixture's trailing comma)"),
        "csv_extra_value": Key("", "str",
                               doc="text of those extra fields (for testing a client's "
                                   "refusal of values without a column)"),
        "cloud": Key("zscaler.net", "str", doc="the tenant's cloud (AA in Cloud)"),
        "csv_footer": Key(1, minimum=0, maximum=1, doc="ui style: trailing 'Total: N' line"),
        "csv_order": Key("desc", "choice", choices=("desc", "asc"), doc="row order [I]"),
        "csv_line_end": Key("crlf", "choice", choices=("crlf", "lf"), doc="record separator"),
        "csv_bom": Key(0, minimum=0, maximum=1, doc="start the CSV with a UTF-8 BOM"),
        "profile_time_zone": _ZoneKey("UTC", "str",
                                      doc="zone of CSV times (the admin's My Profile zone)"),
        "time_format": Key("report", "choice", choices=("report", "plain", "iso", "us", "long"),
                           doc="format of CSV times"),
        # dataset shape
        "burst_second_rows": Key(40, minimum=0, regenerate=True,
                                 doc="rows in each of the three burst seconds"),
        "hot_second_rows": Key(0, minimum=0, maximum=1000000, regenerate=True,
                               doc="extra rows all in one second (anchor - 9 d 12 h)"),
    }

    def __init__(self, server):
        super().__init__(server)
        self.rows = []          # dicts, ascending by (t, seq)
        self.times = []         # t of each row, for bisect
        self.sessions = {}      # JSESSIONID -> monotonic time of last use
        self.tokens = {}        # OneAPI access token -> monotonic expiry
        self.report = None      # the tenant's one report slot
        self.reports_made = 0
        self.fail_seen = None   # fail_reports value the count refers to

    # -- dataset ----------------------------------------------------------------

    def generate(self, rng, anchor, records):
        a = int(anchor.timestamp())
        cfg = self.config
        admins = self._make_admins(rng)

        # two dense UTC days (>1000 rows each at the default size), three burst
        # seconds of burst_second_rows rows, the rest spread over 180 days
        dense = records * 37 // 100 if records >= 200 else 0
        bsr = cfg["burst_second_rows"]
        bursts = 3 * bsr if records - 2 * dense > 3 * bsr else 0
        normal = records - 2 * dense - bursts
        groups = []             # (second, size)

        def spread(count, lo, hi):
            out, total = [], 0
            while total < count:
                size = rng.randint(2, 6) if rng.random() < 0.3 else 1
                size = min(size, count - total)
                out.append((rng.randrange(lo, hi), size))
                total += size
            return out

        day1 = (a - 12 * DAY) // DAY * DAY
        day2 = (a - 45 * DAY) // DAY * DAY
        for day in (day1, day2):
            if dense:
                groups += spread(dense, day + 8 * 3600, day + 18 * 3600)
        if bursts:
            for sec in (day1 + 10 * 3600 + 15 * 60, a - 100 * DAY - 3 * 3600 - 17 * 60,
                        a - 2 * DAY - 5 * 3600):
                groups.append((sec, bsr))
        if normal:
            ngroups = spread(normal, 0, 1)
            offsets = rng.sample(range(1, SPAN_SECONDS), len(ngroups) - 1)
            secs = [a - o for o in offsets] + [a]
            groups += [(s, size) for s, (_, size) in zip(secs, ngroups)]
        if cfg["hot_second_rows"]:
            groups.append((a - 9 * DAY - 12 * 3600, cfg["hot_second_rows"]))
        groups.sort(key=lambda g: g[0])

        rows, seq = [], 0
        for sec, size in groups:
            admin = rng.choice(admins)
            iface = "API" if rng.random() < admin["api"] else "UI"
            ip = rng.choice(admin["ips"])
            trace = self._trace_id(rng) if iface == "API" else ""
            prev = None
            for _ in range(size):
                seq += 1
                if prev is not None and rng.random() < 0.15:
                    row = dict(prev, seq=seq)           # an identical full row
                else:
                    row = self._make_row(rng, sec, seq, admin["id"], iface, ip, trace)
                rows.append(row)
                prev = row
        self.rows = rows
        self.times = [r["t"] for r in rows]

    def _make_admins(self, rng):
        out = []
        for login, api in ADMINS:
            ips = [self._make_ip(rng) for _ in range(rng.randint(1, 3))]
            out.append({"id": login, "api": api, "ips": ips})
        out[0]["ips"][0] = "2001:db8::1"
        return out

    @staticmethod
    def _make_ip(rng):
        r = rng.random()
        if r < 0.7:
            prefix = rng.choice(["192.0.2.", "198.51.100.", "203.0.113.", "10.20.30."])
            return prefix + str(rng.randint(1, 254))
        base = 0x20010DB8 << 96
        if r < 0.85:
            val = base | rng.randint(2, 0xFFFF)
        else:
            val = base | (rng.randint(1, 0xFFFF) << 80) | rng.randint(1, 0xFFFF)
        return ipaddress.IPv6Address(val).compressed

    @staticmethod
    def _trace_id(rng):
        h = "%032x" % rng.getrandbits(128)
        return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])

    def _make_row(self, rng, sec, seq, admin, iface, ip, trace):
        action = rng.choices([a for a, _ in ACTIONS_WEIGHTED],
                             [w for _, w in ACTIONS_WEIGHTED])[0]
        result = "FAILURE" if rng.random() < (0.12 if action == "SIGN_IN" else 0.03) \
            else "SUCCESS"
        pre = post = resource = ""
        if action in ("SIGN_IN", "SIGN_OUT"):
            cat, sub = "LOGIN", "LOGIN"
        elif action in ("ACTIVATE", "FORCED_ACTIVATE"):
            cat, sub = "ACTIVATION", "ACTIVATION"
        elif action in ("AUDIT_OPERATION", "DOWNLOAD") and rng.random() < 0.7:
            cat, sub = "ADMINISTRATION", "AUDIT_LOGS"
            resource = RESOURCES[sub][0]
        else:
            cat = rng.choice(POLICY_CATEGORIES)
            sub = rng.choice(CATEGORIES[cat][1])[0]
            resource = rng.choice(RESOURCES[sub])
            if action in EDIT_ACTIONS:
                pre, post = self._pre_post(rng, action, resource)
        return {"t": sec, "seq": seq, "action": action, "category": cat, "subcategory": sub,
                "resource": resource, "admin": admin, "client_ip": ip, "interface": iface,
                "trace_id": trace, "result": result, "pre": pre, "post": post}

    @staticmethod
    def _pre_post(rng, action, resource):
        obj = {"id": rng.randint(1000, 999999), "name": resource, "order": rng.randint(1, 40),
               "state": "ENABLED", "description": rng.choice(DESCRIPTIONS),
               "locations": rng.sample(["HQ, New York", "Zürich", "東京"], rng.randint(0, 2))}
        new = dict(obj)
        new["state"] = rng.choice(["ENABLED", "DISABLED"])
        new["order"] = obj["order"] + rng.randint(-3, 3)
        new["description"] = rng.choice(DESCRIPTIONS)
        pretty = rng.random() < 0.4             # multi-line JSON text

        def text(o):
            return json.dumps(o, ensure_ascii=False, indent=2 if pretty else None,
                              separators=None if pretty else (",", ":"))
        if action in ("CREATE", "IMPORT"):
            return "", text(new)
        if action == "DELETE":
            return text(obj), ""
        return text(obj), text(new)

    # -- request pipeline -------------------------------------------------------

    def on_reset(self):
        self.sessions = {}
        self.tokens = {}
        self.report = None
        self.reports_made = 0
        self.fail_seen = None

    def handle(self, req):
        try:
            if req.path == TOKEN_PATH:
                if req.method != "POST":
                    raise _error(405, "METHOD_NOT_ALLOWED", "Method not allowed",
                                 [("Allow", "POST")])
                return self._token(req)
            m = API_RE.match(req.path)
            sub = m.group(1) if m else None
            if sub == "/authenticatedSession":
                return self._session_endpoint(req)
            if sub in ("/auditlogEntryReport", "/auditlogEntryReport/download"):
                return self._report_endpoint(req, sub)
            raise _error(404, "RESOURCE_NOT_FOUND", "Resource not found")
        except _Reply as r:
            return r.resp

    def fault_status_response(self, req, status):
        return json_response(status, {"code": reason(status).upper().replace(" ", "_")
                                      .replace("-", "_"), "message": reason(status)})

    def fault_rate_limit_response(self, req, retry_after):
        cfg = self.config
        if req.method == "POST" and req.path.endswith("/auditlogEntryReport"):
            what = "%d/MINUTE" % (cfg["post_per_min"] or 10)
        else:
            what = "%d/SECOND" % (cfg["req_per_sec"] or 2)
        return self._rate_limit_429(what, retry_after)

    @staticmethod
    def _rate_limit_429(what, retry_after):
        return json_response(429, {"message": "Rate Limit (%s) exceeded" % what,
                                   "Retry-After": "%d seconds" % retry_after},
                             [("Retry-After", str(retry_after))])

    def _rate_limit(self, resource, method):
        """Per-resource, per-method sliding windows (vendors.md section 1.6).
        A refused request takes no slot in any window."""
        cfg = self.config
        if resource == "report" and method == "POST":
            windows = [(cfg["post_per_min"], 60, "MINUTE"), (cfg["post_per_hour"], 3600, "HOUR")]
        else:
            windows = [(cfg["req_per_sec"], 1, "SECOND"), (cfg["req_per_hour"], 3600, "HOUR")]
        windows = [(limit, window, unit, "%s:%s:%s" % (resource, method, unit))
                   for limit, window, unit in windows]
        # the common key: an optional account-wide limit over all these requests
        windows.append((cfg["rate_limit_per_min"], 60, "MINUTE", "account"))
        lims = []
        for limit, window, unit, name in windows:
            if limit <= 0:
                continue
            lim = self.server.limiter(name, window)
            remaining, _ = lim.peek(limit)
            if remaining == 0:
                _, _, retry = lim.hit(limit)
                raise _Reply(self._rate_limit_429("%d/%s" % (limit, unit), retry))
            lims.append((lim, limit))
        for lim, limit in lims:
            lim.hit(limit)

    def _authenticate(self, req):
        """-> "session", "bearer" or None.  A valid session's idle timer restarts."""
        scheme, _, cred = (req.headers.get("Authorization") or "").strip().partition(" ")
        cred = cred.strip()
        if scheme.lower() == "bearer" and cred:
            exp = self.tokens.get(cred)
            if exp is not None:
                if time.monotonic() < exp:
                    return "bearer"
                del self.tokens[cred]
        if self._valid_cookie(req) is not None:
            return "session"
        return None

    @staticmethod
    def _cookie_sessions(req):
        out = []
        for header in req.headers.get_all("Cookie") or []:
            for part in header.split(";"):
                name, sep, value = part.strip().partition("=")
                if sep and name.strip() == "JSESSIONID":
                    out.append(value.strip().strip('"'))
        return out

    def _require_auth(self, req):
        if self._authenticate(req) is None:
            raise _error(401, "SESSION_NOT_VALID", "Session is not valid")

    # -- authentication endpoints --------------------------------------------------

    def _session_endpoint(self, req):
        if req.method not in ("GET", "POST", "DELETE"):
            raise _error(405, "METHOD_NOT_ALLOWED", "Method not allowed",
                         [("Allow", "GET, POST, DELETE")])
        self._rate_limit("session", req.method)
        if req.method == "POST":
            return self._login(req)
        if req.method == "GET":
            sid = self._valid_cookie(req)
            if sid is None:                                               # [I]
                return json_response(200, {})
            return json_response(200, self._session_info())
        sid = self._valid_cookie(req)
        if sid is None:
            raise _error(401, "SESSION_NOT_VALID", "Session is not valid")
        del self.sessions[sid]
        return empty_response(204)                                        # [I]

    def _valid_cookie(self, req):
        """The JSESSIONID of a live session sent in Cookie (its idle timer
        restarts), or None.  Expired sessions are dropped."""
        now = time.monotonic()
        for sid in self._cookie_sessions(req):
            last = self.sessions.get(sid)
            if last is None:
                continue
            if now - last > self.config["session_idle_s"]:
                del self.sessions[sid]
                continue
            self.sessions[sid] = now
            return sid
        return None

    @staticmethod
    def _session_info():
        return {"authType": "ADMIN_LOGIN", "obfuscateApiKey": True, "passwordExpiryTime": 0,
                "passwordExpiryDays": 0}

    def _login(self, req):
        if not _is_json(req):
            raise _error(415, "UNSUPPORTED_MEDIA_TYPE",
                         "Content-Type must be application/json")
        try:
            body = req.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise _error(400, "INVALID_INPUT_ARGUMENT", "Request body is not valid JSON")
        cfg = self.config
        bad = _error(400, "INVALID_USERNAME_OR_PASSWORD", "Invalid email or password")
        ts = body.get("timestamp")
        if isinstance(ts, bool) or not isinstance(ts, (str, int)):
            raise bad
        ts = str(ts).strip()
        if not ts.isdigit() or len(ts) < 6:
            raise bad
        if abs(int(ts) - time.time() * 1000) > cfg["login_skew_s"] * 1000:
            raise bad                                                     # [I]
        user, pw, key = body.get("username"), body.get("password"), body.get("apiKey")
        if not (isinstance(user, str) and isinstance(pw, str) and isinstance(key, str)):
            raise bad
        if (user.strip().lower() != cfg["username"].lower() or pw != cfg["password"]
                or key != obfuscate_api_key(cfg["api_key"], ts)):
            raise bad
        sid = secrets.token_hex(16).upper()
        self.sessions[sid] = time.monotonic()
        return json_response(200, self._session_info(), [
            ("Set-Cookie", "JSESSIONID=%s; Path=/; Secure; HttpOnly" % sid)])

    def _token(self, req):
        """OneAPI client credentials (RFC 6749 error shapes)."""
        def oauth_error(status, error, desc, headers=None):
            return _Reply(json_response(status, {"error": error, "error_description": desc},
                                        headers))
        ctype = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            raise oauth_error(400, "invalid_request",
                              "Content-Type must be application/x-www-form-urlencoded")
        form = req.form()
        vals = {}
        for k, v in form:
            if k in vals:
                raise oauth_error(400, "invalid_request", "parameter %s repeated" % k)
            vals[k] = v
        if vals.get("grant_type") != "client_credentials":
            raise oauth_error(400, "unsupported_grant_type",
                              "grant_type must be client_credentials")
        cid, secret = vals.get("client_id"), vals.get("client_secret")
        scheme, _, cred = (req.headers.get("Authorization") or "").strip().partition(" ")
        if scheme.lower() == "basic":
            try:
                user, sep, pw = base64.b64decode(cred.strip(), validate=True) \
                    .decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                user, sep, pw = "", "", ""
            if sep:
                cid, secret = urllib.parse.unquote(user), urllib.parse.unquote(pw)
        cfg = self.config
        if cid != cfg["client_id"] or secret != cfg["client_secret"]:
            raise oauth_error(401, "invalid_client", "Client authentication failed",
                              [("WWW-Authenticate", 'Basic realm="zidentity"')])
        if vals.get("audience") != AUDIENCE:                              # [I]
            raise oauth_error(400, "invalid_request",
                              "audience is missing or invalid; expected %s" % AUDIENCE)
        token = secrets.token_urlsafe(32)
        ttl = cfg["token_ttl_s"]
        self.tokens[token] = time.monotonic() + ttl
        return json_response(200, {"access_token": token, "token_type": "Bearer",
                                   "expires_in": ttl}, [("Cache-Control", "no-store")])

    # -- report endpoints ------------------------------------------------------------

    def _report_endpoint(self, req, sub):
        download = sub.endswith("/download")
        allowed = ("GET",) if download else ("GET", "POST", "DELETE")
        if req.method not in allowed and not (req.method == "HEAD" and "GET" in allowed):
            raise _error(405, "METHOD_NOT_ALLOWED", "Method not allowed",
                         [("Allow", ", ".join(allowed))])
        self._require_auth(req)
        method = "GET" if req.method == "HEAD" else req.method
        self._rate_limit("download" if download else "report", method)
        if download:
            return self._download(req)
        if method == "POST":
            return self._create_report(req)
        if method == "DELETE":
            if self.report is None:
                raise _error(404, "RESOURCE_NOT_FOUND", "No Report to download")
            self.report = None
            return empty_response(200)
        if self.report is None:
            raise _error(404, "RESOURCE_NOT_FOUND", "No Report to download")
        return json_response(200, self._task_info(self.report))

    def _state(self, rep):
        """-> (status word, fraction done) computed from the clock."""
        now = time.monotonic()
        if now >= rep["ready_at"]:
            return ("ERRORED" if rep["failed"] else "COMPLETE"), 1.0
        span = rep["ready_at"] - rep["created"]
        frac = (now - rep["created"]) / span if span > 0 else 1.0
        return "PENDING", min(max(frac, 0.0), 1.0)

    def _task_info(self, rep):
        state, frac = self._state(rep)
        n = len(rep["rows"])
        if state == "PENDING":
            return {"status": self.config["pending_status"],
                    "progressItemsComplete": int(n * frac), "progressEndTime": 0}
        if state == "ERRORED":                                            # [I]
            return {"status": "ERRORED", "progressItemsComplete": n // 2,
                    "progressEndTime": rep["ready_ms"],
                    "errorMessage": "Failed to generate the audit log report",
                    "errorCode": "REPORT_GENERATION_FAILED"}
        return {"status": "COMPLETE", "progressItemsComplete": n,
                "progressEndTime": rep["ready_ms"]}

    @staticmethod
    def _int_field(body, name, required):
        v = body.get(name)
        if v is None:
            if required:
                raise _error(400, "INVALID_INPUT_ARGUMENT", "%s is required" % name)
            return None
        if isinstance(v, bool):
            v = None
        elif isinstance(v, str) and re.fullmatch(r"-?\d+", v.strip()):
            v = int(v)
        elif isinstance(v, float) and v.is_integer():
            v = int(v)
        if not isinstance(v, int):
            raise _error(400, "INVALID_INPUT_ARGUMENT", "%s must be an integer" % name)
        return v

    @staticmethod
    def _enum_field(body, name, allowed, many):
        v = body.get(name)
        if v is None or v == "" or v == []:
            return None
        vals = v if many else [v]
        if many and not isinstance(v, list):
            raise _error(400, "INVALID_INPUT_ARGUMENT", "%s must be an array" % name)
        for x in vals:
            if not isinstance(x, str) or x not in allowed:
                raise _error(400, "INVALID_INPUT_ARGUMENT",
                             "Invalid value %s for %s" % (json.dumps(x, ensure_ascii=False),
                                                          name))
        return frozenset(vals)

    @staticmethod
    def _str_field(body, name):
        v = body.get(name)
        if v is None or v == "":
            return None
        if not isinstance(v, str):
            raise _error(400, "INVALID_INPUT_ARGUMENT", "%s must be a string" % name)
        return v

    def _create_report(self, req):
        cfg = self.config
        if cfg["read_only"]:
            raise _error(403, "STATE_READONLY",
                         "The service is in read-only mode for maintenance. Please try "
                         "again later.", [("x-zscaler-mode", "read-only")])
        if not _is_json(req):
            raise _error(415, "UNSUPPORTED_MEDIA_TYPE",
                         "Content-Type must be application/json")
        try:
            body = req.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise _error(400, "INVALID_INPUT_ARGUMENT", "Request body is not valid JSON")
        start = self._int_field(body, "startTime", True)
        end = self._int_field(body, "endTime", True)
        for name in ("page", "pageSize", "targetOrgId"):                  # [I] ignored
            self._int_field(body, name, False)
        if start < 0 or end < 0 or start > end:
            raise _error(400, "INVALID_INPUT_ARGUMENT",
                         "startTime and endTime must be epoch milliseconds with "
                         "startTime <= endTime")
        if end - start > cfg["max_range_ms"]:
            if cfg["long_range"] == "reject":
                raise _error(400, "INVALID_INPUT_ARGUMENT",
                             "The time range cannot exceed 31 days")
            if cfg["long_range"] == "truncate":
                start = end - cfg["max_range_ms"]
            else:
                end = start + cfg["max_range_ms"]
        flt = {
            "actions": self._enum_field(body, "actionTypes", ACTION_LABELS, True),
            "category": self._enum_field(body, "category", CATEGORY_LABELS, False),
            "subcategories": self._enum_field(body, "subcategories", SUBCATEGORY_LABELS, True),
            "result": self._enum_field(body, "actionResult", RESULT_LABELS, False),
            "interface": self._enum_field(body, "actionInterface", INTERFACE_LABELS, False),
            "client_ip": self._str_field(body, "clientIP"),
            "admin": self._str_field(body, "adminName"),
            "resource": self._str_field(body, "objectName"),
            "trace_id": self._str_field(body, "traceId"),
        }
        rows = self._matching(start, end, flt)
        cap = cfg["row_cap"]
        if len(rows) > cap:
            rows = rows[-cap:] if cfg["cap_keeps"] == "newest" else rows[:cap]

        if self.fail_seen != cfg["fail_reports"]:
            self.fail_seen = cfg["fail_reports"]
            self.reports_made = 0
        self.reports_made += 1
        k = cfg["fail_reports"]
        now, wall_ms = time.monotonic(), int(time.time() * 1000)
        delay = cfg["report_delay_ms"]
        self.report = {                 # overwrites (cancels) the previous report
            "created": now, "ready_at": now + delay / 1000.0, "ready_ms": wall_ms + delay,
            "failed": bool(k) and self.reports_made % k == 0,
            "rows": rows, "start_ms": start, "end_ms": end,
        }
        return empty_response(204)

    def _matching(self, start_ms, end_ms, flt):
        """Rows with start_ms <= t*1000 <= end_ms that pass the filters, ascending."""
        oldest = int(emucore.resolve_anchor(self.config["anchor"]).timestamp()) \
            - self.config["retention_days"] * DAY
        lo_s = max(-(-start_ms // 1000), oldest)       # ceil(start / 1000)
        hi_s = end_ms // 1000
        if lo_s > hi_s:
            return []
        i = bisect.bisect_left(self.times, lo_s)
        j = bisect.bisect_right(self.times, hi_s)
        exact = self.config["search_match"] == "exact"

        def text_ok(want, have):
            return have == want if exact else have.startswith(want)

        out = []
        for r in self.rows[i:j]:
            if flt["actions"] is not None and r["action"] not in flt["actions"]:
                continue
            if flt["category"] is not None and r["category"] not in flt["category"]:
                continue
            if flt["subcategories"] is not None and r["subcategory"] not in flt["subcategories"]:
                continue
            if flt["result"] is not None and r["result"] not in flt["result"]:
                continue
            if flt["interface"] is not None and r["interface"] not in flt["interface"]:
                continue
            if flt["client_ip"] is not None and not text_ok(flt["client_ip"], r["client_ip"]):
                continue
            if flt["admin"] is not None and not text_ok(flt["admin"], r["admin"]):
                continue
            if flt["resource"] is not None and not text_ok(flt["resource"], r["resource"]):
                continue
            if flt["trace_id"] is not None and r["trace_id"] != flt["trace_id"]:
                continue
            out.append(r)
        return out

    def _download(self, req):
        if not accepts_csv(req.headers.get("Accept")):
            return Response(406, NOT_ACCEPTABLE_HTML.encode("utf-8"), "text/html;charset=utf-8")
        rep = self.report
        if rep is None:
            raise _error(404, "RESOURCE_NOT_FOUND", "No Report to download")
        state, _ = self._state(rep)
        if state == "PENDING":                                            # [I]
            raise _error(409, "REPORT_NOT_READY", "The report is still being generated")
        if state == "ERRORED":                                            # [I]
            raise _error(404, "RESOURCE_NOT_FOUND", "No Report to download")
        body = self._render_csv(rep)
        return Response(200, body.encode("utf-8"), "text/csv;charset=UTF-8",
                        [("Content-Disposition", 'attachment; filename="AuditLogReport.csv"')])

    def _labels(self):
        """-> (result labels, interface labels) of the configured layout."""
        if self.config["csv_style"] == "report":
            return REPORT_RESULT_LABELS, REPORT_INTERFACE_LABELS
        return RESULT_LABELS, INTERFACE_LABELS

    def report_fields(self, r):
        """One record as {REPORT_HEADER name: text as the download writes it,
        with the current labels, time format and zone}, plus "Trace ID"."""
        cfg = self.config
        results, interfaces = self._labels()
        zone = zoneinfo.ZoneInfo(cfg["profile_time_zone"])
        return {"Time": format_time(r["t"], zone, cfg["time_format"]), "User": r["admin"],
                "Action": ACTION_LABELS[r["action"]], "AA in Cloud": cfg["cloud"],
                "Result": results[r["result"]], "Client IP": r["client_ip"],
                "Interface": interfaces[r["interface"]],
                "Category": CATEGORY_LABELS[r["category"]],
                "Subcategory": SUBCATEGORY_LABELS[r["subcategory"]], "Resource": r["resource"],
                "Pre Action": r["pre"], "Post Action": r["post"], "Trace ID": r["trace_id"]}

    def _render_csv(self, rep):
        cfg = self.config
        zone = zoneinfo.ZoneInfo(cfg["profile_time_zone"])
        fmt = cfg["time_format"]
        end = "\r\n" if cfg["csv_line_end"] == "crlf" else "\n"
        rows = rep["rows"] if cfg["csv_order"] == "asc" else list(reversed(rep["rows"]))
        extra = [cfg["csv_extra_value"]] * cfg["csv_extra_fields"]
        out = ["\ufeff"] if cfg["csv_bom"] else []
        style = cfg["csv_style"]
        if style == "report":
            # vendors.md section 1.5: the SDK fixture of a downloaded report
            def when(ms):
                return format_time(ms // 1000, zone, fmt)
            out.append(csv_line(["Administrator", cfg["username"]], end))
            out.append(csv_line(["Report Created", when(rep["ready_ms"])], end))
            out.append(csv_line(["Start Time", when(rep["start_ms"])], end))
            out.append(csv_line(["End Time", when(rep["end_ms"])], end))
            header = REPORT_HEADER + (["Trace ID"] if cfg["csv_trace_id"] else [])
            out.append(csv_line(header, end))
            for r in rows:
                f = self.report_fields(r)
                out.append(csv_line([f[h] for h in header] + extra, end))
        elif style == "ui":
            out.append(csv_line([UI_TITLE], end))
            out.append(csv_line(["Generated: " + format_time(rep["ready_ms"] // 1000, zone, fmt)],
                                end))
            out.append(csv_line(["Time Zone: " + cfg["profile_time_zone"]], end))
            out.append(csv_line(["Time Range: %s - %s" % (
                format_time(rep["start_ms"] // 1000, zone, fmt),
                format_time(rep["end_ms"] // 1000, zone, fmt))], end))
            out.append(end)
            out.append(csv_line(UI_HEADER, end))
            for r in rows:
                f = self.report_fields(r)
                out.append(csv_line([
                    f["Time"], f["Action"], f["Category"], f["Subcategory"], f["Resource"],
                    f["User"], f["Client IP"], f["Interface"], f["Trace ID"], f["Result"],
                    f["Pre Action"], f["Post Action"]] + extra, end))
            if cfg["csv_footer"]:
                out.append(csv_line(["Total: %d" % len(rows)], end))
        else:
            out.append(csv_line(PLAIN_HEADER, end))
            for r in rows:
                f = self.report_fields(r)
                out.append(csv_line([
                    f["Time"], f["User"], f["Action"], f["Result"], f["Client IP"],
                    f["Interface"], f["Category"], f["Subcategory"], f["Resource"],
                    f["Pre Action"], f["Post Action"], f["Trace ID"]] + extra, end))
        return "".join(out)


def dump(vendor):
    """/_emu/dump: every record of the dataset inside the retention, oldest
    first, keyed by the default layout's header names (plus "Trace ID"),
    values as the download would write them now, and "_epoch_ms" the exact
    instant."""
    oldest = int(emucore.resolve_anchor(vendor.config["anchor"]).timestamp()) \
        - vendor.config["retention_days"] * DAY
    out = []
    for r in vendor.rows[bisect.bisect_left(vendor.times, oldest):]:
        f = vendor.report_fields(r)
        f["_epoch_ms"] = r["t"] * 1000
        out.append(f)
    return out
