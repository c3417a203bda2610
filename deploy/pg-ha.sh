#!/usr/bin/env bash
# A PostgreSQL primary with a synchronous streaming-replication standby on this machine's
# loopback, for Tessera's PostgreSQL backend: used by operators (docs/operations.md), by the
# tests and by CI (.ci/run).
#
#   deploy/pg-ha.sh start DIR [PRIMARY_PORT] [STANDBY_PORT]
#       initdb a primary in DIR/primary, pg_basebackup a standby into DIR/standby, start both and
#       wait until the standby is the primary's synchronous standby. Free loopback ports are
#       chosen when none are given. Writes DIR/env and prints the same lines on stdout:
#         TESSERA_PG_PRIMARY=postgres://postgres@127.0.0.1:PORT/postgres
#         TESSERA_PG_STANDBY=postgres://postgres@127.0.0.1:PORT/postgres
#         TESSERA_PG_DIR=DIR
#         TESSERA_PG_BIN=/usr/lib/postgresql/N/bin
#   deploy/pg-ha.sh stop DIR           fast stop of both servers (one already down is skipped)
#   deploy/pg-ha.sh stop-standby DIR   fast stop of the standby alone (the primary's commits then
#                                      wait for it: what a lost or full standby does)
#   deploy/pg-ha.sh kill-primary DIR   kill -9 the primary's postmaster and its children, as if
#                                      its machine were lost
#   deploy/pg-ha.sh promote DIR        promote the standby (refused while the primary runs) and
#                                      wait until it accepts writes; prints its
#                                      TESSERA_PG_PRIMARY=... line on stdout
#   deploy/pg-ha.sh status DIR         one line per server: role, port, replication state
#
# Server binaries: $PG_BIN if set, else the newest /usr/lib/postgresql/*/bin (Debian/Ubuntu
# package `postgresql`). initdb refuses to run as root, so as root DIR is given to the
# `postgres` user and every server binary runs through `runuser -u postgres --`; as any other
# user they run directly. Both servers listen on 127.0.0.1 only and trust local connections:
# this is a test and single-machine layout, not a hardened production one.
#
# Progress goes to stderr; stdout carries only the lines above. Exit 2: bad usage or no
# PostgreSQL binaries; exit 1: a step failed (the message names the log to read).
set -euo pipefail

STANDBY_NAME=tessera_standby
WAIT_SECONDS=30

say() { printf 'pg-ha: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
usage() {
  sed -n '/^#   deploy/,/^#$/p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# The server binaries: $PG_BIN, or the newest installed major version.
find_bin() {
  local bin=${PG_BIN:-}
  if [ -z "$bin" ]; then
    bin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
  fi
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ] || [ ! -x "$bin/pg_ctl" ]; then
    say "error: no PostgreSQL server binaries (looked in ${PG_BIN:-/usr/lib/postgresql/*/bin});" \
      "install them (Debian/Ubuntu: apt-get install postgresql) or set PG_BIN"
    exit 2
  fi
  printf '%s\n' "$bin"
}

is_root() { [ "$(id -u)" = 0 ]; }

# Runs a server binary as the cluster's owner: `postgres` when we are root, else ourselves.
# From / so that the postgres user is never left in a directory it cannot read.
as_owner() {
  if is_root; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# psql as the postgres role over TCP on the given port: unaligned, tuples only, no psqlrc.
sql() {
  local port=$1
  shift
  "$BIN/psql" -X -qAt -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"
}

# True when nothing accepts connections on 127.0.0.1:PORT.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A free loopback port other than $1, in 10000-32767: below Linux's ephemeral range
# (32768-60999), so that an outgoing connection cannot take it before the server binds it.
pick_port() {
  local other=${1:-} port _
  for _ in $(seq 1 200); do
    port=$((10000 + RANDOM % 22768))
    if [ "$port" != "$other" ] && port_free "$port"; then
      printf '%s\n' "$port"
      return 0
    fi
  done
  die "found no free loopback port"
}

check_port() {
  case $1 in
    '' | *[!0-9]*) say "error: not a port number: '$1'"; exit 2 ;;
  esac
  if [ "$1" -lt 1 ] || [ "$1" -gt 65535 ]; then say "error: port out of range: $1"; exit 2; fi
  port_free "$1" || die "port $1 on 127.0.0.1 is already in use"
}

# DIR as an absolute path. It ends up quoted inside postgresql.conf and holds the servers'
# unix sockets, whose paths the kernel limits to 107 bytes.
absolute_dir() {
  local dir=$1
  case $dir in /*) ;; *) dir=$PWD/$dir ;; esac
  dir=${dir%/}
  case $dir in
    *[!A-Za-z0-9._/+@=,-]*) say "error: DIR may hold only letters, digits and ._/+@=,- : '$dir'"; exit 2 ;;
  esac
  if [ "${#dir}" -gt 80 ]; then
    say "error: DIR is too long for the servers' unix sockets (${#dir} > 80 characters): $dir"
    exit 2
  fi
  printf '%s\n' "$dir"
}

# The port a cluster runs on: line 4 of its postmaster.pid while it runs, else the last
# `port = N` of its configuration.
cluster_port() {
  local data=$1 port=''
  if [ -f "$data/postmaster.pid" ]; then port=$(sed -n 4p "$data/postmaster.pid" 2>/dev/null || true); fi
  if [ -z "$port" ]; then
    port=$(sed -n 's/^port = \([0-9]*\).*/\1/p' "$data/postgresql.conf" 2>/dev/null | tail -n 1)
  fi
  printf '%s\n' "$port"
}

# True while process PID runs. A killed postmaster stays a zombie until init reaps it, which
# can take seconds; a zombie counts as gone.
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  case $(ps -o stat= -p "$1" 2>/dev/null || true) in Z*) return 1 ;; esac
}

