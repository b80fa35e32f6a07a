#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the indexer tests (Debian's `postgresql`).
#
#   eval "$(tests/indexer/pg.sh start)"   # exports CMIR_TEST_POSTGRES_URL and CMIR_TEST_POSTGRES_DIR
#   tests/indexer/pg.sh stop "$CMIR_TEST_POSTGRES_DIR"
#
# `start` installs the package with apt-get when it is missing (as root), runs initdb into a new
# temporary folder as an unprivileged user (initdb refuses root), starts the server on a free
# port of 127.0.0.1 with trust authentication, and prints the two exports.
set -euo pipefail

bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [[ -z "$dir" ]]; then
    if [[ $(id -u) -ne 0 ]]; then
      echo "pg.sh: PostgreSQL is not installed and this is not root: apt-get install postgresql" >&2
      exit 1
    fi
    echo "pg.sh: installing postgresql with apt-get" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  echo "$dir"
}

as_user() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start() {
  local bin dir port
  bin=$(bindir)
  dir=$(mktemp -d /tmp/cmir-pg.XXXXXX)
  if [[ $(id -u) -eq 0 ]]; then chown postgres: "$dir"; fi
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_user "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  as_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir" start >&2
  echo "export CMIR_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:$port/postgres"
  echo "export CMIR_TEST_POSTGRES_DIR=$dir"
}

stop() {
  local dir=${1:?usage: pg.sh stop DIR}
  [[ -d "$dir/data" ]] || { echo "pg.sh: no server in $dir" >&2; exit 1; }
  as_user "$(bindir)/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) shift; stop "$@" ;;
  *) echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac
