# A throwaway PostgreSQL for scripts (sourced by scripts/cluster and
# scripts/bench): Debian's postgresql-15, initdb in a directory, a Unix socket
# there only, database "oxios". As root, initdb and postgres run as the
# postgres user (they refuse root).
#   pg_start DIR   -> PG_URL (libpq connection string), PG_DIR
#   pg_stop        (fast shutdown; the directory is left to the caller)
#   pg_restart SECS  fast shutdown, SECS down, start again (waits until it accepts)
#   pg_sql SQL     -> the result, unaligned
PG_DIR=""; PG_URL=""; PG_BIN=""; PG_AS=()

pg_start() {
  PG_DIR=$1
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [[ -x $PG_BIN/initdb ]] || { echo "PostgreSQL not installed (apt-get install postgresql-15)" >&2; return 1; }
  mkdir -p "$PG_DIR"
  PG_AS=()
  if [[ $(id -u) -eq 0 ]]; then
    chmod a+x "$(dirname "$PG_DIR")"  # the postgres user must reach it (mktemp makes 0700)
    chown postgres "$PG_DIR"
    PG_AS=(runuser -u postgres --)
  fi
  "${PG_AS[@]}" "$PG_BIN/initdb" --no-sync -A trust -U postgres -E UTF8 --locale=C -D "$PG_DIR/data" \
    >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  pg_ctl_start
  "${PG_AS[@]}" "$PG_BIN/createdb" -h "$PG_DIR" -p 5432 -U postgres oxios
  PG_URL="host=$PG_DIR port=5432 user=postgres dbname=oxios"
}

pg_stop() {
  [[ -n $PG_DIR ]] || return 0
  "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  PG_DIR=""
}

pg_restart() {
  "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null
  sleep "$1"
  pg_ctl_start
}

pg_ctl_start() {
  "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-k $PG_DIR -p 5432 -c listen_addresses= -c max_connections=300" start >/dev/null
}

pg_sql() { "$PG_BIN/psql" "$PG_URL" -Atqc "$1"; }
