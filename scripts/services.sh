#!/usr/bin/env bash
# Installs (Debian packages, when missing) and starts the real services the test
# suite uses: PostgreSQL 15 with pgaudit, MariaDB with server_audit, Chromium.
# Everything runs as private instances on loopback under .services/; `stop`
# shuts them down and removes their data. Writes .services/env for the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD/.services
PG_PORT=${SHUAN_PG_PORT:-55432}
MY_PORT=${SHUAN_MY_PORT:-53306}
PGBIN=/usr/lib/postgresql/15/bin

need_pkgs() {
  local missing=()
  [ -x $PGBIN/initdb ] || missing+=(postgresql-15 postgresql-client-15)
  [ -f /usr/share/postgresql/15/extension/pgaudit.control ] || missing+=(postgresql-15-pgaudit)
  command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server mariadb-client)
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  fc-list 2>/dev/null | grep -qi wqy || missing+=(fonts-wqy-microhei)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "services: installing ${missing[*]}" >&2
    if [ "$(id -u)" != 0 ]; then echo "services: need root to apt-get install ${missing[*]}" >&2; exit 1; fi
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

start_pg() {
  local d=$root/pg
  rm -rf "$d"; mkdir -p "$d"; chown postgres "$d"
  runuser -u postgres -- $PGBIN/initdb -D "$d/data" -U postgres --auth=trust -E UTF8 --no-locale >/dev/null
  runuser -u postgres -- $PGBIN/pg_ctl -D "$d/data" -l "$d/server.log" -w -o \
    "-p $PG_PORT -k $d -c listen_addresses=127.0.0.1 -c shared_preload_libraries=pgaudit -c pgaudit.log=read,write,ddl,role -c logging_collector=off -c log_line_prefix='%m [%p] %q%u@%d %r '" start >/dev/null
  psql -h 127.0.0.1 -p $PG_PORT -U postgres -qc "CREATE DATABASE shuan_test" >/dev/null
}

start_my() {
  local d=$root/mariadb
  rm -rf "$d"; mkdir -p "$d"; chown mysql "$d"
  runuser -u mysql -- mariadb-install-db --no-defaults --datadir="$d/data" \
    --auth-root-authentication-method=normal --skip-test-db >/dev/null 2>&1
  runuser -u mysql -- mariadbd --no-defaults --datadir="$d/data" --socket="$d/mysqld.sock" \
    --port=$MY_PORT --bind-address=127.0.0.1 --pid-file="$d/mysqld.pid" \
    --log-error="$d/error.log" >/dev/null 2>&1 &
  for _ in $(seq 1 100); do
    mariadb-admin --socket="$d/mysqld.sock" -uroot ping >/dev/null 2>&1 && break
    sleep 0.2
  done
  mariadb --socket="$d/mysqld.sock" -uroot -e "
    CREATE DATABASE shuan_test CHARACTER SET utf8mb4;
    CREATE USER 'shuan'@'127.0.0.1' IDENTIFIED BY 'shuan-test';
    CREATE USER 'shuan'@'localhost' IDENTIFIED BY 'shuan-test';
    GRANT ALL ON *.* TO 'shuan'@'127.0.0.1' WITH GRANT OPTION;
    GRANT ALL ON *.* TO 'shuan'@'localhost' WITH GRANT OPTION;"
}

stop_all() {
  if [ -f "$root/pg/data/postmaster.pid" ]; then
    runuser -u postgres -- $PGBIN/pg_ctl -D "$root/pg/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  if [ -f "$root/mariadb/mysqld.pid" ]; then
    kill "$(cat "$root/mariadb/mysqld.pid")" 2>/dev/null || true
    for _ in $(seq 1 50); do [ -f "$root/mariadb/mysqld.pid" ] || break; sleep 0.1; done
  fi
  rm -rf "$root"
}

case "${1:-}" in
  start)
    need_pkgs
    stop_all
    mkdir -p "$root"; chmod 755 "$root"
    start_pg
    start_my
    cat > "$root/env" <<ENV
SHUAN_REQUIRE_SERVICES=1
SHUAN_TEST_PG_URL=postgres://postgres@127.0.0.1:$PG_PORT/shuan_test?sslmode=disable
SHUAN_TEST_PG_ADMIN_URL=postgres://postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable
SHUAN_TEST_PG_LOG=$root/pg/server.log
SHUAN_TEST_MYSQL_URL=mysql://shuan:shuan-test@127.0.0.1:$MY_PORT/shuan_test
SHUAN_TEST_MYSQL_DATADIR=$root/mariadb/data
SHUAN_CHROMIUM=$(command -v chromium)
ENV
    echo "services: PostgreSQL on 127.0.0.1:$PG_PORT, MariaDB on 127.0.0.1:$MY_PORT (env in .services/env)" >&2
    ;;
  stop) stop_all ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
