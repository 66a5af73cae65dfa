#!/usr/bin/python3
"""auditlog_fdw vendor emulator: command-line entry point.

    /usr/bin/python3 test/emulator/emulator.py [--bind 127.0.0.1]
        [--vendors zendesk,...] [--port zendesk=18001 ...] [--port-file FILE]
        [--anchor ISO8601|now] [--seed N] [--verbose]
        [--tls-cert CERT.pem --tls-key KEY.pem]

Starts one HTTP server per vendor (each on its own port: free by default,
fixed with --port), writes FILE atomically with `vendor=port` lines once every
server listens (or prints those lines on stdout without --port-file), and
serves until SIGTERM or SIGINT.  With --tls-cert/--tls-key every port serves
HTTPS (stdlib ssl) with that certificate, for the TLS tests.  See README.md
for the control API.
"""

import sys

sys.dont_write_bytecode = True      # keep the source tree free of __pycache__

import argparse                     # noqa: E402  (after dont_write_bytecode)
import os                           # noqa: E402
import signal                       # noqa: E402
import ssl                          # noqa: E402
import threading                    # noqa: E402

import emucore                      # noqa: E402
import vendors                      # noqa: E402


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Emulate SaaS vendors' admin audit-log APIs for auditlog_fdw tests.")
    p.add_argument("--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--vendors", default=",".join(vendors.names()),
                   help="comma-separated vendors to start (default: all: %s)"
                   % ",".join(vendors.names()))
    p.add_argument("--port", action="append", default=[], metavar="VENDOR=PORT",
                   help="fixed port for a vendor (repeatable; default: a free port)")
    p.add_argument("--port-file", help="write vendor=port lines here once listening")
    p.add_argument("--anchor", default=emucore.DEFAULT_ANCHOR,
                   help="time of the newest record, ISO-8601 or 'now' (default %s)"
                   % emucore.DEFAULT_ANCHOR)
    p.add_argument("--seed", type=int, default=emucore.DEFAULT_SEED,
                   help="dataset seed (default %d)" % emucore.DEFAULT_SEED)
    p.add_argument("--verbose", action="store_true", help="log every request to stderr")
    p.add_argument("--tls-cert", metavar="PEM", help="serve HTTPS with this certificate (chain)")
    p.add_argument("--tls-key", metavar="PEM", help="private key of --tls-cert")
    args = p.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        p.error("--tls-cert and --tls-key go together")

    names = [v.strip() for v in args.vendors.split(",") if v.strip()]
    unknown = [v for v in names if v not in vendors.VENDORS]
    if unknown or not names:
        p.error("unknown vendor(s) %s; registered: %s"
                % (", ".join(unknown) or "(none given)", ", ".join(vendors.names())))
    ports = {}
    for item in args.port:
        for part in item.split(","):
            name, sep, port = part.partition("=")
            name = name.strip()
            if not sep or name not in names or not port.strip().isdigit():
                p.error("bad --port %r: expected VENDOR=PORT for a started vendor" % part)
            ports[name] = int(port)
    try:
        emucore.resolve_anchor(args.anchor)
    except ValueError:
        p.error("bad --anchor %r: expected ISO-8601 or 'now'" % args.anchor)
    args.vendor_names = list(dict.fromkeys(names))
    args.ports = ports
    return args


def write_port_file(path, servers):
    """Write `vendor=port` lines atomically (temp file + rename)."""
    text = "".join("%s=%d\n" % (name, srv.port) for name, srv in servers)
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def serve_tls(srv, ctx):
    """Make srv serve HTTPS.  The handshake runs lazily in the request's own
    thread (do_handshake_on_connect=False), so a client that stalls or fails
    it never blocks the accept loop."""
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
    srv.base_url = "https" + srv.base_url[len("http"):]


def main(argv):
    args = parse_args(argv)
    defaults = {"anchor": args.anchor, "seed": args.seed}
    servers = []
    ctx = None
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
    try:
        for name in args.vendor_names:
            cls = vendors.load(name)
            servers.append((name, emucore.VendorServer(cls, args.bind, args.ports.get(name, 0),
                                                       defaults, args.verbose)))
            if ctx:
                serve_tls(servers[-1][1], ctx)
    except OSError as e:
        sys.stderr.write("emulator: cannot listen for %s on %s: %s\n" % (name, args.bind, e))
        for _, srv in servers:
            srv.server_close()
        return 1

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    threads = []
    for name, srv in servers:
        t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2},
                             name="emu-" + name, daemon=True)
        t.start()
        threads.append(t)

    if args.port_file:
        write_port_file(args.port_file, servers)
    else:
        sys.stdout.write("".join("%s=%d\n" % (n, s.port) for n, s in servers))
        sys.stdout.flush()

    while not stop.wait(0.5):
        pass
    for _, srv in servers:
        srv.shutdown()
        srv.server_close()
    for t in threads:
        t.join(timeout=2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
