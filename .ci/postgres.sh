# shellcheck shell=bash
# A throwaway PostgreSQL server (Debian's packages, version 15 by default)
# for the store tests.
#
#   source .ci/postgres.sh && pg_start    # exports RETRY_CHECK_PG_URL, stops on exit
#   bash .ci/postgres.sh CMD [ARGS...]    # runs CMD with the server up, then stops it
#
# The cluster is initdb'ed into a temporary directory, listens on 127.0.0.1
# only (a free port, a private socket directory), trusts local connections,
# and is removed on exit (pg_stop; the EXIT trap runs it).
#
# Who runs the server: initdb and postgres refuse to run as root.
# - As a normal user, the server runs as that user.
# - As root, it runs as an unprivileged user: $RETRY_CHECK_PG_USER if set,
#   else `postgres` (the Debian package's), created when missing, else
#   `nobody`; the binaries are started with runuser, or su, or setpriv,
#   whichever exists. The cluster directory is made under a temporary
#   directory that user can reach (/tmp when $TMPDIR is private to root).
#
# Other knobs: RETRY_CHECK_PG_BIN (the bin directory; default: the newest
# /usr/lib/postgresql/*/bin, preferring 15).

pg_find_bin() {
  if [ -n "${RETRY_CHECK_PG_BIN:-}" ]; then
    echo "$RETRY_CHECK_PG_BIN"
    return
  fi
  if [ -x /usr/lib/postgresql/15/bin/initdb ]; then
    echo /usr/lib/postgresql/15/bin
    return
  fi
  local newest
  newest="$(find /usr/lib/postgresql -maxdepth 3 -path '*/bin/initdb' 2>/dev/null | sort -V | tail -n 1)"
  if [ -n "$newest" ]; then
    dirname "$newest"
  else
    echo /usr/lib/postgresql/15/bin
  fi
}

RETRY_CHECK_PG_BIN="$(pg_find_bin)"

pg_have() {
  [ -x "$RETRY_CHECK_PG_BIN/initdb" ] && [ -x "$RETRY_CHECK_PG_BIN/pg_ctl" ]
}

# Run a command as the cluster's owner (as root: drop to the owner).
pg_as_owner() {
  if [ "$(id -u)" -ne 0 ]; then
    "$@"
  elif command -v runuser >/dev/null 2>&1; then
    runuser -u "$RETRY_CHECK_PG_OWNER" -- "$@"
  elif command -v setpriv >/dev/null 2>&1; then
    setpriv --reuid="$RETRY_CHECK_PG_OWNER" --regid="$(id -g "$RETRY_CHECK_PG_OWNER")" \
      --init-groups -- "$@"
  else
    # su runs a shell command line: quote every argument.
    local quoted="" arg
    for arg in "$@"; do
      quoted="$quoted $(printf '%q' "$arg")"
    done
    su -s /bin/sh "$RETRY_CHECK_PG_OWNER" -c "$quoted"
  fi
}

# As root: the unprivileged user the server runs as.
pg_pick_owner() {
  local want="${RETRY_CHECK_PG_USER:-postgres}"
  if id "$want" >/dev/null 2>&1; then
    echo "$want"
    return 0
  fi
  if [ -z "${RETRY_CHECK_PG_USER:-}" ] && command -v useradd >/dev/null 2>&1 &&
    useradd --system --no-create-home --shell /usr/sbin/nologin "$want" >/dev/null 2>&1; then
    echo "$want"
    return 0
  fi
  if [ -n "${RETRY_CHECK_PG_USER:-}" ]; then
    echo "RETRY_CHECK_PG_USER=$want is not a user" >&2
    return 1
  fi
  if id nobody >/dev/null 2>&1; then
    echo nobody
    return 0
  fi
  echo "running as root and no unprivileged user to run PostgreSQL as (set RETRY_CHECK_PG_USER)" >&2
  return 1
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
    if [ -f "$RETRY_CHECK_PG_DIR/data/postmaster.pid" ]; then
      pg_as_owner "$RETRY_CHECK_PG_BIN/pg_ctl" -D "$RETRY_CHECK_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$RETRY_CHECK_PG_DIR"
  fi
  RETRY_CHECK_PG_DIR=""
  unset RETRY_CHECK_PG_URL
}

# Print the server log and remove the cluster after a failed start.
pg_fail() {
  echo "pg_start: $1" >&2
  for log in initdb.log server.log; do
    if [ -f "$RETRY_CHECK_PG_DIR/$log" ]; then
      echo "--- $log" >&2
      tail -n 40 "$RETRY_CHECK_PG_DIR/$log" >&2
    fi
  done
  pg_stop
  return 1
}

pg_start() {
  if ! pg_have; then
    echo "PostgreSQL not found under $RETRY_CHECK_PG_BIN (apt-get install postgresql-15, or set RETRY_CHECK_PG_BIN)" >&2
    return 1
  fi
  # A second start replaces the first server.
  pg_stop
  local parent="${TMPDIR:-/tmp}"
  if [ "$(id -u)" -eq 0 ]; then
    RETRY_CHECK_PG_OWNER="$(pg_pick_owner)" || return 1
    # The owner must be able to reach the cluster directory.
    if ! pg_as_owner test -x "$parent" 2>/dev/null; then
      parent=/tmp
    fi
  else
    if ! RETRY_CHECK_PG_OWNER="$(id -un 2>/dev/null)"; then
      echo "pg_start: user id $(id -u) has no name (no passwd entry): initdb cannot run as it" >&2
      return 1
    fi
  fi
  RETRY_CHECK_PG_DIR="$(mktemp -d "$parent/retry-check-pg.XXXXXX")" || return 1
  trap pg_stop EXIT
  mkdir -p "$RETRY_CHECK_PG_DIR/sock"
  if [ "$(id -u)" -eq 0 ]; then
    chown -R "$RETRY_CHECK_PG_OWNER" "$RETRY_CHECK_PG_DIR"
  fi
  chmod 700 "$RETRY_CHECK_PG_DIR"
  pg_as_owner "$RETRY_CHECK_PG_BIN/initdb" -D "$RETRY_CHECK_PG_DIR/data" -U postgres \
    --auth=trust --encoding=UTF8 --no-locale >"$RETRY_CHECK_PG_DIR/initdb.log" 2>&1 ||
    { pg_fail "initdb failed (as $RETRY_CHECK_PG_OWNER)"; return 1; }
  local port="" started=""
  for _ in 1 2 3 4 5; do
    port="$(pg_free_port)" || break
    # fsync=off: a test server; durability across a *process* crash (what
    # the harness simulates) does not depend on it.
    if pg_as_owner "$RETRY_CHECK_PG_BIN/pg_ctl" -D "$RETRY_CHECK_PG_DIR/data" \
      -l "$RETRY_CHECK_PG_DIR/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $RETRY_CHECK_PG_DIR/sock -c fsync=off -c max_connections=200" \
      start >/dev/null 2>&1; then
      started=1
      break
    fi
  done
  [ -n "$started" ] || { pg_fail "the server did not start"; return 1; }
  local ready=""
  for _ in $(seq 1 60); do
    if "$RETRY_CHECK_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port"; then
      ready=1
      break
    fi
    sleep 0.5
  done
  [ -n "$ready" ] || { pg_fail "the server does not answer on 127.0.0.1:$port"; return 1; }
  "$RETRY_CHECK_PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres retry_check ||
    { pg_fail "createdb failed"; return 1; }
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
