#!/usr/bin/env bash
# Make sure a Redis server answers on 127.0.0.1:6379: reuse a running one, else install (Debian) and start one.
set -euo pipefail
port=${REDIS_PORT:-6379}
ping() { python3 - "$port" <<'PY'
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
    s.sendall(b"PING\r\n"); ok = s.recv(16).startswith(b"+PONG"); s.close()
except OSError:
    ok = False
sys.exit(0 if ok else 1)
PY
}
# The fault tests also start private redis-server processes, so the binary must exist even when a server
# already answers (a Redis in another container, say).
if ! command -v redis-server >/dev/null 2>&1; then
  echo "redis-server not found: installing it from the distribution's packages" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null
fi
if ping; then exit 0; fi
mkdir -p "${TMPDIR:-/tmp}/sanctions-redis"
redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
  --dir "${TMPDIR:-/tmp}/sanctions-redis" --logfile "${TMPDIR:-/tmp}/sanctions-redis/redis.log"
for _ in $(seq 50); do ping && exit 0; sleep 0.1; done
echo "redis-server did not answer on 127.0.0.1:$port" >&2
exit 1
