#!/usr/bin/env bash
# Makes sure the local services the test suite talks to are up: Redis on 127.0.0.1:6379.
# On a machine that has them already (a developer's, CI's) this does nothing. On a fresh Debian or
# Ubuntu machine it installs the package (needs root) and starts the server with nothing on disk.
set -euo pipefail

redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; }

if ! redis_up; then
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "test-services: installing redis-server" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  fi
  echo "test-services: starting redis-server on 127.0.0.1:6379" >&2
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  for _ in $(seq 1 50); do redis_up && break; sleep 0.1; done
  redis_up || { echo "test-services: redis did not start" >&2; exit 1; }
fi
echo "test-services: redis ok on 127.0.0.1:6379" >&2
