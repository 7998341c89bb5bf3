# shellcheck shell=bash
# A throwaway PostgreSQL 15 server (Debian's packages) for the store tests.
#
#   source .ci/postgres.sh && pg_start    # exports RETRY_CHECK_PG_URL, stops on exit
#   bash .ci/postgres.sh CMD [ARGS...]    # runs CMD with the server up, then stops it
#
# The cluster is initdb'ed into a temporary directory, listens on 127.0.0.1
# only (a free port, a private socket directory), trusts local connections,
# and is removed on exit. initdb refuses to run as root: as root, the server
# runs as the `postgres` user of the Debian package (or $RETRY_CHECK_PG_USER).

RETRY_CHECK_PG_BIN="${RETRY_CHECK_PG_BIN:-/usr/lib/postgresql/15/bin}"

pg_have() {
  [ -x "$RETRY_CHECK_PG_BIN/initdb" ] && [ -x "$RETRY_CHECK_PG_BIN/pg_ctl" ]
}

# Run a PostgreSQL binary as the cluster's owner.
pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$RETRY_CHECK_PG_OWNER" -- "$@"
  else
    "$@"
  fi
}

pg_free_port() {
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

pg_stop() {
  if [ -n "${RETRY_CHECK_PG_DIR:-}" ] && [ -d "$RETRY_CHECK_PG_DIR" ]; then
    pg_as_owner "$RETRY_CHECK_PG_BIN/pg_ctl" -D "$RETRY_CHECK_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$RETRY_CHECK_PG_DIR"
  fi
  RETRY_CHECK_PG_DIR=""
}

pg_start() {
  if ! pg_have; then
    echo "PostgreSQL 15 not found under $RETRY_CHECK_PG_BIN (apt-get install postgresql-15)" >&2
    return 1
  fi
  if [ "$(id -u)" -eq 0 ]; then
    RETRY_CHECK_PG_OWNER="${RETRY_CHECK_PG_USER:-postgres}"
    if ! id "$RETRY_CHECK_PG_OWNER" >/dev/null 2>&1; then
      useradd --system --no-create-home --shell /usr/sbin/nologin "$RETRY_CHECK_PG_OWNER"
    fi
  else
    RETRY_CHECK_PG_OWNER="$(id -un)"
  fi
  RETRY_CHECK_PG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/retry-check-pg.XXXXXX")"
  trap pg_stop EXIT
  mkdir -p "$RETRY_CHECK_PG_DIR/sock"
  if [ "$(id -u)" -eq 0 ]; then
    chown -R "$RETRY_CHECK_PG_OWNER" "$RETRY_CHECK_PG_DIR"
  fi
  chmod 700 "$RETRY_CHECK_PG_DIR"
  pg_as_owner "$RETRY_CHECK_PG_BIN/initdb" -D "$RETRY_CHECK_PG_DIR/data" -U postgres \
    --auth=trust --encoding=UTF8 --no-locale >"$RETRY_CHECK_PG_DIR/initdb.log" 2>&1 || {
    cat "$RETRY_CHECK_PG_DIR/initdb.log" >&2
    return 1
  }
  local port started=""
  for _ in 1 2 3 4 5; do
    port="$(pg_free_port)"
    # fsync=off: a test server; durability across a *process* crash (what
    # the harness simulates) does not depend on it.
    if pg_as_owner "$RETRY_CHECK_PG_BIN/pg_ctl" -D "$RETRY_CHECK_PG_DIR/data" \
      -l "$RETRY_CHECK_PG_DIR/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $RETRY_CHECK_PG_DIR/sock -c fsync=off -c max_connections=200" \
      start >/dev/null; then
      started=1
      break
    fi
  done
  if [ -z "$started" ]; then
    cat "$RETRY_CHECK_PG_DIR/server.log" >&2
    return 1
  fi
  for _ in $(seq 1 60); do
    if "$RETRY_CHECK_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port"; then
      break
    fi
    sleep 0.5
  done
  "$RETRY_CHECK_PG_BIN/pg_isready" -h 127.0.0.1 -p "$port"
  "$RETRY_CHECK_PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres retry_check
  export RETRY_CHECK_PG_URL="postgresql://postgres@127.0.0.1:$port/retry_check"
  echo "PostgreSQL $("$RETRY_CHECK_PG_BIN/postgres" --version | awk '{print $3}') up (owner $RETRY_CHECK_PG_OWNER): RETRY_CHECK_PG_URL=$RETRY_CHECK_PG_URL"
}

# Executed (not sourced): run a command with the server up.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  if [ "$#" -eq 0 ]; then
    echo "usage: bash .ci/postgres.sh CMD [ARGS...]" >&2
    exit 2
  fi
  pg_start
  "$@"
fi
