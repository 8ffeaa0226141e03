#!/bin/sh
# Prints the folder of PostgreSQL's server programs (initdb, pg_ctl) on stdout (and nothing else there), installing
# Debian's `postgresql` package when they are missing and we are root. The PostgreSQL tests call it before their
# throwaway cluster starts so a fresh clone works; it returns at once when the programs are there.
# ETL_POSTGRES_BINDIR=/path/to/bin skips the lookup.
set -eu

find_bindir() {
  for dir in "${ETL_POSTGRES_BINDIR:-}" "$(pg_config --bindir 2>/dev/null || true)"; do
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      echo "$dir"
      return 0
    fi
  done
  # Debian keeps the server programs in a versioned folder off the PATH; take the newest major.
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

if find_bindir; then exit 0; fi
"$(dirname "$0")/apt-install.sh" postgresql "The PostgreSQL server (initdb, pg_ctl)" "point ETL_POSTGRES_BINDIR at the folder that holds initdb and pg_ctl"
if ! find_bindir; then
  echo "postgresql was installed but initdb/pg_ctl were not found" >&2
  exit 1
fi
