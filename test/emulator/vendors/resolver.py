"""Resolver Core "User Audit Trail" export (vendors.md section 5, section 6).

Endpoints, at the root of the emulator port as on https://<env>.resolver.com:
  POST /audit/user/export   {"dateStart": n, "dateEnd": n} -> the job id
  GET  /object/job/{id}     job object; signedURL once the export is ready
  GET  /signed/<token>/...  the presigned CSV download (object-store style:
                            no Resolver auth, and an Authorization header is
                            refused like S3 does)

API pipeline: route (404) -> authenticate (no Authorization: 403, wrong
token: 401) -> optional rate limit (429) -> endpoint.  The signed URL has
its own checks and answers errors as S3 XML.

The export snapshots the matching rows when it is created and becomes ready
job_delay_ms later; every poll computes the state from the clock (hooks run
under the server lock and never sleep).

Choices where the public docs are silent are marked [I] and listed in
README.md.
"""

import datetime
import hashlib
import hmac
import ipaddress
import re
import secrets
import time
import urllib.parse

import emucore
from emucore import Key, json_response, reason, Response

DAY = 86400
SPAN_SECONDS = 30 * DAY         # the dataset covers the 30 days before the anchor

EXPORT_PATH = "/audit/user/export"
JOB_RE = re.compile(r"^/object/job/([^/]+)$")
SIGNED_RE = re.compile(r"^/signed/([A-Za-z0-9_-]+)(?:/[^/]*)?$")

# CSV column name -> row field.  Names are compared ignoring case, spaces,
# hyphens and underscores; a configured column that is not here is emitted
# empty (an extra column the client must tolerate).
COLUMN_FIELDS = {
    "dateandtime": "time", "event": "event", "subject": "subject",
    "subjecttype": "subject_type", "performedby": "performed_by",
    "externalreferenceid": "external_ref", "ipaddress": "ip", "details": "details",
}
DEFAULT_COLUMNS = ("Date and Time,Event,Subject,Subject Type,Performed By,"
                   "External Reference ID,IP Address,Details")

ONLY_ONE_AUTH = ("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
                 "Signature query string parameter or the Authorization header should be "
                 "specified")

# ---------------------------------------------------------------- dataset material

PEOPLE = ["Jane Doe", "José Müller", "Zoë Ødegaard", "李小龙", "Siobhán O'Connor",
          "Smith, John", 'Anna "Annie" Schmidt', "Priya Raghunathan", "Łukasz Wróbel",
          "Kwame Mensah", "Renée Dubois", "Björn Lindgren"]
ADMINS = ["Alex Admin", "Grace Hopper", "Ørjan Ås", "Risk Team Lead", "Integration Bot"]
GROUPS = ["Risk Managers, EMEA", "Incident Responders", "Auditors \"read only\"",
          "Compliance – APAC", "All Staff"]
ROLES = ["Administrator", "Investigator", "Auditor, external", "Data Warehouse Reader",
         "Form Designer"]
LOGINS = ["SAP connector", "Data Warehouse", "ServiceNow, prod"]
EVENTS = {
    "User": ["Add User", "Update User", "Delete User", "Impersonate User",
             "Unsuccessful Impersonate User", "Regenerate Data Warehouse Password",
             "Add User to User Group", "Remove User from User Group"],
    "User Group": ["Add User Group", "Update User Group", "Delete User Group"],
    "Role": ["Add Role", "Update Role", "Delete Role", "Add User Group to Role"],
    "Confidential Login": ["Add Confidential Login", "Update Confidential Login",
                           "Delete Confidential Login"],
}
SUBJECT_TYPES = ["User", "User", "User", "User Group", "Role", "Confidential Login"]
DETAILS = [
    "Multiple Attributes Updated",
    'Email changed from "jane@example.com" to "jane.doe@example.com"',
    'Name changed from "Smith, John" to "Smith-Jones, John"',
    "Permissions:\n+ Administrator\n- Viewer",
    "Status changed from Active to Inactive",
    "Language changed from English to Français, \"fr-CA\"",
    "",
]


class _Reply(Exception):
    """Raised inside a handler to answer at once with `resp`."""

    def __init__(self, resp):
        super().__init__(resp.status)
        self.resp = resp


def _error(status, message, headers=None):
    return _Reply(json_response(status, {"message": message}, headers))


