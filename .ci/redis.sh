# shellcheck shell=bash
# A throwaway Redis server (Debian's redis-server package) for the store
# tests.
#
#   source .ci/redis.sh && redis_start   # exports RETRY_CHECK_REDIS_URL, stops on exit
#   bash .ci/redis.sh CMD [ARGS...]      # runs CMD with the server up, then stops it
#
# The server listens on 127.0.0.1 only (a free port), keeps its files in a
# temporary directory of its own, persists nothing (no RDB snapshots, no
# append-only file: the harness models persistence across its own store
# restarts), and is stopped and removed on exit (redis_stop; the EXIT trap
# runs it). The system service the package installs is never started.
# When redis-server is missing it is installed with apt-get (as root).
#
# Knobs: RETRY_CHECK_REDIS_SERVER (the server binary; default: redis-server
# on PATH, else /usr/bin/redis-server).

redis_find_server() {
  if [ -n "${RETRY_CHECK_REDIS_SERVER:-}" ]; then
    echo "$RETRY_CHECK_REDIS_SERVER"
  elif command -v redis-server >/dev/null 2>&1; then
    command -v redis-server
  else
    echo /usr/bin/redis-server
  fi
}

redis_install() {
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "redis-server not found (apt-get install redis-server, or set RETRY_CHECK_REDIS_SERVER)" >&2
    return 1
  fi
  echo "installing redis-server (apt-get)"
  # policy-rc.d keeps the package's own service from starting.
  local policy=/usr/sbin/policy-rc.d created=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created=1
  fi
  local status=0
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; } \
    >/tmp/retry-check-redis-apt.log 2>&1 || status=$?
  [ -n "$created" ] && rm -f "$policy"
  if [ "$status" -ne 0 ]; then
    tail -n 20 /tmp/retry-check-redis-apt.log >&2
    return 1
  fi
}

redis_free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  echo "no free port found" >&2
  return 1
}

redis_stop() {
  if [ -n "${RETRY_CHECK_REDIS_DIR:-}" ] && [ -d "$RETRY_CHECK_REDIS_DIR" ]; then
    if [ -f "$RETRY_CHECK_REDIS_DIR/redis.pid" ]; then
      local pid
      pid="$(cat "$RETRY_CHECK_REDIS_DIR/redis.pid" 2>/dev/null || true)"
      if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do
          kill -0 "$pid" 2>/dev/null || break
          sleep 0.1
        done
      fi
    fi
    rm -rf "$RETRY_CHECK_REDIS_DIR"
  fi
  RETRY_CHECK_REDIS_DIR=""
  unset RETRY_CHECK_REDIS_URL
}

redis_fail() {
  echo "redis_start: $1" >&2
  if [ -f "$RETRY_CHECK_REDIS_DIR/server.log" ]; then
    echo "--- server.log" >&2
    tail -n 40 "$RETRY_CHECK_REDIS_DIR/server.log" >&2
  fi
  redis_stop
  return 1
}

# Is the server on $1 answering PING?
redis_ping() {
  local reply
  reply="$(
    exec 2>/dev/null 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf 'PING\r\n' >&3
    IFS= read -r -t 2 line <&3 && printf '%s' "$line"
  )" || return 1
  [ "${reply%$'\r'}" = "+PONG" ]
}

redis_start() {
  local server
  server="$(redis_find_server)"
  if [ ! -x "$server" ]; then
    redis_install || return 1
    server="$(redis_find_server)"
  fi
  # A second start replaces the first server.
  redis_stop
  RETRY_CHECK_REDIS_DIR="$(mktemp -d "${TMPDIR:-/tmp}/retry-check-redis.XXXXXX")" || return 1
  # Stop the server on exit, whichever service script set the trap first.
  if declare -F pg_stop >/dev/null 2>&1 && [ -n "${RETRY_CHECK_PG_DIR:-}" ]; then
    trap 'redis_stop; pg_stop' EXIT
  else
    trap redis_stop EXIT
  fi
  local port="" started=""
  for _ in 1 2 3 4 5; do
    port="$(redis_free_port)" || break
    if "$server" --bind 127.0.0.1 --port "$port" --dir "$RETRY_CHECK_REDIS_DIR" \
      --daemonize yes --pidfile "$RETRY_CHECK_REDIS_DIR/redis.pid" \
      --logfile "$RETRY_CHECK_REDIS_DIR/server.log" --save "" --appendonly no \
      --protected-mode yes >/dev/null 2>&1; then
      local ready=""
      for _ in $(seq 1 50); do
        if redis_ping "$port"; then
          ready=1
          break
        fi
        sleep 0.1
      done
      if [ -n "$ready" ]; then
        started=1
        break
      fi
      # Another process took the port first: stop ours and try another.
      [ -f "$RETRY_CHECK_REDIS_DIR/redis.pid" ] && kill "$(cat "$RETRY_CHECK_REDIS_DIR/redis.pid")" 2>/dev/null
    fi
  done
  [ -n "$started" ] || { redis_fail "the server did not start on 127.0.0.1"; return 1; }
  export RETRY_CHECK_REDIS_URL="redis://127.0.0.1:$port/"
  echo "Redis $("$server" --version | awk '{print $3}' | sed 's/^v=//') up: RETRY_CHECK_REDIS_URL=$RETRY_CHECK_REDIS_URL"
}

# Executed (not sourced): run a command with the server up.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  if [ "$#" -eq 0 ]; then
    echo "usage: bash .ci/redis.sh CMD [ARGS...]" >&2
    exit 2
  fi
  redis_start
  "$@"
fi
