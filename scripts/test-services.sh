#!/usr/bin/env bash
# Makes sure the local services the test suite talks to are up:
#   - PostgreSQL on 127.0.0.1:5432, user postgres, trust auth, database `test` (store contract tests);
#   - Redis on 127.0.0.1:6379 (background jobs);
#   - Debian's Chromium at /usr/bin/chromium (the console's browser tests drive it with playwright-core);
#   - Debian's nginx at /usr/sbin/nginx (the cluster test runs its own, with a generated configuration,
#     in front of two tolk instances; the package's own service is not needed and is stopped);
#   - Debian's valgrind (the test of `npm run bench:instructions` counts instructions with callgrind).
# On a machine that has them already (a developer's, CI's) this only checks. On a fresh Debian or
# Ubuntu machine it installs the packages (needs root) and starts the servers.
set -euo pipefail

port_up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { for _ in $(seq 1 100); do port_up "$1" && return 0; sleep 0.1; done; return 1; }
apt_install() {
  echo "test-services: installing $*" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# --- PostgreSQL ---
if ! port_up 5432; then
  command -v pg_ctlcluster >/dev/null 2>&1 || apt_install postgresql
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  hba="/etc/postgresql/$version/main/pg_hba.conf"
  # Test machines only: trust local TCP connections, as the tests expect.
  if ! grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$hba"; then
    sed -i -E 's/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/' "$hba"
  fi
  echo "test-services: starting PostgreSQL $version" >&2
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  wait_port 5432 || { echo "test-services: PostgreSQL did not start" >&2; exit 1; }
fi
if command -v psql >/dev/null 2>&1; then
  psql -h 127.0.0.1 -U postgres -d postgres -tAc "select 1 from pg_database where datname = 'test'" | grep -q 1 \
    || psql -h 127.0.0.1 -U postgres -d postgres -qc 'create database test'
fi
echo "test-services: PostgreSQL ok on 127.0.0.1:5432" >&2

# --- Redis ---
if ! port_up 6379; then
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  echo "test-services: starting redis-server on 127.0.0.1:6379" >&2
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  wait_port 6379 || { echo "test-services: redis did not start" >&2; exit 1; }
fi
echo "test-services: redis ok on 127.0.0.1:6379" >&2

# --- Chromium ---
if [ ! -x /usr/bin/chromium ]; then
  apt_install chromium
fi
echo "test-services: chromium ok at /usr/bin/chromium" >&2

# --- nginx ---
if [ ! -x /usr/sbin/nginx ]; then
  apt_install nginx
  # The package may start its own server on port 80; the tests start theirs on ephemeral ports.
  if [ -f /run/nginx.pid ]; then /usr/sbin/nginx -s quit 2>/dev/null || true; fi
fi
echo "test-services: nginx ok at /usr/sbin/nginx" >&2

# --- valgrind ---
if ! command -v valgrind >/dev/null 2>&1; then
  apt_install valgrind
fi
echo "test-services: valgrind ok at $(command -v valgrind)" >&2