def _norm(name):
    return re.sub(r"[\s_-]+", "", name).lower()


class _ColumnsKey(Key):
    """Comma-separated CSV header names: non-empty, no duplicates."""

    def parse(self, text):
        cols = [c.strip() for c in text.split(",")]
        if not cols or any(not c for c in cols):
            raise ValueError("expected comma-separated column names")
        if len({_norm(c) for c in cols}) != len(cols):
            raise ValueError("duplicate column name")
        return ",".join(cols)


class _BaseKey(Key):
    """'' (the emulator's own base URL) or an http(s)://host[:port] base."""

    def parse(self, text):
        text = text.strip().rstrip("/")
        if text and not re.fullmatch(r"https?://[^/\s?#]+", text):
            raise ValueError("expected '' or http(s)://host[:port]")
        return text


def csv_line(fields, end):
    """One RFC 4180 record: fields holding , " CR or LF are quoted, quotes doubled."""
    out = []
    for f in fields:
        f = "" if f is None else str(f)
        if any(c in f for c in ',"\r\n'):
            f = '"' + f.replace('"', '""') + '"'
        out.append(f)
    return ",".join(out) + end


def format_time(epoch, style):
    """Epoch seconds -> 'Date and Time' text (UTC, second precision)."""
    dt = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)
    if style == "iso":
        return dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == "plain":
        return dt.strftime("%Y-%m-%d %H:%M:%S")
    h12 = dt.hour % 12 or 12
    return "%02d/%02d/%04d %02d:%02d:%02d %s" % (dt.month, dt.day, dt.year, h12, dt.minute,
                                                 dt.second, "AM" if dt.hour < 12 else "PM")


def s3_error(status, code, message, headers=None):
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>'
            '<RequestId>%s</RequestId><HostId>%s</HostId></Error>'
            % (code, message, secrets.token_hex(8).upper(), secrets.token_urlsafe(24)))
    return Response(status, body.encode("utf-8"), "application/xml", headers)


# ---------------------------------------------------------------- the vendor

