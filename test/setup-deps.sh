#!/usr/bin/env bash
# test/setup-deps.sh - install what auditlog_fdw needs to build, test and demo
# on Debian 12 (bookworm), non-interactively, and only what is missing.
#
#   bash test/setup-deps.sh
#
# * When dpkg-query shows every package installed, apt is not touched at all
#   (fast reruns, works offline).
# * Otherwise, as root: apt-get update + apt-get install --no-install-recommends
#   of the missing packages.  Not root: prints the command to run and exits 1.
# * Finally asserts that pg_config (the headers we build against) and the
#   server binary are the same PostgreSQL version: installing
#   postgresql-server-dev-15 from bookworm-security can be newer than an
#   already-installed server, and a module built against other headers may
#   not load.
#
# Environment: PG_CONFIG (default /usr/lib/postgresql/15/bin/pg_config),
#              ALF_PG_MAJOR (default 15).
set -euo pipefail

PG_MAJOR=${ALF_PG_MAJOR:-15}
# the versioned pg_config: /usr/bin/pg_config picks the newest server-dev installed
if [ -z "${PG_CONFIG:-}" ]; then
    PG_CONFIG=pg_config
    [ -x "/usr/lib/postgresql/$PG_MAJOR/bin/pg_config" ] && PG_CONFIG=/usr/lib/postgresql/$PG_MAJOR/bin/pg_config
fi
POSTGRES_BIN=/usr/lib/postgresql/$PG_MAJOR/bin/postgres

PKGS=(
    "postgresql-$PG_MAJOR"
    "postgresql-server-dev-$PG_MAJOR"
    libcurl4-openssl-dev
    libjansson-dev
    libssl-dev
    pkg-config
    make
    gcc
    clang-14           # libFuzzer for test/fuzz (postgresql-server-dev-15 needs clang-14 anyway)
    libclang-rt-14-dev
    python3
    curl
    "postgresql-$PG_MAJOR-cron"
    openssl
    ca-certificates
)

is_installed() {
    [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" = "ii " ]
}

missing=()
for p in "${PKGS[@]}"; do
    is_installed "$p" || missing+=("$p")
done

apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    local opts=(-y -q --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
    echo "setup-deps: apt-get update"
    # a mirror hiccup is common: try once more before giving up, and show
    # apt's own words when it does
    if ! apt-get update -q; then
        echo "setup-deps: apt-get update failed; retrying in 5 s" >&2
        sleep 5
        apt-get update -q || {
            echo "setup-deps: apt-get update failed twice (apt's error is above)" >&2
            exit 1
        }
    fi
    echo "setup-deps: apt-get install $*"
    apt-get install "${opts[@]}" "$@" || {
        echo "setup-deps: apt-get install failed (apt's error is above)" >&2
        exit 1
    }
}

if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup-deps: missing packages: ${missing[*]}" >&2
        echo "setup-deps: run this script as root, or install them as root yourself:" >&2
        echo "    apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
        exit 1
    fi
    # server and server-dev go together, so apt brings both to the same
    # version (server-dev alone may be newer than an installed server)
    install=("${missing[@]}")
    for p in "postgresql-$PG_MAJOR" "postgresql-server-dev-$PG_MAJOR"; do
        [[ " ${install[*]} " == *" $p "* ]] || install+=("$p")
    done
    apt_install "${install[@]}"
    for p in "${missing[@]}"; do
        is_installed "$p" || { echo "setup-deps: $p is still not installed" >&2; exit 1; }
    done
else
    echo "setup-deps: all ${#PKGS[@]} packages already installed"
fi

# ---- the headers we compile against must match the server we load into
pg_versions() {
    # prints "<pg_config version> <postgres version>", e.g. "15.20 15.20"
    local a b
    a=$("$PG_CONFIG" --version 2>/dev/null | awk '{print $2}') || a=
    b=$("$POSTGRES_BIN" --version 2>/dev/null | awk '{print $3}') || b=
    printf '%s %s\n' "${a:-none}" "${b:-none}"
}

read -r cfg_v srv_v < <(pg_versions)
if [ "$cfg_v" != "$srv_v" ]; then
    cat >&2 <<EOF
setup-deps: PostgreSQL version mismatch:
    $PG_CONFIG --version        -> $cfg_v ($(command -v "$PG_CONFIG" || echo "not found"))
    $POSTGRES_BIN --version -> $srv_v
  The extension would be built against different headers than the server it
  is loaded into.  Install matching versions, e.g. as root:
    apt-get update && apt-get install -y postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR
  or point PG_CONFIG at the pg_config of the server you use.
EOF
    exit 1
fi
# and the packaged headers must come from the same build as the server
dev_v=$(dpkg-query -W -f='${Version}' "postgresql-server-dev-$PG_MAJOR" 2>/dev/null || true)
srv_pkg_v=$(dpkg-query -W -f='${Version}' "postgresql-$PG_MAJOR" 2>/dev/null || true)
if [ -n "$dev_v" ] && [ -n "$srv_pkg_v" ] && [ "$dev_v" != "$srv_pkg_v" ]; then
    cat >&2 <<EOF
setup-deps: package version mismatch: postgresql-server-dev-$PG_MAJOR $dev_v, postgresql-$PG_MAJOR $srv_pkg_v
  Install matching versions, e.g. as root:
    apt-get update && apt-get install -y postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR
EOF
    exit 1
fi
case "$cfg_v" in
"$PG_MAJOR".*) ;;
*)
    echo "setup-deps: expected PostgreSQL $PG_MAJOR.x, found $cfg_v" >&2
    exit 1
    ;;
esac
[ -x /usr/bin/python3 ] || { echo "setup-deps: /usr/bin/python3 not found" >&2; exit 1; }
echo "setup-deps: PostgreSQL $cfg_v (pg_config and server agree)"
