"""emucore - the vendor-independent part of the auditlog_fdw vendor emulator.

One VendorServer (an HTTP/1.1 keep-alive ThreadingHTTPServer) runs per vendor,
on its own port.  The vendor's real API lives at the root of that port; the
control API lives under /_emu/ and is never counted, logged or faulted.

For every API request the server, in this order:
  1. reads the body (Content-Length or chunked),
  2. counts the request (and the connection, once per reset generation),
  3. decides whether this request is faulted (fault / fault_every /
     fault_skip / fault_count),
  4. sleeps latency_ms (outside the lock, so concurrent requests overlap),
  5. under the server lock: asks the vendor module for the response (or for
     its error / 429 shape when a status or rate_limit fault is injected),
     applies cut / malformed / gzip, and appends the request-log line,
  6. writes the response (or truncates it, or resets the connection).

A vendor module subclasses VendorBase (see README.md, "Adding a vendor").
Everything a vendor handler touches (config, dataset, limiters) is guarded by
VendorServer.lock; handlers run with that lock held and must not block.
"""

import collections
import datetime
import gzip
import http
import json
import math
import random
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_ANCHOR = "2026-11-01T00:00:00Z"
DEFAULT_SEED = 1
FAULT_KINDS = ("none", "status", "rate_limit", "truncate", "cut", "malformed", "reset")
# config keys whose change restarts fault counting (fault_every / fault_skip /
# fault_count are relative to the moment the fault was configured)
FAULT_WINDOW_KEYS = frozenset({"fault", "fault_every", "fault_skip", "fault_count"})
# field names whose values are replaced by *** in the request log; compared
# case-insensitively with "_" and "-" removed, so api_token = apiToken
SECRET_KEYS = frozenset({"password", "apiKey", "client_secret", "refresh_token", "api_token"})
LOG_MAX_LINES = 200000          # oldest lines are dropped beyond this
IDLE_TIMEOUT_S = 300            # keep-alive connections idle this long are closed
MAX_BODY = 64 * 1024 * 1024     # larger request bodies are rejected with 400


# ---------------------------------------------------------------- time helpers

def parse_iso8601(text):
    """Parse an ISO-8601 timestamp ('Z', offsets, fractional seconds, or a
    bare date).  Naive values are taken as UTC.  Returns an aware datetime;
    raises ValueError."""
    s = text.strip()
    if not s:
        raise ValueError("empty timestamp")
    if s[-1] in "zZ":
        s = s[:-1] + "+00:00"
    dt = datetime.datetime.fromisoformat(s)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return dt


def resolve_anchor(value):
    """Config value of `anchor` ('now' or ISO-8601) -> aware UTC datetime,
    whole seconds."""
    if value.strip().lower() == "now":
        dt = datetime.datetime.now(datetime.timezone.utc)
    else:
        dt = parse_iso8601(value).astimezone(datetime.timezone.utc)
    return dt.replace(microsecond=0)


def iso_z(dt_or_epoch):
    """Aware datetime or epoch seconds -> '2026-10-31T23:59:59Z'."""
    if not isinstance(dt_or_epoch, datetime.datetime):
        dt_or_epoch = datetime.datetime.fromtimestamp(dt_or_epoch, datetime.timezone.utc)
    return dt_or_epoch.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- config keys

class Key:
    """Declaration of one config key: default, kind and validation.

    kind: "int" (optional minimum/maximum), "str", "choice" (choices), or
    "anchor" ('now' or ISO-8601).  regenerate=True: setting the key rebuilds
    the vendor dataset.  `aliases` maps extra accepted words to values
    (e.g. fault_count: unlimited -> -1)."""

    def __init__(self, default, kind="int", choices=None, minimum=None, maximum=None,
                 regenerate=False, aliases=None, doc=""):
        self.default = default
        self.kind = kind
        self.choices = tuple(choices) if choices else None
        self.minimum = minimum
        self.maximum = maximum
        self.regenerate = regenerate
        self.aliases = aliases or {}
        self.doc = doc

    def parse(self, text):
        """Query-string text -> typed value; raises ValueError with a reason."""
        if text in self.aliases:
            return self.aliases[text]
        if self.kind == "int":
            try:
                v = int(text.strip())
            except ValueError:
                raise ValueError("expected an integer") from None
            if self.minimum is not None and v < self.minimum:
                raise ValueError("must be >= %d" % self.minimum)
            if self.maximum is not None and v > self.maximum:
                raise ValueError("must be <= %d" % self.maximum)
            return v
        if self.kind == "choice":
            if text not in self.choices:
                raise ValueError("expected one of " + ", ".join(self.choices))
            return text
        if self.kind == "anchor":
            resolve_anchor(text)        # validate only; keep 'now' symbolic
            return text
        return text