# The postmaster's pid if it runs, else nothing.
postmaster_pid() {
  local data=$1 pid
  [ -f "$data/postmaster.pid" ] || return 0
  pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)
  case $pid in '' | *[!0-9]*) return 0 ;; esac
  if alive "$pid"; then printf '%s\n' "$pid"; fi
}

# Starts the cluster in DIR/ROLE on PORT (pg_ctl -w) and prints the port it runs on. A port
# chosen here (CHOSEN=1) can be taken by another process between the check and the bind (the
# tests start several pairs at once): then the cluster moves to another free port, up to 5 times.
start_cluster() {
  local dir=$1 role=$2 port=$3 chosen=$4 avoid=${5:-} log try seen
  log=$dir/$role.log
  for try in 1 2 3 4 5; do
    seen=$( (cat "$log" 2>/dev/null || true) | wc -l)
    say "start $role on 127.0.0.1:$port (log $log)"
    if as_owner "$BIN/pg_ctl" -D "$dir/$role" -l "$log" -w -t 60 start >&2; then
      printf '%s\n' "$port"
      return 0
    fi
    if [ "$chosen" = 1 ] && [ "$try" -lt 5 ] && tail -n +"$((seen + 1))" "$log" | grep -q 'Address already in use'; then
      say "port $port was taken meanwhile; moving the $role to another"
      port=$(pick_port "$avoid")
      printf 'port = %s\n' "$port" | as_owner tee -a "$dir/$role/postgresql.conf" >/dev/null
      continue
    fi
    die "the $role did not start; see $log"
  done
}

url() { printf 'postgres://postgres@127.0.0.1:%s/postgres' "$1"; }

need_cluster_dir() {
  [ -d "$1/primary" ] || [ -d "$1/standby" ] || die "$1 holds no cluster started by deploy/pg-ha.sh start"
}

