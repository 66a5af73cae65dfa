#!/usr/bin/env bash
# The server log of the whole regression run must not contain any credential
# the tests used (errors, NOTICEs, DEBUG output and logged statements alike).
# Every secret value the tests and the emulator use is listed here.
set -euo pipefail
log=${ALF_SERVER_LOG:?ALF_SERVER_LOG is not set}
secrets=(
    zd-test-token zd-test-oauth wrong-secret-token-123 expired-oauth-token-456 user-secret
    kore-test-secret-0123456789 kore-noscope-secret-0123456789
    zoho-test-secret zoho-test-refresh zoho-test-oauth
    zia-test-password rslv-test-token ZiaTestKey2026xyz zia-test-secret wrong-zia-password-1
    WrongZiaKey123456 wrong-zia-secret-2 wrong-rslv-token-3
)
found=0
for s in "${secrets[@]}"; do
    if grep -qF -- "$s" "$log"; then
        echo "secret found in the server log: ${s:0:3}..."
        grep -nF -- "$s" "$log" | sed 's/^/    /' | cut -c1-200 | head -5
        found=1
    fi
done
# secrets that the security test has a hostile emulator echo back (raw,
# URL-encoded, base64; sql/security.sql logs at debug5 meanwhile): search
# every form in which they could leak
/usr/bin/python3 - "$log" <<'PY' || found=1
import base64, json, sys, urllib.parse
log = open(sys.argv[1], "rb").read()
secrets = ["Wrong Token/\u00e9+1&x=2", 'Wrong Secret/\u00e9+1&x=2"\\', "Revoked Refresh/\u00fc+7",
           "public-secret-1", "public-refresh-1"]
bad = 0
for s in secrets:
    b = s.encode("utf-8")
    forms = {"raw": b, "%XX": urllib.parse.quote(s, safe="").encode(),
             "%xx": urllib.parse.quote(s, safe="").lower().encode(),
             "form": urllib.parse.quote_plus(s).encode(),
             "json": json.dumps(s)[1:-1].encode(),
             "json-utf8": json.dumps(s, ensure_ascii=False)[1:-1].encode("utf-8")}
    for a in range(3):      # base64 of the secret at each alignment, e.g. inside Basic
        enc = base64.b64encode(b"\0" * a + b)
        forms["base64+%d" % a] = enc[(8 * a + 5) // 6:(8 * (a + len(b))) // 6]
    for name, f in forms.items():
        if f and f in log:
            print("secret found in the server log: %s... as %s" % (s[:3], name))
            bad = 1
sys.exit(bad)
PY
[ "$found" -eq 0 ] && echo "no secret in $(wc -l <"$log") lines of server log"
exit "$found"
