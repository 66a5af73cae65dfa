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
[ "$found" -eq 0 ] && echo "no secret in $(wc -l <"$log") lines of server log"
exit "$found"