def common_keys(vendor_cls):
    """Config keys every vendor has; defaults that differ per vendor come from
    the vendor class (default_records, default_rate_limit_per_min)."""
    return {
        "latency_ms": Key(0, minimum=0, doc="sleep before every API response"),
        "fault": Key("none", "choice", choices=FAULT_KINDS, doc="fault kind to inject"),
        "fault_every": Key(1, minimum=1, doc="fault every k-th eligible API request"),
        "fault_skip": Key(0, minimum=0, doc="the first N API requests are never faulted"),
        "fault_count": Key(-1, minimum=-1, aliases={"unlimited": -1},
                           doc="at most this many faults (-1 = unlimited)"),
        "fault_status": Key(503, minimum=100, maximum=599, doc="status of fault=status"),
        "retry_after": Key(1, minimum=0, doc="Retry-After of injected 429s (seconds)"),
        "records": Key(vendor_cls.default_records, minimum=0, maximum=1000000,
                       regenerate=True, doc="dataset size"),
        "seed": Key(DEFAULT_SEED, regenerate=True, doc="dataset random seed"),
        "anchor": Key(DEFAULT_ANCHOR, "anchor", regenerate=True,
                      doc="time of the newest record (ISO-8601 or now)"),
        "gzip": Key(1, minimum=0, maximum=1,
                    doc="gzip bodies when the client sends Accept-Encoding: gzip"),
        "json_style": Key("compact", "choice", choices=("compact", "pretty", "ascii"),
                          doc="JSON bodies compact, pretty-printed, or with non-ASCII as \\u escapes"),
        "rate_limit_per_min": Key(vendor_cls.default_rate_limit_per_min, minimum=0,
                                  doc="the vendor's request limit per minute (0 = off)"),
    }


# ---------------------------------------------------------------- requests / responses

class Request:
    """One API request as the vendor handler sees it.

    method, path (raw, without query), raw_query (as received), query (list
    of (key, value) pairs, decoded, order and repeats kept), headers
    (case-insensitive mapping), body (bytes), base_url ('http://host:port'
    from the Host header, for links the vendor puts in responses)."""

    def __init__(self, method, path, raw_query, headers, body, base_url, client):
        self.method = method
        self.path = path
        self.raw_query = raw_query
        self.query = parse_query(raw_query)
        self.headers = headers
        self.body = body
        self.base_url = base_url
        self.client = client

    def params(self, name):
        """Every value of query parameter `name`, in order."""
        return [v for k, v in self.query if k == name]

    def param(self, name, default=None):
        """The last value of query parameter `name`, or default."""
        vals = self.params(name)
        return vals[-1] if vals else default

    def has(self, name):
        return any(k == name for k, _ in self.query)

    def json(self):
        """The body parsed as JSON (ValueError if it is not)."""
        return json.loads(self.body.decode("utf-8"))

    def form(self):
        """The body parsed as application/x-www-form-urlencoded pairs."""
        return parse_query(self.body.decode("utf-8", "replace"))


class Response:
    """Status, headers (list of (name, value)), body bytes.  Content-Type and
    Content-Length are written by the server from content_type and body."""

    def __init__(self, status, body=b"", content_type=None, headers=None):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = list(headers or [])

    def header(self, name, value):
        self.headers.append((name, str(value)))
        return self

    def get_header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


def json_response(status, obj, headers=None, content_type="application/json; charset=utf-8"):
    """Compact UTF-8 JSON (non-ASCII kept as UTF-8, like most SaaS APIs)."""
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status, body, content_type, headers)


def restyle_json(resp, style):
    """Re-serialize a JSON body in another plausible style (config json_style):
    pretty (indented, spaces after separators) or ascii (non-ASCII as \\u
    escapes, surrogate pairs beyond the BMP).  Bodies that are not JSON (or
    deliberately broken) are left alone."""
    if (style == "compact" or resp is None or not resp.body
            or "json" not in (resp.content_type or "")):
        return
    try:
        obj = json.loads(resp.body.decode("utf-8"))
    except ValueError:
        return
    if style == "pretty":
        text = json.dumps(obj, ensure_ascii=False, indent=2)
    else:
        text = json.dumps(obj, ensure_ascii=True, separators=(",", ":"))
    resp.body = text.encode("utf-8")


