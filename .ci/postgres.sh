# Start/stop a throwaway PostgreSQL cluster on 127.0.0.1 for the tests.
# Sets GRAPEVINE_TEST_POSTGRES_URL; the store tests run against it when it is set.
# The port is PG_PORT when given, else one the kernel reports free on 127.0.0.1 (a fixed
# port fails outright when another cluster or a previous run still holds it).
_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
PG_PORT=${PG_PORT:-$(_free_port)}
PG_DIR=$(mktemp -d /tmp/grapevine-pg.XXXXXX)
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

_as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  if [ "$(id -u)" = 0 ]; then chown postgres "$PG_DIR"; fi
  _as_postgres "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres >/dev/null
  _as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  _as_postgres "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres grapevine_test
  export GRAPEVINE_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/grapevine_test"
  echo "PostgreSQL for tests on 127.0.0.1:$PG_PORT"
}

stop_postgres() {
  _as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