class Vendor(emucore.VendorBase):
    name = "resolver"
    default_records = 400
    default_rate_limit_per_min = 0      # undocumented [I]
    config_keys = {
        "api_token": Key("rslv-test-token", "str", doc="API key sent as bearer"),
        "epoch_unit": Key("s", "choice", choices=("s", "ms"),
                          doc="unit of dateStart / dateEnd [I]"),
        "job_id_style": Key("string", "choice",
                            choices=("string", "number", "object", "object_jobid"),
                            doc="POST body: \"id\", 123, {\"id\":..} or {\"jobId\":..} [I]"),
        "export_status": Key(200, minimum=200, maximum=299, doc="status of the export POST"),
        "job_delay_ms": Key(800, minimum=0, doc="time from POST until signedURL is set"),
        "job_status_field": Key(1, minimum=0, maximum=1, doc="job object has a status field"),
        "fail_jobs": Key(0, minimum=0, doc="every k-th job ends FAILED (0 = never)"),
        "job_error_field": Key("error", "choice",
                               choices=("error", "errorMessage", "message", "failureReason",
                                        "none"),
                               doc="where a failed job says why [I]"),
        "ignore_dates": Key(0, minimum=0, maximum=1,
                            doc="misbehaviour: 1 exports every row whatever the dates"),
        "reuse_job_id": Key(0, minimum=0, maximum=1,
                            doc="misbehaviour: 1 answers every export with the first job's id"),
        "job_no_url": Key(0, minimum=0, maximum=1,
                          doc="misbehaviour: 1 completes jobs without a signedURL"),
        "row_cap": Key(50000, minimum=1, doc="rows per export (the most recent ones)"),
        "url_ttl_s": Key(300, minimum=1, doc="lifetime of a signed URL"),
        "signed_base": _BaseKey("", "str", doc="scheme://host:port of signed URLs "
                                              "('' = this emulator port)"),
        "csv_columns": _ColumnsKey(DEFAULT_COLUMNS, "str", doc="CSV header [I]"),
        "time_format": Key("iso", "choice", choices=("iso", "plain", "us"),
                           doc="format of Date and Time (UTC)"),
        "csv_line_end": Key("crlf", "choice", choices=("crlf", "lf"), doc="record separator"),
        "csv_bom": Key(0, minimum=0, maximum=1, doc="start the CSV with a UTF-8 BOM"),
        "ingest_lag_s": Key(0, minimum=0, doc="events newer than now - this are not exported"),
        "hot_second_rows": Key(0, minimum=0, maximum=1000000, regenerate=True,
                               doc="extra rows all in one second (anchor - 36 h)"),
        "poison": Key("none", "choice", choices=("none", "nul", "invalid_utf8"),
                      doc="plant a raw NUL or invalid UTF-8 in the Subject of the newest "
                          "exported row"),
    }

    def __init__(self, server):
        super().__init__(server)
        self.rows = []          # dicts, ascending by (t, seq)
        self.jobs = {}          # str(id) -> job
        self.signed = {}        # token -> {"sig", "expires", "rows"}
        self.jobs_made = 0
        self.fail_seen = None
        self.url_key = secrets.token_bytes(32)

    # -- dataset ----------------------------------------------------------------

    def generate(self, rng, anchor, records):
        a = int(anchor.timestamp())
        groups, total = [], 0
        while total < records:
            size = rng.randint(3, 20) if rng.random() < 0.45 else 1
            size = min(size, records - total)
            groups.append(size)
            total += size
        offsets = rng.sample(range(1, SPAN_SECONDS), len(groups) - 1) if groups else []
        secs = sorted(a - o for o in offsets) + ([a] if groups else [])
        plan = list(zip(secs, groups))
        hot = self.config["hot_second_rows"]
        if hot:
            plan.append((a - 36 * 3600, hot))
            plan.sort(key=lambda p: p[0])
        ips = [self._make_ip(rng) for _ in range(12)] + ["2001:db8::1"]
        rows, seq = [], 0
        for sec, size in plan:
            performer = self._performer(rng)
            ip = "" if rng.random() < 0.1 else rng.choice(ips)
            prev = None
            for _ in range(size):
                seq += 1
                if prev is not None and rng.random() < 0.2:
                    row = dict(prev, seq=seq)           # an identical full row
                else:
                    row = self._make_row(rng, sec, seq, performer, ip)
                rows.append(row)
                prev = row
        self.rows = rows

    @staticmethod
    def _make_ip(rng):
        if rng.random() < 0.7:
            return rng.choice(["192.0.2.", "198.51.100.", "203.0.113."]) + str(rng.randint(1, 254))
        return ipaddress.IPv6Address((0x20010DB8 << 96) | rng.randint(2, 0xFFFF)).compressed

    @staticmethod
    def _performer(rng):
        r = rng.random()
        if r < 0.08:
            return "External Org User"
        if r < 0.18:
            return "%s impersonating %s" % (rng.choice(["API Integration", "Integration Bot"]),
                                            rng.choice(PEOPLE))
        return rng.choice(ADMINS + PEOPLE[:3])

    @staticmethod
    def _make_row(rng, sec, seq, performer, ip):
        stype = rng.choice(SUBJECT_TYPES)
        event = rng.choice(EVENTS[stype])
        if rng.random() < 0.05:
            subject = "Unknown %s with id %d" % (stype,
                                                 rng.choice([42, 1337, rng.randint(1, 99999)]))
        else:
            subject = rng.choice({"User": PEOPLE, "User Group": GROUPS, "Role": ROLES,
                                  "Confidential Login": LOGINS}[stype])
        if event.startswith("Update"):
            details = rng.choice(DETAILS)
        elif event.startswith("Add"):
            details = rng.choice(["", 'Created with role "%s"' % rng.choice(ROLES)])
        else:
            details = ""
        ext = "EXT-%06d" % rng.randint(1, 999999) if rng.random() < 0.4 else ""
        return {"t": sec, "seq": seq, "event": event, "subject": subject, "subject_type": stype,
                "performed_by": performer, "external_ref": ext, "ip": ip, "details": details}

    # -- request pipeline -------------------------------------------------------

    def on_reset(self):
        self.jobs = {}
        self.signed = {}
        self.jobs_made = 0
        self.fail_seen = None

    def handle(self, req):
        try:
            m = SIGNED_RE.match(req.path)
            if m or req.path.startswith("/signed/"):
                return self._download(req, m.group(1) if m else None)
            if req.path == EXPORT_PATH:
                route = "export"
            else:
                m = JOB_RE.match(req.path)
                route = "job" if m else None
            if route is None:
                raise _error(404, "Not Found")
            allowed = "POST" if route == "export" else "GET"
            if req.method != allowed:
                raise _error(405, "Method Not Allowed", [("Allow", allowed)])
            self._authenticate(req)
            limit = self.config["rate_limit_per_min"]
            ok, _, retry = self.server.limiter("api").hit(limit)
            if not ok:
                raise _Reply(self._rate_limit_429(retry))
            if route == "export":
                return self._export(req)
            return self._job(urllib.parse.unquote(m.group(1)))
        except _Reply as r:
            return r.resp

    def fault_status_response(self, req, status):
        if req.path.startswith("/signed/"):
            return s3_error(status, reason(status).replace(" ", ""), reason(status))
        return json_response(status, {"message": reason(status)})

    def fault_rate_limit_response(self, req, retry_after):
        if req.path.startswith("/signed/"):        # S3 throttles with 503 SlowDown
            return s3_error(503, "SlowDown", "Please reduce your request rate.",
                            [("Retry-After", str(retry_after))])
        return self._rate_limit_429(retry_after)

    @staticmethod
    def _rate_limit_429(retry_after):
        return json_response(429, {"message": "Too Many Requests"},
                             [("Retry-After", str(retry_after))])

    def _authenticate(self, req):
        header = req.headers.get("Authorization")
        if header is None or not header.strip():
            raise _error(403, "Forbidden")                                # [I] body
        scheme, _, cred = header.strip().partition(" ")
        if scheme.lower() != "bearer" or cred.strip() != self.config["api_token"]:
            raise _error(401, "Unauthorized")

    # -- endpoints ----------------------------------------------------------------

    def _date(self, body, name):
        v = body.get(name)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v or v < 0:
            raise _error(400, "%s must be a Unix timestamp" % name)
        return v

    def _export(self, req):
        ctype = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":                                   # [I]
            raise _error(400, "Content-Type must be application/json")
        try:
            body = req.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise _error(400, "Request body must be a JSON object with dateStart and dateEnd")
        start, end = self._date(body, "dateStart"), self._date(body, "dateEnd")
        if start > end:
            raise _error(400, "dateStart must not be after dateEnd")
        cfg = self.config
        scale = 1000 if cfg["epoch_unit"] == "ms" else 1
        newest = time.time() - cfg["ingest_lag_s"] if cfg["ingest_lag_s"] else None
        # both bounds inclusive; rows are whole seconds
        rows = [r for r in self.rows if (cfg["ignore_dates"] or start <= r["t"] * scale <= end)
                and (newest is None or r["t"] <= newest)]
        rows = rows[::-1][:cfg["row_cap"]]          # the most recent, newest first

        if cfg["reuse_job_id"] and self.jobs:
            first = next(iter(self.jobs.values()))["id"]
            return json_response(cfg["export_status"], first)
        if self.fail_seen != cfg["fail_jobs"]:
            self.fail_seen = cfg["fail_jobs"]
            self.jobs_made = 0
        self.jobs_made += 1
        n = len(self.jobs) + 1
        k = cfg["fail_jobs"]
        style = cfg["job_id_style"]
        if style == "number":
            job_id = 4000 + n
        else:
            job_id = hashlib.sha1(("%d:%d" % (cfg["seed"], n)).encode()).hexdigest()[:24]
        now = time.monotonic()
        self.jobs[str(job_id)] = {
            "id": job_id, "ready_at": now + cfg["job_delay_ms"] / 1000.0,
            "failed": bool(k) and self.jobs_made % k == 0, "rows": rows, "url": None,
        }
        if style == "object":
            out = {"id": job_id}
        elif style == "object_jobid":
            out = {"jobId": job_id}
        else:
            out = job_id
        return json_response(cfg["export_status"], out)

    def _job(self, job_id):
        job = self.jobs.get(job_id)
        if job is None:
            raise _error(404, "Job %s not found" % job_id)
        cfg = self.config
        now = time.monotonic()
        obj = {"id": job["id"]}
        if now < job["ready_at"]:
            status, url = "PENDING", None
        elif job["failed"]:
            status, url = "FAILED", None
        else:
            status = "COMPLETE"
            if job["url"] is None:                  # the URL is minted once, when ready
                job["url"] = self._sign(job, job["ready_at"])
            url = job["url"]
        if cfg["job_status_field"]:
            obj["status"] = status
        obj["signedURL"] = url
        if status == "COMPLETE" and cfg["job_no_url"]:
            obj["signedURL"] = None
        field = cfg["job_error_field"]
        if status == "FAILED" and field != "none":                        # [I]
            obj[field] = "Export failed: the audit trail could not be generated"
        return json_response(200, obj)

    def _sign(self, job, ready_at):
        cfg = self.config
        token = secrets.token_urlsafe(18).replace("-", "x").replace("_", "y")
        ttl = cfg["url_ttl_s"]
        sig = hmac.new(self.url_key, token.encode(), hashlib.sha256).hexdigest()
        self.signed[token] = {"sig": sig, "expires": ready_at + ttl, "rows": job["rows"]}
        stamp = datetime.datetime.now(datetime.timezone.utc)
        query = urllib.parse.urlencode([
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Credential", "AKIAEMULATOR/%s/us-east-1/s3/aws4_request"
             % stamp.strftime("%Y%m%d")),
            ("X-Amz-Date", stamp.strftime("%Y%m%dT%H%M%SZ")),
            ("X-Amz-Expires", str(ttl)),
            ("X-Amz-SignedHeaders", "host"),
            ("X-Amz-Signature", sig),
        ])
        base = cfg["signed_base"] or self.server.base_url
        return "%s/signed/%s/user-audit-trail.csv?%s" % (base, token, query)

    def _download(self, req, token):
        if req.method not in ("GET", "HEAD"):
            return s3_error(405, "MethodNotAllowed",
                            "The specified method is not allowed against this resource.",
                            [("Allow", "GET, HEAD")])
        if req.headers.get("Authorization") is not None:
            return s3_error(400, "InvalidArgument", ONLY_ONE_AUTH)
        entry = self.signed.get(token) if token else None
        if entry is None:
            return s3_error(403, "AccessDenied", "Access Denied")
        if not hmac.compare_digest(req.param("X-Amz-Signature", ""), entry["sig"]):
            return s3_error(403, "SignatureDoesNotMatch",
                            "The request signature we calculated does not match the signature "
                            "you provided. Check your key and signing method.")
        if time.monotonic() >= entry["expires"]:
            return s3_error(403, "AccessDenied", "Request has expired")
        return Response(200, self._poisoned(entry["rows"],
                                            self._render_csv(entry["rows"]).encode("utf-8")),
                        "text/csv",
                        [("Content-Disposition",
                          'attachment; filename="user-audit-trail.csv"')])

    def _poisoned(self, rows, body):
        """body with bad bytes inside the newest row's Subject (config poison)."""
        bad = {"nul": b"\x00", "invalid_utf8": b"\xff"}.get(self.config["poison"])
        if bad is None or not rows:
            return body
        subject = max(rows, key=lambda r: (r["t"], r["seq"]))["subject"].encode("utf-8")
        at = body.rfind(b"," + subject + b",")
        if at < 0:
            return body
        return body[:at + 1] + subject[:1] + bad + subject[1:] + body[at + 1 + len(subject):]

    def _render_csv(self, rows):
        cfg = self.config
        end = "\r\n" if cfg["csv_line_end"] == "crlf" else "\n"
        cols = cfg["csv_columns"].split(",")
        fields = [COLUMN_FIELDS.get(_norm(c)) for c in cols]
        fmt = cfg["time_format"]
        out = ["\ufeff"] if cfg["csv_bom"] else []
        out.append(csv_line(cols, end))
        for r in rows:
            out.append(csv_line([
                (format_time(r["t"], fmt) if f == "time" else r[f]) if f else ""
                for f in fields], end))
        return "".join(out)


def dump(state):
    """The whole dataset (the `/_emu/dump` hook), newest first as an export
    lists it, each row keyed by the CSV header with its time as the
    download would show it."""
    cfg = state.config
    cols = cfg["csv_columns"].split(",")
    fields = [COLUMN_FIELDS.get(_norm(c)) for c in cols]
    return [{c: ((format_time(r["t"], cfg["time_format"]) if f == "time" else r[f]) if f else "")
             for c, f in zip(cols, fields)}
            for r in reversed(state.rows)]
