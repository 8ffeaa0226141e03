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

if [ "$(id -u)" -ne 0 ]; then
  echo "The PostgreSQL server programs (initdb, pg_ctl) are not installed. Install them, then run this again:" >&2
  echo "  sudo apt-get install postgresql    (Debian/Ubuntu)" >&2
  echo "or point ETL_POSTGRES_BINDIR at the folder that holds initdb and pg_ctl." >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "PostgreSQL is not installed and apt-get is not available: install it with your package manager," >&2
  echo "or point ETL_POSTGRES_BINDIR at the folder that holds initdb and pg_ctl." >&2
  exit 1
fi

# apt's progress output goes to a log so stdout stays just the folder; the log is shown only when something fails.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
install_postgres() {
  apt-get install -y -q --no-install-recommends postgresql >>"$log" 2>&1
}
echo "PostgreSQL not found: installing the Debian package postgresql with apt-get..." >&2
if ! install_postgres; then
  # The usual reason on a fresh container is empty package lists; refresh them only then, since update is slow.
  echo "apt-get install failed; refreshing the package lists and trying again..." >&2
  if ! { apt-get update -q >>"$log" 2>&1 && install_postgres; }; then
    cat "$log" >&2
    echo "could not install postgresql with apt-get (output above)" >&2
    exit 1
  fi
fi

if ! find_bindir; then
  echo "postgresql was installed but initdb/pg_ctl were not found" >&2
  exit 1
fi
echo "PostgreSQL installed." >&2
