#!/bin/sh
# First start (empty data directory): initdb with POSTGRES_USER as superuser and its password,
# password (scram) authentication over the network, then POSTGRES_DB created. Later starts
# use the data as it is. Then PostgreSQL runs in the foreground.
set -eu
user="${POSTGRES_USER:-postgres}"
db="${POSTGRES_DB:-$user}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set for the first start}"
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  # Local (socket) connections inside this container only are trusted, as in the usual image;
  # every network connection needs the password.
  initdb -D "$PGDATA" -U "$user" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  if [ "$db" != postgres ]; then
    pg_ctl -D "$PGDATA" -w -o "-c listen_addresses=''" start
    psql -v ON_ERROR_STOP=1 -U "$user" -d postgres -v db="$db" -v owner="$user" <<'SQL'
CREATE DATABASE :"db" OWNER :"owner";
SQL
    pg_ctl -D "$PGDATA" -w -m fast stop
  fi
fi
if [ "${1:-}" = postgres ]; then
  shift
  exec postgres -D "$PGDATA" "$@"
fi
exec "$@"