def text_response(status, text, headers=None, content_type="text/plain; charset=utf-8"):
    return Response(status, text.encode("utf-8"), content_type, headers)


def csv_response(status, text, headers=None, content_type="text/csv; charset=utf-8"):
    return Response(status, text.encode("utf-8"), content_type, headers)


def empty_response(status, headers=None):
    return Response(status, b"", None, headers)


def parse_query(raw):
    """Query string -> list of (key, value), decoded ('+' is a space), order
    and repeated keys kept, blank values kept."""
    if not raw:
        return []
    return urllib.parse.parse_qsl(raw, keep_blank_values=True)


def build_url(base_url, path, pairs):
    """Absolute URL from a base, a path and (key, value) pairs."""
    q = urllib.parse.urlencode(pairs)
    return base_url + path + ("?" + q if q else "")


def reason(status):
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


# ---------------------------------------------------------------- rate limiting

class SlidingWindow:
    """Sliding-window request counter: at most `limit` hits in any `window`
    seconds.  The limit is passed on each call so a config change applies at
    once.  Not thread-safe by itself: use it under VendorServer.lock."""

    def __init__(self, window=60.0, clock=time.monotonic):
        self.window = float(window)
        self.clock = clock
        self.hits = collections.deque()

    def _expire(self, now):
        while self.hits and self.hits[0] <= now - self.window:
            self.hits.popleft()

    def hit(self, limit):
        """Try to take one slot.  Returns (allowed, remaining, retry_after)
        where retry_after is whole seconds until a slot frees (0 if allowed).
        limit <= 0 means unlimited (the hit is not recorded)."""
        now = self.clock()
        self._expire(now)
        if limit <= 0:
            return True, None, 0
        if len(self.hits) >= limit:
            wait = self.hits[len(self.hits) - limit] + self.window - now
            return False, 0, max(1, math.ceil(wait))
        self.hits.append(now)
        return True, limit - len(self.hits), 0

    def peek(self, limit):
        """(remaining, reset_seconds) without taking a slot."""
        now = self.clock()
        self._expire(now)
        if limit <= 0:
            return None, 0
        remaining = max(0, limit - len(self.hits))
        reset = math.ceil(self.hits[0] + self.window - now) if self.hits else 0
        return remaining, max(0, reset)

    def clear(self):
        self.hits.clear()


# ---------------------------------------------------------------- log redaction

def _norm_key(k):
    return k.replace("_", "").replace("-", "").lower()


class Redactor:
    """Replaces secret values by *** in form strings and JSON documents."""

    def __init__(self, extra=()):
        self.keys = frozenset(_norm_key(k) for k in set(SECRET_KEYS) | set(extra))

    def is_secret(self, key):
        return _norm_key(key) in self.keys

    def form(self, raw):
        """a=1&password=x -> a=1&password=***, otherwise unchanged as received."""
        out = []
        for part in raw.split("&"):
            k, sep, _ = part.partition("=")
            if sep and self.is_secret(urllib.parse.unquote_plus(k)):
                part = k + "=***"
            out.append(part)
        return "&".join(out)

    def json(self, obj):
        if isinstance(obj, dict):
            return {k: ("***" if self.is_secret(k) and v is not None else self.json(v))
                    for k, v in obj.items()}
        if isinstance(obj, list):
            return [self.json(v) for v in obj]
        return obj

    def body(self, body, content_type):
        """Request body -> one-line log text."""
        text = body.decode("utf-8", "replace")
        ct = (content_type or "").lower()
        stripped = text.lstrip()
        if "json" in ct or stripped[:1] in ("{", "["):
            try:
                text = json.dumps(self.json(json.loads(text)), ensure_ascii=False,
                                  separators=(",", ":"))
            except ValueError:
                pass
        elif "x-www-form-urlencoded" in ct or ("=" in text and not any(c.isspace() for c in text)):
            text = self.form(text)
        return text.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")


# ---------------------------------------------------------------- vendor base class

class VendorBase:
    """Base class of a vendor module's `Vendor`.  Override what you need.

    Class attributes:
      name                        registry name, e.g. "zendesk"
      default_records             default dataset size (config `records`)
      default_rate_limit_per_min  the vendor's real limit (config `rate_limit_per_min`)
      config_keys                 {name: Key} extra keys of this vendor
      secret_keys                 extra field names to redact in the request log

    Instance attribute `server` is the VendorServer: use server.config,
    server.limiter(name), server.base_url.  Every hook runs with
    server.lock held."""

    name = None
    default_records = 100
    default_rate_limit_per_min = 0
    config_keys = {}
    secret_keys = ()

    def __init__(self, server):
        self.server = server

    @property
    def config(self):
        return self.server.config

    def generate(self, rng, anchor, records):
        """(Re)build the dataset: rng is random.Random(seed), anchor the aware
        UTC time of the newest record, records the dataset size.  Called on
        start, reset and changes of records / seed / anchor."""

    def on_reset(self):
        """Clear vendor state other than the dataset and limiters (e.g.
        sessions, async jobs).  Called by /_emu/reset before generate()."""

    def handle(self, req):
        """Return the Response to an API request (a Request)."""
        return text_response(404, "Not Found")

    def fault_status_response(self, req, status):
        """Response for fault=status: the vendor's error body shape."""
        return text_response(status, reason(status))

    def fault_rate_limit_response(self, req, retry_after):
        """Response for fault=rate_limit: the vendor's real 429 shape."""
        return text_response(429, "Too Many Requests", [("Retry-After", str(retry_after))])

    def malformed_response(self, req):
        """Response for fault=malformed: 200 with a non-JSON body."""
        return Response(200, MALFORMED_HTML, "text/html; charset=utf-8")


MALFORMED_HTML = (b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
                  b"<body><h1>Bad Gateway</h1><p>The upstream server returned an invalid "
                  b"response.</p></body></html>\n")


# ---------------------------------------------------------------- the server

class VendorServer(ThreadingHTTPServer):
    """One vendor on one port: config, dataset, log, stats, faults, limiters."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, vendor_cls, bind="127.0.0.1", port=0, defaults=None, verbose=False):
        if ":" in bind:
            self.address_family = socket.AF_INET6
        super().__init__((bind, port), RequestHandler)
        self.verbose = verbose
        self.lock = threading.RLock()
        self.port = self.server_address[1]
        host = bind
        if host in ("0.0.0.0", ""):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        self.base_url = "http://%s:%d" % ("[%s]" % host if ":" in host else host, self.port)
        self.vendor = vendor_cls(self)
        self.keys = dict(common_keys(vendor_cls))
        self.keys.update(vendor_cls.config_keys)
        self.defaults = {k: key.default for k, key in self.keys.items()}
        for k, v in (defaults or {}).items():
            if k in self.keys:
                self.defaults[k] = self.keys[k].parse(str(v))
        self.redactor = Redactor(vendor_cls.secret_keys)
        self.limiters = {}
        self.log_lines = collections.deque(maxlen=LOG_MAX_LINES)
        with self.lock:
            self._reset_locked()

    # -- state (call with self.lock held) ---------------------------------

    def _reset_locked(self):
        self.config = dict(self.defaults)
        self.log_lines.clear()
        self.stats = {"requests": 0, "connections": 0, "gzip_responses": 0, "faults_injected": 0}
        self.generation = getattr(self, "generation", 0) + 1
        self.fault_seen = 0          # API requests since the fault was configured
        self.fault_done = 0          # faults injected since the fault was configured
        for lim in self.limiters.values():
            lim.clear()
        self.vendor.on_reset()
        self.regenerate()

    def regenerate(self):
        """Rebuild the vendor dataset from the current seed / anchor / records."""
        rng = random.Random(self.config["seed"])
        anchor = resolve_anchor(self.config["anchor"])
        self.vendor.generate(rng, anchor, self.config["records"])

    def limiter(self, name, window=60.0):
        """A named SlidingWindow of this vendor (cleared by /_emu/reset)."""
        lim = self.limiters.get(name)
        if lim is None or lim.window != float(window):
            lim = self.limiters[name] = SlidingWindow(window)
        return lim

    # -- control operations -------------------------------------------------

    def reset(self):
        with self.lock:
            self._reset_locked()

    def set_config(self, pairs):
        """Validate all pairs, then apply them atomically.  Returns None or
        an error message (nothing is applied on error)."""
        parsed = {}
        for k, v in pairs:
            key = self.keys.get(k)
            if key is None:
                return "unknown config key %r (known: %s)" % (k, ", ".join(self.keys))
            try:
                parsed[k] = key.parse(v)
            except ValueError as e:
                return "bad value %r for %s: %s" % (v, k, e)
        with self.lock:
            self.config.update(parsed)
            if FAULT_WINDOW_KEYS & parsed.keys():
                self.fault_seen = 0
                self.fault_done = 0
            if any(self.keys[k].regenerate for k in parsed):
                self.regenerate()
        return None

    def decide_fault(self):
        """Count one API request against the fault schedule; return the fault
        kind to inject or None.  Call with the lock held."""
        cfg = self.config
        kind = cfg["fault"]
        self.fault_seen += 1
        if kind == "none":
            return None
        n = self.fault_seen - cfg["fault_skip"]
        if n < 1 or n % cfg["fault_every"] != 0:
            return None
        if 0 <= cfg["fault_count"] <= self.fault_done:
            return None
        self.fault_done += 1
        self.stats["faults_injected"] += 1
        return kind

    def add_log(self, status, method, path, raw_query, body, content_type):
        line = "%03d %s %s" % (status, method, path)
        if raw_query:
            line += "?" + urllib.parse.unquote(self.redactor.form(raw_query))
        if body:
            line += " " + self.redactor.body(body, content_type)
        self.log_lines.append(line)
        if self.verbose:
            sys.stderr.write("[%s:%d] %s\n" % (self.vendor.name, self.port, line))

    def handle_error(self, request, client_address):
        """Client went away mid-response, or refused our TLS certificate (the
        TLS tests do that on purpose): not worth a traceback."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, BrokenPipeError, ssl.SSLError)):
            return
        super().handle_error(request, client_address)