cmd_start() {
  if [ $# -lt 1 ] || [ $# -gt 3 ]; then usage; fi
  local dir primary_port start_s
  dir=$(absolute_dir "$1")
  start_s=$SECONDS
  if [ -e "$dir/primary" ] || [ -e "$dir/standby" ]; then
    die "$dir already holds a cluster; run \`deploy/pg-ha.sh stop $dir\` and remove it, or choose another DIR"
  fi
  local primary_chosen=0 standby_chosen=0 standby_port=''
  if [ $# -ge 2 ]; then check_port "$2"; primary_port=$2; else primary_port=$(pick_port); primary_chosen=1; fi
  if [ $# -ge 3 ]; then
    [ "$3" != "$primary_port" ] || { say "error: the two ports must differ"; exit 2; }
    check_port "$3"; standby_port=$3
  fi

  mkdir -p "$dir"
  if is_root; then
    id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' user to own the clusters"
    chown postgres "$dir"
    chmod 0700 "$dir"
    runuser -u postgres -- test -w "$dir" \
      || die "the postgres user cannot reach $dir (a parent directory is closed to it); choose a DIR under /tmp"
  fi

  local primary=$dir/primary standby=$dir/standby
  say "initdb $primary (PostgreSQL $("$BIN/postgres" --version | awk '{print $3}'), $BIN)"
  as_owner "$BIN/initdb" -D "$primary" -A trust -U postgres --data-checksums --no-instructions >"$dir/initdb.log" 2>&1 \
    || die "initdb failed; see $dir/initdb.log"
  cat >>"$primary/postgresql.conf" <<EOF

# --- deploy/pg-ha.sh: primary with one synchronous standby ---
listen_addresses = '127.0.0.1'
port = $primary_port
unix_socket_directories = '$dir'
wal_level = replica
max_wal_senders = 10
wal_keep_size = 1GB
synchronous_commit = on
synchronous_standby_names = 'FIRST 1 ($STANDBY_NAME)'
fsync = on
shared_buffers = 256MB
max_connections = 200
EOF
  cat >>"$primary/pg_hba.conf" <<EOF

# deploy/pg-ha.sh: the standby streams from the primary over loopback.
host replication postgres 127.0.0.1/32 trust
EOF
  primary_port=$(start_cluster "$dir" primary "$primary_port" "$primary_chosen")

  say "pg_basebackup into $standby"
  # -R writes standby.signal and a primary_conninfo made of this connection's settings, so it
  # carries the application_name that synchronous_standby_names waits for.
  as_owner "$BIN/pg_basebackup" -d "host=127.0.0.1 port=$primary_port user=postgres application_name=$STANDBY_NAME" \
    -D "$standby" -R -X stream -c fast >&2 || die "pg_basebackup failed"
  if [ -z "$standby_port" ]; then standby_port=$(pick_port "$primary_port"); standby_chosen=1; fi
  # The standby's own settings. No synchronous standby of its own: once promoted it would
  # otherwise wait forever on every commit for a standby that does not exist.
  as_owner tee -a "$standby/postgresql.conf" >/dev/null <<EOF

# --- deploy/pg-ha.sh: the synchronous standby ---
port = $standby_port
synchronous_standby_names = ''
hot_standby = on
EOF
  standby_port=$(start_cluster "$dir" standby "$standby_port" "$standby_chosen" "$primary_port")

  say "waiting up to ${WAIT_SECONDS}s for $STANDBY_NAME to be the synchronous standby"
  local deadline=$((SECONDS + WAIT_SECONDS)) state=''
  while :; do
    state=$(sql "$primary_port" -c \
      "select sync_state from pg_stat_replication where application_name = '$STANDBY_NAME'" 2>/dev/null || true)
    [ "$state" = sync ] && break
    if [ "$SECONDS" -ge "$deadline" ]; then
      die "the standby is not synchronous after ${WAIT_SECONDS}s (sync_state '${state:-absent}'); see $dir/standby.log"
    fi
    sleep 0.2
  done
  say "primary :$primary_port, synchronous standby :$standby_port, ready in $((SECONDS - start_s))s"

  local env
  env=$(printf 'TESSERA_PG_PRIMARY=%s\nTESSERA_PG_STANDBY=%s\nTESSERA_PG_DIR=%s\nTESSERA_PG_BIN=%s\n' \
    "$(url "$primary_port")" "$(url "$standby_port")" "$dir" "$BIN")
  printf '%s\n' "$env" >"$dir/env"
  printf '%s\n' "$env"
}

cmd_stop() {
  [ $# -eq 1 ] || usage
  local dir role
  dir=$(absolute_dir "$1")
  need_cluster_dir "$dir"
  # The primary first: a fast shutdown sends its last WAL to the standby before it exits.
  for role in primary standby; do
    if [ -d "$dir/$role" ] && [ -n "$(postmaster_pid "$dir/$role")" ]; then
      say "stop $role"
      as_owner "$BIN/pg_ctl" -D "$dir/$role" -m fast -w -t 60 stop >&2 || die "could not stop the $role"
    elif [ -d "$dir/$role" ]; then
      say "$role already down"
    fi
  done
}

cmd_stop_standby() {
  [ $# -eq 1 ] || usage
  local dir
  dir=$(absolute_dir "$1")
  need_cluster_dir "$dir"
  [ -n "$(postmaster_pid "$dir/standby")" ] || die "the standby is not running"
  say "stop standby"
  as_owner "$BIN/pg_ctl" -D "$dir/standby" -m fast -w -t 60 stop >&2 || die "could not stop the standby"
}

cmd_kill_primary() {
  [ $# -eq 1 ] || usage
  local dir pid children
  dir=$(absolute_dir "$1")
  need_cluster_dir "$dir"
  pid=$(postmaster_pid "$dir/primary")
  [ -n "$pid" ] || die "the primary is not running"
  # Its children too (backends, WAL sender, writers): a lost machine takes everything with it,
  # and a WAL sender left alive would keep streaming to the standby for a moment.
  children=$(ps -o pid= --ppid "$pid" 2>/dev/null || true)
  say "kill -9 primary postmaster $pid and its children"
  kill -9 "$pid"
  for child in $children; do kill -9 "$child" 2>/dev/null || true; done
  local deadline=$((SECONDS + 10))
  while alive "$pid"; do
    [ "$SECONDS" -lt "$deadline" ] || die "postmaster $pid is still alive 10s after kill -9"
    sleep 0.1
  done
}

cmd_promote() {
  [ $# -eq 1 ] || usage
  local dir port in_recovery
  dir=$(absolute_dir "$1")
  [ -d "$dir/standby" ] || die "$dir holds no standby"
  # Never two primaries: a client still connected to the old one would write a history the
  # promoted server never sees.
  if [ -d "$dir/primary" ] && [ -n "$(postmaster_pid "$dir/primary")" ]; then
    die "the primary is still running; fence it first (deploy/pg-ha.sh kill-primary $dir, or pg_ctl -D $dir/primary stop)"
  fi
  [ -n "$(postmaster_pid "$dir/standby")" ] || die "the standby is not running"
  port=$(cluster_port "$dir/standby")
  say "promote the standby on 127.0.0.1:$port"
  as_owner "$BIN/pg_ctl" -D "$dir/standby" -w -t 60 promote >&2 || die "pg_ctl promote failed; see $dir/standby.log"
  local deadline=$((SECONDS + WAIT_SECONDS))
  while :; do
    in_recovery=$(sql "$port" -c 'select pg_is_in_recovery()' 2>/dev/null || true)
    [ "$in_recovery" = f ] && break
    [ "$SECONDS" -lt "$deadline" ] || die "the standby is still in recovery after ${WAIT_SECONDS}s; see $dir/standby.log"
    sleep 0.2
  done
  say "promoted: 127.0.0.1:$port accepts writes; it has no synchronous standby of its own" \
    "(commits are durable on it alone until one is attached)"
  printf 'TESSERA_PG_PRIMARY=%s\n' "$(url "$port")"
}

cmd_status() {
  [ $# -eq 1 ] || usage
  local dir role port state detail
  dir=$(absolute_dir "$1")
  need_cluster_dir "$dir"
  for role in primary standby; do
    [ -d "$dir/$role" ] || continue
    port=$(cluster_port "$dir/$role")
    if [ -z "$(postmaster_pid "$dir/$role")" ]; then
      printf '%s: down (port %s)\n' "$role" "$port"
      continue
    fi
    state=$(sql "$port" -c 'select pg_is_in_recovery()' 2>/dev/null || echo '?')
    case $state in
      f)
        detail=$(sql "$port" -F ' ' -c "select coalesce(string_agg(application_name || ' ' || state || ' ' ||
          sync_state, ', ' order by application_name), 'no standby') from pg_stat_replication" 2>/dev/null || echo '?')
        printf '%s: up, port %s, role primary, replication: %s\n' "$role" "$port" "$detail"
        ;;
      t)
        detail=$(sql "$port" -c "select coalesce((select status || ' from port ' || sender_port
          from pg_stat_wal_receiver), 'not streaming')" 2>/dev/null || echo '?')
        printf '%s: up, port %s, role standby, replication: %s\n' "$role" "$port" "$detail"
        ;;
      *) printf '%s: up, port %s, not answering queries\n' "$role" "$port" ;;
    esac
  done
}

[ $# -ge 1 ] || usage
command=$1
shift
case $command in
  start | stop | stop-standby | kill-primary | promote | status) ;;
  -h | --help | help) usage ;;
  *) say "error: unknown command '$command'"; usage ;;
esac
BIN=$(find_bin)
case $command in
  start) cmd_start "$@" ;;
  stop) cmd_stop "$@" ;;
  stop-standby) cmd_stop_standby "$@" ;;
  kill-primary) cmd_kill_primary "$@" ;;
  promote) cmd_promote "$@" ;;
  status) cmd_status "$@" ;;
esac