# ---------------------------------------------------------------- the handler

def accepts_gzip(header):
    """True if an Accept-Encoding value allows gzip (q > 0)."""
    for item in (header or "").split(","):
        coding, _, params = item.strip().partition(";")
        coding = coding.strip().lower()
        if coding not in ("gzip", "x-gzip", "*"):
            continue
        q = 1.0
        for p in params.split(";"):
            name, _, val = p.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(val)
                except ValueError:
                    q = 0.0
        if q > 0:
            return True
    return False


class _BadRequest(Exception):
    pass


class RequestHandler(BaseHTTPRequestHandler):
    """One instance per TCP connection; handles its requests in turn."""

    protocol_version = "HTTP/1.1"
    server_version = "auditlog-emulator/1.0"
    timeout = IDLE_TIMEOUT_S

    def setup(self):
        super().setup()
        # headers and body go out in separate writes: without TCP_NODELAY,
        # Nagle plus the client's delayed ACK adds ~40 ms to every response
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        self.counted_generation = None

    def version_string(self):
        return self.server_version

    # quiet unless --verbose; real errors still go to stderr
    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("[%s:%d] %s\n" % (self.server.vendor.name, self.server.port,
                                                fmt % args))

    def log_error(self, fmt, *args):
        msg = fmt % args
        if msg.startswith("Request timed out") and not self.server.verbose:
            return
        sys.stderr.write("[%s:%d] error: %s\n" % (self.server.vendor.name, self.server.port, msg))

    def log_request(self, code="-", size="-"):
        if self.server.verbose:
            super().log_request(code, size)

    # every method goes through the same dispatcher
    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    # -- plumbing -------------------------------------------------------------

    def _read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(65537)
                try:
                    size = int(line.split(b";")[0].strip(), 16)
                except ValueError:
                    raise _BadRequest("bad chunk size") from None
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:
                    raise _BadRequest("body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
        cl = self.headers.get("Content-Length")
        if not cl:
            return b""
        try:
            n = int(cl)
        except ValueError:
            raise _BadRequest("bad Content-Length") from None
        if n < 0 or n > MAX_BODY:
            raise _BadRequest("bad Content-Length")
        return self.rfile.read(n) if n else b""

    def _split_target(self):
        target = self.path
        if "://" in target.split("?", 1)[0]:       # absolute-form (via a proxy)
            parts = urllib.parse.urlsplit(target)
            return parts.path or "/", parts.query
        path, _, query = target.partition("?")
        return path or "/", query

    def _write(self, resp, truncate=False):
        """Send resp.  truncate=True: declare the full Content-Length, send
        half the body, then close the connection."""
        body = resp.body or b""
        self.send_response(resp.status)
        for k, v in resp.headers:
            self.send_header(k, v)
        if resp.content_type:
            self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if truncate:
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.wfile.write(body)

    def _abort_connection(self):
        """Close without any response, with a TCP RST where possible."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        except OSError:
            pass

    # -- dispatch -------------------------------------------------------------

    def _dispatch(self):
        srv = self.server
        try:
            body = self._read_body()
        except _BadRequest as e:
            self.close_connection = True
            self._write(text_response(400, "Bad Request: %s\n" % e, [("Connection", "close")]))
            return
        path, raw_query = self._split_target()
        if path == "/_emu" or path.startswith("/_emu/"):
            self._write(self._control(path, raw_query))
            return

        host = self.headers.get("Host")
        scheme = srv.base_url.split("://", 1)[0]        # https with --tls-cert
        base_url = (scheme + "://" + host) if host else srv.base_url
        req = Request(self.command, path, raw_query, self.headers, body, base_url,
                      self.client_address)
        with srv.lock:
            srv.stats["requests"] += 1
            if self.counted_generation != srv.generation:
                self.counted_generation = srv.generation
                srv.stats["connections"] += 1
            fault = srv.decide_fault()
            latency = srv.config["latency_ms"]
        if latency > 0:
            time.sleep(latency / 1000.0)

        with srv.lock:
            cfg = srv.config
            if fault == "reset":
                srv.add_log(0, req.method, path, raw_query, body, self.headers.get("Content-Type"))
                resp = None
            else:
                resp = self._vendor_response(req, fault)
                restyle_json(resp, cfg["json_style"])
                if fault == "cut":
                    resp.body = resp.body[:len(resp.body) // 2]
                if (cfg["gzip"] and resp.body
                        and accepts_gzip(self.headers.get("Accept-Encoding"))
                        and resp.get_header("Content-Encoding") is None):
                    resp.body = gzip.compress(resp.body, mtime=0)
                    resp.header("Content-Encoding", "gzip")
                    resp.header("Vary", "Accept-Encoding")
                    srv.stats["gzip_responses"] += 1
                srv.add_log(resp.status, req.method, path, raw_query, body,
                            self.headers.get("Content-Type"))
        if resp is None:
            self._abort_connection()
        else:
            self._write(resp, truncate=(fault == "truncate"))

    def _vendor_response(self, req, fault):
        """The vendor's answer (lock held); never raises."""
        srv = self.server
        vendor = srv.vendor
        try:
            if fault == "status":
                return vendor.fault_status_response(req, srv.config["fault_status"])
            if fault == "rate_limit":
                return vendor.fault_rate_limit_response(req, srv.config["retry_after"])
            if fault == "malformed":
                return vendor.malformed_response(req)
            return vendor.handle(req)
        except Exception:       # a bug in a vendor module: 500, traceback on stderr
            import traceback
            sys.stderr.write("[%s:%d] error: vendor handler failed for %s %s\n%s"
                             % (vendor.name, srv.port, req.method, self.path,
                                traceback.format_exc()))
            return text_response(500, "emulator: vendor handler failed\n")

    # -- control API ----------------------------------------------------------

    def _control(self, path, raw_query):
        srv = self.server
        name = path[len("/_emu/"):] if path.startswith("/_emu/") else ""
        pairs = parse_query(raw_query)
        if name == "health":
            return text_response(200, "ok\n")
        if name == "log":
            clear = any(k == "clear" and v not in ("", "0", "false") for k, v in pairs)
            with srv.lock:
                text = "".join(line + "\n" for line in srv.log_lines)
                if clear:
                    srv.log_lines.clear()
            return text_response(200, text)
        if name == "reset":
            srv.reset()
            return text_response(200, "ok\n")
        if name == "config":
            err = srv.set_config(pairs)
            if err:
                return text_response(400, err + "\n")
            with srv.lock:
                return json_response(200, dict(srv.config))
        if name == "stats":
            with srv.lock:
                return json_response(200, dict(srv.stats))
        if name == "dump":
            # the ground truth for tests: the vendor module's own records,
            # never a copy read back through a client
            hook = getattr(sys.modules[type(srv.vendor).__module__], "dump", None)
            if hook is None:
                return text_response(404, "this vendor has no dump hook\n")
            with srv.lock:
                return json_response(200, hook(srv.vendor))
        return text_response(404, "unknown control endpoint; try /_emu/health, /_emu/log, "
                                  "/_emu/reset, /_emu/config, /_emu/stats, /_emu/dump\n")
